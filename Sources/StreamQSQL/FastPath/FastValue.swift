/// A JSON field's value as the fast path sees it: a plain struct (no references, nothing to
/// retain or free) whose strings are views into the record's bytes, valid while the record is.
struct FastValue: Sendable {
    enum Kind: UInt8, Sendable {
        /// Missing or `null`.
        case null
        case boolean
        case integer
        case double
        /// An ASCII string without escapes; `start`/`count` locate its bytes (between the quotes)
        /// in the record.
        case string
        /// Anything the fast path leaves to the row engine: other strings, objects, arrays, numbers
        /// it does not parse exactly.
        case other
    }

    var kind: Kind = .null
    /// The integer, or the boolean as 0/1.
    var integer: Int64 = 0
    var double: Double = 0
    var start = 0
    var count = 0

    static let null = FastValue()

    /// Classifies `raw` (a well-formed JSON value, as the scanner found it) at `offset` in its
    /// record; nil for a string the row engine could reject (one with escapes, which it decodes
    /// strictly, or bytes that are not UTF-8), so such a record is left to it whole.
    @inline(__always)
    init?(rawJSON raw: UnsafeRawBufferPointer, offset: Int, escaped: Bool) {
        guard let first = raw.first else { return }
        switch first {
        case UInt8(ascii: "\""):
            if escaped { return nil }
            let inner = UnsafeRawBufferPointer(rebasing: raw[1..<(raw.count - 1)])
            if SQLValue.isASCII(inner) {
                kind = .string
                start = offset + 1
                count = inner.count
            } else {
                if String(validating: inner, as: UTF8.self) == nil { return nil }
                kind = .other
            }
        case UInt8(ascii: "t"):
            kind = .boolean
            integer = 1
        case UInt8(ascii: "f"): kind = .boolean
        case UInt8(ascii: "n"): break
        case UInt8(ascii: "{"), UInt8(ascii: "["): kind = .other
        default:
            if let value = SQLValue.parseInteger(raw) {
                kind = .integer
                integer = value
            } else if let value = SQLValue.parseSimpleDecimal(raw) {
                kind = .double
                double = value
            } else {
                kind = .other
            }
        }
    }

    init() {}

    init(integer: Int64) {
        kind = .integer
        self.integer = integer
    }

    init(boolean: Bool) {
        kind = .boolean
        integer = boolean ? 1 : 0
    }

    /// `[-]digits.digits` from its digits read as one integer (at most 15 of them, so it and the
    /// power of ten are exact: one division rounds correctly, as ``SQLValue/parseSimpleDecimal(_:)``).
    @inline(__always)
    init(decimalMantissa mantissa: Int64, fractionDigits: Int, negative: Bool) {
        kind = .double
        let magnitude = Double(mantissa) / SQLValue.powerOfTen(fractionDigits)
        double = negative ? -magnitude : magnitude
    }

    /// The number as a DOUBLE (integers and doubles only).
    @inline(__always)
    var number: Double { kind == .integer ? Double(integer) : double }

    var isNumber: Bool { kind == .integer || kind == .double }

    /// The value as the row engine reads it (`.other` values are never asked for).
    func sqlValue(in record: UnsafeRawBufferPointer) -> SQLValue {
        switch kind {
        case .null, .other: .null
        case .boolean: .boolean(integer != 0)
        case .integer: .integer(integer)
        case .double: .double(double)
        case .string: .string(String(decoding: record[start..<(start + count)], as: UTF8.self))
        }
    }
}
