import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import StreamQAWS
import Synchronization

/// A low-level Kinesis Data Streams client: AWS JSON 1.1 or CBOR 1.1 over HTTP(S) with SigV4
/// signing, timeouts on every call and retries with full-jitter backoff, plus typed methods for
/// the operations streamq uses.
///
/// Sequence numbers stay decimal strings throughout (AWS's are 186-bit integers).
/// Call ``shutdown()`` when done: the client owns its HTTP connection pool.
public final class KinesisClient: Sendable {
    public let configuration: KinesisClientConfiguration
    let httpClient: HTTPClient
    let signer: SigV4Signer
    let logger: Logger
    /// Under ``KinesisClientConfiguration/BodyEncoding/automatic``: the probe of the endpoint's
    /// encoding, in flight or done (see ``requestEncoding()``).
    let encodingProbe = Mutex<Task<AWSBodyEncoding?, Never>?>(nil)
    /// Whether an answer named ``StoredBatchesExtension`` among the endpoint's extensions.
    let storedBatchesOffered = Atomic<Bool>(false)

    public init(configuration: KinesisClientConfiguration, logger: Logger = Logger(label: "streamq.kinesis-client")) {
        self.configuration = configuration
        self.logger = logger
        signer = SigV4Signer(
            credentials: configuration.credentials,
            region: configuration.endpoint.region,
            service: "kinesis"
        )
        httpClient = AWSHTTPClient.make(
            verifyCertificates: configuration.verifyCertificates,
            connectTimeout: configuration.connectTimeout,
            maximumHTTP1Connections: configuration.maximumHTTP1Connections
        )
    }

    /// Closes the connection pool; in-flight calls fail.
    public func shutdown() async throws {
        try await httpClient.shutdown()
    }

    /// Sends `operation` (e.g. `ListShards`) with `input` as its body and returns the decoded
    /// response body (an empty map for operations without output).
    ///
    /// Throttling (`ProvisionedThroughputExceededException`, `LimitExceededException`,
    /// `ThrottlingException`, `KMSThrottlingException`), 5xx answers and connection failures or
    /// timeouts are retried with full-jitter backoff up to the configured attempts; other errors are
    /// not. A retried PutRecords whose first answer was lost may have stored its records: like
    /// every AWS SDK, the client is at-least-once there.
    /// - Parameter streamARN: the stream or consumer ARN the request addresses, which picks AWS's
    ///   account-scoped endpoint when no override is configured.
    /// - Throws: ``KinesisClientError`` naming the operation and the attempts made,
    ///   ``KinesisEndpointError`` for an unusable ARN, `CancellationError` when cancelled.
    public func call(_ operation: String, _ input: AWSValue, streamARN: String? = nil) async throws -> AWSValue {
        let encoding = await requestEncoding()
        var body: [UInt8] = []
        encoding.encode(input, into: &body)
        return try await call(operation, body: body, encoding: encoding, streamARN: streamARN) {
            payload,
            answer throws(KinesisClientError.Reason) in
            if payload.isEmpty { return .map([:]) }
            do {
                return try answer.decode(payload)
            } catch {
                throw .invalidResponse("body is not \(answer == .json ? "JSON" : "CBOR") (\(error))")
            }
        }
    }

    /// Sends `operation` with `body` in `encoding` (and `headers`, signed with the rest) and turns
    /// the 200 answer's body, in the encoding its `Content-Type` names (JSON when it names none),
    /// into a `T` with `decode` (retries, errors and timeouts as ``call(_:_:streamARN:)``; every
    /// attempt carries the same headers).
    func call<T>(
        _ operation: String,
        body: [UInt8],
        encoding: AWSBodyEncoding,
        streamARN: String?,
        headers: [(name: String, value: String)] = [],
        decode: ([UInt8], AWSBodyEncoding) throws(KinesisClientError.Reason) -> T
    ) async throws -> T {
        try await call(
            operation,
            body: ByteBuffer(bytes: body),
            encoding: encoding,
            streamARN: streamARN,
            headers: headers,
            decode: decode
        )
    }

