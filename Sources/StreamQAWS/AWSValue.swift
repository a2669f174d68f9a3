/// A value in an AWS JSON 1.1 or CBOR request/response body.
///
/// JSON has no blob or timestamp type: decoded JSON carries base64 strings and epoch-second numbers,
/// which ``blobValue`` and ``timestampMilliseconds`` convert once the shape says what a member is.
public enum AWSValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    /// Bytes: a base64 string in JSON, a byte string in CBOR.
    case blob([UInt8])
    /// A point in time: epoch seconds (a number) in JSON, tag 1 around epoch *milliseconds* in CBOR.
    case timestamp(milliseconds: Int64)
    case list([AWSValue])
    case map([String: AWSValue])

    /// The member `key` of a map; nil for other values and absent keys.
    public subscript(key: String) -> AWSValue? {
        guard case .map(let members) = self else { return nil }
        return members[key]
    }

    /// The text of a `.string`.
    public var stringValue: String? {
        guard case .string(let text) = self else { return nil }
        return text
    }

    /// An `.integer`, or a `.double` holding a whole number in range.
    public var int64Value: Int64? {
        switch self {
        case .integer(let value): return value
        case .double(let value): return Int64(exactly: value)
        default: return nil
        }
    }

    /// A `.double`, or an `.integer` as a double.
    public var doubleValue: Double? {
        switch self {
        case .double(let value): return value
        case .integer(let value): return Double(value)
        default: return nil
        }
    }

    /// The value of a `.bool`.
    public var boolValue: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    /// The elements of a `.list`.
    public var listValue: [AWSValue]? {
        guard case .list(let elements) = self else { return nil }
        return elements
    }

    /// The members of a `.map`.
    public var mapValue: [String: AWSValue]? {
        guard case .map(let members) = self else { return nil }
        return members
    }

    /// The bytes of a `.blob`, or of a `.string` holding valid base64 (how JSON carries blobs).
    public var blobValue: [UInt8]? {
        switch self {
        case .blob(let bytes): return bytes
        case .string(let text): return Base64.decode(text)
        default: return nil
        }
    }

    /// Epoch milliseconds of a `.timestamp`, or of a number of epoch seconds (how JSON carries
    /// timestamps, whole or with a fraction); nil when out of range.
    public var timestampMilliseconds: Int64? {
        switch self {
        case .timestamp(let milliseconds):
            return milliseconds
        case .integer(let seconds):
            let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
            return overflow ? nil : milliseconds
        case .double(let seconds):
            return Int64(exactly: (seconds * 1000).rounded())
        default:
            return nil
        }
    }
}
