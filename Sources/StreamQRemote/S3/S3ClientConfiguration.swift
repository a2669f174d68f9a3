import StreamQAWS

/// How an ``S3Client`` reaches S3: endpoint, credentials, timeouts, retries and multipart sizes.
public struct S3ClientConfiguration: Sendable {
    public var endpoint: S3Endpoint
    public var credentials: SigV4Credentials
    /// How long opening a connection may take.
    public var connectTimeout: Duration = .seconds(5)
    /// How long one attempt may take, body sent and answer read (a part of `partSize`).
    public var requestTimeout: Duration = .seconds(120)
    /// Whether HTTPS endpoints must present a certificate the system trusts.
    public var verifyCertificates = true
    /// Retries of 5xx, throttled and failed-connection calls.
    public var retry = RetryBackoff()
    /// Files larger than this are uploaded in parts of this size (S3: at least 5 MiB, except the
    /// last part; at most 10,000 parts).
    public var partSize = 16 * 1024 * 1024
    /// Parts uploaded at once.
    public var partConcurrency = 4
    /// The largest answer body read (objects read through ``S3Client/getObject(bucket:key:)``).
    public var maximumResponseBytes = 64 * 1024 * 1024

    /// S3's smallest part (all but the last).
    public static let minimumPartSize = 5 * 1024 * 1024

    public init(endpoint: S3Endpoint, credentials: SigV4Credentials) {
        self.endpoint = endpoint
        self.credentials = credentials
    }

    /// A configuration from the standard AWS chain: credentials and region from `chain` (the region
    /// overridable by `region`), requests sent to `endpointOverride` when given, else to
    /// `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` from the chain's environment.
    /// - Throws: ``AWSCredentialError`` without credentials or a region (with an override and no
    ///   region, `us-east-1` is used), ``S3EndpointError`` for a bad override.
    public static func resolve(
        chain: AWSCredentialChain,
        region: String? = nil,
        endpointOverride: String? = nil,
        pathStyle: Bool? = nil
    ) throws -> S3ClientConfiguration {
        let credentials = try chain.credentials()
        let override = endpointOverride ?? environmentEndpoint(chain.environment)
        let resolvedRegion: String
        if let region = try region ?? chain.region() {
            resolvedRegion = region
        } else if override != nil {
            resolvedRegion = "us-east-1"
        } else {
            throw AWSCredentialError(
                "no AWS region for S3: set AWS_REGION or AWS_DEFAULT_REGION, or region in profile "
                    + "'\(chain.profileName)' of \(chain.configFilePath)"
            )
        }
        return S3ClientConfiguration(
            endpoint: try S3Endpoint(region: resolvedRegion, overrideURL: override, pathStyle: pathStyle),
            credentials: credentials
        )
    }

    /// `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (the SDKs' service-specific endpoint variables).
    static func environmentEndpoint(_ environment: [String: String]) -> String? {
        for name in ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"] {
            if let value = environment[name], !value.isEmpty { return value }
        }
        return nil
    }
}
