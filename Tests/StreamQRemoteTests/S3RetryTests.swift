import StreamQAWS
import StreamQRemote
import Testing

/// The S3 client's retries and timeouts against real sockets: a closed port and a peer that never answers.
@Suite(.timeLimit(.minutes(3))) struct S3RetryTests {
    private func client(port: Int, attempts: Int) throws -> S3Client {
        var configuration = S3ClientConfiguration(
            endpoint: try S3Endpoint(region: "us-east-1", overrideURL: "http://127.0.0.1:\(port)"),
            credentials: SigV4Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "test-secret")
        )
        configuration.retry = RetryBackoff(base: .milliseconds(5), cap: .milliseconds(20), maxAttempts: attempts)
        configuration.requestTimeout = .milliseconds(300)
        return S3Client(configuration: configuration)
    }

    @Test func refusedConnectionsAreRetriedThenReportedWithTheObject() async throws {
        let closed = try LoopbackSocket(listening: false)
        closed.close()
        let client = try client(port: closed.port, attempts: 3)
        let error = try await #require(throws: S3ClientError.self) {
            try await client.putObject(bucket: "logs", key: "out/a.jsonl", body: [1, 2, 3])
        }
        try await client.shutdown()
        #expect(error.attempts == 3 && error.code == nil)
        #expect(error.description.hasPrefix("S3 PutObject s3://logs/out/a.jsonl failed after 3 attempts: "))
    }

    @Test func everyAttemptTimesOut() async throws {
        let silent = try LoopbackSocket(listening: true)
        defer { silent.close() }
        let client = try client(port: silent.port, attempts: 2)
        let error = try await #require(throws: S3ClientError.self) {
            try await client.listObjects(bucket: "logs", prefix: "out/")
        }
        try await client.shutdown()
        #expect(error.attempts == 2 && error.operation == "ListObjectsV2")
        guard case .transport = error.reason else {
            Issue.record("expected a transport failure, got \(error)")
            return
        }
    }
}
