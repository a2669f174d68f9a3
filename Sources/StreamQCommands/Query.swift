import ArgumentParser
import StreamQClient
import StreamQJSON
import StreamQSQL
import StreamQStorage

/// `streamq query`: run SQL over a stream's history.
struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a SQL query over a stream's history (bounded: every window fires at the end).",
        discussion: """
            Example: streamq query "SELECT window_start, status, count(*) AS n FROM access
                                    GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), status ORDER BY window_start, status"
            Rows that cannot be evaluated (not JSON, no event time, a failed CAST) are counted and the first ones
            reported on stderr; the exit status is then 3 so scripts notice.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The query.") var sql: String
    @Option(help: "table (default on a terminal), jsonl or csv.") var format: String?
    @Flag(help: "Print rows in and out, errors and elapsed time on stderr.") var stats = false

    func run() async throws {
        let plan: QueryPlan
        do {
            plan = try QueryPlanner.plan(sql)
        } catch {
            throw CommandFailure(error.rendered(in: sql))
        }
        let format = format ?? (StandardStreams.isOutputTerminal ? "table" : "jsonl")
        guard ["table", "jsonl", "csv"].contains(format) else { throw CommandFailure("--format must be table, jsonl or csv") }
        let stream = try streamName(plan.stream)
        let clock = ContinuousClock()
        let started = clock.now
        var query = BoundedQuery(plan: plan)
        try await store.withEngine(mode: .readOnly) { engine in
            let consumer = try engine.makeConsumer(configuration: StreamQConsumerConfiguration(stream: stream))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await consumer.run() }
                let readsPosition = plan.readsPosition
                for try await record in consumer.records {
                    // Row errors name the record's position, so it is always given when cheap enough:
                    // formatting it costs two strings per record, paid only when the query reads it
                    // or when the row fails (see BoundedQuery.errors).
                    query.add(
                        SQLRow(
                            data: record.data, arrivalMilliseconds: record.arrivalMilliseconds,
                            partitionKey: record.partitionKey,
                            sequenceNumber: readsPosition ? record.sequenceNumber.description : "",
                            shard: readsPosition ? record.sequenceNumber.shard.description : ""),
                        position: readsPosition ? nil : { (record.sequenceNumber.description, record.sequenceNumber.shard.description) })
                }
                try await tasks.waitForAll()
            }
        }
        let result = query.finish()
        var output = OutputBuffer()
        ResultFormatter.write(result, format: format, to: &output)
        output.flush()
        let elapsed = started.duration(to: clock.now)
        if stats {
            StandardStreams.writeError(
                "rows in \(query.statistics.rowsIn), rows out \(query.statistics.rowsOut), errors \(query.statistics.errors), elapsed \(elapsed)\n")
        }
        if query.statistics.errors > 0 {
            for error in query.errors.prefix(5) {
                StandardStreams.writeError("streamq: row \(error.shard) \(error.sequenceNumber) skipped: \(error.message)\n")
            }
            StandardStreams.writeError("streamq: \(query.statistics.errors) row\(query.statistics.errors == 1 ? "" : "s") could not be evaluated\n")
            throw ExitCode(3)
        }
    }
}

/// Renders result rows as a table, JSON lines or CSV (RFC 4180).
enum ResultFormatter {
    static func write(_ result: ResultSet, format: String, to output: inout OutputBuffer) {
        switch format {
        case "jsonl":
            for row in result.rows {
                output.append("{")
                for (index, (column, value)) in zip(result.columns, row).enumerated() {
                    if index > 0 { output.append(",") }
                    JSONString.append(column.utf8, to: &output.bytes)
                    output.append(":" + json(value))
                }
                output.append("}\n")
                output.flushIfLarge()
            }
        case "csv":
            output.append(result.columns.map(csvField).joined(separator: ",") + "\r\n")
            for row in result.rows {
                output.append(row.map { $0.isNull ? "" : csvField(text($0)) }.joined(separator: ",") + "\r\n")
                output.flushIfLarge()
            }
        default:
            let lines = TextTable.render(header: result.columns, rows: result.rows.map { $0.map(text) })
            output.append(lines.joined(separator: "\n") + "\n(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s"))\n")
        }
    }

    static func text(_ value: SQLValue) -> String {
        switch value {
        case .null: "NULL"
        case .timestamp(let ms): EventTime.iso8601(ms)
        default: value.description
        }
    }

    static func json(_ value: SQLValue) -> String {
        switch value {
        case .null: "null"
        case .boolean(let flag): flag ? "true" : "false"
        case .integer(let number): String(number)
        case .double(let number): number.isFinite ? String(number) : "null"
        case .string(let text): JSONString.quoted(text)
        case .timestamp(let ms): JSONString.quoted(EventTime.iso8601(ms))
        case .interval(let ms): String(ms)
        case .json(let text): text
        }
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}
