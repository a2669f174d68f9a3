import Foundation
import StreamQJSON
import Testing

@Suite struct JSONStringTests {
    @Test(arguments: [
        "plain text",
        "",
        #"say "hi" \ back\slash"#,
        "tab\tnew\nline\rbell\u{7}nul\u{0}esc\u{1B}",
        "\"leading and trailing\\",
        "é ü 日本 🚀 mixed \"with\" quotes",
    ])
    func escapedTextDecodesToItself(text: String) throws {
        for bytes in [Array(text.utf8), Array(text.utf8)[...]] as [any Collection<UInt8>] {
            var output: [UInt8] = Array("x:".utf8)
            appendOpened(bytes, to: &output)
            #expect(output.starts(with: Array("x:".utf8)))
            let decoded = try JSONSerialization.jsonObject(with: Data(output.dropFirst(2)), options: .fragmentsAllowed)
            #expect(decoded as? String == text)
        }
        var fromLazy: [UInt8] = []
        JSONString.append(text.utf8.lazy.map { $0 }, to: &fromLazy)  // not contiguous
        #expect(fromLazy == Array(JSONString.quoted(text).utf8))
    }

    @Test func controlCharactersUseShortOrUnicodeEscapes() {
        #expect(JSONString.quoted("a\u{1}\n\u{1F}\"\\") == #""a\u0001\n\u001f\"\\""#)
    }

    private func appendOpened(_ bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        JSONString.append(bytes, to: &output)
    }
}
