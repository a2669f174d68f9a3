import StreamQClient
import StreamQJSON
import StreamQStorage

/// Infers a stream's fields and their types from a sample of records (`.schema` in `streamq sql`).
public struct SchemaInference: Sendable {
    /// One top-level field seen in the sample.
    public struct Field: Sendable, Equatable {
        public var name: String
        /// BIGINT, DOUBLE, VARCHAR, BOOLEAN, JSON, TIMESTAMP (strings that parse as times), or
        /// several joined by `|` when records disagree.
        public var type: String
        /// Share of sampled records that have the field (not NULL).
        public var presence: Double
        public var example: String
    }

    public private(set) var sampled = 0
    public private(set) var notJSON = 0
    private var order: [String] = []
    private var types: [String: [String]] = [:]
    private var counts: [String: Int] = [:]
    private var examples: [String: String] = [:]

    public init() {}

    /// Reads up to `limit` records spread over the stream's shards.
    public static func sample(
        _ backend: any StreamBackend,
        stream: StreamName,
        limit: Int = 1000
    ) async throws -> SchemaInference {
        var inference = SchemaInference()
        let shards = try await backend.describeStream(stream).shards.filter { !$0.storedSequences.isEmpty }
        let perShard = max(1, limit / max(1, shards.count))
        for shard in shards {
            let cursor = try await backend.cursor(stream: stream, shard: shard.id, at: .trimHorizon)
            _ = try await backend.scan(cursor, maxRecords: perShard, maxBytes: 10 << 20) { record in
                inference.add(record.data)
            }
        }
        return inference
    }

    /// Adds one record's data.
    public mutating func add(_ data: UnsafeRawBufferPointer) {
        sampled += 1
        do {
            try JSONFieldLookup.forEachTopLevelField(in: data) {
                (key, escaped, value) throws(JSONFieldLookup.SyntaxError) -> Bool in
                let name =
                    escaped
                    ? String(decoding: try JSONFieldLookup.decodeString(key), as: UTF8.self)
                    : String(decoding: key, as: UTF8.self)
                let sqlValue = try SQLValue(rawJSON: value)
                guard !sqlValue.isNull else { return false }
                if counts[name] == nil { order.append(name) }
                counts[name, default: 0] += 1
                let type = Self.type(of: sqlValue)
                if !(types[name]?.contains(type) ?? false) { types[name, default: []].append(type) }
                if examples[name] == nil { examples[name] = String(String(decoding: value, as: UTF8.self).prefix(40)) }
                return false
            }
        } catch {
            notJSON += 1
        }
    }

    public var fields: [Field] {
        order.map { name in
            Field(
                name: name,
                type: types[name]!.joined(separator: "|"),
                presence: Double(counts[name]!) / Double(max(1, sampled)),
                example: examples[name] ?? ""
            )
        }
    }

    private static func type(of value: SQLValue) -> String {
        switch value {
        case .null: "NULL"
        case .boolean: "BOOLEAN"
        case .integer: "BIGINT"
        case .double: "DOUBLE"
        case .string(let text):
            EventTime.milliseconds(fromText: text) != nil && text.contains("-") ? "TIMESTAMP" : "VARCHAR"
        case .timestamp: "TIMESTAMP"
        case .interval: "INTERVAL"
        case .json: "JSON"
        }
    }
}
