import Logging
import Metrics
import NIOCore
import NIOPosix
import StreamQClient
import StreamQStorage
import Synchronization

/// `streamq ship --listen-syslog`: receives syslog messages over UDP and TCP and appends each as a
/// JSON record (see ``RecordEncoder``: the syslog fields, `message`, `host`, `peer`, `transport`).
///
/// Network input cannot be read again, so delivery is at least once from the moment a message is
/// read: a TCP connection is read only while the in-flight budget has room (past it the socket is
/// not read, and TCP's flow control holds the sender back), and a UDP datagram that arrives while
/// the budget is full is dropped and counted (`ship_syslog_dropped_total`). What was accepted and not
/// yet acknowledged is lost if the process dies. TCP frames follow RFC 6587, octet-counted or
/// newline-delimited; a frame with an octet count that is not one closes its connection.
///
/// Each connection (TCP) or sender address (UDP) is one partition key, `transport://address:port`,
/// so a sender's messages are stored in order on one shard.
public final class SyslogListener: Sendable {
    private enum BoundInput: Sendable {
        case udp(NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>)
        case tcp(NIOAsyncChannel<Connection, Never>)

        var channel: any Channel {
            switch self {
            case .udp(let input): input.channel
            case .tcp(let input): input.channel
            }
        }
    }

    /// An accepted TCP connection and its peer, read when it is accepted (a connection closed at
    /// once no longer knows its peer).
    private struct Connection: Sendable {
        var channel: NIOAsyncChannel<ByteBuffer, Never>
        var peer: String
    }

    /// A record handed to the producer, holding `bytes` of the budget until acknowledged.
    private struct SentRecord: Sendable {
        var handle: SendHandle
        var bytes: Int
        var parseFailed: Bool
        var truncated: Bool
    }

    private struct Control {
        var stopping = false
        /// Listening sockets and open connections, closed at a stop.
        var channels: [ObjectIdentifier: any Channel] = [:]
        var failure: String?
        /// Whether the last datagram was dropped: one warning per run of drops.
        var dropping = false
        /// Ends the grace period after a stop.
        var watchdog: Task<Void, Never>?
    }

    private let configuration: SyslogConfiguration
    private let producer: StreamQProducer
    private let encoder: RecordEncoder
    private let budget: InFlightBudget
    private let logger: Logger
    private let counts = Mutex(SyslogSummary())
    private let control = Mutex(Control())
    private let stopRequests: AsyncStream<Void>
    private let stopContinuation: AsyncStream<Void>.Continuation
    private let droppedCounter: Counter
    private let receivedCounter: Counter
    private let shippedCounter: Counter

    public init(
        configuration: SyslogConfiguration,
        backend: any StreamBackend,
        logger: Logger = Logger(label: "streamq.ship.syslog")
    ) {
        self.configuration = configuration
        self.logger = logger
        var producerConfiguration = StreamQProducerConfiguration()
        // The budget bounds memory; the producer retries transient failures for as long as it takes.
        producerConfiguration.maxBufferedBytes = configuration.maxInFlightBytes + configuration.maxRecordBytes * 2
        producerConfiguration.maxAttempts = .max
        producer = StreamQProducer(backend: backend, configuration: producerConfiguration, logger: logger)
        encoder = RecordEncoder(
            parser: configuration.parser,
            host: configuration.host,
            maxRecordBytes: configuration.maxRecordBytes
        )
        budget = InFlightBudget(limit: configuration.maxInFlightBytes)
        (stopRequests, stopContinuation) = AsyncStream.makeStream(of: Void.self)
        let dimensions = [("stream", configuration.stream.rawValue)]
        droppedCounter = Counter(label: "ship_syslog_dropped_total", dimensions: dimensions)
        receivedCounter = Counter(label: "ship_syslog_received_total", dimensions: dimensions)
        shippedCounter = Counter(label: "ship_syslog_shipped_total", dimensions: dimensions)
    }

    /// Counts so far.
    public var summary: SyslogSummary { counts.withLock { $0 } }

    /// Asks a running listener to stop: it closes its sockets, ships what it has read and waits up
    /// to the grace period for acknowledgements.
    public func stop() {
        stopContinuation.yield()
    }

