import StreamQJSON

/// A value during evaluation, with SQL's NULL.
public enum SQLValue: Sendable, Hashable, Codable, CustomStringConvertible {
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
        case .timestamp(let value): EventTime.iso8601(value)
        case .interval(let value): IntervalText.format(value)
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

extension SQLValue {
    /// A JSON value from its raw bytes, without an intermediate string for numbers: strings
    /// become VARCHAR, integers BIGINT, other numbers DOUBLE, objects and arrays JSON.
    init(rawJSON raw: UnsafeRawBufferPointer) throws(JSONFieldLookup.SyntaxError) {
        guard let first = raw.first else {
            self = .null
            return
        }
        switch first {
        case UInt8(ascii: "\""):
            let inner = UnsafeRawBufferPointer(rebasing: raw[1..<(raw.count - 1)])
            if inner.contains(UInt8(ascii: "\\")) {
                guard let text = String(validating: try JSONFieldLookup.decodeString(inner), as: UTF8.self) else {
                    throw JSONFieldLookup.SyntaxError(offset: 0, reason: "a string is not valid UTF-8")
                }
                self = .string(text)
            } else {
                // JSON text is UTF-8; a string that is not is an error, not silently repaired.
                // ASCII (the usual case) needs no further check.
                if Self.isASCII(inner) {
                    self = .string(String(decoding: inner, as: UTF8.self))
                } else if let text = String(validating: inner, as: UTF8.self) {
                    self = .string(text)
                } else {
                    throw JSONFieldLookup.SyntaxError(offset: 0, reason: "a string is not valid UTF-8")
                }
            }
        case UInt8(ascii: "t"): self = .boolean(true)
        case UInt8(ascii: "f"): self = .boolean(false)
        case UInt8(ascii: "n"): self = .null
        case UInt8(ascii: "{"), UInt8(ascii: "["): self = .json(String(decoding: raw, as: UTF8.self))
        default:
            if let integer = Self.parseInteger(raw) {
                self = .integer(integer)
            } else if let double = Self.parseSimpleDecimal(raw) {
                self = .double(double)
            } else if let double = Double(String(decoding: raw, as: UTF8.self)) {
                self = .double(double)
            } else {
                self = .json(String(decoding: raw, as: UTF8.self))
            }
        }
    }

    /// `[-]digits.digits` with at most 15 significant digits, computed exactly (Clinger's fast
    /// path: the digits and the power of ten are exact doubles, so one division rounds correctly).
    /// Nil for anything else (exponents, long mantissas), which the full parser handles.
    static func parseSimpleDecimal(_ raw: UnsafeRawBufferPointer) -> Double? {
        var index = 0
        let negative = raw[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        var mantissa: Int64 = 0
        var digits = 0
        var fractionDigits = 0
        var seenPoint = false
        while index < raw.count {
            let byte = raw[index]
            if byte == UInt8(ascii: ".") {
                guard !seenPoint, digits > 0 else { return nil }
                seenPoint = true
            } else {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                mantissa = mantissa * 10 + Int64(digit)
                digits += 1
                if seenPoint { fractionDigits += 1 }
                guard digits <= 15 else { return nil }
            }
            index += 1
        }
        guard seenPoint, fractionDigits > 0 else { return nil }
        let value = Double(mantissa) / powerOfTen(fractionDigits)
        return negative ? -value : value
    }

    /// 10^exponent for 0...15, exactly.
    @inline(__always)
    static func powerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        default: 1
        }
    }

    /// Whether every byte is below 0x80, checked eight at a time.
    @inline(__always)
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        var bits: UInt64 = 0
        while index + 8 <= bytes.count {
            bits |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            bits |= UInt64(bytes[index])
            index += 1
        }
        return bits & 0x8080_8080_8080_8080 == 0
    }

    /// Decimal digits with an optional minus sign that fit a BIGINT.
    static func parseInteger(_ raw: UnsafeRawBufferPointer) -> Int64? {
        var index = 0
        let negative = raw[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < raw.count, raw.count - index <= 19 else { return nil }
        var value: Int64 = 0
        while index < raw.count {
            let digit = raw[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int64(digit)
            index += 1
        }
        if value < 0 { return nil }  // 19 digits past Int64.max
        return negative ? -value : value
    }
}

extension SQLValue {
    /// A total order over values of any kinds, as ORDER BY and MIN/MAX use it: SQL's comparison
    /// where it applies, otherwise by kind. Negative, zero or positive.
    public static func ordering(_ a: SQLValue, _ b: SQLValue) -> Int { AggregateSpec.order(a, b) }

    /// The value as a DOUBLE when it is a number.
    public var doubleValue: Double? { ExpressionCompiler.number(self) }
}
