import StreamQJSON

/// A value during evaluation, with SQL's NULL.
public enum SQLValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case boolean(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    /// Milliseconds since the Unix epoch.
    case timestamp(Int64)
    /// Milliseconds.
    case interval(Int64)
    /// A JSON object or array, as its text.
    case json(String)

    public var isNull: Bool { self == .null }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .boolean(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .double(let value): String(value)
        case .string(let value): value
        case .timestamp(let value): "timestamp(\(value))"
        case .interval(let value): "interval(\(value) ms)"
        case .json(let text): text
        }
    }

    /// A JSON field's value: numbers become BIGINT or DOUBLE, true/false BOOLEAN, objects and
    /// arrays JSON, null NULL.
    init(json value: JSONFieldLookup.Value?) {
        switch value {
        case nil, .null: self = .null
        case .string(let text): self = .string(text)
        case .literal(let text):
            switch text {
            case "true": self = .boolean(true)
            case "false": self = .boolean(false)
            default:
                if let first = text.utf8.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                    self = .json(text)
                } else if let integer = Int64(text) {
                    self = .integer(integer)
                } else if let double = Double(text) {
                    self = .double(double)
                } else {
                    self = .json(text)
                }
            }
        }
    }
}
