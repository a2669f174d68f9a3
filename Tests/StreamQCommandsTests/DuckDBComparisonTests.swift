import Foundation
import StreamQSampleData
import Testing

/// The same queries through `streamq query` and DuckDB over the same generated access logs must
/// give the same rows (floating point to 1e-9 relative).
@Suite(.serialized) struct DuckDBComparisonTests {
    static let cases: [(streamq: String, duckdb: String)] = [
        ("SELECT status, count(*) AS n FROM access GROUP BY status ORDER BY status",
         "SELECT status, count(*) AS n FROM access GROUP BY status ORDER BY status"),
        ("SELECT method, avg(latency_ms) AS mean, min(latency_ms) AS low, max(latency_ms) AS high, sum(bytes) AS total FROM access GROUP BY method ORDER BY method",
         "SELECT method, avg(latency_ms) AS mean, min(latency_ms) AS low, max(latency_ms) AS high, sum(bytes) AS total FROM access GROUP BY method ORDER BY method"),
        ("SELECT window_start, status, count(*) AS n, avg(latency_ms) AS mean FROM access WHERE method = 'GET' GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status ORDER BY window_start, status",
         "SELECT time_bucket(INTERVAL '1 minute', make_timestamp(ts * 1000)) AS window_start, status, count(*) AS n, avg(latency_ms) AS mean FROM access WHERE method = 'GET' GROUP BY ALL ORDER BY window_start, status"),
        ("SELECT host, count(DISTINCT user) AS users, sum(DISTINCT status) AS statuses, avg(DISTINCT status) AS mean_status FROM access GROUP BY host ORDER BY host",
         "SELECT host, count(DISTINCT user) AS users, sum(DISTINCT status) AS statuses, avg(DISTINCT status) AS mean_status FROM access GROUP BY host ORDER BY host"),
        ("SELECT path, count(*) AS n FROM access WHERE path LIKE '/api/%' GROUP BY path HAVING count(*) > 50 ORDER BY n DESC, path LIMIT 5",
         "SELECT path, count(*) AS n FROM access WHERE path LIKE '/api/%' GROUP BY path HAVING count(*) > 50 ORDER BY n DESC, path LIMIT 5"),
        ("SELECT CASE WHEN status >= 500 THEN 'server' WHEN status >= 400 THEN 'client' ELSE 'ok' END AS class, count(*) AS n, count(*) FILTER (WHERE bytes > 25000) AS big FROM access GROUP BY class ORDER BY class",
         "SELECT CASE WHEN status >= 500 THEN 'server' WHEN status >= 400 THEN 'client' ELSE 'ok' END AS class, count(*) AS n, count(*) FILTER (WHERE bytes > 25000) AS big FROM access GROUP BY class ORDER BY class"),
        ("SELECT method, stddev_samp(latency_ms) AS spread, var_samp(bytes) AS v FROM access GROUP BY method ORDER BY method",
         "SELECT method, stddev_samp(latency_ms) AS spread, var_samp(bytes) AS v FROM access GROUP BY method ORDER BY method"),
        ("SELECT upper(method) AS m, length(path) AS len, status / 100 AS bucket FROM access WHERE status = 503 AND bytes < 2000 ORDER BY ts, path LIMIT 20",
         "SELECT upper(method) AS m, length(path) AS len, status / 100 AS bucket FROM access WHERE status = 503 AND bytes < 2000 ORDER BY ts, path LIMIT 20"),
        ("SELECT DISTINCT user_agent FROM access ORDER BY user_agent",
         "SELECT DISTINCT user_agent FROM access ORDER BY user_agent"),
        ("SELECT count(*) AS n, sum(bytes) AS b, max(path) AS last_path, min(ts) AS first_ts FROM access WHERE status IN (404, 500) OR latency_ms BETWEEN 1 AND 2",
         "SELECT count(*) AS n, sum(bytes) AS b, max(path) AS last_path, min(ts) AS first_ts FROM access WHERE status IN (404, 500) OR latency_ms BETWEEN 1 AND 2"),
        ("SELECT window_start, count(*) AS n, max(bytes) AS biggest FROM access GROUP BY HOP(ts, INTERVAL '30' SECOND, INTERVAL '1' MINUTE) ORDER BY window_start",
         "SELECT to_timestamp(ws / 1000) AS window_start, count(*) AS n, max(bytes) AS biggest FROM (SELECT unnest([floor(ts / 30000) * 30000, floor(ts / 30000) * 30000 - 30000]) AS ws, bytes FROM access) GROUP BY ws ORDER BY ws"),
        ("SELECT count(nullif(status, 200)) AS not_ok, avg(nullif(bytes, 0)) AS mean_bytes, count(*) FILTER (WHERE nullif(method, 'GET') IS NULL) AS gets FROM access",
         "SELECT count(nullif(status, 200)) AS not_ok, avg(nullif(bytes, 0)) AS mean_bytes, count(*) FILTER (WHERE nullif(method, 'GET') IS NULL) AS gets FROM access"),
        ("SELECT split_part(path, '/', 2) AS top, count(*) AS n, avg(latency_ms) AS mean FROM access GROUP BY top ORDER BY top",
         "SELECT split_part(path, '/', 2) AS top, count(*) AS n, avg(latency_ms) AS mean FROM access GROUP BY top ORDER BY top"),
        ("SELECT substr(user, 2) AS id, strpos(user_agent, '/') AS slash, coalesce(NULL, host) AS h FROM access WHERE starts_with(path, '/static') ORDER BY ts, user LIMIT 10",
         "SELECT substr(user, 2) AS id, strpos(user_agent, '/') AS slash, coalesce(NULL, host) AS h FROM access WHERE starts_with(path, '/static') ORDER BY ts, user LIMIT 10"),
    ]

