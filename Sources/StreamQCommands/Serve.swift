import ArgumentParser
import Logging
import Metrics
import Prometheus
import StreamQAWS
import StreamQServer
import StreamQStorage

/// `streamq serve`: the Kinesis Data Streams API over HTTP(S) on the data directory.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the AWS Kinesis Data Streams API (JSON 1.1 and CBOR) on the data directory.",
        discussion: """
            boto3, the AWS CLI, the KPL and KCL, Fluent Bit, Vector and the Kinesis Agent work against it with \
            their endpoint set to the URL printed on stdout once listening. The server holds the data directory's \
            write lock; read, query, explain and stats keep working beside it. SIGTERM or SIGINT stop it cleanly: \
            in-flight requests finish, subscriptions end, everything is synced.

            Without --credentials any request is accepted, so the server only listens on a loopback address \
            unless --insecure-no-auth says otherwise. With --credentials FILE (lines of ACCESS_KEY_ID \
            SECRET_ACCESS_KEY [SESSION_TOKEN ...]) every request must carry a valid SigV4 signature.

            --region sets the region ARNs name (default us-east-1). GET /health answers 200; GET /metrics answers Prometheus text. STREAMQ_LOG_LEVEL=info prints an access \
            log line per request with its request id.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).") var listen = "127.0.0.1:4567"
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (with --tls-key).")
    var tlsCertificate: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.") var tlsKey: String?
    @Option(help: "Accepted access keys (ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN ...] per line).")
    var credentials: String?
    @Option(name: .customLong("account-id"), help: "12-digit account id in ARNs and messages.") var accountID =
        "000000000000"
    @Option(
        name: .customLong("shard-limits"),
        help: "none (default) or aws: per-shard 1 MiB/s and 1,000 records/s in, 2 MiB/s and 5 calls/s out."
    )
    var shardLimits = "none"
    @Option(name: .customLong("iterator-lifetime"), help: "Seconds shard iterators and NextTokens stay valid.")
    var iteratorLifetime = 300
    @Option(
        name: .customLong("subscription-lifetime"),
        help: "Seconds a SubscribeToShard subscription lasts before the client must subscribe again (AWS: 300)."
    )
    var subscriptionLifetime = 300
    @Option(
        name: .customLong("on-demand-interval"),
        help: "Seconds between checks of ON_DEMAND streams for shards over a provisioned shard's write limit."
    )
    var onDemandInterval = 30
    @Flag(name: .customLong("insecure-no-auth"), help: "Allow a non-loopback address without --credentials.")
    var insecureNoAuth = false

    func validate() throws {
        guard ["none", "aws"].contains(shardLimits) else { throw ValidationError("--shard-limits must be none or aws") }
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        guard (1...86_400).contains(iteratorLifetime) else {
            throw ValidationError("--iterator-lifetime must be 1 to 86400 seconds")
        }
        guard (1...3600).contains(subscriptionLifetime) else {
            throw ValidationError("--subscription-lifetime must be 1 to 3600 seconds")
        }
        guard (1...3600).contains(onDemandInterval) else {
            throw ValidationError("--on-demand-interval must be 1 to 3600 seconds")
        }
        guard accountID.count == 12, accountID.allSatisfy(\.isNumber) else {
            throw ValidationError("--account-id must be 12 digits")
        }
    }

    func run() async throws {
        try store.refuseRemote("serve")
        var configuration = KinesisServerConfiguration()
        (configuration.host, configuration.port) = try ListenAddress.parse(listen)
        configuration.tlsCertificatePath = tlsCertificate
        configuration.tlsKeyPath = tlsKey
        configuration.region = store.region ?? "us-east-1"
        configuration.accountID = accountID
        configuration.shardLimits = shardLimits == "aws"
        configuration.iteratorLifetime = .seconds(iteratorLifetime)
        configuration.subscriptionLifetime = .seconds(subscriptionLifetime)
        configuration.onDemandScalingInterval = .seconds(onDemandInterval)
        if let credentials {
            let file: CredentialsFile
            do {
                file = try CredentialsFile.load(credentials)
            } catch {
                throw CommandFailure("\(error)")
            }
            configuration.credentials = file.entries.map { accessKeyID, entry in
                KinesisServerConfiguration.SigV4Credential(
                    accessKeyID: accessKeyID,
                    secretAccessKey: entry.secretAccessKey,
                    sessionTokens: entry.sessionTokens ?? []
                )
            }
        } else if !ListenAddress.isLoopback(configuration.host) && !insecureNoAuth {
            throw CommandFailure(
                "refusing to listen on \(configuration.host) without --credentials: anyone who can reach it could "
                    + "read and write every stream (give --credentials FILE, or --insecure-no-auth if you mean it)"
            )
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "streamq.server")
        let frozen = configuration
        try await store.withStore { store in
            let server = KinesisServer(store: store, configuration: frozen, logger: logger) {
                registry.emitToBuffer()
            }
            try await server.run { url in StandardStreams.writeOutput("listening on \(url)\n") }
        }
    }
}

/// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback).
enum ListenAddress {
    static func parse(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw CommandFailure("--listen must be HOST:PORT, got '\(text)'") }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// `localhost`, `::1` or an IPv4 address in 127.0.0.0/8 (not a name that merely starts with 127.).
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127"
            && octets.allSatisfy { octet in UInt8(octet) != nil && octet.allSatisfy(\.isASCII) }
    }
}
