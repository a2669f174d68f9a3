@preconcurrency import Crypto
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import StreamQAWS
import StreamQPipelines
import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// `streamq serve`: the Kinesis Data Streams API over HTTP(S) on a `StreamStore`, so boto3, the
/// AWS CLI, the KPL/KCL and log shippers with Kinesis outputs work against it unchanged.
public struct KinesisServer: Sendable {
    private let store: StreamStore
    private let configuration: KinesisServerConfiguration
    private let logger: Logger
    private let renderMetrics: @Sendable () -> [UInt8]

    /// - Parameter renderMetrics: the Prometheus text `GET /metrics` answers with.
    public init(
        store: StreamStore,
        configuration: KinesisServerConfiguration,
        logger: Logger,
        renderMetrics: @escaping @Sendable () -> [UInt8]
    ) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.renderMetrics = renderMetrics
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish and
    /// ends subscriptions. `onListening` gets the URL once the socket is bound.
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        let service = KinesisService(
            store: store,
            configuration: configuration,
            tokenKey: try TokenKeyFile.load(dataDirectory: store.directory),
            logger: logger
        )
        let verifier = configuration.credentials.map { credentials in
            let byKey = Dictionary(credentials.map { ($0.accessKeyID, $0) }, uniquingKeysWith: { first, _ in first })
            return SigV4Verifier(lookup: { accessKeyID in
                byKey[accessKeyID].map { ($0.secretAccessKey, $0.sessionTokens.isEmpty ? nil : $0.sessionTokens) }
            })
        }
        let queryHost = QueryHost(store: store, logger: logger)
        let handler = KinesisHTTPHandler(
            service: service,
            verifier: verifier,
            subscriptions: SubscriptionRegistry(),
            renderMetrics: renderMetrics,
            queries: QueryAPI(runner: StatementRunner(store: store), host: queryHost)
        )
        let responder = CallbackResponder<BasicRequestContext> { request, _ in await handler.respond(to: request) }
        let scheme: String
        let server: HTTPServerBuilder
        if let certificatePath = configuration.tlsCertificatePath, let keyPath = configuration.tlsKeyPath {
            let certificates = try NIOSSLCertificate.fromPEMFile(certificatePath).map {
                NIOSSLCertificateSource.certificate($0)
            }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: certificates,
                privateKey: .privateKey(key)
            )
            // ALPN offers h2 (the Java SDK's SubscribeToShard needs HTTP/2) and falls back to HTTP/1.1.
            server = try .http2Upgrade(tlsConfiguration: tls)
            scheme = "https"
        } else {
            server = .http1()
            scheme = "http"
        }
        let host = configuration.host
        var app = Application(
            responder: responder,
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: configuration.port),
                serverName: nil
            ),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let shownHost = host.contains(":") ? "[\(host)]" : host
                let url = "\(scheme)://\(shownHost):\(port)"
                do {
                    try store.announceEndpoint(url)
                } catch {
                    logger.warning("cannot name the endpoint in the lock file", metadata: ["error": "\(error)"])
                }
                onListening(url)
            },
            logger: logger
        )
        app.addServices(
            OnDemandScaler(service: service, interval: configuration.onDemandScalingInterval),
            QueryHostService(host: queryHost)
        )
        try await app.runService()
        try await store.flush()
    }
}

/// The key shard iterators and NextTokens are signed with, kept in the data directory so they
/// survive a restart; made (mode 0600) on first use.
enum TokenKeyFile {
    static func load(dataDirectory: String) throws -> SymmetricKey {
        let path = dataDirectory + "/server.key"
        if let data = FileManager.default.contents(atPath: path), data.count == 32 {
            return SymmetricKey(data: data)
        }
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        let temporary = path + ".tmp"
        guard
            FileManager.default.createFile(atPath: temporary, contents: bytes, attributes: [.posixPermissions: 0o600]),
            rename(temporary, path) == 0
        else {
            throw StreamQStorageError(.ioFailure, "cannot write the server's token key to \(path)")
        }
        return key
    }
}
