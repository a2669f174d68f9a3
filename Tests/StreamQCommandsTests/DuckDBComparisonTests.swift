import Foundation
import StreamQSampleData
import Testing

/// The same queries through `streamq query` and DuckDB over the same generated access logs must
/// give the same rows (floating point to 1e-9 relative).
@Suite(.serialized) struct DuckDBComparisonTests {
    static let cases: [(streamq: String, duckdb: String)] = [
        (
            "SELECT status, count(*) AS n FROM access GROUP BY status ORDER BY status",
            "SELECT status, count(*) AS n FROM access GROUP BY status ORDER BY status"
        ),
        (
            "SELECT method, avg(latency_ms) AS mean, min(latency_ms) AS low, max(latency_ms) AS high, sum(bytes) AS total FROM access GROUP BY method ORDER BY method",
            "SELECT method, avg(latency_ms) AS mean, min(latency_ms) AS low, max(latency_ms) AS high, sum(bytes) AS total FROM access GROUP BY method ORDER BY method"
        ),
        (
            "SELECT window_start, status, count(*) AS n, avg(latency_ms) AS mean FROM access WHERE method = 'GET' GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status ORDER BY window_start, status",
            "SELECT time_bucket(INTERVAL '1 minute', make_timestamp(ts * 1000)) AS window_start, status, count(*) AS n, avg(latency_ms) AS mean FROM access WHERE method = 'GET' GROUP BY ALL ORDER BY window_start, status"
        ),
        (
            "SELECT host, count(DISTINCT user) AS users, sum(DISTINCT status) AS statuses, avg(DISTINCT status) AS mean_status FROM access GROUP BY host ORDER BY host",
            "SELECT host, count(DISTINCT user) AS users, sum(DISTINCT status) AS statuses, avg(DISTINCT status) AS mean_status FROM access GROUP BY host ORDER BY host"
        ),
        (
            "SELECT path, count(*) AS n FROM access WHERE path LIKE '/api/%' GROUP BY path HAVING count(*) > 50 ORDER BY n DESC, path LIMIT 5",
            "SELECT path, count(*) AS n FROM access WHERE path LIKE '/api/%' GROUP BY path HAVING count(*) > 50 ORDER BY n DESC, path LIMIT 5"
        ),
        (
            "SELECT CASE WHEN status >= 500 THEN 'server' WHEN status >= 400 THEN 'client' ELSE 'ok' END AS class, count(*) AS n, count(*) FILTER (WHERE bytes > 25000) AS big FROM access GROUP BY class ORDER BY class",
            "SELECT CASE WHEN status >= 500 THEN 'server' WHEN status >= 400 THEN 'client' ELSE 'ok' END AS class, count(*) AS n, count(*) FILTER (WHERE bytes > 25000) AS big FROM access GROUP BY class ORDER BY class"
        ),
        (
            "SELECT method, stddev_samp(latency_ms) AS spread, var_samp(bytes) AS v FROM access GROUP BY method ORDER BY method",
            "SELECT method, stddev_samp(latency_ms) AS spread, var_samp(bytes) AS v FROM access GROUP BY method ORDER BY method"
        ),
        (
            "SELECT upper(method) AS m, length(path) AS len, status / 100 AS bucket FROM access WHERE status = 503 AND bytes < 2000 ORDER BY ts, path LIMIT 20",
            "SELECT upper(method) AS m, length(path) AS len, status / 100 AS bucket FROM access WHERE status = 503 AND bytes < 2000 ORDER BY ts, path LIMIT 20"
        ),
        (
            "SELECT DISTINCT user_agent FROM access ORDER BY user_agent",
            "SELECT DISTINCT user_agent FROM access ORDER BY user_agent"
        ),
        (
            "SELECT count(*) AS n, sum(bytes) AS b, max(path) AS last_path, min(ts) AS first_ts FROM access WHERE status IN (404, 500) OR latency_ms BETWEEN 1 AND 2",
            "SELECT count(*) AS n, sum(bytes) AS b, max(path) AS last_path, min(ts) AS first_ts FROM access WHERE status IN (404, 500) OR latency_ms BETWEEN 1 AND 2"
        ),
        (
            "SELECT window_start, count(*) AS n, max(bytes) AS biggest FROM access GROUP BY HOP(ts, INTERVAL '30' SECOND, INTERVAL '1' MINUTE) ORDER BY window_start",
            "SELECT to_timestamp(ws / 1000) AS window_start, count(*) AS n, max(bytes) AS biggest FROM (SELECT unnest([floor(ts / 30000) * 30000, floor(ts / 30000) * 30000 - 30000]) AS ws, bytes FROM access) GROUP BY ws ORDER BY ws"
        ),
        (
            "SELECT count(nullif(status, 200)) AS not_ok, avg(nullif(bytes, 0)) AS mean_bytes, count(*) FILTER (WHERE nullif(method, 'GET') IS NULL) AS gets FROM access",
            "SELECT count(nullif(status, 200)) AS not_ok, avg(nullif(bytes, 0)) AS mean_bytes, count(*) FILTER (WHERE nullif(method, 'GET') IS NULL) AS gets FROM access"
        ),
        (
            "SELECT split_part(path, '/', 2) AS top, count(*) AS n, avg(latency_ms) AS mean FROM access GROUP BY top ORDER BY top",
            "SELECT split_part(path, '/', 2) AS top, count(*) AS n, avg(latency_ms) AS mean FROM access GROUP BY top ORDER BY top"
        ),
        (
            "SELECT substr(user, 2) AS id, strpos(user_agent, '/') AS slash, coalesce(NULL, host) AS h FROM access WHERE starts_with(path, '/static') ORDER BY ts, user LIMIT 10",
            "SELECT substr(user, 2) AS id, strpos(user_agent, '/') AS slash, coalesce(NULL, host) AS h FROM access WHERE starts_with(path, '/static') ORDER BY ts, user LIMIT 10"
        ),
        (
            "SELECT concat(host, ':', method) AS hm, host || '/' || lower(method) AS h2, replace(path, '/', '|') AS p, trim('  ' || user || ' ') AS t FROM access WHERE status = 500 ORDER BY ts, hm, p, t LIMIT 15",
            "SELECT concat(host, ':', method) AS hm, host || '/' || lower(method) AS h2, replace(path, '/', '|') AS p, trim('  ' || user || ' ') AS t FROM access WHERE status = 500 ORDER BY ts, hm, p, t LIMIT 15"
        ),
        (
            "SELECT abs(-bytes) AS a, round(latency_ms, 1) AS r, floor(latency_ms) AS f, ceil(latency_ms) AS c, sqrt(bytes) AS s, pow(2, status / 100) AS p, ln(bytes + 1) AS l FROM access WHERE host = 'web-01' ORDER BY ts, a, r LIMIT 20",
            "SELECT abs(-bytes) AS a, round(latency_ms, 1) AS r, floor(latency_ms) AS f, ceil(latency_ms) AS c, sqrt(bytes) AS s, pow(2, status / 100) AS p, ln(bytes + 1) AS l FROM access WHERE host = 'web-01' ORDER BY ts, a, r LIMIT 20"
        ),
        (
            "SELECT greatest(bytes, 20000) AS g, least(latency_ms, 10.5) AS l, ts FROM access ORDER BY ts, g, l LIMIT 20",
            "SELECT greatest(bytes, 20000) AS g, least(latency_ms, 10.5) AS l, ts FROM access ORDER BY ts, g, l LIMIT 20"
        ),
        (
            "SELECT host, max_by(path, latency_ms * 100000 + bytes) AS slowest, min_by(status, latency_ms * 100000 + bytes) AS quickest FROM access GROUP BY host ORDER BY host",
            "SELECT host, max_by(path, latency_ms * 100000 + bytes) AS slowest, min_by(status, latency_ms * 100000 + bytes) AS quickest FROM access GROUP BY host ORDER BY host"
        ),
        (
            "SELECT date_trunc('minute', ts) AS m, extract(second FROM ts) AS s, epoch_ms(ts) AS e, to_timestamp(ts / 1000) AS t, time_bucket(INTERVAL '5 seconds', ts) AS b FROM access ORDER BY e, m LIMIT 10",
            "SELECT date_trunc('minute', make_timestamp(ts * 1000)) AS m, extract(second FROM make_timestamp(ts * 1000)) AS s, epoch_ms(make_timestamp(ts * 1000)) AS e, to_timestamp(ts / 1000) AS t, time_bucket(INTERVAL '5 seconds', make_timestamp(ts * 1000)) AS b FROM access ORDER BY e, m LIMIT 10"
        ),
        (
            "SELECT date_part('hour', ts) AS h, extract(dow FROM ts) AS d, date_trunc('day', ts) AS day, count(*) AS n FROM access GROUP BY h, d, day ORDER BY h, d",
            "SELECT date_part('hour', make_timestamp(ts * 1000)) AS h, extract(dow FROM make_timestamp(ts * 1000)) AS d, date_trunc('day', make_timestamp(ts * 1000)) AS day, count(*) AS n FROM access GROUP BY h, d, day ORDER BY h, d"
        ),
        (
            "SELECT host, window_start, window_end, count(*) AS n, sum(bytes) AS b FROM access GROUP BY SESSION(ts, INTERVAL '100' MILLISECOND), host ORDER BY host, window_start",
            "WITH t AS (SELECT host, ts, bytes, CASE WHEN ts - lag(ts) OVER (PARTITION BY host ORDER BY ts) < 100 THEN 0 ELSE 1 END AS fresh FROM access), s AS (SELECT *, sum(fresh) OVER (PARTITION BY host ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sid FROM t) SELECT host, make_timestamp(min(ts) * 1000) AS window_start, make_timestamp((max(ts) + 100) * 1000) AS window_end, count(*) AS n, sum(bytes) AS b FROM s GROUP BY host, sid ORDER BY host, window_start"
        ),
        (
            "SELECT window_start, count(*) AS n, count(DISTINCT host) AS hosts FROM access GROUP BY SESSION(ts, INTERVAL '3' MILLISECOND) HAVING count(*) > 3 ORDER BY window_start",
            "WITH t AS (SELECT host, ts, CASE WHEN ts - lag(ts) OVER (ORDER BY ts) < 3 THEN 0 ELSE 1 END AS fresh FROM access), s AS (SELECT *, sum(fresh) OVER (ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sid FROM t) SELECT make_timestamp(min(ts) * 1000) AS window_start, count(*) AS n, count(DISTINCT host) AS hosts FROM s GROUP BY sid HAVING count(*) > 3 ORDER BY window_start"
        ),
        (
            "SELECT status, count(*) AS n, count(path) AS paths, count(latency_ms) AS timed, avg(latency_ms) AS mean FROM access GROUP BY status ORDER BY status NULLS FIRST",
            "SELECT status, count(*) AS n, count(path) AS paths, count(latency_ms) AS timed, avg(latency_ms) AS mean FROM access GROUP BY status ORDER BY status NULLS FIRST"
        ),
        (
            "SELECT coalesce(path, 'none') AS p, user, status IS NULL AS no_status, bytes + 1 AS b FROM access WHERE host = 'edge' ORDER BY user",
            "SELECT coalesce(path, 'none') AS p, user, status IS NULL AS no_status, bytes + 1 AS b FROM access WHERE host = 'edge' ORDER BY user"
        ),
        (
            "SELECT user, upper(user) AS up, lower(user) AS low, length(user) AS len, substr(user, 2, 3) AS mid FROM access WHERE host = 'edge' ORDER BY user",
            "SELECT user, upper(user) AS up, lower(user) AS low, length(user) AS len, substr(user, 2, 3) AS mid FROM access WHERE host = 'edge' ORDER BY user"
        ),
        (
            "SELECT TRY_CAST(substr(user, 2) AS BIGINT) AS id, CAST(status AS VARCHAR) || '!' AS s, CAST(bytes AS DOUBLE) / 2 AS half FROM access WHERE host = 'web-03' ORDER BY ts, id, s LIMIT 15",
            "SELECT TRY_CAST(substr(user, 2) AS BIGINT) AS id, CAST(status AS VARCHAR) || '!' AS s, CAST(bytes AS DOUBLE) / 2 AS half FROM access WHERE host = 'web-03' ORDER BY ts, id, s LIMIT 15"
        ),
        (
            "SELECT count(*) FILTER (WHERE user_agent ILIKE '%MOZILLA%') AS moz, count(*) FILTER (WHERE path NOT LIKE '/api%') AS non_api, count(*) FILTER (WHERE status NOT IN (200, 404)) AS other, count(*) FILTER (WHERE path IS NOT NULL) AS with_path, count(*) FILTER (WHERE path LIKE '/api/v_/%') AS versioned FROM access",
            "SELECT count(*) FILTER (WHERE user_agent ILIKE '%MOZILLA%') AS moz, count(*) FILTER (WHERE path NOT LIKE '/api%') AS non_api, count(*) FILTER (WHERE status NOT IN (200, 404)) AS other, count(*) FILTER (WHERE path IS NOT NULL) AS with_path, count(*) FILTER (WHERE path LIKE '/api/v_/%') AS versioned FROM access"
        ),
        (
            "SELECT regexp_extract(path, '^/([a-z]+)', 1) AS seg, count(*) AS n, count(*) FILTER (WHERE regexp_like(user_agent, '^curl')) AS curl FROM access GROUP BY seg ORDER BY seg",
            "SELECT regexp_extract(path, '^/([a-z]+)', 1) AS seg, count(*) AS n, count(*) FILTER (WHERE regexp_matches(user_agent, '^curl')) AS curl FROM access GROUP BY seg ORDER BY seg"
        ),
        (
            "SELECT regexp_replace(path, '[0-9]+', 'N', 'g') AS shape, regexp_replace(path, '[a-z]', '_') AS first, count(*) AS n FROM access GROUP BY shape, first ORDER BY n DESC, shape, first LIMIT 10",
            "SELECT regexp_replace(path, '[0-9]+', 'N', 'g') AS shape, regexp_replace(path, '[a-z]', '_') AS first, count(*) AS n FROM access GROUP BY shape, first ORDER BY n DESC, shape, first LIMIT 10"
        ),
        (
            "SELECT status % 7 AS m, count(*) AS n, sum(-bytes) AS neg, avg(status) AS mean FROM access GROUP BY m ORDER BY m",
            "SELECT status % 7 AS m, count(*) AS n, sum(-bytes) AS neg, avg(status) AS mean FROM access GROUP BY m ORDER BY m"
        ),
        (
            "SELECT host FROM access GROUP BY host HAVING avg(latency_ms) > 40 AND count(*) > 10 ORDER BY host",
            "SELECT host FROM access GROUP BY host HAVING avg(latency_ms) > 40 AND count(*) > 10 ORDER BY host"
        ),
        (
            "SELECT window_start, window_end, count(*) AS n FROM access GROUP BY TUMBLE(ts, INTERVAL '2' SECOND) HAVING count(*) > 10 ORDER BY window_start",
            "SELECT time_bucket(INTERVAL '2 seconds', make_timestamp(ts * 1000)) AS window_start, window_start + INTERVAL '2 seconds' AS window_end, count(*) AS n FROM access GROUP BY window_start HAVING count(*) > 10 ORDER BY window_start"
        ),
        (
            "SELECT window_start, method, count(*) AS n, sum(bytes) AS b FROM access GROUP BY HOP(ts, INTERVAL '1' SECOND, INTERVAL '3' SECOND), method ORDER BY window_start, method",
            "SELECT to_timestamp(ws / 1000) AS window_start, method, count(*) AS n, sum(bytes) AS b FROM (SELECT unnest([floor(ts / 1000) * 1000, floor(ts / 1000) * 1000 - 1000, floor(ts / 1000) * 1000 - 2000]) AS ws, method, bytes FROM access) GROUP BY ws, method ORDER BY ws, method"
        ),
        (
            "SELECT count(*) AS n, sum(bytes) AS b, avg(latency_ms) AS a, max(path) AS p FROM access WHERE status = 999",
            "SELECT count(*) AS n, sum(bytes) AS b, avg(latency_ms) AS a, max(path) AS p FROM access WHERE status = 999"
        ),
        (
            "SELECT DISTINCT method, status / 100 AS class FROM access ORDER BY method, class",
            "SELECT DISTINCT method, status / 100 AS class FROM access ORDER BY method, class"
        ),
        (
            "SELECT path FROM access WHERE status = 301 ORDER BY bytes DESC, path LIMIT 5",
            "SELECT path FROM access WHERE status = 301 ORDER BY bytes DESC, path LIMIT 5"
        ),
        (
            "SELECT user, stddev_samp(bytes) AS s, var_samp(latency_ms) AS v FROM access GROUP BY user ORDER BY user LIMIT 25",
            "SELECT user, stddev_samp(bytes) AS s, var_samp(latency_ms) AS v FROM access GROUP BY user ORDER BY user LIMIT 25"
        ),
        (
            "SELECT count(DISTINCT path) AS paths, count(DISTINCT host) AS hosts, min(user) AS u, max(user_agent) AS ua FROM access WHERE method <> 'GET'",
            "SELECT count(DISTINCT path) AS paths, count(DISTINCT host) AS hosts, min(user) AS u, max(user_agent) AS ua FROM access WHERE method <> 'GET'"
        ),
        (
            "SELECT status, min(ts) AS first_seen, max(ts) - min(ts) AS span FROM access GROUP BY status ORDER BY status",
            "SELECT status, min(ts) AS first_seen, max(ts) - min(ts) AS span FROM access GROUP BY status ORDER BY status"
        ),
        (
            "SELECT status >= 400 AS failed, count(*) AS n FROM access GROUP BY failed ORDER BY failed",
            "SELECT status >= 400 AS failed, count(*) AS n FROM access GROUP BY failed ORDER BY failed"
        ),
        (
            "SELECT method, sum(bytes * 1000000) AS big, sum(latency_ms) AS total, sum(CASE WHEN status = 200 THEN 1 ELSE 0 END) AS ok FROM access GROUP BY method ORDER BY method",
            "SELECT method, sum(bytes * 1000000) AS big, sum(latency_ms) AS total, sum(CASE WHEN status = 200 THEN 1 ELSE 0 END) AS ok FROM access GROUP BY method ORDER BY method"
        ),
        (
            "SELECT host, count(*) AS n FROM access WHERE host BETWEEN 'web-03' AND 'web-07' AND method IN ('POST', 'PUT') GROUP BY host ORDER BY n DESC, host",
            "SELECT host, count(*) AS n FROM access WHERE host BETWEEN 'web-03' AND 'web-07' AND method IN ('POST', 'PUT') GROUP BY host ORDER BY n DESC, host"
        ),
    ]