    /// Listens until ``stop()``; `onListening` gets each bound address (`udp://127.0.0.1:40123`).
    /// Call once.
    /// - Throws: ``ShipError`` when an address cannot be bound, or the stream refuses records for good.
    public func run(onListening: @Sendable (String) -> Void = { _ in }) async throws -> SyslogSummary {
        let inputs = try await bind()
        for input in inputs {
            let address = input.channel.localAddress
            let transport = if case .udp = input { "udp" } else { "tcp" }
            onListening("\(transport)://\(address.map(Self.text) ?? "?")")
        }
        let (sent, sink) = AsyncStream.makeStream(of: SentRecord.self)
        let acknowledger = Task { await self.acknowledge(sent) }
        await withTaskGroup(of: Void.self) { group in
            for input in inputs {
                group.addTask { await self.serve(input, sink) }
            }
            group.addTask {
                for await _ in self.stopRequests { break }
                let grace = self.configuration.grace
                let budget = self.budget
                self.control.withLock {
                    $0.watchdog = Task {
                        try? await Task.sleep(for: grace)
                        if !Task.isCancelled { budget.abort() }
                    }
                }
                self.closeChannels()
            }
        }
        sink.finish()
        await budget.waitUntilEmpty()
        control.withLock { $0.watchdog?.cancel() }
        if budget.used == 0 { await acknowledger.value }
        let summary = summary
        if summary.unacknowledged > 0 {
            logger.warning(
                "stopped with syslog messages unacknowledged after the grace period; they are lost",
                metadata: ["messages": "\(summary.unacknowledged)"]
            )
        }
        if let failure = control.withLock({ $0.failure }) { throw ShipError(failure) }
        return summary
    }

    // MARK: Sockets

