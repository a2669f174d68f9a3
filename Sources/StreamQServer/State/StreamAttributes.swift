import Foundation

/// What the Kinesis API keeps about a stream beyond its records: tags, registered consumers, the
/// shard-level metrics asked for, the capacity mode and when shards opened and closed. Stored as
/// JSON in the stream's attributes file, so it is deleted with the stream.
struct StreamAttributes: Codable, Equatable, Sendable {
    var tags: [String: String] = [:]
    var consumers: [RegisteredConsumer] = []
    var shardLevelMetrics: [String] = []
    var onDemand = false
    /// Epoch milliseconds each shard opened (shards made by a reshard through the server).
    var shardOpened: [UInt32: Int64] = [:]
    /// Epoch milliseconds each shard closed.
    var shardClosed: [UInt32: Int64] = [:]

    struct RegisteredConsumer: Codable, Equatable, Sendable {
        var name: String
        var createdMilliseconds: Int64
        var tags: [String: String] = [:]
    }

    static func decode(_ bytes: [UInt8]?) -> StreamAttributes {
        guard let bytes, let attributes = try? JSONDecoder().decode(StreamAttributes.self, from: Data(bytes)) else {
            return StreamAttributes()
        }
        return attributes
    }

    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8))
    }
}
