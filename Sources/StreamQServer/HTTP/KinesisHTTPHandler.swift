import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StreamQAWS
import StreamQStorage

/// The HTTP side of the Kinesis API: `POST /` with `X-Amz-Target: Kinesis_20131202.<Operation>`
/// in AWS JSON 1.1 or CBOR 1.1 (answered in the request's encoding), SigV4 verification when
/// credentials are configured, size caps before reading, AWS error shapes; `GET /health` and
/// `GET /metrics` beside it.
struct KinesisHTTPHandler: Sendable {
    static let targetPrefix = "Kinesis_20131202."
    let service: KinesisService
    let verifier: SigV4Verifier?
    let subscriptions: SubscriptionRegistry
    let renderMetrics: @Sendable () -> [UInt8]
    /// The persistent queries' JSON API under `/v1/`.
    let queries: QueryAPI

    private static let target = HTTPField.Name("X-Amz-Target")!
    private static let requestIDHeader = HTTPField.Name("x-amzn-RequestId")!
    private static let errorTypeHeader = HTTPField.Name("X-Amzn-ErrorType")!
    private static let storedBatchesHeader = HTTPField.Name(StoredBatchesExtension.acceptHeader)!
    private static let extensionsHeader = HTTPField.Name(StoredBatchesExtension.extensionsHeader)!