    private func bind() async throws -> [BoundInput] {
        let group = MultiThreadedEventLoopGroup.singleton
        var inputs: [BoundInput] = []
        for endpoint in configuration.endpoints {
            do {
                switch endpoint.transport {
                case .udp:
                    let channel = try await DatagramBootstrap(group: group)
                        .channelOption(.socketOption(.so_reuseaddr), value: 1)
                        .bind(host: endpoint.host, port: endpoint.port) { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                                    wrappingChannelSynchronously: channel
                                )
                            }
                        }
                    inputs.append(.udp(channel))
                case .tcp:
                    let server = try await ServerBootstrap(group: group)
                        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                        .bind(host: endpoint.host, port: endpoint.port) { channel in
                            channel.eventLoop.makeCompletedFuture {
                                Connection(
                                    channel: try NIOAsyncChannel(wrappingChannelSynchronously: channel),
                                    peer: channel.remoteAddress.map(Self.text) ?? "?"
                                )
                            }
                        }
                    inputs.append(.tcp(server))
                }
            } catch {
                for input in inputs { try? await input.channel.close() }
                throw ShipError("cannot listen for syslog on \(endpoint): \(error)")
            }
        }
        control.withLock { control in
            for input in inputs { control.channels[ObjectIdentifier(input.channel)] = input.channel }
        }
        return inputs
    }

    private func serve(_ input: BoundInput, _ sink: AsyncStream<SentRecord>.Continuation) async {
        do {
            switch input {
            case .udp(let channel):
                try await channel.executeThenClose { inbound, _ in
                    for try await datagram in inbound { await receive(datagram) }
                }
            case .tcp(let server):
                try await withThrowingDiscardingTaskGroup { connections in
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask { await self.serve(connection: connection, sink) }
                        }
                    }
                }
            }
        } catch {
            fail("syslog input \(input.channel.localAddress.map(Self.text) ?? "?") failed: \(error)")
        }

        func receive(_ datagram: AddressedEnvelope<ByteBuffer>) async {
            var bytes = datagram.data.readableBytesView[...]
            while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") || last == 0 {
                bytes = bytes.dropLast()
            }
            let message = SyslogMessage(
                text: Array(bytes.prefix(configuration.maxMessageBytes)),
                originalBytes: bytes.count
            )
            let peer = Self.text(datagram.remoteAddress)
            await ship(message, peer: peer, transport: "udp", sink: sink, waitForRoom: false)
        }
    }

    private func serve(connection accepted: Connection, _ sink: AsyncStream<SentRecord>.Continuation) async {
        let connection = accepted.channel
        let channel = connection.channel
        let peer = accepted.peer
        let open = control.withLock { control in
            guard !control.stopping else { return false }
            control.channels[ObjectIdentifier(channel)] = channel
            return true
        }
        counts.withLock { $0.connections += 1 }
        defer { _ = control.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) } }
        guard open else {
            try? await channel.close()
            return
        }
        var reader = SyslogFrameReader(maxMessageBytes: configuration.maxMessageBytes)
        var messages: [SyslogMessage] = []
        do {
            try await connection.executeThenClose { inbound in
                for try await buffer in inbound {
                    messages.removeAll(keepingCapacity: true)
                    var framingError: SyslogFramingError?
                    buffer.withUnsafeReadableBytes { bytes in
                        do throws(SyslogFramingError) {
                            try reader.read(bytes, into: &messages)
                        } catch {
                            framingError = error
                        }
                    }
                    for message in messages {
                        guard await ship(message, peer: peer, transport: "tcp", sink: sink, waitForRoom: true) else {
                            return
                        }
                    }
                    if let framingError {
                        counts.withLock { $0.framingErrors += 1 }
                        logger.error(
                            "closing a syslog connection: its framing is broken",
                            metadata: ["peer": "\(peer)", "error": "\(framingError.message)"]
                        )
                        return
                    }
                }
                if let last = reader.finish() {
                    await ship(last, peer: peer, transport: "tcp", sink: sink, waitForRoom: true)
                }
            }
        } catch {
            logger.warning("a syslog connection failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }

    private func closeChannels() {
        let channels = control.withLock { control in
            control.stopping = true
            return Array(control.channels.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    // MARK: Shipping

    /// Encodes `message` and hands it to the producer once the budget has room (or, without
    /// `waitForRoom`, drops it when it has none). Returns false when shipping is over (the grace
    /// period ran out or the stream failed).
    @discardableResult
    private func ship(
        _ message: SyslogMessage,
        peer: String,
        transport: String,
        sink: AsyncStream<SentRecord>.Continuation,
        waitForRoom: Bool
    ) async -> Bool {
        let line = LogLine(
            offset: 0,
            end: 0,
            text: message.text,
            originalBytes: message.originalBytes,
            isTruncated: message.isTruncated
        )
        let encoded = encoder.encode(line, origin: .network(peer: peer, transport: transport))
        let bytes = encoded.data.count
        counts.withLock { $0.received += 1 }
        receivedCounter.increment()
        if waitForRoom {
            do {
                try await budget.acquire(bytes)
            } catch {
                return false
            }
        } else if !budget.tryAcquire(bytes) {
            counts.withLock { $0.dropped += 1 }
            droppedCounter.increment()
            let first = control.withLock { control in
                defer { control.dropping = true }
                return !control.dropping
            }
            if first {
                logger.warning(
                    "the in-flight budget is full: dropping UDP syslog messages (counted in ship_syslog_dropped_total)",
                    metadata: ["peer": "\(peer)"]
                )
            }
            return true
        }
        if !waitForRoom { control.withLock { $0.dropping = false } }
        let record = ProducerRecord(
            stream: configuration.stream,
            partitionKey: "\(transport)://\(peer)",
            data: encoded.data
        )
        do {
            let handle = try await producer.send(record)
            sink.yield(
                SentRecord(handle: handle, bytes: bytes, parseFailed: encoded.parseFailed, truncated: encoded.truncated)
            )
            return true
        } catch {
            budget.release(bytes)
            fail("the stream refused syslog messages: \(error)")
            return false
        }
    }

    /// Waits for each record's acknowledgement, in the order sent, and gives its bytes back.
    private func acknowledge(_ sent: AsyncStream<SentRecord>) async {
        for await record in sent {
            do {
                _ = try await record.handle.acknowledgement()
                counts.withLock { counts in
                    counts.shipped += 1
                    if record.parseFailed { counts.parseErrors += 1 }
                    if record.truncated { counts.truncated += 1 }
                }
                shippedCounter.increment()
            } catch {
                fail("the stream refused syslog messages: \(error)")
            }
            budget.release(record.bytes)
        }
    }

    /// Records the first failure and stops.
    private func fail(_ message: String) {
        control.withLock { control in
            if control.failure == nil { control.failure = message }
        }
        logger.error("\(message)")
        stop()
    }

    static func text(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
