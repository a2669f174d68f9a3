import Foundation
import StreamQShip
import StreamQStorage
import Testing

@Suite struct ShipperTests {
    private func lines(_ prefix: String, _ range: Range<Int>) -> [String] {
        range.map { "\(prefix) line \($0) \(String(repeating: "x", count: $0 % 37))" }
    }

    @Test func onceShipsCompleteLinesAndResumesFromTheCheckpoint() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        try fixture.append(lines("a", 0..<100), to: path)
        try Array("partial, no newline yet".utf8).withUnsafeBytes { bytes in
            let fd = open(path, O_WRONLY | O_APPEND)
            defer { close(fd) }
            _ = write(fd, bytes.baseAddress, bytes.count)
        }
        let first = try await fixture.shipOnce([fixture.logs + "/*.log"])
        #expect(first.linesShipped == 100)
        try fixture.append([" now complete"] + lines("a", 100..<150), to: path)
        let second = try await fixture.shipOnce([fixture.logs + "/*.log"])
        #expect(second.linesShipped == 51)
        let third = try await fixture.shipOnce([fixture.logs + "/*.log"])
        #expect(third.linesShipped == 0)
        expectExactlyOnce(
            try fixture.records(),
            expected: lines("a", 0..<100) + ["partial, no newline yet now complete"] + lines("a", 100..<150)
        )
    }

    @Test func appendsInDoubtAfterACrashAreRecognisedNotStoredAgain() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        try fixture.append(lines("d", 0..<120), to: path)
        var configuration = fixture.configuration([path], once: true)
        configuration.maxBatchRecords = 50
        #expect(try await Shipper(configuration: configuration, backend: fixture.store).run().linesShipped == 120)
        // As if the process died after its three appends were stored but before any acknowledgement
        // reached the checkpoint: all three are in doubt again.
        let checkpointPath = fixture.state + "/checkpoints.json"
        var checkpoint =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: checkpointPath)))
            as! [String: Any]
        var files = checkpoint["files"] as! [[String: Any]]
        let size = files[0]["ackedOffset"] as! Int
        let written = lines("d", 0..<120)
        let ends = [0, 50, 100, 120].map { count in written.prefix(count).reduce(0) { $0 + $1.utf8.count + 1 } }
        #expect(ends.last == size)
        files[0]["ackedOffset"] = 0
        files[0]["inDoubt"] = (0..<3).map {
            ["sequence": $0, "start": ends[$0], "end": ends[$0 + 1], "lines": [50, 50, 20][$0]]
        }
        checkpoint["files"] = files
        try JSONSerialization.data(withJSONObject: checkpoint).write(to: URL(fileURLWithPath: checkpointPath))
        try fixture.append(lines("d", 120..<130), to: path)
        #expect(try await Shipper(configuration: configuration, backend: fixture.store).run().linesShipped == 130)
        expectExactlyOnce(try fixture.records(), expected: lines("d", 0..<130))
    }

    @Test(.timeLimit(.minutes(1))) func appendsInDoubtOlderThanTheShardsWindowCountAsStored() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        let written = lines("w", 0..<80)
        try fixture.append(written, to: path)
        var configuration = fixture.configuration([path], once: true)
        configuration.maxBatchRecords = 10
        #expect(try await Shipper(configuration: configuration, backend: fixture.store).run().linesShipped == 80)
        // As if the process died with all eight appends stored and none acknowledged in the
        // checkpoint: the shard remembers the last five, the first three are older than that.
        let checkpointPath = fixture.state + "/checkpoints.json"
        var checkpoint =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: checkpointPath)))
            as! [String: Any]
        var files = checkpoint["files"] as! [[String: Any]]
        let ends = (0...8).map { appends in written.prefix(appends * 10).reduce(0) { $0 + $1.utf8.count + 1 } }
        #expect(files[0]["ackedOffset"] as? Int == ends.last)
        #expect(files[0]["nextSequence"] as? Int == 8)
        files[0]["ackedOffset"] = 0
        files[0]["inDoubt"] = (0..<8).map { ["sequence": $0, "start": ends[$0], "end": ends[$0 + 1], "lines": 10] }
        checkpoint["files"] = files
        try JSONSerialization.data(withJSONObject: checkpoint).write(to: URL(fileURLWithPath: checkpointPath))
        try fixture.append(lines("w", 80..<95), to: path)
        #expect(try await Shipper(configuration: configuration, backend: fixture.store).run().linesShipped == 95)
        expectExactlyOnce(try fixture.records(), expected: lines("w", 0..<95))
    }

    @Test func fromEndSkipsWhatFilesHeldAtTheFirstStartOnly() async throws {
        let fixture = try ShipFixture()
        try fixture.append(lines("old", 0..<20), to: fixture.logs + "/a.log")
        var configuration = fixture.configuration([fixture.logs + "/*.log"], once: true)
        configuration.startPosition = .end
        #expect(try await Shipper(configuration: configuration, backend: fixture.store).run().linesShipped == 0)
        try fixture.append(lines("new", 0..<5), to: fixture.logs + "/a.log")
        try fixture.append(lines("b", 0..<7), to: fixture.logs + "/b.log")  // appeared later: from its start
        #expect(try await Shipper(configuration: configuration, backend: fixture.store).run().linesShipped == 12)
        expectExactlyOnce(try fixture.records(), expected: lines("new", 0..<5) + lines("b", 0..<7))
    }

    @Test func rotationByRenameWhileAWriterAppends() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        let shipper = Shipper(configuration: fixture.configuration([path]), backend: fixture.store)
        let running = Task { try await shipper.run() }
        // Only app.log is globbed: a rotated file is read to its end through the open descriptor.
        // Each file lives for several scan intervals (one that lived less would need the rotated
        // names in the globs to be found at all).
        let all = lines("r", 0..<3000)
        for (index, line) in all.enumerated() {
            try fixture.append([line], to: path)
            if index % 400 == 399 {
                // Not before a line of this file is stored, so the shipper has it open: a file renamed
                // away unopened is outside the globs, which a stalled test process could bring about.
                try await fixture.waitForRecords(index - 398)
                rename(path, fixture.logs + "/app.log.\(index / 400)")
            }
            if index % 10 == 0 { try await Task.sleep(for: .milliseconds(3)) }
        }
        try await fixture.waitForRecords(all.count)
        shipper.stop()
        let summary = try await running.value
        #expect(summary.linesShipped == all.count)
        expectExactlyOnce(try fixture.records(), expected: all)
    }

    @Test func rotationByCopytruncateWhileAWriterAppends() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        let shipper = Shipper(configuration: fixture.configuration([path + "*"]), backend: fixture.store)
        let running = Task { try await shipper.run() }
        let all = lines("c", 0..<3000)
        for (index, line) in all.enumerated() {
            try fixture.append([line], to: path)
            if index % 400 == 399 {  // logrotate's copytruncate: copy, then truncate in place
                try FileManager.default.copyItem(atPath: path, toPath: fixture.logs + "/app.log.\(index / 400)")
                truncate(path, 0)
            }
            if index % 50 == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }
        try await fixture.waitForRecords(all.count)
        try await Task.sleep(for: .milliseconds(300))  // anything stored twice would show now
        shipper.stop()
        let summary = try await running.value
        #expect(summary.truncations > 0)
        expectExactlyOnce(try fixture.records(), expected: all)
    }

    @Test func filesCreatedAndDeletedWhileRunning() async throws {
        let fixture = try ShipFixture()
        try fixture.append(lines("a", 0..<50), to: fixture.logs + "/a.log")
        let shipper = Shipper(configuration: fixture.configuration([fixture.logs + "/*.log"]), backend: fixture.store)
        let running = Task { try await shipper.run() }
        try await fixture.waitForRecords(50)
        try fixture.append(lines("b", 0..<80), to: fixture.logs + "/b.log")
        try fixture.append(lines("a", 50..<400), to: fixture.logs + "/a.log")
        unlink(fixture.logs + "/a.log")  // deleted while open: read to its end first
        try fixture.append(lines("c", 0..<30), to: fixture.logs + "/sub.log")
        try await fixture.waitForRecords(510)
        shipper.stop()
        _ = try await running.value
        expectExactlyOnce(
            try fixture.records(),
            expected: lines("a", 0..<400) + lines("b", 0..<80) + lines("c", 0..<30)
        )
    }

    /// Hundreds of rotated files stay in the globs (`app.log.*`): each is read once, and the
    /// outcomes of their appends are taken together (a pass over every file per outcome, and a queue
    /// of ticks behind a slow loop, once made such a run crawl for minutes with thousands).
    ///
    /// Kept to 400: the shipper runs in the test process with every file open, and Foundation's
    /// `Process.run()` in Swift 6.3 over-reads its `/proc/self/fd` listing once that holds more
    /// than about a thousand descriptors (swift-corelibs-foundation PR 5472), crashing any test that
    /// spawns a process meanwhile.
    @Test func hundredsOfFilesAreShippedOnceEach() async throws {
        let fixture = try ShipFixture()
        var expected: [String] = []
        for file in 0..<400 {
            let written = lines("f\(file)", 0..<5)
            try fixture.append(written, to: fixture.logs + "/app.log.\(file)")
            expected += written
        }
        let first = try await fixture.shipOnce([fixture.logs + "/app.log.*"])
        #expect(first.files == 400)
        #expect(first.linesShipped == 2000)
        let second = try await fixture.shipOnce([fixture.logs + "/app.log.*"])
        #expect(second.linesShipped == 0)
        #expect(second.filesUnchanged == 400)  // closed unchanged at the first run's end: not opened
        for file in [3, 200, 399] {
            let written = lines("again \(file)", 0..<2)
            try fixture.append(written, to: fixture.logs + "/app.log.\(file)")
            expected += written
        }
        let third = try await fixture.shipOnce([fixture.logs + "/app.log.*"])
        #expect(third.files == 400)
        #expect(third.filesUnchanged == 397)
        #expect(third.linesShipped == 6)
        expectExactlyOnce(try fixture.records(), expected: expected)
    }

    /// Files the globs still name are closed once inactive (so rotated files hold no descriptor),
    /// are not opened again by scans while unchanged, and are read on when they grow.
    @Test func inactiveFilesAreClosedAndReadOnWhenTheyGrow() async throws {
        let fixture = try ShipFixture()
        let paths = (0..<20).map { fixture.logs + "/app.log.\($0)" }
        var expected: [String] = []
        for (index, path) in paths.enumerated() {
            let written = lines("f\(index)", 0..<10)
            try fixture.append(written, to: path)
            expected += written
        }
        var configuration = fixture.configuration([fixture.logs + "/app.log.*"])
        configuration.closeInactive = .milliseconds(200)
        let shipper = Shipper(configuration: configuration, backend: fixture.store)
        let running = Task { try await shipper.run() }
        try await fixture.waitForRecords(200)
        var closed = 0
        for _ in 0..<300 where closed < paths.count {
            try await Task.sleep(for: .milliseconds(100))
            closed = closedUnchangedEntries(in: fixture.state)
        }
        #expect(closed == paths.count)
        for index in [0, 7, 19] {
            let written = lines("again \(index)", 0..<5)
            try fixture.append(written, to: paths[index])
            expected += written
        }
        try await fixture.waitForRecords(215)
        shipper.stop()
        _ = try await running.value
        expectExactlyOnce(try fixture.records(), expected: expected)
    }

    /// Checkpoint entries of files closed as inactive and unchanged since.
    private func closedUnchangedEntries(in state: String) -> Int {
        guard let data = FileManager.default.contents(atPath: state + "/checkpoints.json"),
            let checkpoint = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let files = checkpoint["files"] as? [[String: Any]]
        else { return 0 }
        return files.count { $0["closedUnchangedAt"] != nil }
    }

    @Test func aTruncatedFileIsReadAgainFromItsStart() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        try fixture.append(lines("before", 0..<40), to: path)
        let shipper = Shipper(configuration: fixture.configuration([path]), backend: fixture.store)
        let running = Task { try await shipper.run() }
        try await fixture.waitForRecords(40)
        truncate(path, 0)
        try fixture.append(lines("after", 0..<10), to: path)
        try await fixture.waitForRecords(50)
        shipper.stop()
        let summary = try await running.value
        #expect(summary.truncations == 1)
        expectExactlyOnce(try fixture.records(), expected: lines("before", 0..<40) + lines("after", 0..<10))
    }

    @Test func parsersAndLongLinesEndToEnd() async throws {
        let fixture = try ShipFixture()
        let long = "{\"msg\":\"" + String(repeating: "y", count: 5000) + "\"}"
        try fixture.append(
            [#"{"level":"info","msg":"ok","status":200}"#, "not json at all", long],
            to: fixture.logs + "/app.log"
        )
        var configuration = fixture.configuration([fixture.logs + "/app.log"], once: true, parser: .json)
        configuration.maxLineBytes = 1000
        let summary = try await Shipper(configuration: configuration, backend: fixture.store).run()
        #expect(summary.linesShipped == 3)
        #expect(summary.parseErrors == 2)
        #expect(summary.truncatedLines == 1)
        let records = try fixture.records().map(\.fields)
        #expect(records[0]["status"] as? Int == 200)
        #expect(records[1]["_parse_error"] != nil)
        #expect(records[2]["_truncated"] as? Bool == true)
        #expect(records[2]["_original_bytes"] as? Int == long.utf8.count)
        #expect((records[2]["message"] as? String)?.utf8.count == 1000)
    }

    /// A line longer than a whole read (reads of one small append here) is read by the line scanner,
    /// truncated and shipped in its place; the lines around it go on in windows, each once, in order.
    @Test func aLineLongerThanARead() async throws {
        let fixture = try ShipFixture()
        let long = String(repeating: "z", count: 200_000)
        try fixture.append(lines("before", 0..<30) + [long] + lines("after", 0..<30), to: fixture.logs + "/app.log")
        var configuration = fixture.configuration([fixture.logs + "/app.log"], once: true)
        configuration.maxLineBytes = 1000
        configuration.maxBatchBytes = 4096
        let summary = try await Shipper(configuration: configuration, backend: fixture.store).run()
        #expect(summary.linesShipped == 61)
        #expect(summary.truncatedLines == 1)
        let records = try fixture.records()
        let truncated = records.map(\.fields).filter { $0["_truncated"] as? Bool == true }
        #expect(truncated.count == 1)
        #expect(truncated.first?["_original_bytes"] as? Int == 200_000)
        #expect((truncated.first?["message"] as? String) == String(repeating: "z", count: 1000))
        expectExactlyOnce(
            records.filter { $0.fields["_truncated"] == nil },
            expected: lines("before", 0..<30) + lines("after", 0..<30)
        )
    }
}
