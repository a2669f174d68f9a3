/// How `streamq serve` runs: where it listens, who may call it and the limits it applies.
public struct KinesisServerConfiguration: Sendable {
    /// Host to bind; loopback unless asked otherwise.
    public var host = "127.0.0.1"
    /// Port to bind; 0 picks a free one (printed once listening).
    public var port = 4567
    /// PEM certificate chain and private key: serve HTTPS instead of HTTP.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Access keys whose SigV4 signatures are accepted; nil accepts any request.
    public var credentials: [SigV4Credential]?
    public var region = "us-east-1"
    public var accountID = "000000000000"
    /// AWS's per-shard throughput limits (1 MiB/s and 1,000 records/s in, 2 MiB/s and 5 calls/s out).
    public var shardLimits = false
    /// How long shard iterators and NextTokens stay valid.
    public var iteratorLifetime: Duration = .seconds(300)
    /// The largest request body read; larger requests are refused before their body is read.
    public var maxRequestBytes = 12 << 20
    /// How long a SubscribeToShard subscription lasts before the client must subscribe again.
    public var subscriptionLifetime: Duration = .seconds(300)
    /// How often ON_DEMAND streams are checked for shards over a provisioned shard's write limit.
    public var onDemandScalingInterval: Duration = .seconds(30)

    public init() {}

    /// One access key the server accepts.
    public struct SigV4Credential: Sendable, Equatable {
        public var accessKeyID: String
        public var secretAccessKey: String
        /// When non-empty, a request signed with this key must carry one of these session tokens.
        public var sessionTokens: Set<String>

        public init(accessKeyID: String, secretAccessKey: String, sessionTokens: Set<String> = []) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionTokens = sessionTokens
        }
    }
}
