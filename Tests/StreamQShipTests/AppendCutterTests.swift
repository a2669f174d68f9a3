import Foundation
import Testing

@testable import StreamQShip
@testable import StreamQStorage

@Suite struct AppendCutterTests {
    /// Lines of every shape the fast path must read as ``LineScanner`` does: CRLF, empty, long
    /// (truncated), non-ASCII, a lone `\r`, and no newline at the end.
    private static let contents: [UInt8] = {
        var text = ""
        for index in 0..<3000 {
            switch index % 7 {
            case 0:
                text +=
                    #"10.0.0.\#(index % 256) - - [22/Apr/2009:18:52:51 +1200] "GET /a?\#(index) HTTP/1.1" 200 \#(index)"#
                    + "\n"
            case 1: text += "crlf line \(index)\r\n"
            case 2: text += "\n"
            case 3: text += String(repeating: "long\(index) ", count: 40) + "\r\n"
            case 4: text += "ünïcödé \"quoted\" \t \(index)\n"
            case 5: text += "\r\n"
            default: text += "{\"n\":\(index)}\r\r\n"
            }
        }
        return Array((text + "unterminated tail").utf8)
    }()

    private func withFile<T>(_ contents: [UInt8], _ body: (LogFile) throws -> T) throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ship-cut-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data(contents))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(try LogFile(path: path))
    }

    private struct Line: Equatable {
        var text: [UInt8]
        var offset, end, originalBytes: Int
        var isTruncated: Bool
    }

    /// A window's lines, in any split into parts, are the lines ``LineScanner`` reads from the same
    /// bytes, with or without the unterminated tail, from the start or from the middle of the file.
    @Test(arguments: [1, 97, 4096, 1 << 30])
    func windowLinesAreTheLineScannersLines(bytesPerPart: Int) throws {
        try withFile(Self.contents) { file in
            for from in [0, 1234] {
                for final in [false, true] {
                    let limit = Self.contents.count
                    let expected = try LineScanner(maxLineBytes: 150).lines(
                        in: file,
                        from: from,
                        limit: limit,
                        maxLines: .max,
                        maxBytes: .max,
                        includeUnterminated: final
                    ).map {
                        Line(
                            text: $0.text,
                            offset: $0.offset,
                            end: $0.end,
                            originalBytes: $0.originalBytes,
                            isTruncated: $0.isTruncated
                        )
                    }
                    let window = try LineWindow(
                        file,
                        from: from,
                        limit: limit,
                        maxBytes: .max,
                        includeUnterminated: final,
                        maxLineBytes: 150
                    )
                    var lines: [Line] = []
                    let parts = window.parts(bytesPerPart: bytesPerPart)
                    for part in parts {
                        window.forEachLine(in: part) { line, bytes in
                            lines.append(
                                Line(
                                    text: Array(bytes[line.text]),
                                    offset: line.offset,
                                    end: line.end,
                                    originalBytes: line.originalBytes,
                                    isTruncated: line.isTruncated
                                )
                            )
                        }
                    }
                    #expect(lines == expected)
                    #expect(expected.contains { $0.isTruncated })
                    #expect(parts.count >= (bytesPerPart == 1 << 30 ? 1 : 2))
                }
            }
        }
    }

    /// A window holding no newline but followed by more of the file is a line longer than the window
    /// (left to ``LineScanner``); one ending at the file's end holds nothing yet.
    @Test func aWindowInsideALineSaysSo() throws {
        try withFile(Array("0123456789abcdef\nnext".utf8)) { file in
            let inside = try LineWindow(
                file,
                from: 0,
                limit: 21,
                maxBytes: 8,
                includeUnterminated: false,
                maxLineBytes: 4
            )
            #expect(inside.endsInsideALine)
            let partial = try LineWindow(
                file,
                from: 17,
                limit: 21,
                maxBytes: 100,
                includeUnterminated: false,
                maxLineBytes: 4
            )
            #expect(partial.linesEnd == 0 && partial.endsInsideALine)
            let final = try LineWindow(
                file,
                from: 17,
                limit: 21,
                maxBytes: 100,
                includeUnterminated: true,
                maxLineBytes: 4
            )
            #expect(final.linesEnd == 4 && !final.endsInsideALine)
        }
    }

    /// Appends cut in parts on several cores hold every line's record once, in order, each record
    /// the line encoded on its own; appends follow one another without gaps and keep to the limits.
    @Test(arguments: [LineParser.none, LineParser.nginx, LineParser.json])
    func partsCutEveryLineOnceInOrderWithinLimits(parser: LineParser) throws {
        try expectPartsCutEveryLineOnce(Self.contents, parser: parser, maxLineBytes: 150, maxRecordBytes: 1 << 20)
    }

    /// Raw lines of every shape, written in one pass unless they need `append`'s repair or cut:
    /// escapes of every kind, non-ASCII, bytes that are not UTF-8 (also where parts meet), lines
    /// longer than a block of the escaper, truncated lines, and records over the record limit.
    /// Into a local store, records are written straight into their append where they surely fit.
    @Test(arguments: [(1 << 20, 1 << 20), (2000, 1 << 20), (1 << 20, 900)])
    func rawLinesOfEveryShapeAreCutAsEncodedAlone(maxLineBytes: Int, maxRecordBytes: Int) async throws {
        var contents: [UInt8] = []
        for index in 0..<2000 {
            switch index % 9 {
            case 0:
                contents += Array(
                    #"10.0.0.\#(index % 256) - - [22/Apr/2009:18:52:51 +1200] "GET /a HTTP/1.1" 200"#.utf8
                )
            case 1: contents += Array("ctl \u{1}\u{1F}\t\u{7F} \\ \"q\" \(index)\r".utf8)
            case 2: contents += Array("ünïcödé 日本 🚀 \(index)".utf8)
            case 3: contents += [0x6E, 0x6F, 0x74, 0x20, 0xFF, 0xC3, 0x28, 0xE6, 0x97] + Array(" \(index)".utf8)
            case 4: contents += Array(String(repeating: "long \"\(index)\" é ", count: 150).utf8)
            case 5: contents += [UInt8](repeating: 0x22, count: 200 + index % 13)
            case 6: contents += [0xE6, 0x97, 0xA5]  // a whole character alone
            case 7: contents += [0x80]  // a lone continuation byte
            default: break  // an empty line
            }
            contents.append(0x0A)
        }
        try expectPartsCutEveryLineOnce(
            contents,
            parser: .none,
            maxLineBytes: maxLineBytes,
            maxRecordBytes: maxRecordBytes
        )
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ship-cut-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try StreamStore(directory: directory.path, configuration: StorageConfiguration())
        try expectPartsCutEveryLineOnce(
            contents,
            parser: .none,
            maxLineBytes: maxLineBytes,
            maxRecordBytes: maxRecordBytes,
            store: store
        )
        try await store.close()
    }

    private func expectPartsCutEveryLineOnce(
        _ contents: [UInt8],
        parser: LineParser,
        maxLineBytes: Int,
        maxRecordBytes: Int,
        store: StreamStore? = nil
    ) throws {
        let encoder = RecordEncoder(parser: parser, host: "web-1", maxRecordBytes: maxRecordBytes)
        try withFile(contents) { file in
            let window = try LineWindow(
                file,
                from: 0,
                limit: contents.count,
                maxBytes: .max,
                includeUnterminated: true,
                maxLineBytes: maxLineBytes
            )
            let cutter = AppendCutter(
                encoder: encoder,
                file: "/var/log/a.log",
                partitionKey: "k",
                store: store,
                maxRecords: 100,
                maxBytes: 20_000,
                recordBytesPerByte: 1.5
            )
            let appends = cutter.cut(window, bytesPerPart: 30_000)
            var expected: [(data: [UInt8], failed: Bool, truncated: Bool)] = []
            for part in window.parts(bytesPerPart: .max) {
                window.forEachLine(in: part) { line, bytes in
                    let alone = encoder.encode(
                        LogLine(
                            offset: line.offset,
                            end: line.end,
                            text: Array(bytes[line.text]),
                            originalBytes: line.originalBytes,
                            isTruncated: line.isTruncated
                        ),
                        file: "/var/log/a.log"
                    )
                    expected.append((alone.data, alone.parseFailed, alone.truncated))
                }
            }
            #expect(appends.count > 5)
            var records: [[UInt8]] = []
            var end = 0
            for append in appends {
                let batch: [AppendRecord]
                switch append.records {
                case .records(let records):
                    #expect(store == nil, "records for a local store are encoded")
                    batch = records
                case .encoded(let encoded, _):
                    // As encoded one by one from the records each line makes alone.
                    batch = expected[records.count..<min(expected.count, records.count + encoded.count)].map {
                        AppendRecord(partitionKey: "k", data: $0.data)
                    }
                    var alone = EncodedRecords()
                    for record in batch { record.data.withUnsafeBytes { alone.append(partitionKey: "k", data: $0) } }
                    #expect(encoded.bytes == alone.bytes && encoded.count == batch.count)
                }
                #expect(append.start == end)
                #expect(batch.count <= 100 && append.bytes <= 20_000)
                #expect(append.bytes == batch.reduce(0) { $0 + $1.data.count + 1 + AppendCutter.recordOverheadBytes })
                #expect(
                    append.parseErrors == expected[records.count..<(records.count + batch.count)].filter(\.failed).count
                )
                #expect(
                    append.truncatedLines
                        == expected[records.count..<(records.count + batch.count)].filter(\.truncated).count
                )
                records += batch.map(\.data)
                end = append.end
            }
            #expect(records == expected.map(\.data))
            #expect(end == contents.count)
        }
    }
}