    /// Queries whose results are estimates: compared with DuckDB's exact answer within a relative
    /// tolerance (HyperLogLog's standard error is 1.6%, so 5% is three of them; DDSketch
    /// promises 1% on the value, plus one rank of difference between nearest-rank definitions).
    static let approximateCases: [(streamq: String, duckdb: String, tolerance: Double)] = [
        (
            "SELECT approx_count_distinct(user) AS users, approx_count_distinct(path) AS paths FROM access",
            "SELECT count(DISTINCT user) AS users, count(DISTINCT path) AS paths FROM access", 0.05
        ),
        (
            "SELECT host, approx_count_distinct(user) AS users FROM access GROUP BY host ORDER BY host",
            "SELECT host, count(DISTINCT user) AS users FROM access GROUP BY host ORDER BY host", 0.05
        ),
        (
            "SELECT method, approx_percentile(latency_ms, 0.5) AS p50, approx_percentile(latency_ms, 0.9) AS p90 FROM access GROUP BY method ORDER BY method",
            "SELECT method, quantile_disc(latency_ms, 0.5) AS p50, quantile_disc(latency_ms, 0.9) AS p90 FROM access GROUP BY method ORDER BY method",
            0.03
        ),
    ]

    /// Extra records with NULLs, missing fields and non-ASCII text, so NULL semantics are compared too.
    static let oddRecords = [
        #"{"ts":1767225601000,"host":"edge","method":"GET","path":null,"status":null,"bytes":null,"latency_ms":null,"user_agent":"curl/8.5.0","user":"ünïcödé"}"#,
        #"{"ts":1767225602000,"host":"edge","method":"GET","status":200,"user_agent":"curl/8.5.0","user":"Ωmega"}"#,
        #"{"ts":1767225603000,"host":"edge","method":"POST","path":"/ñ/é","status":500,"bytes":0,"latency_ms":0.5,"user_agent":"curl/8.5.0","user":"naïve"}"#,
        #"{"ts":1767225604000,"host":"edge","method":"GET","path":"/api/v1/items","status":404,"bytes":10,"latency_ms":null,"user_agent":null,"user":"u1"}"#,
    ]