    /// ``call(_:body:encoding:streamARN:headers:decode:)`` of a body already in NIO's buffer (sent
    /// as it is, without a copy).
    func call<T>(
        _ operation: String,
        body: ByteBuffer,
        encoding: AWSBodyEncoding,
        streamARN: String?,
        headers: [(name: String, value: String)] = [],
        decode: ([UInt8], AWSBodyEncoding) throws(KinesisClientError.Reason) -> T
    ) async throws -> T {
        let target = try configuration.endpoint.target(for: operation, arn: streamARN)
        return try await withRetries(operation) { () async throws(KinesisClientError.Reason) -> T in
            let response = try await send(
                operation,
                body: body,
                encoding: encoding,
                to: target,
                headers: headers,
                timeout: configuration.requestTimeout
            )
            let payload = try await Self.body(of: response, upTo: configuration.maximumResponseBytes)
            if response.headers.first(name: StoredBatchesExtension.extensionsHeader)?.contains(
                StoredBatchesExtension.name
            ) == true {
                storedBatchesOffered.store(true, ordering: .relaxed)
            }
            guard response.status == .ok else {
                throw .service(
                    Self.decodeError(status: Int(response.status.code), headers: response.headers, body: payload)
                )
            }
            return try decode(payload, Self.encoding(of: response.headers))
        }
    }

    /// The body of `response`, read chunk by chunk into one array sized by its `Content-Length`
    /// (one copy; a GetRecords answer is megabytes).
    static func body(
        of response: HTTPClientResponse,
        upTo limit: Int
    ) async throws(KinesisClientError.Reason) -> [UInt8] {
        var payload: [UInt8] = []
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length <= limit {
            payload.reserveCapacity(length)
        }
        do {
            for try await chunk in response.body {
                guard payload.count + chunk.readableBytes <= limit else {
                    throw KinesisClientError.Reason.transport("the answer is larger than \(limit) bytes")
                }
                chunk.withUnsafeReadableBytes { payload.append(contentsOf: $0) }
            }
        } catch let reason as KinesisClientError.Reason {
            throw reason
        } catch {
            throw transportReason(error)
        }
        return payload
    }

    /// The encoding of the next request's body (see ``KinesisClientConfiguration/BodyEncoding``):
    /// under `.automatic`, what the endpoint's probe found, probing first when nothing is known.
    public func requestEncoding() async -> AWSBodyEncoding {
        switch configuration.bodyEncoding {
        case .json: return .json
        case .cbor: return .cbor
        case .automatic:
            let probe = encodingProbe.withLock { probe in
                if let probe { return probe }
                let started = Task { await self.probeEncoding() }
                probe = started
                return started
            }
            if let encoding = await probe.value { return encoding }
            encodingProbe.withLock { if $0 == probe { $0 = nil } }  // no answer: probe again next time
            return .json
        }
    }

    /// Sends `ListStreams` (limit 1) in CBOR once, without retries: CBOR when the endpoint answers
    /// 200 in CBOR, JSON for any other answer, nil without one.
    private func probeEncoding() async -> AWSBodyEncoding? {
        do {
            let target = try configuration.endpoint.target(for: "ListStreams", arn: nil)
            let response = try await send(
                "ListStreams",
                body: ByteBuffer(bytes: AWSCBOR.encode(.map(["Limit": .integer(1)]))),
                encoding: .cbor,
                to: target,
                timeout: configuration.requestTimeout
            )
            _ = try await response.body.collect(upTo: configuration.maximumResponseBytes)
            let speaksCBOR = response.status == .ok && Self.encoding(of: response.headers) == .cbor
            logger.debug("probed the endpoint's body encoding", metadata: ["cbor": "\(speaksCBOR)"])
            return speaksCBOR ? .cbor : .json
        } catch {
            return nil
        }
    }

    /// The encoding an answer's `Content-Type` names; JSON when it names none.
    static func encoding(of headers: HTTPHeaders) -> AWSBodyEncoding {
        headers.first(name: "content-type").flatMap(AWSBodyEncoding.init(contentType:)) ?? .json
    }

