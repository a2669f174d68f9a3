import Crypto

/// `left`, `right`, `lpad`, `rpad`, `reverse`, `contains`, `ends_with`, `md5`, `url_encode` and
/// `url_decode`, for `ScalarFunctions.table`. Lengths count Unicode code points and `reverse`
/// keeps each user-perceived character whole, as DuckDB does; searches compare bytes.
enum TextFunctions {
    /// The longest text `lpad` and `rpad` build: a longer one is a mistake, not a value.
    static let maximumPaddedLength: Int64 = 1 << 20

    static let table: [String: ScalarFunctions.Entry] = [
        "left": (
            2...2,
            { args, location in
                let scalars = args[0].description.unicodeScalars
                let kept = try keptCount(of: scalars, args[1], "left", location)
                return .string(String(String.UnicodeScalarView(scalars.prefix(kept))))
            }
        ),
        "right": (
            2...2,
            { args, location in
                let scalars = args[0].description.unicodeScalars
                let kept = try keptCount(of: scalars, args[1], "right", location)
                return .string(String(String.UnicodeScalarView(scalars.suffix(kept))))
            }
        ),
        "lpad": (3...3, { args, location in try pad(args, "lpad", location, atStart: true) }),
        "rpad": (3...3, { args, location in try pad(args, "rpad", location, atStart: false) }),
        "reverse": (1...1, { args, _ in .string(String(args[0].description.reversed())) }),
        "contains": (
            2...2,
            { args, _ in .boolean(find(Array(args[1].description.utf8), in: Array(args[0].description.utf8))) }
        ),
        "ends_with": (
            2...2,
            { args, _ in
                let text = Array(args[0].description.utf8)
                let suffix = Array(args[1].description.utf8)
                return .boolean(text.count >= suffix.count && text.suffix(suffix.count).elementsEqual(suffix))
            }
        ),
        "md5": (
            1...1,
            { args, _ in
                let digest = Insecure.MD5.hash(data: Array(args[0].description.utf8))
                return .string(hex(Array(digest), uppercase: false))
            }
        ),
        "url_encode": (1...1, { args, _ in .string(urlEncoded(args[0].description)) }),
        "url_decode": (
            1...1,
            { args, location in
                guard let decoded = urlDecoded(args[0].description) else {
                    throw EvaluationError(
                        message: "url_decode: '\(args[0])' does not decode to valid UTF-8",
                        location: location
                    )
                }
                return .string(decoded)
            }
        ),
    ]

    private static func integer(
        _ value: SQLValue,
        _ function: String,
        _ what: String,
        _ location: SourceLocation
    ) throws -> Int64 {
        guard case .integer(let number) = value else {
            throw EvaluationError(message: "\(function) needs a whole \(what), got \(value)", location: location)
        }
        return number
    }

    /// How many code points `left`/`right` keep: `count` of them, or all but `-count` when negative.
    private static func keptCount(
        of scalars: String.UnicodeScalarView,
        _ count: SQLValue,
        _ function: String,
        _ location: SourceLocation
    ) throws -> Int {
        let count = try integer(count, function, "count", location)
        return Int(count >= 0 ? min(count, Int64(scalars.count)) : max(0, Int64(scalars.count) + count))
    }

    /// `lpad`/`rpad(text, length, fill)`: `text` cut or filled with repeats of `fill` to `length`
    /// code points; an empty `fill` that is needed is an error, as in DuckDB.
    private static func pad(
        _ args: [SQLValue],
        _ function: String,
        _ location: SourceLocation,
        atStart: Bool
    ) throws -> SQLValue {
        let text = Array(args[0].description.unicodeScalars)
        let length = try integer(args[1], function, "length", location)
        let fill = Array(args[2].description.unicodeScalars)
        guard length <= maximumPaddedLength else {
            throw EvaluationError(
                message: "\(function): length \(length) is too long (at most \(maximumPaddedLength))",
                location: location
            )
        }
        let target = Int(max(0, length))
        if target <= text.count { return .string(String(String.UnicodeScalarView(text.prefix(target)))) }
        guard !fill.isEmpty else {
            throw EvaluationError(message: "\(function): the fill text is empty", location: location)
        }
        let padding = (0..<(target - text.count)).map { fill[$0 % fill.count] }
        return .string(String(String.UnicodeScalarView(atStart ? padding + text : text + padding)))
    }

    /// Whether `needle` occurs in `haystack` (an empty needle always does).
    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count)
        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }

    static func hex(_ bytes: [UInt8], uppercase: Bool) -> String {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Every byte of the UTF-8 text except `A-Z a-z 0-9 - _ . ~` as `%XX`, as DuckDB writes it.
    static func urlEncoded(_ text: String) -> String {
        var output: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                output.append(byte)
            default:
                output.append(UInt8(ascii: "%"))
                output.append(contentsOf: hex([byte], uppercase: true).utf8)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `%XX` (either case) decoded; a `%` not followed by two hex digits, and `+`, stay as they
    /// are. Nil when the bytes decoded are not UTF-8.
    static func urlDecoded(_ text: String) -> String? {
        func value(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = value(bytes[index + 1]),
                let low = value(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(validating: output, as: UTF8.self)
    }
}
