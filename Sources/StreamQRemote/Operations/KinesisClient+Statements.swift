import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StreamQAWS

/// The answer of a `streamq serve` to a statement sent to its `/v1/sql`.
public struct StatementAnswer: Sendable, Decodable, Equatable {
    public var columns: [String]
    public var rows: [[String]]
    public var message: String?
}

extension KinesisClient {
    /// Sends a statement (CREATE STREAM … AS, INSERT INTO, SHOW QUERIES, …) to the persistent-query
    /// API a `streamq serve` offers beside the Kinesis one (`POST /v1/sql`), signed like a Kinesis
    /// request. Amazon Kinesis has no such API: there it fails with the endpoint's answer.
    /// - Parameter bounded: CREATE STREAM and INSERT INTO backfill from history and stop instead of
    ///   starting a persistent query.
    public func runStatement(_ sql: String, bounded: Bool = false) async throws -> StatementAnswer {
        let base = try configuration.endpoint.target(for: "RunStatement")
        let path = (base.path.hasSuffix("/") ? String(base.path.dropLast()) : base.path) + "/v1/sql"
        let url = String(base.url.dropLast(base.path.count)) + path
        let body = Array(try JSONSerialization.data(withJSONObject: ["sql": sql, "bounded": bounded]))
        var signed = SigV4Request(
            method: "POST",
            path: path,
            headers: [(name: "Host", value: base.host), (name: "Content-Type", value: "application/json")],
            body: body
        )
        signer.sign(&signed, date: Int64(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for header in signed.headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        let payload: [UInt8]
        do {
            response = try await httpClient.execute(
                request,
                deadline: .now() + .nanoseconds(configuration.requestTimeout.nanoseconds),
                logger: logger
            )
            payload = try await Self.body(of: response, upTo: configuration.maximumResponseBytes)
        } catch {
            throw KinesisClientError(operation: "RunStatement", attempts: 1, reason: Self.transportReason(error))
        }
        guard response.status == .ok else {
            let message = (try? JSONDecoder().decode([String: String].self, from: Data(payload)))?["error"]
            throw StatementFailure(message: message ?? "\(url) answered \(response.status.code)")
        }
        return try JSONDecoder().decode(StatementAnswer.self, from: Data(payload))
    }
}

/// A statement the server refused, with its reason.
public struct StatementFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
