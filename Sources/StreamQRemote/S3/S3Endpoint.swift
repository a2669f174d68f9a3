import Foundation
import StreamQAWS

/// Where S3 requests go and how buckets are addressed.
///
/// Without an override, requests go to AWS: `https://{bucket}.s3.{region}.{suffix}/{key}`
/// (virtual-hosted style), or `https://s3.{region}.{suffix}/{bucket}/{key}` with path-style
/// addressing, which is also used for bucket names with dots (their virtual host would not match
/// the `*.s3` certificate). With an override (an S3-compatible store, moto, a proxy) requests go
/// to `{override}/{bucket}/{key}`: path style, which every such store serves, unless
/// virtual-hosted style is asked for.
public struct S3Endpoint: Sendable, Equatable {
    /// The region requests are signed for and, without an override, sent to.
    public let region: String
    /// The override's URL, if any.
    public let override: URL?
    /// Whether the bucket goes in the path rather than the host name.
    public let pathStyle: Bool

    /// Where one request goes.
    public struct Target: Sendable, Equatable {
        public var url: String
        /// The `Host` header to send and sign.
        public var host: String
        /// The path as sent (percent-encoded), which S3 signs as is.
        public var path: String
        /// The query as sent, without `?`.
        public var query: String
    }

    /// - Parameters:
    ///   - overrideURL: `http://host:port` or `https://host[:port][/path]`.
    ///   - pathStyle: bucket in the path; nil picks it: on with an override, off on AWS.
    /// - Throws: when the override is not an http(s) URL with a host, or the region is empty.
    public init(region: String, overrideURL: String? = nil, pathStyle: Bool? = nil) throws(S3EndpointError) {
        guard !region.isEmpty else { throw S3EndpointError("a region is needed to sign S3 requests") }
        self.region = region
        self.pathStyle = pathStyle ?? (overrideURL != nil)
        guard let overrideURL else {
            override = nil
            return
        }
        guard let url = endpointURL(overrideURL) else {
            throw S3EndpointError("S3 endpoint '\(overrideURL)' is not an http:// or https:// URL with a host")
        }
        override = url
    }

    /// The DNS suffix of the region's partition.
    public var dnsSuffix: String { region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com" }

    /// The target of a request on `key` in `bucket` (nil key: the bucket itself) with `query`
    /// parameters, which are encoded here (a parameter with a nil value is sent bare, as `?uploads`).
    public func target(bucket: String, key: String? = nil, query: [(String, String?)] = []) -> Target {
        let scheme: String
        var host: String
        var basePath: String
        if let override {
            scheme = override.scheme?.lowercased() ?? "https"
            let hostName = override.host ?? ""
            let bracketed = hostName.contains(":") ? "[\(hostName)]" : hostName
            let defaultPort = scheme == "https" ? 443 : 80
            host = override.port.map { $0 == defaultPort ? bracketed : "\(bracketed):\($0)" } ?? bracketed
            basePath = override.path.hasSuffix("/") ? String(override.path.dropLast()) : override.path
        } else {
            scheme = "https"
            host = "s3.\(region).\(dnsSuffix)"
            basePath = ""
        }
        var path: String
        if pathStyle || bucket.contains(".") {
            path = basePath + "/" + Self.encode(bucket)
            if let key { path += "/" + Self.encodeKey(key) }
        } else {
            host = bucket + "." + host
            path = basePath + "/" + (key.map(Self.encodeKey) ?? "")
        }
        if path.isEmpty { path = "/" }
        let queryText = query.map { name, value in
            value.map { Self.encode(name) + "=" + Self.encode($0) } ?? Self.encode(name)
        }.joined(separator: "&")
        return Target(
            url: "\(scheme)://\(host)\(path)" + (queryText.isEmpty ? "" : "?" + queryText),
            host: host,
            path: path,
            query: queryText
        )
    }

    /// A key in a path: each `/`-separated segment percent-encoded, the slashes kept.
    static func encodeKey(_ key: String) -> String {
        key.split(separator: "/", omittingEmptySubsequences: false).map { encode($0) }.joined(separator: "/")
    }

    /// RFC 3986 percent-encoding as SigV4 canonicalizes, so the path and query are signed exactly
    /// as sent.
    static func encode(_ text: some StringProtocol) -> String { SigV4Canonical.uriEncode(text) }
}

/// An S3 endpoint override that cannot be used, or no region.
public struct S3EndpointError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
