import StreamQAWS
import StreamQRemote
import Testing

/// Retries and timeouts against real sockets: a closed port and a peer that never answers.
@Suite(.timeLimit(.minutes(3))) struct RetryAndTimeoutTests {
    private func configuration(port: Int, attempts: Int) throws -> KinesisClientConfiguration {
        var configuration = KinesisClientConfiguration(
            endpoint: try KinesisEndpoint(region: "us-east-1", overrideURL: "http://127.0.0.1:\(port)"),
            credentials: SigV4Credentials(accessKeyID: "AKIDTEST", secretAccessKey: "test-secret")
        )
        configuration.retry = RetryBackoff(base: .milliseconds(5), cap: .milliseconds(20), maxAttempts: attempts)
        configuration.requestTimeout = .milliseconds(300)
        return configuration
    }

    @Test func refusedConnectionsAreRetriedThenReportedWithTheAttemptCount() async throws {
        let closed = try LoopbackSocket(listening: false)
        closed.close()
        try await withClient(try configuration(port: closed.port, attempts: 3)) { client in
            let error = try await #require(throws: KinesisClientError.self) { try await client.listStreams() }
            #expect(error.attempts == 3)
            #expect(error.operation == "ListStreams")
            #expect(error.serviceError == nil)
            #expect(error.description.hasPrefix("Kinesis ListStreams failed after 3 attempts: "))
        }
    }

    @Test func everyAttemptTimesOut() async throws {
        let silent = try LoopbackSocket(listening: true)
        defer { silent.close() }
        try await withClient(try configuration(port: silent.port, attempts: 2)) { client in
            let error = try await #require(throws: KinesisClientError.self) {
                try await client.describeStreamSummary(.name("orders"))
            }
            #expect(error.attempts == 2)
            guard case .transport = error.reason else {
                Issue.record("expected a transport failure, got \(error)")
                return
            }
        }
    }
}