    /// Runs `attempt` until it succeeds, fails with a reason that is not retryable, or the
    /// configured attempts are used up, waiting a full-jitter backoff between attempts.
    func withRetries<T>(
        _ operation: String,
        _ attempt: () async throws(KinesisClientError.Reason) -> T
    ) async throws -> T {
        var attempts = 0
        while true {
            attempts += 1
            do {
                return try await attempt()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                let failure = KinesisClientError(operation: operation, attempts: attempts, reason: error)
                guard failure.isRetryable, attempts < configuration.retry.maxAttempts else { throw failure }
                let delay = configuration.retry.delay(forRetry: attempts)
                logger.debug(
                    "retrying Kinesis call",
                    metadata: ["operation": "\(operation)", "attempt": "\(attempts)", "reason": "\(failure)"]
                )
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Sends one signed attempt with `body` in `encoding`, `headers` signed with the rest, and
    /// returns the response with its body still to be read.
    func send(
        _ operation: String,
        body: ByteBuffer,
        encoding: AWSBodyEncoding,
        to target: KinesisEndpoint.Target,
        headers: [(name: String, value: String)] = [],
        timeout: Duration
    ) async throws(KinesisClientError.Reason) -> HTTPClientResponse {
        var signed = SigV4Request(
            method: "POST",
            path: target.path,
            headers: [
                (name: "Host", value: target.host),
                (name: "Content-Type", value: encoding.contentType),
                (name: "X-Amz-Target", value: "Kinesis_20131202.\(operation)"),
            ] + headers,
            body: body.readableBytesView
        )
        signer.sign(&signed, date: Int64(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        for header in signed.headers { request.headers.add(name: header.name, value: header.value) }
        request.headers.add(name: "User-Agent", value: "streamq")
        request.body = .bytes(body)
        do {
            return try await httpClient.execute(
                request,
                deadline: .now() + .nanoseconds(timeout.nanoseconds),
                logger: logger
            )
        } catch {
            throw Self.transportReason(error)
        }
    }

    /// The reason for a failure to get or read a response: a timeout or broken connection, or a
    /// request the HTTP client refuses (bad URL, TLS configuration), which no retry mends.
    static func transportReason(_ error: any Error) -> KinesisClientError.Reason {
        if let httpError = error as? HTTPClientError, !retryableHTTPErrors.contains(httpError) {
            return .invalidRequest("\(httpError)")
        }
        // A certificate the client does not trust stays untrusted: no retry mends it.
        if error is NIOSSLError || error is BoringSSLError {
            return .invalidRequest("TLS: \(error) (for a test server's self-signed certificate: --no-verify-ssl)")
        }
        return .transport("\(error)")
    }

    private static let retryableHTTPErrors: [HTTPClientError] = [
        .readTimeout, .writeTimeout, .remoteConnectionClosed, .connectTimeout, .tlsHandshakeTimeout,
        .deadlineExceeded, .getConnectionFromPoolTimeout,
    ]

    /// The AWS error of a non-200 answer: the code from `__type` (or `X-Amzn-ErrorType`) after any
    /// `#` and before any `:`, the message from `message` or `Message`.
    static func decodeError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> AWSError {
        let decoded = try? encoding(of: headers).decode(body)
        let type = decoded?["__type"]?.stringValue ?? headers.first(name: "x-amzn-errortype")
        let message = decoded?["message"]?.stringValue ?? decoded?["Message"]?.stringValue
        guard let type else {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            return AWSError(
                status >= 500 ? "InternalFailure" : "UnknownError",
                text.isEmpty ? "HTTP \(status) without an error body" : "HTTP \(status): \(text)",
                httpStatus: status
            )
        }
        var code = Substring(type)
        if let hash = code.lastIndex(of: "#") { code = code[code.index(after: hash)...] }
        if let colon = code.firstIndex(of: ":") { code = code[..<colon] }
        return AWSError(String(code), message ?? "", httpStatus: status)
    }
}
