import StreamQAWS
import StreamQStorage

/// ListShards: every ShardFilter type and the NextToken rules (`reference/kinesis-api.md` §4).
extension KinesisService {
    private static let filterTypes = [
        "AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP",
    ]

    /// What a page of ListShards continues from.
    private struct Listing {
        var stream: StreamName
        var filterType: String
        var filterShard: String
        var filterTimestamp: Int64
        var after: Int64  // shard number the next page starts after; -1 for the start
    }

    func listShards(_ input: AWSValue) throws -> AWSValue {
        var reader = try RequestReader(input)
        let nextToken = try reader.string("NextToken", length: 1...1_048_576)
        let maxResults = Int(try reader.integer("MaxResults", range: 1...10000) ?? 1000)
        let exclusiveStart = try reader.string("ExclusiveStartShardId", length: 1...128, pattern: .name)
        _ = try reader.timestamp("StreamCreationTimestamp")
        let filter = try reader.map("ShardFilter").map { members in
            try reader.nested(.map(members), at: "ShardFilter") { nested in
                (
                    type: try nested.string("Type", required: true, oneOf: Self.filterTypes) ?? "",
                    shard: try nested.string("ShardId", length: 1...128, pattern: .name),
                    timestamp: try nested.timestamp("Timestamp")
                )
            }
        }
        var listing: Listing
        if let nextToken {
            for member in ["StreamName", "StreamARN", "ExclusiveStartShardId", "ShardFilter"] where reader.has(member) {
                throw KinesisErrors.invalidArgument("NextToken and \(member) cannot be provided together.")
            }
            try reader.finish()
            let fields = try openToken(.listShards, nextToken)
            guard fields.count == 5, case .text(let stream) = fields[0], case .text(let type) = fields[1],
                case .text(let shard) = fields[2], case .integer(let timestamp) = fields[3],
                case .integer(let after) = fields[4], let name = StreamName(rawValue: stream)
            else { throw KinesisErrors.invalidArgument("Invalid NextToken.") }
            listing = Listing(
                stream: name,
                filterType: type,
                filterShard: shard,
                filterTimestamp: timestamp,
                after: after
            )
        } else {
            let name = try streamName(&reader)
            if let filter {
                if filter.type == "AFTER_SHARD_ID" && filter.shard == nil {
                    throw KinesisErrors.invalidArgument("ShardFilter of type AFTER_SHARD_ID requires a ShardId.")
                }
                if ["AT_TIMESTAMP", "FROM_TIMESTAMP"].contains(filter.type) && filter.timestamp == nil {
                    throw KinesisErrors.invalidArgument("ShardFilter of type \(filter.type) requires a Timestamp.")
                }
                if exclusiveStart != nil {
                    throw KinesisErrors.invalidArgument(
                        "ShardFilter and ExclusiveStartShardId cannot be provided together."
                    )
                }
            }
            listing = Listing(
                stream: name,
                filterType: filter?.type ?? "FROM_TRIM_HORIZON",
                filterShard: filter?.shard ?? "",
                filterTimestamp: filter?.timestamp ?? 0,
                after: exclusiveStart.map { Int64(ShardID(parsing: $0)?.number ?? UInt32.max) } ?? -1
            )
            if listing.filterType == "AFTER_SHARD_ID" {
                listing.after = Int64(ShardID(parsing: listing.filterShard)?.number ?? UInt32.max)
            }
        }
        let description = try describe(listing.stream)
        let attributes = try self.attributes(listing.stream)
        let matching = description.shards.sorted { $0.id < $1.id }.filter { shard in
            Int64(shard.id.number) > listing.after && matches(shard, listing, description, attributes)
        }
        let page = matching.prefix(maxResults)
        var output: [String: AWSValue] = ["Shards": .list(page.map { shardValue($0, in: description) })]
        if page.count < matching.count, let last = page.last {
            listing.after = Int64(last.id.number)
            output["NextToken"] = .string(
                tokens.seal(
                    .listShards,
                    [
                        .text(listing.stream.rawValue), .text(listing.filterType), .text(listing.filterShard),
                        .integer(listing.filterTimestamp), .integer(listing.after),
                    ],
                    now: now()
                )
            )
        }
        return .map(output)
    }

    private func matches(
        _ shard: ShardDescription,
        _ listing: Listing,
        _ description: StreamDescription,
        _ attributes: StreamAttributes
    ) -> Bool {
        let listed = Set(description.shards.map(\.id))
        switch listing.filterType {
        case "AT_LATEST":
            return shard.isOpen
        case "AT_TRIM_HORIZON":
            // Open at the trim horizon: no parent is still held.
            return shard.parents.allSatisfy { !listed.contains($0) }
        case "AT_TIMESTAMP":
            let time = listing.filterTimestamp
            return opened(shard, description, attributes) <= time
                && (shard.isOpen || closed(shard, attributes) > time)
        case "FROM_TIMESTAMP":
            return shard.isOpen || closed(shard, attributes) >= listing.filterTimestamp
        default:  // FROM_TRIM_HORIZON, AFTER_SHARD_ID
            return true
        }
    }

    private func opened(
        _ shard: ShardDescription,
        _ description: StreamDescription,
        _ attributes: StreamAttributes
    )
        -> Int64
    {
        attributes.shardOpened[shard.id.number] ?? description.createdAtMilliseconds
    }

    private func closed(_ shard: ShardDescription, _ attributes: StreamAttributes) -> Int64 {
        attributes.shardClosed[shard.id.number] ?? shard.newestArrivalMilliseconds ?? 0
    }
}
