import StreamQAWS

/// Reads the members of a response body, failing with an `invalidResponse` error that names the
/// operation and the member when one is missing or of the wrong type.
struct ResponseReader {
    let operation: String
    let value: AWSValue

    init(_ operation: String, _ value: AWSValue) {
        self.operation = operation
        self.value = value
    }

    func invalid(_ text: String) -> KinesisClientError {
        KinesisClientError(operation: operation, attempts: 1, reason: .invalidResponse(text))
    }

    func member(_ key: String) -> ResponseReader? {
        guard let member = value[key], member != .null else { return nil }
        return ResponseReader(operation, member)
    }

    func required(_ key: String) throws(KinesisClientError) -> ResponseReader {
        guard let member = member(key) else { throw invalid("missing \(key)") }
        return member
    }

    func string(_ key: String) throws(KinesisClientError) -> String {
        guard let text = try required(key).value.stringValue else { throw invalid("\(key) is not a string") }
        return text
    }

    func optionalString(_ key: String) throws(KinesisClientError) -> String? {
        guard let member = member(key) else { return nil }
        guard let text = member.value.stringValue else { throw invalid("\(key) is not a string") }
        return text
    }

    func integer(_ key: String) throws(KinesisClientError) -> Int64 {
        guard let number = try required(key).value.int64Value else { throw invalid("\(key) is not an integer") }
        return number
    }

    func optionalInteger(_ key: String) throws(KinesisClientError) -> Int64? {
        guard let member = member(key) else { return nil }
        guard let number = member.value.int64Value else { throw invalid("\(key) is not an integer") }
        return number
    }

    func optionalTimestamp(_ key: String) throws(KinesisClientError) -> Int64? {
        guard let member = member(key) else { return nil }
        guard let milliseconds = member.value.timestampMilliseconds else { throw invalid("\(key) is not a timestamp") }
        return milliseconds
    }

    func blob(_ key: String) throws(KinesisClientError) -> [UInt8] {
        guard let bytes = try required(key).value.blobValue else { throw invalid("\(key) is not base64") }
        return bytes
    }

    /// The elements of a list member; empty when the member is absent.
    func list(_ key: String) throws(KinesisClientError) -> [ResponseReader] {
        guard let member = member(key) else { return [] }
        guard let elements = member.value.listValue else { throw invalid("\(key) is not a list") }
        return elements.map { ResponseReader(operation, $0) }
    }

    /// The strings of a list member; empty when the member is absent.
    func stringList(_ key: String) throws(KinesisClientError) -> [String] {
        var strings: [String] = []
        for element in try list(key) {
            guard let text = element.value.stringValue else { throw invalid("\(key) holds a non-string") }
            strings.append(text)
        }
        return strings
    }
}
