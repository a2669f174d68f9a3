import Foundation

/// Where Kinesis requests go: an override URL (`streamq serve`, moto, a proxy), else AWS's endpoint
/// rules for the region.
///
/// Without an override, requests go to `https://kinesis.{region}.{suffix}`, except that a request
/// addressing a stream or consumer by ARN goes to the account-scoped
/// `https://{account}.{control|data}-kinesis.{region}.{suffix}` (data for PutRecord(s), GetRecords,
/// GetShardIterator and SubscribeToShard, control for the rest). The suffix is `amazonaws.com.cn`
/// in China regions (`cn-*`) and `amazonaws.com` elsewhere. An override receives every request
/// unchanged, as botocore does.
public struct KinesisEndpoint: Sendable, Equatable {
    /// The region requests are signed for and, without an override, sent to.
    public let region: String
    /// The override's URL, if any.
    public let override: URL?

    /// Where one request goes: its URL, the `Host` header to send and sign, and the path.
    public struct Target: Sendable, Equatable {
        public var url: String
        public var host: String
        public var path: String

        public init(url: String, host: String, path: String) {
            self.url = url
            self.host = host
            self.path = path
        }
    }

    /// - Parameter overrideURL: `http://host:port` or `https://host[:port][/path]`.
    /// - Throws: when the override is not an http(s) URL with a host, or the region is empty.
    public init(region: String, overrideURL: String? = nil) throws(KinesisEndpointError) {
        guard !region.isEmpty else { throw KinesisEndpointError("a region is needed to sign Kinesis requests") }
        self.region = region
        guard let overrideURL else {
            override = nil
            return
        }
        guard let url = endpointURL(overrideURL) else {
            throw KinesisEndpointError("endpoint '\(overrideURL)' is not an http:// or https:// URL with a host")
        }
        override = url
    }

    /// Whether an operation reads or writes records (data plane) or manages streams (control plane).
    public enum OperationType: String, Sendable {
        case control
        case data
    }

    /// The plane `operation` belongs to for the account-scoped endpoints.
    public static func operationType(of operation: String) -> OperationType {
        dataOperations.contains(operation) ? .data : .control
    }

    private static let dataOperations: Set<String> = [
        "PutRecord", "PutRecords", "GetRecords", "GetShardIterator", "SubscribeToShard",
    ]

    /// The DNS suffix of the region's partition.
    public var dnsSuffix: String { region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com" }

    /// The target of `operation`, which addresses a stream or consumer by `arn` when given.
    /// - Throws: when, without an override, `arn` is not a Kinesis ARN of this region's partition
    ///   with a 12-digit account.
    public func target(for operation: String, arn: String? = nil) throws(KinesisEndpointError) -> Target {
        if let override {
            let hostName = override.host ?? ""
            let bracketed = hostName.contains(":") ? "[\(hostName)]" : hostName
            let defaultPort = override.scheme?.lowercased() == "https" ? 443 : 80
            let host = override.port.map { $0 == defaultPort ? bracketed : "\(bracketed):\($0)" } ?? bracketed
            let path = override.path.isEmpty ? "/" : override.path
            let scheme = override.scheme?.lowercased() ?? "https"
            return Target(url: "\(scheme)://\(host)\(path)", host: host, path: path)
        }
        let host: String
        if let arn {
            let account = try accountID(in: arn)
            host = "\(account).\(Self.operationType(of: operation).rawValue)-kinesis.\(region).\(dnsSuffix)"
        } else {
            host = "kinesis.\(region).\(dnsSuffix)"
        }
        return Target(url: "https://\(host)/", host: host, path: "/")
    }

    /// The account of `arn:{partition}:kinesis:{region}:{account}:{resource}`, checked against this region's partition.
    private func accountID(in arn: String) throws(KinesisEndpointError) -> String {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[5].isEmpty else {
            throw KinesisEndpointError("Invalid ARN: Failed to parse ARN '\(arn)'")
        }
        guard parts[2] == "kinesis" else {
            throw KinesisEndpointError("Invalid ARN: The ARN was not for the Kinesis service, found: \(parts[2])")
        }
        let partition = region.hasPrefix("cn-") ? "aws-cn" : region.hasPrefix("us-gov-") ? "aws-us-gov" : "aws"
        guard parts[1] == partition else {
            throw KinesisEndpointError(
                "Partition: \(parts[1]) from ARN doesn't match with partition name: \(partition) (region \(region))"
            )
        }
        guard !parts[3].isEmpty else { throw KinesisEndpointError("Invalid ARN: Invalid region in '\(arn)'") }
        guard parts[4].count == 12, parts[4].allSatisfy(\.isASCIIDigit) else {
            throw KinesisEndpointError("Invalid ARN: Invalid account id in '\(arn)'")
        }
        return String(parts[4])
    }
}

/// An endpoint override or ARN that cannot be used.
public struct KinesisEndpointError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
