import StreamQSQL

/// The type of a sink column (a Parquet physical and logical type).
public enum ColumnType: String, Sendable, Codable {
    case boolean, bigint, double, varchar, timestamp

    /// The narrowest type holding every non-NULL value seen: integers and doubles widen to DOUBLE;
    /// anything else mixed (or strings, JSON, intervals) is VARCHAR; all NULL is VARCHAR.
    static func infer(_ values: some Sequence<SQLValue>) -> ColumnType {
        var type: ColumnType?
        for value in values {
            let next: ColumnType
            switch value {
            case .null: continue
            case .boolean: next = .boolean
            case .integer: next = .bigint
            case .double: next = .double
            case .timestamp: next = .timestamp
            case .string, .json, .interval: next = .varchar
            }
            switch (type, next) {
            case (nil, _): type = next
            case (let current?, _) where current == next: break
            case (.bigint?, .double), (.double?, .bigint): type = .double
            default: return .varchar
            }
        }
        return type ?? .varchar
    }

    /// Whether a value can be written to a column of this type without losing what it is.
    func accepts(_ value: SQLValue) -> Bool {
        switch (self, value) {
        case (_, .null), (.varchar, _), (.boolean, .boolean), (.bigint, .integer), (.double, .integer),
            (.double, .double),
            (.timestamp, .timestamp):
            true
        default: false
        }
    }
}

extension ColumnType {
    /// The column type for a SQL type name (`BIGINT`, `DOUBLE`, `VARCHAR`, `BOOLEAN`, `TIMESTAMP`)
    /// or a `|`-joined list of them as schema sampling reports: numbers widen to DOUBLE, anything
    /// else mixed is VARCHAR.
    public init(sqlTypes: String) {
        let names = Set(sqlTypes.uppercased().split(separator: "|").map(String.init))
        switch names {
        case ["BOOLEAN"]: self = .boolean
        case ["BIGINT"], ["INTEGER"], ["INT"]: self = .bigint
        case ["DOUBLE"], ["BIGINT", "DOUBLE"]: self = .double
        case ["TIMESTAMP"] where !sqlTypes.contains("|"): self = .timestamp
        default: self = .varchar
        }
    }
}
