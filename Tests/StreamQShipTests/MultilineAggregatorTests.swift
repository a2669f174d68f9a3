import Foundation
import StreamQSampleData
import Testing

@testable import StreamQShip

@Suite struct MultilineAggregatorTests {
    /// `texts` as the lines of a file, each followed by a newline.
    private func logLines(_ texts: [String]) -> [LogLine] {
        var offset = 0
        return texts.map { text in
            let bytes = Array(text.utf8)
            defer { offset += bytes.count + 1 }
            return LogLine(
                offset: offset,
                end: offset + bytes.count + 1,
                text: bytes,
                originalBytes: bytes.count,
                isTruncated: false
            )
        }
    }

    /// The records `lines` make, the open group closed at the end.
    private func group(_ lines: [LogLine], _ rule: MultilineRule, maxBytes: Int = 1 << 20) -> [LogLine] {
        var aggregator = MultilineAggregator(rule: rule, maxBytes: maxBytes)
        var records = lines.flatMap { aggregator.add($0) }
        if let last = aggregator.flush() { records.append(last) }
        return records
    }

    private func messages(_ texts: [String], _ rule: MultilineRule) -> [String] {
        group(logLines(texts), rule).map { String(decoding: $0.text, as: UTF8.self) }
    }

    @Test func continueThroughJoinsTheLinesThatMatchTheCondition() throws {
        let rule = try MultilineRule(startPattern: #"^[^\s]"#, conditionPattern: #"^\s+"#, mode: .continueThrough)
        let texts = [
            "some usual line", "some other usual line", "first part", " second part", " last part",
            "another normal message", "finishing message", " last part of the incomplete finishing message",
        ]
        #expect(
            messages(texts, rule) == [
                "some usual line", "some other usual line", "first part\n second part\n last part",
                "another normal message", "finishing message\n last part of the incomplete finishing message",
            ]
        )
        let records = group(logLines(texts), rule)
        let lines = logLines(texts)
        #expect(records[2].offset == lines[2].offset)  // a group's offset is its first line's
        #expect(records[2].end == lines[4].end)
        #expect(records[2].originalBytes == records[2].text.count)
        #expect(!records[2].isTruncated)
    }

    @Test func continuePastTakesOneLineMoreThanMatch() throws {
        let rule = try MultilineRule(startPattern: #"\\$"#, conditionPattern: #"\\$"#, mode: .continuePast)
        let texts = [
            "some usual line", "some other usual line", #"first part \"#, #" second part \"#, " last part",
            "another normal message", #"finishing message \"#, #" last part of the incomplete finishing message \"#,
        ]
        #expect(
            messages(texts, rule) == [
                "some usual line", "some other usual line", "first part \\\n second part \\\n last part",
                "another normal message", "finishing message \\\n last part of the incomplete finishing message \\",
            ]
        )
    }

