import Foundation
import StreamQClient
import StreamQShip
import StreamQStorage
import Synchronization
import Testing

/// `streamq ship` with multiline groups, end to end: each group is stored once and whole, through
/// the timeout, `--once`, rotation, a stop, a crash and appends in doubt.
@Suite struct MultilineShipperTests {
    /// A Java error and its stack trace: one group under the `java` preset.
    private func trace(_ number: Int) -> [String] {
        [
            "2024-05-01 12:00:\(number % 60) ERROR [exec-\(number)] request \(number) failed",
            "java.lang.IllegalStateException: boom \(number)",
            "\tat com.example.Handler.handle(Handler.java:\(number))",
            "Caused by: java.io.IOException: disk \(number)",
            "\t... 3 more",
        ]
    }

    private func group(_ lines: [String]) -> String { lines.joined(separator: "\n") }

    private func configuration(
        _ fixture: ShipFixture,
        _ paths: [String],
        once: Bool = false,
        timeout: Duration = .seconds(60)
    ) -> ShipConfiguration {
        var configuration = fixture.configuration(paths, once: once)
        configuration.multiline = MultilinePreset.java.rule
        configuration.multiline?.timeout = timeout
        return configuration
    }

    private func messages(_ fixture: ShipFixture) throws -> [String] {
        try fixture.records().compactMap { $0.fields["message"] as? String }
    }

    @Test func onceShipsTheLastGroupAndLaterLinesStartAfresh() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        try fixture.appendAtOnce(["2024-05-01 12:00:00 INFO started"] + trace(1) + trace(2), to: path)
        let first = try await Shipper(configuration: configuration(fixture, [path], once: true), backend: fixture.store)
            .run()
        #expect(first.linesShipped == 3)
        // Lines that continue the group shipped at the end of the last run are records of their own.
        let late = "\tat com.example.Late.run(Late.java:1)"
        try fixture.appendAtOnce([late] + trace(3), to: path)
        let second = try await Shipper(
            configuration: configuration(fixture, [path], once: true),
            backend: fixture.store
        )
        .run()
        #expect(second.linesShipped == 2)
        let records = try fixture.records().map(\.fields)
        #expect(
            records.compactMap { $0["message"] as? String } == [
                "2024-05-01 12:00:00 INFO started", group(trace(1)), group(trace(2)), late, group(trace(3)),
            ]
        )
        #expect(records[1]["offset"] as? Int == "2024-05-01 12:00:00 INFO started\n".utf8.count)
    }

    @Test func theTimeoutShipsALoneGroupThenANewGroupStarts() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        try fixture.appendAtOnce(["2024-05-01 12:00:00 INFO started"], to: path)
        let shipper = Shipper(
            configuration: configuration(fixture, [path], timeout: .milliseconds(200)),
            backend: fixture.store
        )
        let running = Task { try await shipper.run() }
        try fixture.appendAtOnce(trace(1), to: path)
        try await fixture.waitForRecords(2)  // nothing follows the trace: only the timeout ships it
        let late = "\tat com.example.Late.run(Late.java:1)"
        try fixture.appendAtOnce([late], to: path)
        try fixture.appendAtOnce(trace(2), to: path)
        try await fixture.waitForRecords(4)
        shipper.stop()
        #expect(try await running.value.linesShipped == 4)
        #expect(try messages(fixture) == ["2024-05-01 12:00:00 INFO started", group(trace(1)), late, group(trace(2))])
    }

    @Test func aStopShipsTheGroupHeldBack() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        let shipper = Shipper(configuration: configuration(fixture, [path]), backend: fixture.store)
        let running = Task { try await shipper.run() }
        try fixture.appendAtOnce(trace(1) + ["2024-05-01 12:00:09 INFO next"], to: path)
        try await fixture.waitForRecords(1)  // the trace, ended by the next line, which is held back
        shipper.stop()
        #expect(try await running.value.linesShipped == 2)
        #expect(try messages(fixture) == [group(trace(1)), "2024-05-01 12:00:09 INFO next"])
    }

    @Test func rotationShipsTheGroupHeldBack() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        try fixture.appendAtOnce(trace(1), to: path)
        let shipper = Shipper(configuration: configuration(fixture, [path]), backend: fixture.store)
        let running = Task { try await shipper.run() }
        while !FileManager.default.fileExists(atPath: fixture.state + "/checkpoints.json") {  // app.log is open
            try await Task.sleep(for: .milliseconds(10))
        }
        rename(path, path + ".1")  // out of the glob: read to its end, its last group shipped
        try fixture.appendAtOnce(trace(2) + ["2024-05-01 12:00:09 INFO end"], to: path)
        try await fixture.waitForRecords(2)
        shipper.stop()
        #expect(try await running.value.linesShipped == 3)
        expectExactlyOnce(
            try fixture.records(),
            expected: [group(trace(1)), group(trace(2)), "2024-05-01 12:00:09 INFO end"]
        )
    }

    @Test func aGroupHeldBackAtACrashIsReadAgainWhole() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        let shipper = Shipper(configuration: configuration(fixture, [path]), backend: fixture.store)
        // Cancelling the run ends it as a crash would: no group is flushed, the checkpoint holds
        // what was acknowledged and what is in doubt.
        let running = Task { try await shipper.run() }
        try fixture.appendAtOnce(trace(1) + trace(2), to: path)
        try await fixture.waitForRecords(1)  // trace 1 is stored, trace 2 held back waiting for more
        running.cancel()
        _ = try await running.value
        let late = "\tat com.example.Late.run(Late.java:1)"
        try fixture.appendAtOnce([late, "2024-05-01 12:00:09 INFO after"], to: path)
        _ = try await Shipper(configuration: configuration(fixture, [path], once: true), backend: fixture.store).run()
        #expect(
            try messages(fixture) == [group(trace(1)), group(trace(2) + [late]), "2024-05-01 12:00:09 INFO after"]
        )
    }

    @Test func appendsInDoubtAreRebuiltGroupForGroup() async throws {
        let fixture = try ShipFixture()
        let path = fixture.logs + "/app.log"
        let pairs = (0..<12).map { ["2024-05-01 12:00:00 INFO request \($0) ok"] + trace($0) }
        try fixture.appendAtOnce(pairs.flatMap { $0 }, to: path)
        let expected = pairs.flatMap { [$0[0], group(Array($0.dropFirst()))] }
        // Appends of three records: three acknowledged, two stored with their acknowledgements
        // lost, and the next two lost on the way, which fills the window: the stop ends with four
        // appends in doubt, two of them never stored, and the last three records not read.
        var first = configuration(fixture, [path])
        first.maxBatchRecords = 3
        first.grace = .milliseconds(200)
        let losing = LosingBackend(fixture.store, acknowledged: 3, storedSilently: 2)
        let shipper = Shipper(configuration: first, backend: losing)
        let running = Task { try await shipper.run() }
        try await fixture.waitForRecords(15)
        shipper.stop()
        #expect(try await running.value.linesShipped == 9)
        #expect(try fixture.records().count == 15)
        var second = configuration(fixture, [path], once: true)
        second.maxBatchRecords = 3
        let summary = try await Shipper(configuration: second, backend: fixture.store).run()
        #expect(summary.linesShipped == 15)
        #expect(try messages(fixture) == expected)
        expectExactlyOnce(try fixture.records(), expected: expected)
    }
}