    @Test func streamqAgreesWithDuckDB() throws {
        try CommandRunner.withScratch { streamq in
            let lines = Array(AccessLogGenerator(count: 5_000, seed: 21))
            let file = streamq.dataDirectory + "-access.ndjson"
            try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            _ = try streamq.succeed("create-stream", "access", "--shards", "3")
            _ = try streamq.succeed("put", "access", input: lines.joined(separator: "\n") + "\n")
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("compat/duckdb_query.py").path
            for (ours, theirs) in Self.cases {
                let mine = try streamq.succeed("query", ours, "--format", "jsonl")
                let reference = try Self.runDuckDB(script: script, file: file, sql: theirs)
                let a = try Self.rows(mine)
                let b = try Self.rows(reference)
                #expect(a.count == b.count, "\(ours): \(a.count) rows vs DuckDB's \(b.count)")
                for (left, right) in zip(a, b) where !Self.same(left, right) {
                    Issue.record("\(ours)\n  streamq: \(left)\n  duckdb:  \(right)")
                    break
                }
            }
        }
    }

    static func runDuckDB(script: String, file: String, sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, file, sql]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailure(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }

    struct CommandFailure: Error { var message: String; init(_ message: String) { self.message = message } }

    /// Rows as arrays of values in column order.
    static func rows(_ jsonl: String) throws -> [[Any]] {
        try jsonl.lines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
            guard let dictionary = object as? [String: Any] else { return [] }
            // JSONSerialization loses key order: compare by sorted column name.
            return dictionary.keys.sorted().map { dictionary[$0]! }
        }
    }

    static func same(_ left: [Any], _ right: [Any]) -> Bool {
        guard left.count == right.count else { return false }
        for (a, b) in zip(left, right) {
            if let x = a as? NSNumber, let y = b as? NSNumber {
                let dx = x.doubleValue, dy = y.doubleValue
                if abs(dx - dy) > 1e-9 * max(1, abs(dx), abs(dy)) { return false }
            } else if "\(a)" != "\(b)" {
                return false
            }
        }
        return true
    }
}
