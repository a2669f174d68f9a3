import StreamQAWS

/// How a ``KinesisClient`` reaches Kinesis: endpoint, credentials, timeouts, retries and request limits.
public struct KinesisClientConfiguration: Sendable {
    public var endpoint: KinesisEndpoint
    public var credentials: SigV4Credentials
    /// How long opening a connection may take.
    public var connectTimeout: Duration = .seconds(5)
    /// How long one attempt of a call may take, response body included.
    public var requestTimeout: Duration = .seconds(30)
    /// Whether HTTPS endpoints must present a certificate the system trusts; off for a test server
    /// with a self-signed one (the AWS CLI's `--no-verify-ssl`).
    public var verifyCertificates = true
    /// How long a SubscribeToShard response may stream (AWS ends subscriptions after 5 minutes).
    public var subscriptionTimeout: Duration = .seconds(330)
    /// HTTP/1.1 connections to the endpoint at most (HTTP/2 multiplexes on one): each open
    /// SubscribeToShard holds one for its whole life, so this bounds subscriptions plus calls in
    /// flight. Default 64 (AsyncHTTPClient's own default is 8).
    public var maximumHTTP1Connections = 64
    /// Retries of throttled, 5xx and failed-connection calls, and of the failed entries of
    /// ``KinesisClient/putRecordsReliably(stream:records:idempotent:)``. Default: 100 ms base, 5 s cap, 10
    /// attempts, so a call rides out an endpoint that is gone for about 10 s (a restart) before
    /// the caller sees the failure.
    public var retry = RetryBackoff(base: .milliseconds(100), cap: .seconds(5), maxAttempts: 10)
    /// Records per PutRecords request (AWS: 500).
    public var putRecordsMaximumCount = 500
    /// Data plus partition key bytes per PutRecords request (AWS: 10 MiB; moto and older AWS
    /// documentation: 5 MiB).
    public var putRecordsMaximumBytes = 10 * 1024 * 1024
    /// The largest response body accepted (a 10 MiB GetRecords answer is about 14 MiB of JSON).
    public var maximumResponseBytes = 64 * 1024 * 1024
    /// How request bodies are encoded; default ``BodyEncoding/automatic``.
    public var bodyEncoding = BodyEncoding.automatic

    /// The body encoding of requests (answers come in their request's).
    public enum BodyEncoding: Sendable, Equatable {
        /// CBOR 1.1 when the endpoint speaks it, else AWS JSON 1.1: the client asks once, with a
        /// `ListStreams` in CBOR before its first call, and takes CBOR when the answer is a CBOR
        /// 200 (`streamq serve`, AWS); moto answers in JSON. A probe that gets no answer is made
        /// again before the next call.
        case automatic
        /// AWS JSON 1.1: record data travels as base64.
        case json
        /// CBOR 1.1 (`application/x-amz-cbor-1.1`, what the AWS SDKs for Java send): record data
        /// travels as raw bytes.
        case cbor
    }

    public init(endpoint: KinesisEndpoint, credentials: SigV4Credentials) {
        self.endpoint = endpoint
        self.credentials = credentials
    }

    /// A configuration from the standard AWS chain: credentials and region from `chain`, the region
    /// overridable by `region`, requests sent to `endpointOverride` when given.
    /// - Throws: ``AWSCredentialError`` without credentials or a region (with an override and no
    ///   region, `us-east-1` is used), ``KinesisEndpointError`` for a bad override.
    public static func resolve(
        chain: AWSCredentialChain,
        region: String? = nil,
        endpointOverride: String? = nil
    ) throws -> KinesisClientConfiguration {
        let credentials = try chain.credentials()
        let resolvedRegion: String
        if let region = try region ?? chain.region() {
            resolvedRegion = region
        } else if endpointOverride != nil {
            resolvedRegion = "us-east-1"
        } else {
            throw AWSCredentialError(
                "no AWS region: set AWS_REGION or AWS_DEFAULT_REGION, or region in profile '\(chain.profileName)' "
                    + "of \(chain.configFilePath)"
            )
        }
        return KinesisClientConfiguration(
            endpoint: try KinesisEndpoint(region: resolvedRegion, overrideURL: endpointOverride),
            credentials: credentials
        )
    }
}
