import StreamQAWS

/// Reads an operation's input members with the service model's constraints, collecting every
/// violation the way AWS reports them (`N validation errors detected: Value '…' at 'member' failed
/// to satisfy constraint: Member must …`, at most 10 listed). A member of the wrong JSON/CBOR type
/// is a `SerializationException` at once.
struct RequestReader {
    private let members: [String: AWSValue]
    private let pathPrefix: String
    private(set) var violations: [String] = []

    init(_ input: AWSValue, pathPrefix: String = "") throws(AWSError) {
        switch input {
        case .map(let members): self.members = members
        case .null: self.members = [:]
        default: throw KinesisErrors.serialization("the request body must be an object")
        }
        self.pathPrefix = pathPrefix
    }

    /// A character rule a string member must satisfy, named by the pattern AWS prints.
    struct Pattern: Sendable {
        var text: String
        var matches: @Sendable (Substring.UTF8View) -> Bool

        /// `[a-zA-Z0-9_.-]+`: stream, shard and consumer names.
        static let name = Pattern(text: "[a-zA-Z0-9_.-]+") { bytes in
            bytes.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F || byte == 0x2E || byte == 0x2D
            }
        }
        /// `0|([1-9]\d{0,38})`: hash keys.
        static let hashKey = decimal(maxDigits: 39)
        /// `0|([1-9]\d{0,128})`: sequence numbers.
        static let sequenceNumber = decimal(maxDigits: 129)

        private static func decimal(maxDigits: Int) -> Pattern {
            Pattern(text: "0|([1-9]\\d{0,\(maxDigits - 1)})") { bytes in
                guard let first = bytes.first, bytes.count <= maxDigits else { return false }
                if first == 0x30 { return bytes.count == 1 }
                return bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            }
        }
        /// `arn:aws.*:kinesis:.*:\d{12}:stream/\S+`
        static let streamARN = Pattern(text: "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+") { bytes in
            KinesisARN.parseStream(String(Substring(bytes))) != nil
        }
        /// `^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+`
        static let consumerARN = Pattern(
            text: "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+"
        ) { bytes in
            KinesisARN.parseConsumer(String(Substring(bytes))) != nil
        }
    }

    private func path(_ key: String) -> String {
        let camel = key.prefix(1).lowercased() + key.dropFirst()
        return pathPrefix.isEmpty ? camel : pathPrefix + "." + camel
    }

    private mutating func violate(_ value: String, _ key: String, _ constraint: String) {
        violations.append("\(value) at '\(path(key))' failed to satisfy constraint: Member must \(constraint)")
    }

    private mutating func present(_ key: String, required: Bool) -> AWSValue? {
        guard let value = members[key], value != .null else {
            if required { violate("Value null", key, "not be null") }
            return nil
        }
        return value
    }

    /// Whether the member was sent at all (null counts as absent).
    func has(_ key: String) -> Bool { members[key].map { $0 != .null } ?? false }

    mutating func string(
        _ key: String,
        required: Bool = false,
        length: ClosedRange<Int>? = nil,
        pattern: Pattern? = nil,
        oneOf allowed: [String]? = nil
    ) throws(AWSError) -> String? {
        guard let value = present(key, required: required) else { return nil }
        guard case .string(let text) = value else {
            throw KinesisErrors.serialization("expected a string for \(key)")
        }
        if let length {
            let count = text.count
            if count < length.lowerBound {
                violate("Value '\(text)'", key, "have length greater than or equal to \(length.lowerBound)")
            } else if count > length.upperBound {
                violate("Value '\(text)'", key, "have length less than or equal to \(length.upperBound)")
            }
        }
        if let pattern, !text.isEmpty, !pattern.matches(text[...].utf8) {
            violate("Value '\(text)'", key, "satisfy regular expression pattern: \(pattern.text)")
        }
        if let allowed, !allowed.contains(text) {
            violate("Value '\(text)'", key, "satisfy enum value set: [\(allowed.joined(separator: ", "))]")
        }
        return text
    }

    mutating func integer(
        _ key: String,
        required: Bool = false,
        range: ClosedRange<Int64>? = nil
    ) throws(AWSError)
        -> Int64?
    {
        guard let value = present(key, required: required) else { return nil }
        let number: Int64
        switch value {
        case .integer(let integer): number = integer
        case .double(let double) where double == double.rounded() && abs(double) < 9e18: number = Int64(double)
        default: throw KinesisErrors.serialization("expected an integer for \(key)")
        }
        if let range {
            if number < range.lowerBound {
                violate("Value '\(number)'", key, "have value greater than or equal to \(range.lowerBound)")
            } else if number > range.upperBound {
                violate("Value '\(number)'", key, "have value less than or equal to \(range.upperBound)")
            }
        }
        return number
    }

    mutating func bool(_ key: String) throws(AWSError) -> Bool? {
        guard let value = present(key, required: false) else { return nil }
        guard case .bool(let flag) = value else { throw KinesisErrors.serialization("expected a boolean for \(key)") }
        return flag
    }

    mutating func blob(_ key: String, required: Bool = false, maxLength: Int) throws(AWSError) -> [UInt8]? {
        guard let value = present(key, required: required) else { return nil }
        guard let bytes = value.blobValue else {
            throw KinesisErrors.serialization("expected base64-encoded bytes for \(key)")
        }
        if bytes.count > maxLength {
            let rendered = "java.nio.HeapByteBuffer[pos=0 lim=\(bytes.count) cap=\(bytes.count)]"
            violate("Value '\(rendered)'", key, "have length less than or equal to \(maxLength)")
        }
        return bytes
    }

    /// A timestamp: epoch seconds (int or fraction) in JSON, epoch milliseconds under CBOR tag 1.
    mutating func timestamp(_ key: String, required: Bool = false) throws(AWSError) -> Int64? {
        guard let value = present(key, required: required) else { return nil }
        guard let milliseconds = value.timestampMilliseconds else {
            throw KinesisErrors.serialization("expected a timestamp for \(key)")
        }
        return milliseconds
    }

    mutating func list(
        _ key: String,
        required: Bool = false,
        count: ClosedRange<Int>? = nil
    ) throws(AWSError)
        -> [AWSValue]?
    {
        guard let value = present(key, required: required) else { return nil }
        guard case .list(let items) = value else { throw KinesisErrors.serialization("expected a list for \(key)") }
        if let count {
            if items.count < count.lowerBound {
                violate("Value '[]'", key, "have length greater than or equal to \(count.lowerBound)")
            } else if items.count > count.upperBound {
                violate("Value '[…]'", key, "have length less than or equal to \(count.upperBound)")
            }
        }
        return items
    }

    mutating func map(_ key: String, required: Bool = false) throws(AWSError) -> [String: AWSValue]? {
        guard let value = present(key, required: required) else { return nil }
        guard case .map(let members) = value else { throw KinesisErrors.serialization("expected an object for \(key)") }
        return members
    }

    /// Reads a nested structure, prefixing its violations with this member's path.
    mutating func nested<T>(
        _ value: AWSValue,
        at key: String,
        _ read: (inout RequestReader) throws -> T
    ) throws -> T {
        var reader = try RequestReader(value, pathPrefix: path(key))
        let result = try read(&reader)
        violations.append(contentsOf: reader.violations)
        return result
    }

    /// Throws the collected violations as one `ValidationException`.
    func finish() throws(AWSError) {
        guard !violations.isEmpty else { return }
        let count = violations.count
        let listed = violations.prefix(10).joined(separator: "; ")
        throw AWSError(
            "ValidationException",
            "\(count) validation error\(count == 1 ? "" : "s") detected: \(listed)"
        )
    }
}
