/// Kinesis resource names: `arn:aws:kinesis:REGION:ACCOUNT:stream/NAME` and
/// `…:stream/NAME/consumer/CONSUMER:CREATED` (creation time in epoch seconds).
enum KinesisARN {
    struct Stream: Equatable {
        var region: String
        var account: String
        var name: String
    }

    struct Consumer: Equatable {
        var stream: Stream
        var consumerName: String
        var createdSeconds: Int64
    }

    static func stream(_ name: String, region: String, account: String) -> String {
        "arn:aws:kinesis:\(region):\(account):stream/\(name)"
    }

    static func consumer(
        _ name: String,
        stream: String,
        createdSeconds: Int64,
        region: String,
        account: String
    )
        -> String
    {
        self.stream(stream, region: region, account: account) + "/consumer/\(name):\(createdSeconds)"
    }

    /// Parses `arn:aws*:kinesis:REGION:ACCOUNT:stream/NAME`; nil when it is not one.
    static func parseStream(_ text: String) -> Stream? {
        guard let (region, account, resource) = split(text), resource.hasPrefix("stream/") else { return nil }
        let name = String(resource.dropFirst("stream/".count))
        guard !name.isEmpty, !name.contains(where: \.isWhitespace) else { return nil }
        return Stream(region: region, account: account, name: name)
    }

    /// Parses a consumer ARN; nil when it is not one.
    static func parseConsumer(_ text: String) -> Consumer? {
        guard let (region, account, resource) = split(text), resource.hasPrefix("stream/") else { return nil }
        let parts = resource.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[2] == "consumer" else { return nil }
        let tail = parts[3].split(separator: ":", omittingEmptySubsequences: false)
        guard tail.count == 2, let created = Int64(tail[1]), !tail[0].isEmpty, !parts[1].isEmpty else { return nil }
        return Consumer(
            stream: Stream(region: region, account: account, name: String(parts[1])),
            consumerName: String(tail[0]),
            createdSeconds: created
        )
    }

    /// `arn:PARTITION:kinesis:REGION:ACCOUNT:RESOURCE` with a 12-digit account.
    private static func split(_ text: String) -> (String, String, String)? {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == "kinesis",
            parts[4].count == 12, parts[4].allSatisfy(\.isASCII), parts[4].allSatisfy(\.isNumber)
        else { return nil }
        return (String(parts[3]), String(parts[4]), String(parts[5]))
    }
}