    @Test func streamqAgreesWithDuckDB() async throws {
        try await CommandRunner.withScratch { streamq in
            let lines = Array(AccessLogGenerator(count: 5_000, seed: 21)) + Self.oddRecords
            let file = streamq.dataDirectory + "-access.ndjson"
            try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            _ = try streamq.succeed("create-stream", "access", "--shards", "3")
            _ = try streamq.succeed("put", "access", input: lines.joined(separator: "\n") + "\n")
            let all =
                Self.cases.map { ($0.streamq, $0.duckdb, 1e-9) } + Self.approximateCases
                + Self.functionCases.map { ($0.streamq, $0.duckdb, 1e-9) }
                + Self.aggregateCases.map { ($0.streamq, $0.duckdb, 1e-9) }
            #expect(all.count >= 40)
            let references = try Self.runDuckDB(file: file, queries: all.map(\.1), scratch: streamq.dataDirectory)
            for ((ours, theirs, tolerance), reference) in zip(all, references) {
                let mine = try streamq.succeed("query", ours, "--format", "jsonl")
                guard let expected = reference["rows"] as? [[String: Any]] else {
                    Issue.record("DuckDB could not run \(theirs): \(reference["error"] ?? "?")")
                    continue
                }
                let a = try Self.rows(mine)
                let b = expected.map { row in row.keys.sorted().map { row[$0]! } }
                #expect(a.count == b.count, "\(ours): \(a.count) rows vs DuckDB's \(b.count)")
                for (left, right) in zip(a, b) where !Self.same(left, right, tolerance: tolerance) {
                    Issue.record("\(ours)\n  streamq: \(left)\n  duckdb:  \(right)")
                    break
                }
            }
        }
    }

