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

    /// Every byte value, at every place in and around an eight-byte word, and escapes spread over
    /// more than one block: the same text as escaping a byte at a time gives.
    @Test func everyByteAtEveryPlaceIsEscapedAsOnItsOwn() {
        for byte in UInt8.min...UInt8.max {
            for length in [1, 7, 8, 9, 17] {
                for place in 0..<length {
                    var text = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    text[place] = byte
                    var output: [UInt8] = []
                    JSONString.append(text, to: &output)
                    #expect(output == escapedByteByByte(text), "byte \(byte) at \(place) of \(length)")
                }
            }
        }
        var long: [UInt8] = []
        for index in 0..<5000 { long.append(index % 7 == 0 ? UInt8(ascii: "\"") : index % 401 == 0 ? 0x01 : 0x61) }
        long += [UInt8](repeating: 0x62, count: 3000) + [0x0A] + [UInt8](repeating: 0x63, count: 1021) + [0x5C]
        var output: [UInt8] = []
        JSONString.append(long, to: &output)
        #expect(output == escapedByteByByte(long))
    }

    /// Writing at a pointer in one pass gives what appending gives, for every byte at every place
    /// in and around a word and for long texts, stays within `maxQuotedBytes`, and says whether the
    /// text is ASCII.
    @Test func writingGivesWhatAppendingGives() {
        var texts: [[UInt8]] = []
        for byte in UInt8.min...UInt8.max {
            for length in [1, 7, 8, 9, 17] {
                for place in 0..<length {
                    var text = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    text[place] = byte
                    texts.append(text)
                }
            }
        }
        texts.append([])
        texts.append([UInt8](repeating: 0x01, count: 100))  // every byte the longest escape
        texts.append(Array(#"10.0.0.1 - - [22/Apr/2009:18:52:51 +1200] "GET / HTTP/1.1" 200 5 "-" "curl/8""#.utf8))
        texts.append(Array("é ü 日本 🚀 \"quoted\" \t".utf8))
        texts.append((0..<5000).map { UInt8(truncatingIfNeeded: $0 % 7 == 0 ? 0x22 : $0 % 401 == 0 ? 0x0A : 0x61) })
        for text in texts {
            var appended: [UInt8] = []
            JSONString.append(text, to: &appended)
            let room = JSONString.maxQuotedBytes(text.count)
            var target = [UInt8](repeating: 0, count: room)
            let written = text.withUnsafeBytes { text in
                target.withUnsafeMutableBytes { JSONString.write(text, to: $0.baseAddress!) }
            }
            #expect(Array(target[..<written.count]) == appended, "\(text)")
            #expect(written.isASCII == text.allSatisfy { $0 < 0x80 })
        }
    }

    private func escapedByteByByte(_ text: [UInt8]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), byte]
            case 0x0A: output += Array(#"\n"#.utf8)
            case 0x0D: output += Array(#"\r"#.utf8)
            case 0x09: output += Array(#"\t"#.utf8)
            case ..<0x20: output += Array(String(format: #"\u%04x"#, byte).utf8)
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    private func appendOpened(_ bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        JSONString.append(bytes, to: &output)
    }
}