    func respond(to request: Request) async -> Response {
        if request.method == .get {
            switch request.uri.path {
            case "/health": return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
            case "/metrics":
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: renderMetrics()))
                )
            default: break
            }
        }
        if request.uri.path.hasPrefix(QueryAPI.prefix) { return await queries.respond(to: request, handler: self) }
        let started = ContinuousClock.now
        let requestID = RequestID.make()
        let operationName = request.headers[Self.target].flatMap { target in
            target.hasPrefix(Self.targetPrefix) ? String(target.dropFirst(Self.targetPrefix.count)) : nil
        }
        // Only names the server knows become metric labels: a client cannot grow them without bound.
        let operation = operationName.flatMap { KinesisService.operations.contains($0) ? $0 : nil } ?? "unknown"
        guard let contentType = request.headers[.contentType], let encoding = AWSBodyEncoding(contentType: contentType)
        else {
            // Coral's answer to anything that is not AWS JSON 1.1 or CBOR 1.1.
            let body =
                #"{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException","message":null},"Version":"1.0"}"#
            return Response(
                status: .notFound,
                headers: [.contentType: "application/json", Self.requestIDHeader: requestID],
                body: ResponseBody(byteBuffer: ByteBuffer(string: body))
            )
        }
        var request = request
        let response: Response
        var errorCode: String?
        do {
            let body = try await readBody(&request)
            try verify(request, body: body)
            guard request.method == .post else {
                throw AWSError("UnknownOperationException", "Only POST requests carry Kinesis operations.")
            }
            guard let operationName else {
                throw AWSError(
                    "UnknownOperationException",
                    "The X-Amz-Target header does not name a Kinesis operation."
                )
            }
            let stamped =
                operationName == "PutRecords" || operationName == StoredBatchesExtension.putOperation
                ? try KinesisService.stampedAppend(in: request.headers) : nil
            if operationName == "PutRecords",
                let request = body.withUnsafeReadableBytes({ bytes in
                    switch encoding {
                    case .json: PutRecordsFastDecoder.decode(bytes, maxDataBytes: KinesisService.maxDataBytes)
                    case .cbor: PutRecordsFastDecoder.decodeCBOR(bytes, maxDataBytes: KinesisService.maxDataBytes)
                    }
                }),
                let output = try await service.putRecords(request, encoding: encoding, stamped: stamped)
            {
                let response = Response(
                    status: .ok,
                    headers: [.contentType: encoding.contentType, Self.requestIDHeader: requestID],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: output))
                )
                return finish(response, operation, requestID, started, errorCode: nil)
            }
            let input = try decode(Array(body.readableBytesView), encoding)
            if operationName == "SubscribeToShard" {
                response = try await subscribeToShard(input, encoding: encoding, requestID: requestID)
            } else if operationName == "GetRecords" {
                response = Response(
                    status: .ok,
                    headers: [.contentType: encoding.contentType, Self.requestIDHeader: requestID],
                    body: ResponseBody(
                        byteBuffer: ByteBuffer(
                            bytes: try service.getRecords(
                                input,
                                encoding: encoding,
                                acceptsStoredBatches: request.headers[Self.storedBatchesHeader] != nil
                            )
                        )
                    )
                )
            } else if operationName == StoredBatchesExtension.putOperation {
                response = success(try await service.putStoredBatch(input, stamped: stamped), encoding, requestID)
            } else if operationName == "PutRecords" {
                response = success(try await service.putRecords(input, stamped: stamped), encoding, requestID)
            } else {
                let output = try await service.handle(operationName, input)
                response = success(output, encoding, requestID)
            }
        } catch {
            let failure = KinesisErrors.from(error, stream: "", account: service.account)
            errorCode = failure.code
            if failure.httpStatus >= 500 {
                service.logger.error(
                    "request failed",
                    metadata: ["requestID": "\(requestID)", "operation": "\(operation)", "error": "\(failure.message)"]
                )
            }
            response = self.failure(failure, encoding, requestID)
        }
        return finish(response, operation, requestID, started, errorCode: errorCode)
    }

    /// Counts and logs a request on its way out.
    private func finish(
        _ response: Response,
        _ operation: String,
        _ requestID: String,
        _ started: ContinuousClock.Instant,
        errorCode: String?
    ) -> Response {
        var response = response
        response.headers[Self.extensionsHeader] = StoredBatchesExtension.name
        let duration = ContinuousClock.now - started
        service.metrics.request(
            operation: operation,
            status: Int(response.status.code),
            errorCode: errorCode,
            duration: duration
        )
        if service.logger.logLevel <= .info {
            service.logger.info(
                "request",
                metadata: [
                    "requestID": "\(requestID)", "operation": "\(operation)", "status": "\(response.status.code)",
                    "error": "\(errorCode ?? "-")", "milliseconds": "\(duration.milliseconds)",
                ]
            )
        }
        return response
    }

    // MARK: Steps

    /// The body, refused before reading when it declares (or grows) past the cap.
    func readBody(_ request: inout Request) async throws -> ByteBuffer {
        let limit = service.configuration.maxRequestBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw AWSError(
                "InvalidArgumentException",
                "The request is \(declared) bytes; this server takes at most \(limit).",
                httpStatus: 413
            )
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw AWSError(
                "InvalidArgumentException",
                "The request body is larger than this server takes (\(limit) bytes).",
                httpStatus: 413
            )
        }
        return buffer
    }

    func verify(_ request: Request, body: ByteBuffer) throws {
        guard let verifier else { return }
        var headers: [(name: String, value: String)] = request.headers.map { ($0.name.canonicalName, $0.value) }
        if !headers.contains(where: { $0.name == "host" }), let authority = request.head.authority {
            headers.append(("host", authority))
        }
        let signed = SigV4Request(
            method: request.method.rawValue,
            path: request.uri.path,
            query: request.uri.query ?? "",
            headers: headers,
            body: body.readableBytesView
        )
        try verifier.verify(signed, now: Int64(Date().timeIntervalSince1970))
    }

    private func decode(_ body: [UInt8], _ encoding: AWSBodyEncoding) throws -> AWSValue {
        guard !body.isEmpty else {
            throw KinesisErrors.serialization(
                "The request has no body; every Kinesis operation takes a JSON or CBOR object."
            )
        }
        do {
            return try encoding.decode(body)
        } catch {
            throw KinesisErrors.serialization(
                "The request body is not valid \(encoding == .json ? "JSON" : "CBOR"): \(error)"
            )
        }
    }

    func encode(_ value: AWSValue, _ encoding: AWSBodyEncoding) -> ByteBuffer {
        var bytes: [UInt8] = []
        encoding.encode(value, into: &bytes)
        return ByteBuffer(bytes: bytes)
    }

    private func success(_ output: AWSValue, _ encoding: AWSBodyEncoding, _ requestID: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: encoding.contentType, Self.requestIDHeader: requestID],
            body: output == .null ? ResponseBody() : ResponseBody(byteBuffer: encode(output, encoding))
        )
    }

    func failure(_ error: AWSError, _ encoding: AWSBodyEncoding, _ requestID: String) -> Response {
        Response(
            status: HTTPResponse.Status(code: error.httpStatus),
            headers: [
                .contentType: encoding.contentType, Self.requestIDHeader: requestID, Self.errorTypeHeader: error.code,
            ],
            body: ResponseBody(
                byteBuffer: encode(.map(["__type": .string(error.code), "message": .string(error.message)]), encoding)
            )
        )
    }
}
