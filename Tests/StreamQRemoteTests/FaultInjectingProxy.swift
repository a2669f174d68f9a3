import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A loopback HTTP proxy in front of a Kinesis server that answers some requests with a fault
/// instead of forwarding them, so the server never sees those: what a client must ride out when a
/// service has a bad moment. It forwards the others unchanged (the server must not check
/// signatures, which name the proxy's address).
final class FaultInjectingProxy: Sendable {
    enum Fault: Sendable, Hashable {
        /// HTTP 500 with `InternalFailure`.
        case internalFailure
        /// HTTP 400 with `ProvisionedThroughputExceededException`.
        case throttling
        /// The connection closed without an answer.
        case droppedConnection
    }

    let url: String
    private let channel: any Channel
    private let state: State

    /// What the connections share: where to forward, and which requests fail.
    fileprivate final class State: Sendable {
        let target: String
        let upstream: HTTPClient
        let fault: @Sendable (Int) -> Fault?
        let requests = Atomic<Int>(0)
        let injected = Mutex<[Fault: Int]>([:])

        init(target: String, fault: @escaping @Sendable (Int) -> Fault?) {
            self.target = target
            self.fault = fault
            upstream = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        }

        /// The fault for the next request, if any, counted.
        func nextFault() -> Fault? {
            let number = requests.add(1, ordering: .relaxed).newValue
            guard let fault = fault(number) else { return nil }
            injected.withLock { $0[fault, default: 0] += 1 }
            return fault
        }
    }

    /// Listens on a free loopback port and forwards to `target` (`http://host:port`).
    /// - Parameter fault: the fault for request number `n` (from 1, in arrival order), or nil to
    ///   forward it.
    init(forwardingTo target: String, fault: @escaping @Sendable (Int) -> Fault?) async throws {
        let state = State(target: target, fault: fault)
        self.state = state
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ProxyHandler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw SpawnFailure("the proxy has no port") }
        url = "http://127.0.0.1:\(port)"
    }

    /// How many requests got each fault.
    var injected: [Fault: Int] { state.injected.withLock { $0 } }

    func close() async throws {
        try await channel.close()
        try await state.upstream.shutdown()
    }
}

/// Runs `body` with a proxy in front of `server` that injects `fault`, closing it afterwards.
func withFaultInjectingProxy<T>(
    _ server: SpawnedServer,
    fault: @escaping @Sendable (Int) -> FaultInjectingProxy.Fault?,
    _ body: (FaultInjectingProxy) async throws -> T
) async throws -> T {
    let proxy = try await FaultInjectingProxy(forwardingTo: server.url, fault: fault)
    do {
        let result = try await body(proxy)
        try await proxy.close()
        return result
    } catch {
        try? await proxy.close()
        throw error
    }
}

/// One connection's requests: each whole request is answered with its fault or forwarded.
private final class ProxyHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: FaultInjectingProxy.State
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(state: FaultInjectingProxy.State) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            switch state.nextFault() {
            case .internalFailure:
                respond(context, status: .internalServerError, type: "InternalFailure")
            case .throttling:
                respond(context, status: .badRequest, type: "ProvisionedThroughputExceededException")
            case .droppedConnection:
                context.close(promise: nil)
            case nil:
                forward(context, head)
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, type: String) {
        let payload = ByteBuffer(string: #"{"__type":"\#(type)","message":"injected by the test proxy"}"#)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-amz-json-1.1")
        headers.add(name: "Content-Length", value: String(payload.readableBytes))
        write(context, HTTPResponseHead(version: .http1_1, status: status, headers: headers), payload)
    }

    private func forward(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        var headers = head.headers
        headers.remove(name: "Host")
        headers.remove(name: "Content-Length")
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(
                url: state.target + head.uri,
                method: head.method,
                headers: headers,
                body: .byteBuffer(body)
            )
        } catch {
            context.close(promise: nil)
            return
        }
        state.upstream.execute(request: request, eventLoop: .delegateAndChannel(on: context.eventLoop))
            .hop(to: context.eventLoop)
            .assumeIsolated()
            .whenComplete { result in
                guard case .success(let response) = result else {
                    context.close(promise: nil)
                    return
                }
                var headers = response.headers
                headers.remove(name: "Transfer-Encoding")
                headers.replaceOrAdd(name: "Content-Length", value: String(response.body?.readableBytes ?? 0))
                let answer = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
                self.write(context, answer, response.body ?? ByteBuffer())
            }
    }

    private func write(_ context: ChannelHandlerContext, _ head: HTTPResponseHead, _ payload: ByteBuffer) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(payload))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
