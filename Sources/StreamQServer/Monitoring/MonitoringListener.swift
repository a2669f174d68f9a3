import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A small HTTP listener for daemons other than the Kinesis server (`streamq ship
/// --metrics-listen`): `GET /metrics` answers Prometheus text, `GET /health` 200 `ok` while the
/// daemon is healthy and 503 with the reason when it is not; anything else is 404.
public struct MonitoringListener: Sendable {
    /// What `GET /health` reports.
    public struct Health: Sendable, Equatable {
        /// nil when healthy; otherwise why not, in one line.
        public var problem: String?

        public static let healthy = Health(problem: nil)

        public init(problem: String?) {
            self.problem = problem
        }
    }

    private let host: String
    private let port: Int
    private let logger: Logger
    private let renderMetrics: @Sendable () -> [UInt8]
    private let health: @Sendable () -> Health

    public init(
        host: String,
        port: Int,
        logger: Logger,
        renderMetrics: @escaping @Sendable () -> [UInt8],
        health: @escaping @Sendable () -> Health
    ) {
        self.host = host
        self.port = port
        self.logger = logger
        self.renderMetrics = renderMetrics
        self.health = health
    }

    /// Serves until the task is cancelled. `onListening` gets the URL once the socket is bound.
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        let renderMetrics = renderMetrics
        let health = health
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            guard request.method == .get else { return Response(status: .methodNotAllowed) }
            switch request.uri.path {
            case "/metrics":
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: renderMetrics()))
                )
            case "/health":
                let problem = health().problem
                return Response(
                    status: problem == nil ? .ok : .serviceUnavailable,
                    headers: [.contentType: "text/plain"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: (problem ?? "ok") + "\n"))
                )
            default:
                return Response(status: .notFound)
            }
        }
        let host = host
        let app = Application(
            responder: responder,
            server: .http1(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let shownHost = host.contains(":") ? "[\(host)]" : host
                onListening("http://\(shownHost):\(channel.localAddress?.port ?? 0)")
            },
            logger: logger
        )
        try await app.run()
    }
}
