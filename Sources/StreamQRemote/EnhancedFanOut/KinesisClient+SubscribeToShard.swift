import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import StreamQAWS

extension KinesisClient {
    /// Subscribes `consumerARN` to `shardID` and returns the events of the response, read from the
    /// connection as they are iterated (see ``SubscribeToShardEvents``). AWS ends a
    /// subscription after 5 minutes: subscribe again from the last
    /// ``SubscribeToShardEvent/continuationSequenceNumber``.
    ///
    /// The request is retried like any call until the service answers 200; after that the stream's
    /// first message must be the `initial-response` event. An in-stream `exception` message ends
    /// the stream with the ``AWSError`` it carries (e.g. `ResourceInUseException` when another
    /// subscription takes over); an `error` message with its `:error-code` and `:error-message`.
    /// - Throws: ``KinesisClientError`` when the subscription is refused.
    public func subscribeToShard(
        consumerARN: String,
        shardID: String,
        startingPosition: ShardPosition
    ) async throws -> SubscribeToShardEvents {
        let operation = "SubscribeToShard"
        var members: [String: AWSValue] = ["ConsumerARN": .string(consumerARN), "ShardId": .string(shardID)]
        members["StartingPosition"] = .map(
            startingPosition.members(typeKey: "Type", sequenceNumberKey: "SequenceNumber")
        )
        let target = try configuration.endpoint.target(for: operation, arn: consumerARN)
        let body = ByteBuffer(bytes: AWSJSON.encode(.map(members)))
        let response = try await withRetries(operation) {
            () async throws(KinesisClientError.Reason) -> HTTPClientResponse in
            let response = try await send(
                operation,
                body: body,
                encoding: .json,  // the events' payloads are read as JSON
                to: target,
                timeout: configuration.subscriptionTimeout
            )
            guard response.status == .ok else {
                let errorBody: ByteBuffer
                do {
                    errorBody = try await response.body.collect(upTo: configuration.maximumResponseBytes)
                } catch {
                    throw Self.transportReason(error)
                }
                throw .service(
                    Self.decodeError(
                        status: Int(response.status.code),
                        headers: response.headers,
                        body: Array(errorBody.readableBytesView)
                    )
                )
            }
            return response
        }
        return SubscribeToShardEvents(body: response.body)
    }
}

/// Turns the bytes of a SubscribeToShard response into events: checks that the first message is
/// `initial-response`, decodes `SubscribeToShardEvent` payloads, and throws in-stream errors.
struct SubscribeToShardEventReader {
    private var decoder = EventStreamDecoder()
    private var sawInitialResponse = false

    /// The events completed by `bytes`.
    mutating func read(_ bytes: some Sequence<UInt8>) throws -> [SubscribeToShardEvent] {
        decoder.append(bytes)
        var events: [SubscribeToShardEvent] = []
        while let message = try decoder.next() {
            if let event = try handle(message) { events.append(event) }
        }
        return events
    }

    /// Checks that the stream ended cleanly, between messages and after the initial response.
    func finish() throws {
        guard decoder.bufferedByteCount == 0 else {
            throw Self.invalid("the stream ended inside a message")
        }
        guard sawInitialResponse else { throw Self.invalid("the stream ended before the initial-response event") }
    }

    private static func invalid(_ text: String) -> KinesisClientError {
        KinesisClientError(operation: "SubscribeToShard", attempts: 1, reason: .invalidResponse(text))
    }

    private mutating func handle(_ message: EventStreamMessage) throws -> SubscribeToShardEvent? {
        switch message[header: ":message-type"]?.stringValue {
        case "event":
            let type = message[header: ":event-type"]?.stringValue
            guard sawInitialResponse else {
                guard type == "initial-response" else {
                    throw Self.invalid("the first event was \(type ?? "untyped"), not initial-response")
                }
                sawInitialResponse = true
                return nil
            }
            guard type == "SubscribeToShardEvent" else { return nil }
            let payload: AWSValue
            do {
                payload = try AWSJSON.decode(message.payload)
            } catch {
                throw Self.invalid("an event payload is not JSON (\(error))")
            }
            return try SubscribeToShardEvent(ResponseReader("SubscribeToShard", payload))
        case "exception":
            let type = message[header: ":exception-type"]?.stringValue ?? "UnknownError"
            let payload = try? AWSJSON.decode(message.payload)
            let text = payload?["message"]?.stringValue ?? payload?["Message"]?.stringValue ?? ""
            throw AWSError(type, text, httpStatus: type == "InternalFailureException" ? 500 : 400)
        case "error":
            throw AWSError(
                message[header: ":error-code"]?.stringValue ?? "UnknownError",
                message[header: ":error-message"]?.stringValue ?? "",
                httpStatus: 500
            )
        default:
            throw Self.invalid("a message without a known :message-type")
        }
    }
}
