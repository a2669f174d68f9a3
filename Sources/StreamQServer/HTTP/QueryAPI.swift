import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StreamQAWS
import StreamQPipelines
import StreamQSQL

/// The persistent queries over HTTP, beside the Kinesis API and authenticated like it (SigV4 when
/// the server has credentials), answering JSON:
///
/// - `POST /v1/sql` `{"sql": "...", "bounded": false}`: any statement (CREATE STREAM … AS, INSERT
///   INTO, REPLACE QUERY, DROP STREAM, SHOW …, DESCRIBE / STOP / START / TERMINATE QUERY); with
///   `bounded`, CREATE STREAM and INSERT INTO backfill from history instead of starting a query.
///   Answers `{"columns": [...], "rows": [[...]], "message": "..."}`.
/// - `GET /v1/queries`: every query's description; `GET /v1/queries/NAME`: one.
/// - `POST /v1/queries/NAME/stop`, `POST /v1/queries/NAME/start`, `DELETE /v1/queries/NAME`.
///
/// Errors answer 400 (a statement that cannot run), 404 (no such query) or 500 with
/// `{"error": "..."}`.
struct QueryAPI: Sendable {
    static let prefix = "/v1/"
    let runner: StatementRunner
    let host: QueryHost

    struct SQLRequest: Decodable {
        var sql: String
        var bounded: Bool?
    }

    func respond(to request: Request, handler: KinesisHTTPHandler) async -> Response {
        var request = request
        do {
            let body = try await handler.readBody(&request)
            do {
                try handler.verify(request, body: body)
            } catch {
                return Self.json(.forbidden, ["error": "\(error)"])
            }
            let parts = request.uri.path.dropFirst(Self.prefix.count).split(separator: "/").map(String.init)
            switch (request.method, parts.count, parts.first) {
            case (.post, 1, "sql"):
                let input = try JSONDecoder().decode(SQLRequest.self, from: Data(body.readableBytesView))
                return Self.answer(try await run(input))
            case (.get, 1, "queries"):
                let names = try runner.catalog.definitions().map(\.name)
                return Self.json(.ok, try names.map { try describe($0) })
            case (.get, 2, "queries"):
                return Self.json(.ok, try describe(parts[1]))
            case (.post, 3, "queries") where ["stop", "start"].contains(parts[2]):
                return Self.answer(
                    try await statement("\(parts[2].uppercased()) QUERY \(Statement.quotedName(parts[1]))")
                )
            case (.delete, 2, "queries"):
                return Self.answer(try await statement("TERMINATE QUERY \(Statement.quotedName(parts[1]))"))
            default:
                return Self.json(.notFound, ["error": "no such resource: \(request.method) \(request.uri.path)"])
            }
        } catch let error as AWSError {
            return Self.json(HTTPResponse.Status(code: error.httpStatus), ["error": error.message])
        } catch let error as PipelineError {
            let status: HTTPResponse.Status = error.message.hasPrefix("no query named") ? .notFound : .badRequest
            return Self.json(status, ["error": error.message])
        } catch let error as SQLError {
            return Self.json(.badRequest, ["error": error.message])
        } catch is DecodingError {
            return Self.json(.badRequest, ["error": #"the body must be a JSON object {"sql": "..."}"#])
        } catch {
            return Self.json(.internalServerError, ["error": "\(error)"])
        }
    }

    private func run(_ input: SQLRequest) async throws -> StatementResult {
        let statement: Statement
        do {
            statement = try Parser.parseStatement(input.sql)
        } catch {
            throw PipelineError(error.rendered(in: input.sql))
        }
        if input.bounded == true {
            let statistics = try await runner.backfill(
                statement,
                text: input.sql,
                parallelism: 2,
                reportErrors: { _ in }
            )
            return StatementResult(
                columns: [],
                rows: [],
                message:
                    "\(statistics.rowsOut) rows into stream \(statement.target ?? "") (\(statistics.errors) rows could not be evaluated, \(statistics.late) late)"
            )
        }
        let result = try await runner.execute(statement, text: input.sql)
        host.nudge()
        return result
    }

    private func statement(_ text: String) async throws -> StatementResult {
        try await run(SQLRequest(sql: text, bounded: false))
    }

    private func describe(_ name: String) throws -> QueryDescription {
        try runner.describe(name)
    }

    private static func answer(_ result: StatementResult) -> Response {
        json(.ok, result)
    }

    private static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(value)) ?? Data(#"{"error":"unencodable answer"}"#.utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
