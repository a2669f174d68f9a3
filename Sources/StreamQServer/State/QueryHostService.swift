import ServiceLifecycle
import StreamQPipelines

/// Runs the data directory's persistent queries for as long as the server runs; on shutdown each
/// query commits its progress before the store is closed.
struct QueryHostService: Service {
    let host: QueryHost

    func run() async throws {
        await cancelWhenGracefulShutdown { await host.run() }
    }
}
