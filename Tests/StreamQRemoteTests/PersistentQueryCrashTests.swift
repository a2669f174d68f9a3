import Foundation
import StreamQAWS
import StreamQRemote
import StreamQSQL
import StreamQStorage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Persistent queries hosted by a spawned `streamq serve` (issue 14 §2, §4): the server killed
/// with SIGKILL twenty times at random moments while records arrive; afterwards each output
/// stream holds every row once, the same rows the queries give run bounded over the input.
@Suite(.serialized, .timeLimit(.minutes(6))) struct PersistentQueryCrashTests {
    /// 2026-01-01T00:00:00Z.
    static let base: Int64 = 1_767_225_600_000

    static func records(_ ids: Range<Int>) -> [PutRecordsEntry] {
        ids.map { id in
            PutRecordsEntry(
                data: Array(#"{"id":\#(id),"k":"k\#(id % 5)","ts":\#(base + Int64(id) * 20)}"#.utf8),
                partitionKey: "p\(id % 11)"
            )
        }
    }

    @Test func killNineOfTheServerTwentyTimesLeavesEveryOutputRowOnce() async throws {
        try await withStreamqServer { server in
            let copy = "SELECT id, k FROM raw WHERE id % 3 <> 0"
            let windows =
                "SELECT window_start, k, count(*) AS n, sum(id) AS total FROM raw "
                + "WATERMARK DELAY INTERVAL '1' SECOND GROUP BY TUMBLE(ts, INTERVAL '2' SECOND), k"
            try await withBackend(server) { backend in
                try await createStream(StreamName(rawValue: "raw")!, shards: 2, on: backend)
                let client = backend.client
                #expect(
                    try await client.runStatement("CREATE STREAM copy WITH (shards = 2) AS \(copy)").message
                        == "created stream copy and query copy"
                )
                _ = try await client.runStatement("CREATE STREAM per_window AS \(windows)")
            }
            var generator = SystemRandomNumberGenerator()
            var next = 0
            for _ in 0..<20 {
                try await withBackend(server) { backend in
                    try await Self.put(Self.records(next..<next + 300), with: backend.client)
                }
                next += 300
                try await Task.sleep(for: .microseconds(UInt64.random(in: 0...400_000, using: &generator)))
                await server.halt(signal: SIGKILL)
                try await server.relaunch()
            }
            try await withBackend(server) { backend in
                // Far-future records on every shard move every watermark past the windows above.
                let sentinels = (0..<22).map { index in
                    PutRecordsEntry(
                        data: Array(
                            #"{"id":\#(1_000_000 + index * 3 + 1),"k":"z","ts":\#(Self.base + 86_400_000)}"#.utf8
                        ),
                        partitionKey: "sentinel\(index)"
                    )
                }
                try await Self.put(sentinels, with: backend.client)
                let caughtUp = try await Self.eventually {
                    let queries = try await backend.client.runStatement("SHOW QUERIES")
                    return queries.rows.count == 2 && queries.rows.allSatisfy { $0[1] == "running" && $0[8] == "0" }
                }
                #expect(caughtUp, "the queries caught up with their source")
                try await Task.sleep(for: .seconds(2))  // the last windows' commit
            }
            await server.halt()
            try await withLocalStore(of: server) { store in
                let raw = StreamName(rawValue: "raw")!
                let expectedCopy = try await boundedRows(copy, over: store, stream: raw).map(Self.json).sorted()
                let storedCopy = try await Self.texts(of: "copy", in: store).sorted()
                #expect(storedCopy.count == expectedCopy.count)
                #expect(storedCopy == expectedCopy)
                let expectedWindows = try await boundedRows(
                    windows.replacing("GROUP BY", with: "WHERE k <> 'z' GROUP BY"),
                    over: store,
                    stream: raw
                ).map(Self.json).sorted()
                // The sentinels' window closes only when every shard has been idle for 30 s.
                let storedWindows = try await Self.texts(of: "per_window", in: store).filter {
                    !$0.contains(#""k":"z""#)
                }
                .sorted()
                #expect(expectedWindows.count > 100)
                #expect(storedWindows == expectedWindows)
            }
        }
    }

    /// PutRecords until every entry is stored (a killed server loses the answer, not the entries
    /// retried; a retry after a lost answer may store some twice, which the expectation reads too).
    static func put(_ entries: [PutRecordsEntry], with client: KinesisClient) async throws {
        var pending = entries
        for _ in 0..<50 where !pending.isEmpty {
            do {
                let result = try await client.putRecords(.name("raw"), records: pending)
                pending = zip(pending, result.entries).compactMap { entry, outcome in
                    if case .failed = outcome { return entry }
                    return nil
                }
            } catch {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        #expect(pending.isEmpty)
    }

    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<300 {
            if (try? await condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Every record of `stream`, as text (its `_raw`).
    static func texts(of stream: String, in store: StreamStore) async throws -> [String] {
        try await boundedRows("SELECT _raw FROM \(stream)", over: store, stream: StreamName(validating: stream)).map {
            row in
            guard case .string(let text) = row[0] else { return "" }
            return text
        }
    }

    /// A row as the JSON object a persistent query writes (columns from the queries above).
    static func json(_ row: [SQLValue]) -> String {
        let names = row.count == 2 ? ["id", "k"] : ["window_start", "k", "n", "total"]
        return "{" + zip(names, row).map { name, value in "\"\(name)\":\(text(value))" }.joined(separator: ",") + "}"
    }

    private static func text(_ value: SQLValue) -> String {
        switch value {
        case .string(let text): "\"\(text)\""
        case .integer(let number): String(number)
        case .timestamp(let ms): "\"\(EventTime.iso8601(ms))\""
        default: "\(value)"
        }
    }
}
