import Crypto

/// The AWS credentials a request is signed with.
public struct SigV4Credentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// The token of temporary (STS) credentials, sent as `X-Amz-Security-Token`.
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// The parts of an HTTP request that Signature Version 4 covers.
public struct SigV4Request: Sendable {
    /// `GET`, `POST`, ...
    public var method: String
    /// The path as sent on the wire (percent-encoded), e.g. `/`.
    public var path: String
    /// The query string as sent on the wire, without the `?`; empty when there is none.
    public var query: String
    /// The headers in the order received; names in any case, repeated names allowed.
    public var headers: [(name: String, value: String)]
    /// The lowercase hex SHA-256 of the body (see ``payloadHash(of:)``), or `UNSIGNED-PAYLOAD`.
    public var payloadHash: String

    public init(
        method: String,
        path: String = "/",
        query: String = "",
        headers: [(name: String, value: String)],
        payloadHash: String
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }

    /// A request whose payload hash is computed from `body`.
    public init(
        method: String,
        path: String = "/",
        query: String = "",
        headers: [(name: String, value: String)],
        body: some Collection<UInt8>
    ) {
        self.init(method: method, path: path, query: query, headers: headers, payloadHash: Self.payloadHash(of: body))
    }

    /// The lowercase hex SHA-256 of `body`.
    public static func payloadHash(of body: some Collection<UInt8>) -> String {
        let digest =
            body.withContiguousStorageIfAvailable { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
            ?? SHA256.hash(data: Array(body))
        return hex(digest)
    }

    /// The value of the first header named `name` (compared without regard to case).
    public func header(_ name: String) -> String? {
        let lowercased = name.lowercased()
        return headers.first { $0.name.lowercased() == lowercased }?.value
    }

    /// Removes every header named `name` (compared without regard to case).
    mutating func removeHeaders(named name: String) {
        let lowercased = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lowercased }
    }
}

/// Lowercase hex of a digest or MAC.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: text, as: UTF8.self)
}
