import AsyncHTTPClient
import NIOCore

/// The events of one SubscribeToShard response, decoded as they are asked for: the response body
/// is read only as fast as the events are taken, so a slow reader holds the service back (through
/// the connection's flow control) instead of events piling up in memory. Iterate once.
public struct SubscribeToShardEvents: AsyncSequence, Sendable {
    public typealias Element = SubscribeToShardEvent

    let body: HTTPClientResponse.Body

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: body.makeAsyncIterator()) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPClientResponse.Body.AsyncIterator
        var reader = SubscribeToShardEventReader()
        /// Events decoded from the chunks read so far and not yet returned.
        var decoded: [SubscribeToShardEvent] = []
        var returned = 0
        var finished = false

        /// The next event; nil when the service ended the stream cleanly.
        /// - Throws: the in-stream ``AWSError`` or a malformed or cut stream's ``KinesisClientError``.
        public mutating func next() async throws -> SubscribeToShardEvent? {
            while returned == decoded.count {
                guard !finished else { return nil }
                guard let chunk = try await chunks.next() else {
                    finished = true
                    try reader.finish()
                    return nil
                }
                decoded = try reader.read(chunk.readableBytesView)
                returned = 0
            }
            returned += 1
            return decoded[returned - 1]
        }
    }
}
