import Foundation
import Testing

@testable import StreamQShip

@Suite struct LineScannerTests {
    private func withFile<T>(_ contents: [UInt8], _ body: (LogFile, Int) throws(any Error) -> T) throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ship-lines-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data(contents))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(try LogFile(path: path), contents.count)
    }

    @Test func aPartialLastLineWaitsForItsNewline() throws {
        try withFile(Array("one\r\ntwo\nthr".utf8)) { file, size in
            let scanner = LineScanner(maxLineBytes: 100)
            let lines = try scanner.lines(in: file, from: 0, limit: size, maxLines: 10, maxBytes: 1000)
            #expect(lines.map { String(decoding: $0.text, as: UTF8.self) } == ["one", "two"])
            #expect(lines.map(\.offset) == [0, 5])
            #expect(lines.last?.end == 9)
            let final = try scanner.lines(
                in: file,
                from: 9,
                limit: size,
                maxLines: 10,
                maxBytes: 1000,
                includeUnterminated: true
            )
            #expect(final.map { String(decoding: $0.text, as: UTF8.self) } == ["thr"])
        }
    }

    @Test func longLinesAreTruncatedNotDropped() throws {
        let long = String(repeating: "x", count: 200_000)
        try withFile(Array("short\n\(long)\nafter\n".utf8)) { file, size in
            let lines = try LineScanner(maxLineBytes: 1000).lines(
                in: file,
                from: 0,
                limit: size,
                maxLines: 10,
                maxBytes: 1 << 20
            )
            #expect(lines.count == 3)
            #expect(lines[1].text.count == 1000)
            #expect(lines[1].isTruncated)
            #expect(lines[1].originalBytes == 200_000)
            #expect(String(decoding: lines[2].text, as: UTF8.self) == "after")
            #expect(lines[2].offset == 6 + 200_001)
            #expect(!lines[0].isTruncated && !lines[2].isTruncated)
        }
    }

    @Test func stopsAtTheLineAndByteLimits() throws {
        try withFile(Array((0..<100).map { "line \($0)\n" }.joined().utf8)) { file, size in
            let scanner = LineScanner(maxLineBytes: 100)
            let byCount = try scanner.lines(in: file, from: 0, limit: size, maxLines: 7, maxBytes: 1 << 20)
            let byBytes = try scanner.lines(in: file, from: 0, limit: size, maxLines: 100, maxBytes: 20)
            #expect(byCount.count == 7)
            #expect(byBytes.count == 4)  // stops once 20 bytes were taken
        }
    }
}
