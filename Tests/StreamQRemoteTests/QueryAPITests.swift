import Foundation
import StreamQAWS
import StreamQRemote
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The persistent-query API beside the Kinesis one (`/v1/…`): authenticated like it, errors as
/// JSON with a status that says what went wrong.
@Suite struct QueryAPITests {
    @Test func statementsNeedASignatureWhenTheServerHasCredentials() async throws {
        let files = ["credentials": "AKIDTEST test-secret\n"]
        try await withStreamqServer(["--credentials", "{scratch}/credentials"], files: files) { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "access", shardCount: 1)
                let created = try await client.runStatement("CREATE STREAM copy AS SELECT id FROM access")
                #expect(created.message == "created stream copy and query copy")
                let listed = try await client.runStatement("SHOW QUERIES")
                #expect(listed.columns.first == "query")
                #expect(listed.rows.map { $0[0] } == ["copy"])
                await #expect(throws: StatementFailure.self) { try await client.runStatement("DROP STREAM access") }
            }
            let wrong = SigV4Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "not-the-secret")
            try await withClient(try server.configuration(credentials: wrong)) { client in
                let failure = try await #require(throws: StatementFailure.self) {
                    try await client.runStatement("SHOW QUERIES")
                }
                #expect(failure.message.contains("signature"), "\(failure.message)")
            }
            for (method, path) in [("GET", "/v1/queries"), ("GET", "/v1/queries/copy"), ("DELETE", "/v1/queries/copy")]
            {
                let (status, body) = try await Self.unsigned(method, server.url + path)
                #expect(status == 403, "\(method) \(path) without a signature: \(body)")
            }
        }
    }

    @Test func answersJSONWithTheStatusOfWhatWentWrong() async throws {
        try await withStreamqServer { server in
            try await withClient(try server.configuration()) { client in
                try await client.createStream(name: "access", shardCount: 1)
            }
            let cases: [(String, String, String?, Int, String)] = [
                ("GET", "/v1/queries", nil, 200, "[]"),
                ("GET", "/v1/queries/none", nil, 404, "no query named 'none'"),
                ("POST", "/v1/sql", #"{"sql": "SELEC 1"}"#, 400, "expected SELECT, CREATE STREAM"),
                ("POST", "/v1/sql", "not json", 400, #"the body must be a JSON object {\"sql\": \"...\"}"#),
                ("POST", "/v1/sql", #"{"sql": "CREATE STREAM c AS SELECT id FROM access"}"#, 200, "created stream c"),
                ("GET", "/v1/queries/c", nil, 200, #""source":"access""#),
                ("POST", "/v1/queries/c/stop", nil, 200, "query c stopped"),
                ("DELETE", "/v1/queries/c", nil, 200, "query c terminated"),
                ("PUT", "/v1/queries", nil, 404, "no such resource"),
            ]
            for (method, path, body, status, fragment) in cases {
                let (answered, text) = try await Self.unsigned(method, server.url + path, body: body)
                #expect(answered == status, "\(method) \(path): \(text)")
                #expect(text.contains(fragment), "\(method) \(path): \(text)")
            }
        }
    }

    /// A request without a signature, as curl sends it.
    static func unsigned(_ method: String, _ url: String, body: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
