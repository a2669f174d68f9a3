import StreamQAWS

/// How a request names its stream: by name, or by ARN (which AWS routes to the account-scoped
/// endpoints).
public enum KinesisStreamReference: Sendable, Hashable, CustomStringConvertible {
    case name(String)
    case arn(String)

    /// The request member: `StreamName` or `StreamARN`.
    var member: (key: String, value: AWSValue) {
        switch self {
        case .name(let name): ("StreamName", .string(name))
        case .arn(let arn): ("StreamARN", .string(arn))
        }
    }

    /// The ARN, for endpoint resolution.
    var arn: String? {
        guard case .arn(let arn) = self else { return nil }
        return arn
    }

    /// A request body holding this reference and `members`.
    func input(_ members: [String: AWSValue] = [:]) -> AWSValue {
        var all = members
        all[member.key] = member.value
        return .map(all)
    }

    public var description: String {
        switch self {
        case .name(let name): name
        case .arn(let arn): arn
        }
    }
}
