import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import StreamQAWS

/// A small S3 client: the object operations a file sink needs (PutObject, GetObject, DeleteObject,
/// DeleteObjects, ListObjectsV2, multipart uploads), signed with SigV4 (`s3`, with the payload's
/// SHA-256 in `x-amz-content-sha256`), with a timeout on every attempt and retries with
/// full-jitter backoff of 5xx, throttling and connection failures.
///
/// Errors are ``S3ClientError``s naming the operation, bucket and key, and S3's code and message.
/// Call ``shutdown()`` when done: the client owns its HTTP connection pool.
public final class S3Client: Sendable {
    public let configuration: S3ClientConfiguration
    let httpClient: HTTPClient
    let signer: SigV4Signer
    let logger: Logger

    public init(configuration: S3ClientConfiguration, logger: Logger = Logger(label: "streamq.s3-client")) {
        self.configuration = configuration
        self.logger = logger
        signer = SigV4Signer(
            credentials: configuration.credentials,
            region: configuration.endpoint.region,
            service: "s3"
        )
        httpClient = AWSHTTPClient.make(
            verifyCertificates: configuration.verifyCertificates,
            connectTimeout: configuration.connectTimeout
        )
    }

    /// Closes the connection pool; in-flight calls fail.
    public func shutdown() async throws {
        try await httpClient.shutdown()
    }

    /// An S3 answer with a 2xx status.
    struct Response {
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// One request, as S3 addresses it.
    struct Request {
        var operation: String
        var method: HTTPMethod
        var bucket: String
        var key: String?
        var query: [(String, String?)] = []
        var headers: [(name: String, value: String)] = []
        var body: [UInt8] = []
        /// Whether a 200 answer may still carry an `<Error>` (CompleteMultipartUpload's can).
        var errorsInSuccessBody = false
    }

    /// Sends `request` until it succeeds, fails in a way no retry mends, or the configured
    /// attempts are used up; returns the 2xx answer.
    func send(_ request: Request) async throws -> Response {
        var attempts = 0
        while true {
            attempts += 1
            do {
                return try await attempt(request)
            } catch {
                if Task.isCancelled { throw CancellationError() }
                let failure = S3ClientError(
                    operation: request.operation,
                    bucket: request.bucket,
                    key: request.key,
                    attempts: attempts,
                    reason: error
                )
                guard failure.isRetryable, attempts < configuration.retry.maxAttempts else { throw failure }
                logger.debug(
                    "retrying S3 call",
                    metadata: ["operation": "\(request.operation)", "attempt": "\(attempts)", "reason": "\(failure)"]
                )
                try await Task.sleep(for: configuration.retry.delay(forRetry: attempts))
            }
        }
    }

    /// One signed attempt of `request`.
    private func attempt(_ request: Request) async throws(S3ClientError.Reason) -> Response {
        let target = configuration.endpoint.target(bucket: request.bucket, key: request.key, query: request.query)
        var signed = SigV4Request(
            method: request.method.rawValue,
            path: target.path,
            query: target.query,
            headers: [(name: "Host", value: target.host)] + request.headers,
            body: request.body
        )
        signer.sign(&signed, date: Int64(Date().timeIntervalSince1970))
        var httpRequest = HTTPClientRequest(url: target.url)
        httpRequest.method = request.method
        for header in signed.headers { httpRequest.headers.add(name: header.name, value: header.value) }
        httpRequest.headers.add(name: "User-Agent", value: "streamq")
        if !request.body.isEmpty || request.method == .PUT || request.method == .POST {
            httpRequest.body = .bytes(ByteBuffer(bytes: request.body))
        }
        let payload: [UInt8]
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(
                httpRequest,
                deadline: .now() + .nanoseconds(configuration.requestTimeout.nanoseconds),
                logger: logger
            )
            payload = Array(try await response.body.collect(upTo: configuration.maximumResponseBytes).readableBytesView)
        } catch {
            switch KinesisClient.transportReason(error) {
            case .invalidRequest(let text): throw .invalidRequest(text)
            default: throw .transport("\(error)")
            }
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw Self.serviceError(status: status, headers: response.headers, body: payload)
        }
        if request.errorsInSuccessBody, (try? S3XMLElement.parse(payload))?.name == "Error" {
            throw Self.serviceError(status: 500, headers: response.headers, body: payload)
        }
        return Response(headers: response.headers, body: payload)
    }

    /// The error of a non-2xx answer: `<Error><Code>…</Code><Message>…</Message></Error>`, or for
    /// an answer without one (HEAD, a proxy), a code from the status.
    static func serviceError(status: Int, headers: HTTPHeaders, body: [UInt8]) -> S3ClientError.Reason {
        var code: String
        var message: String
        if let error = try? S3XMLElement.parse(body), error.name == "Error", let errorCode = error.text(of: "Code") {
            code = errorCode
            message = error.text(of: "Message") ?? ""
        } else {
            code =
                [301: "PermanentRedirect", 403: "AccessDenied", 404: "NotFound", 503: "SlowDown"][status]
                ?? (status >= 500 ? "InternalError" : "HTTP\(status)")
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            message = text.isEmpty ? "HTTP \(status) without an error body" : "HTTP \(status): \(text)"
        }
        if let region = headers.first(name: "x-amz-bucket-region"), status == 301 || status == 400 {
            message += " (the bucket is in \(region): use --region \(region))"
        }
        return .service(code: code, message: message, httpStatus: status)
    }

    /// The XML body of `request`'s answer, whose root must be `root` (or one of `alternatives`).
    static func xml(
        _ response: Response,
        root: String,
        alternatives: Set<String> = [],
        of request: Request
    ) throws(S3ClientError) -> S3XMLElement {
        func invalid(_ text: String) -> S3ClientError {
            S3ClientError(
                operation: request.operation,
                bucket: request.bucket,
                key: request.key,
                attempts: 1,
                reason: .invalidResponse(text)
            )
        }
        let element: S3XMLElement
        do {
            element = try S3XMLElement.parse(response.body)
        } catch {
            throw invalid("\(error)")
        }
        guard element.name == root || alternatives.contains(element.name) else {
            throw invalid("expected <\(root)>, got <\(element.name)>")
        }
        return element
    }
}
