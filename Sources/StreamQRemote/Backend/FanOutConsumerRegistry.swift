import StreamQStorage
import Synchronization

/// The ARN of the enhanced fan-out consumer a ``KinesisBackend`` reads through, per stream: the
/// consumer is registered on the stream the first time it is needed unless it exists, and is
/// usable once ACTIVE. One registration per stream runs however many readers ask at once.
final class FanOutConsumerRegistry: Sendable {
    let client: KinesisClient
    let consumerName: String
    private let arns = Mutex<[StreamName: Task<String, any Error>]>([:])
    /// How long a consumer may stay CREATING before reading fails.
    private static let activationTimeout: Duration = .seconds(120)

    init(client: KinesisClient, consumerName: String) {
        self.client = client
        self.consumerName = consumerName
    }

    /// The consumer's ARN on `stream`, registering it if absent and waiting until it is ACTIVE.
    /// A failure is not remembered: the next call tries again.
    func consumerARN(on stream: StreamName) async throws -> String {
        let registration = arns.withLock { arns in
            if let running = arns[stream] { return running }
            let started = Task { try await self.activeConsumer(on: stream).arn }
            arns[stream] = started
            return started
        }
        do {
            return try await registration.value
        } catch {
            arns.withLock { arns in if arns[stream] == registration { arns.removeValue(forKey: stream) } }
            throw error
        }
    }

    private func activeConsumer(on stream: StreamName) async throws -> StreamConsumer {
        let streamARN = try await client.describeStreamSummary(.name(stream.rawValue)).arn
        var consumer: StreamConsumer
        do {
            consumer = try await client.describeStreamConsumer(streamARN: streamARN, consumerName: consumerName)
        } catch let error as KinesisClientError where error.code == "ResourceNotFoundException" {
            do {
                consumer = try await client.registerStreamConsumer(streamARN: streamARN, consumerName: consumerName)
            } catch let error as KinesisClientError where error.code == "ResourceInUseException" {
                // Registered by someone else meanwhile.
                consumer = try await client.describeStreamConsumer(streamARN: streamARN, consumerName: consumerName)
            }
        }
        let deadline = ContinuousClock.now + Self.activationTimeout
        while consumer.status != "ACTIVE" {
            guard consumer.status == "CREATING", ContinuousClock.now < deadline else {
                throw KinesisBackendError(
                    "enhanced fan-out consumer \(consumerName) on stream \(stream) is \(consumer.status), not ACTIVE"
                )
            }
            try await Task.sleep(for: .milliseconds(500))
            consumer = try await client.describeStreamConsumer(consumerARN: consumer.arn)
        }
        return consumer
    }
}