    @Test func haltBeforeEndsAGroupAtTheNextMarker() throws {
        let rule = try MultilineRule(startPattern: "", conditionPattern: "^(INFO|ERROR) ", mode: .haltBefore)
        let texts = [
            "INFO some usual line", "INFO some other usual line", "INFO first part", "second part", "last part",
            "ERROR another normal message", "ERROR finishing message", "last part of the incomplete finishing message",
        ]
        #expect(
            messages(texts, rule) == [
                "INFO some usual line", "INFO some other usual line", "INFO first part\nsecond part\nlast part",
                "ERROR another normal message",
                "ERROR finishing message\nlast part of the incomplete finishing message",
            ]
        )
    }

    @Test func haltWithEndsAGroupWithTheMatchingLine() throws {
        let rule = try MultilineRule(startPattern: "[^;]$", conditionPattern: ";$", mode: .haltWith)
        let texts = [
            "some usual line;", "some other usual line;", "first part", "second part", "last part;",
            "another normal message;", "finishing message", "last part of the incomplete finishing message",
        ]
        #expect(
            messages(texts, rule) == [
                "some usual line;", "some other usual line;", "first part\nsecond part\nlast part;",
                "another normal message;", "finishing message\nlast part of the incomplete finishing message",
            ]
        )
    }

    @Test func javaPresetKeepsATraceWithItsCausesTogether() {
        let trace = [
            "2024-05-01 12:00:00.123 ERROR [http-nio-8080-exec-1] c.e.OrderController - order 42 failed",
            "org.springframework.dao.DataIntegrityViolationException: could not execute statement",
            "\tat org.springframework.orm.jpa.vendor.HibernateJpaDialect.convert(HibernateJpaDialect.java:276)",
            "\tat com.example.OrderService.place(OrderService.java:88)",
            "Caused by: org.hibernate.exception.ConstraintViolationException: could not execute statement",
            "\tat org.hibernate.exception.internal.SQLStateConversionDelegate.convert(SQLStateConversionDelegate.java:59)",
            "\t... 12 more",
            "Caused by: java.sql.SQLIntegrityConstraintViolationException: Duplicate entry '42' for key 'PRIMARY'",
            "\tat com.mysql.cj.jdbc.exceptions.SQLError.createSQLException(SQLError.java:117)",
            "\t... 27 common frames omitted",
        ]
        let texts =
            ["2024-05-01 12:00:00.001 INFO  [main] c.e.App - started in 2.1 s"] + trace
            + ["2024-05-01 12:00:01.000 INFO  [http-nio-8080-exec-2] c.e.OrderController - order 43 placed"]
        #expect(
            messages(texts, MultilinePreset.java.rule) == [
                texts[0], trace.joined(separator: "\n"), texts.last!,
            ]
        )
    }

    @Test func pythonPresetTakesATracebackToItsExceptionLine() {
        let traceback = [
            "Traceback (most recent call last):",
            "  File \"/srv/app/worker.py\", line 41, in run",
            "    result = handler(job)",
            "  File \"/srv/app/handlers.py\", line 17, in resize",
            "    raise ValueError(f\"bad size {size!r}\")",
            "ValueError: bad size '0x0'",
        ]
        let texts =
            ["2024-05-01 12:00:00,123 ERROR worker job 7 failed"] + traceback
            + ["2024-05-01 12:00:00,200 INFO worker job 8 done"]
        #expect(
            messages(texts, MultilinePreset.python.rule) == [
                texts[0], traceback.joined(separator: "\n"), texts.last!,
            ]
        )
    }

    @Test func goPresetTakesAPanicAndItsGoroutines() {
        let panic = [
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6a1f2e]",
            "",
            "goroutine 34 [running]:",
            "main.(*Server).handle(0x0, {0x7f2d40, 0xc0001a2000})",
            "\t/src/app/server.go:88 +0x2e",
            "net/http.HandlerFunc.ServeHTTP(0xc000012345?, {0x7f2d40?, 0xc0001a2000?}, 0x0?)",
            "\t/usr/local/go/src/net/http/server.go:2166 +0x29",
            "created by net/http.(*Server).Serve in goroutine 1",
            "\t/usr/local/go/src/net/http/server.go:3285 +0x4b4",
            "",
            "goroutine 1 [IO wait]:",
            "internal/poll.runtime_pollWait(0x7f3c2c6a1e28, 0x72)",
            "\t/usr/local/go/src/runtime/netpoll.go:345 +0x85",
            "exit status 2",
        ]
        let texts =
            ["2024/05/01 12:00:00 listening on :8080"] + panic + ["2024/05/01 12:00:05 listening on :8080"]
        #expect(
            messages(texts, MultilinePreset.go.rule) == [texts[0], panic.joined(separator: "\n"), texts.last!]
        )
    }

    @Test func aGroupStopsAtMaxLinesAndTheRestIsTakenAfresh() throws {
        var rule = try MultilineRule(startPattern: #"^\S"#, conditionPattern: #"^\s"#, mode: .continueThrough)
        rule.maxLines = 3
        #expect(
            messages(["start", " a", " b", " c", " d", "next", " e"], rule) == [
                "start\n a\n b", " c", " d", "next\n e",
            ]
        )
    }

    @Test func aGroupLongerThanMaxBytesIsCutAndMarked() throws {
        let rule = try MultilineRule(startPattern: #"^\S"#, conditionPattern: #"^\s"#, mode: .continueThrough)
        let records = group(logLines(["0123456789", " abcdefghij", " klm", "next"]), rule, maxBytes: 16)
        #expect(records.count == 2)
        #expect(String(decoding: records[0].text, as: UTF8.self) == "0123456789\n abcd")
        #expect(records[0].isTruncated)
        #expect(records[0].originalBytes == 10 + 1 + 11 + 1 + 4)
        #expect(!records[1].isTruncated)
    }

    /// What rebuilding an append after a restart does: grouping lines again from any record's first
    /// line, and closing the last group where the append ended, gives back the same records.
    @Test func groupingAgainFromAnyRecordGivesTheSameRecords() throws {
        var generator = SplitMix64(seed: 12)
        let shapes = ["ERROR x", " at y", "more \\", "end;", "INFO z", "", "  ... 3 more", "go on \\"]
        let texts = (0..<400).map { index in shapes[Int.random(in: 0..<shapes.count, using: &generator)] + " \(index)" }
        let lines = logLines(texts)
        let rules = [
            try MultilineRule(startPattern: #"^\S"#, conditionPattern: #"^\s"#, mode: .continueThrough),
            try MultilineRule(startPattern: #"\\ \d+$"#, conditionPattern: #"\\ \d+$"#, mode: .continuePast),
            try MultilineRule(startPattern: "^ERROR", conditionPattern: "^(INFO|ERROR) ", mode: .haltBefore),
            try MultilineRule(startPattern: "^[^;]*$", conditionPattern: ";", mode: .haltWith),
        ]
        for var rule in rules {
            rule.maxLines = 4
            let records = group(lines, rule, maxBytes: 40)
            #expect(records.count < lines.count)
            for _ in 0..<60 {
                let first = Int.random(in: 0..<records.count, using: &generator)
                let last = first + Int.random(in: 0..<min(8, records.count - first), using: &generator)
                let range = lines.filter { $0.offset >= records[first].offset && $0.end <= records[last].end }
                #expect(group(range, rule, maxBytes: 40) == Array(records[first...last]), "\(rule.mode) \(first)")
            }
        }
    }

    @Test func aBadPatternIsReportedWithItsRole() {
        let error = #expect(throws: ShipError.self) {
            try MultilineRule(startPattern: "^ok", conditionPattern: "(unclosed", mode: .haltWith)
        }
        #expect(error?.message.contains("condition pattern '(unclosed'") == true)
        for preset in MultilinePreset.allCases { #expect(preset.rule.maxLines == 500) }  // the presets compile
    }

    @Test func theScannerHoldsAnOpenGroupBackUnlessFlushing() throws {
        let text = "INFO a\nERROR b\n at c\nINFO d\nERROR e\n at f\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ship-ml-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try LogFile(path: path)
        let scanner = RecordScanner(
            lines: LineScanner(maxLineBytes: 1000),
            multiline: try MultilineRule(startPattern: "^ERROR", conditionPattern: #"^\s"#, mode: .continueThrough)
        )
        func read(from offset: Int = 0, maxRecords: Int = 100, flushing: Bool) throws -> RecordScanner.Scan {
            try scanner.records(
                in: file,
                from: offset,
                limit: text.utf8.count,
                maxRecords: maxRecords,
                maxBytes: 1 << 20,
                includeUnterminated: false,
                flushingGroup: flushing
            )
        }
        let held = try read(flushing: false)
        #expect(
            held.records.map { String(decoding: $0.text, as: UTF8.self) } == ["INFO a", "ERROR b\n at c", "INFO d"]
        )
        #expect(held.heldGroupEnd == text.utf8.count)
        let flushed = try read(from: held.records.last!.end, flushing: true)
        #expect(flushed.records.map { String(decoding: $0.text, as: UTF8.self) } == ["ERROR e\n at f"])
        #expect(flushed.records.first?.offset == held.records.last!.end)
        #expect(flushed.heldGroupEnd == nil)
        let limited = try read(maxRecords: 1, flushing: true)
        #expect(limited.records.count == 1)
        #expect(limited.heldGroupEnd == nil)
    }
}
