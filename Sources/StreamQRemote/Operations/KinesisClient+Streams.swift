import StreamQAWS

extension KinesisClient {
    /// Creates a stream: provisioned with `shardCount` shards, or on-demand when `shardCount` is nil.
    /// AWS answers before the stream is ACTIVE; see ``waitUntilActive(_:timeout:)``.
    public func createStream(name: String, shardCount: Int?) async throws {
        var input: [String: AWSValue] = ["StreamName": .string(name)]
        if let shardCount {
            input["ShardCount"] = .integer(Int64(shardCount))
        } else {
            input["StreamModeDetails"] = .map(["StreamMode": .string("ON_DEMAND")])
        }
        _ = try await call("CreateStream", .map(input))
    }

    /// Deletes a stream; with `enforceConsumerDeletion`, also its registered consumers.
    public func deleteStream(_ stream: KinesisStreamReference, enforceConsumerDeletion: Bool = false) async throws {
        let members: [String: AWSValue] = enforceConsumerDeletion ? ["EnforceConsumerDeletion": .bool(true)] : [:]
        _ = try await call("DeleteStream", stream.input(members), streamARN: stream.arn)
    }

    /// The stream's status, mode, retention, encryption and open shard count.
    public func describeStreamSummary(_ stream: KinesisStreamReference) async throws -> KinesisStreamSummary {
        let response = try await call("DescribeStreamSummary", stream.input(), streamARN: stream.arn)
        return try KinesisStreamSummary(ResponseReader("DescribeStreamSummary", response))
    }

    /// Every stream name, following `NextToken` across pages (or `ExclusiveStartStreamName` when a
    /// page says `HasMoreStreams` without a token, as moto does).
    public func listStreams() async throws -> [String] {
        var names: [String] = []
        var input: [String: AWSValue] = [:]
        while true {
            let response = ResponseReader("ListStreams", try await call("ListStreams", .map(input)))
            let page = try response.stringList("StreamNames")
            names += page
            let hasMore = response.value["HasMoreStreams"]?.boolValue ?? false
            if let token = try response.optionalString("NextToken"), hasMore {
                input = ["NextToken": .string(token)]
            } else if hasMore, let last = page.last {
                input = ["ExclusiveStartStreamName": .string(last)]
            } else {
                return names
            }
        }
    }

    /// Polls DescribeStreamSummary until the stream is ACTIVE.
    /// - Throws: ``KinesisClientError`` from the calls, or ``KinesisWaitError`` when `timeout` passes first.
    public func waitUntilActive(
        _ stream: KinesisStreamReference,
        timeout: Duration = .seconds(180)
    ) async throws -> KinesisStreamSummary {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var interval = Duration.milliseconds(100)
        while true {
            let summary = try await describeStreamSummary(stream)
            if summary.status == "ACTIVE" { return summary }
            guard clock.now + interval < deadline else {
                throw KinesisWaitError(stream: stream.description, status: summary.status, timeout: timeout)
            }
            try await Task.sleep(for: interval)
            interval = min(interval * 2, .seconds(5))
        }
    }
}

/// A stream that did not become ACTIVE in time.
public struct KinesisWaitError: Error, Sendable, CustomStringConvertible {
    public var stream: String
    /// The status last seen.
    public var status: String
    public var timeout: Duration

    public var description: String { "stream \(stream) is still \(status) after \(timeout)" }
}