extension ShipFixture {
    /// Appends `lines` to `path` (creating it) in one write, as a logger writes a trace.
    func appendAtOnce(_ lines: [String], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw ShipError("cannot open \(path)") }
        defer { close(fd) }
        let bytes = Array(lines.map { $0 + "\n" }.joined().utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

/// A store whose acknowledgements go missing: the first appends are acknowledged, the next are
/// stored without an acknowledgement, and the rest are lost on the way.
final class LosingBackend: StoreWrappingShipBackend {
    let store: StreamStore
    private let acknowledged: Int
    private let storedSilently: Int
    private let appends = Mutex(0)

    init(_ store: StreamStore, acknowledged: Int, storedSilently: Int) {
        self.store = store
        self.acknowledged = acknowledged
        self.storedSilently = storedSilently
    }

    func enqueueAppend(
        to name: StreamName,
        shard: ShardID,
        _ records: [AppendRecord],
        producer: ProducerStamp?,
        completion: @escaping @Sendable (Result<SequenceNumber, any Error>) -> Void
    ) throws {
        let index = appends.withLock { count in
            defer { count += 1 }
            return count
        }
        if index < acknowledged {
            try store.enqueueAppend(to: name, shard: shard, records, producer: producer, completion: completion)
        } else if index < acknowledged + storedSilently {
            try store.enqueueAppend(to: name, shard: shard, records, producer: producer) { _ in }
        }
    }
}
