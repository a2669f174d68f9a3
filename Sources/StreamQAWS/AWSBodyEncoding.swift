/// The two body encodings of the AWS JSON 1.1 protocol; a response uses its request's.
public enum AWSBodyEncoding: Sendable {
    /// `application/x-amz-json-1.1`
    case json
    /// `application/x-amz-cbor-1.1`
    case cbor

    /// The encoding a `Content-Type` names, ignoring case and parameters such as `; charset=UTF-8`;
    /// nil for any other type.
    public init?(contentType: String) {
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        switch mediaType.trimmingSpaces.lowercased() {
        case "application/x-amz-json-1.1": self = .json
        case "application/x-amz-cbor-1.1": self = .cbor
        default: return nil
        }
    }

    /// The `Content-Type` of bodies in this encoding.
    public var contentType: String {
        switch self {
        case .json: "application/x-amz-json-1.1"
        case .cbor: "application/x-amz-cbor-1.1"
        }
    }

    /// Decodes a body in this encoding.
    public func decode(_ bytes: [UInt8]) throws(AWSCodecError) -> AWSValue {
        switch self {
        case .json: try AWSJSON.decode(bytes)
        case .cbor: try AWSCBOR.decode(bytes)
        }
    }

    /// Appends `value` in this encoding to `buffer`.
    public func encode(_ value: AWSValue, into buffer: inout [UInt8]) {
        switch self {
        case .json: AWSJSON.encode(value, into: &buffer)
        case .cbor: AWSCBOR.encode(value, into: &buffer)
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: SubSequence {
        var text = self[...]
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