    /// Every query through DuckDB in one process: one result object per query.
    static func runDuckDB(file: String, queries: [String], scratch: String) throws -> [[String: Any]] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("compat/duckdb_query.py").path
        let queriesFile = scratch + "-queries.json"
        try JSONSerialization.data(withJSONObject: queries).write(to: URL(fileURLWithPath: queriesFile))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, file, queriesFile]
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
        return try String(decoding: data, as: UTF8.self).lines.map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
    }

    struct CommandFailure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// Rows as arrays of values in column order.
    static func rows(_ jsonl: String) throws -> [[Any]] {
        try jsonl.lines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
            guard let dictionary = object as? [String: Any] else { return [] }
            // JSONSerialization loses key order: compare by sorted column name.
            return dictionary.keys.sorted().map { dictionary[$0]! }
        }
    }

    static func same(_ left: [Any], _ right: [Any], tolerance: Double) -> Bool {
        guard left.count == right.count else { return false }
        for (a, b) in zip(left, right) {
            if let x = a as? NSNumber, let y = b as? NSNumber {
                let dx = x.doubleValue
                let dy = y.doubleValue
                if abs(dx - dy) > tolerance * max(1, abs(dx), abs(dy)) { return false }
            } else if let x = a as? [Any], let y = b as? [Any] {  // lists: element by element
                if !same(x, y, tolerance: tolerance) { return false }
            } else if "\(a)" != "\(b)" {
                return false
            }
        }
        return true
    }
}
