import ArgumentParser
import StreamQJSON
import StreamQStorage

/// `streamq read`: print a stream's records.
struct Read: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a stream's records, one per line.",
        discussion: """
            Without --shard every shard is read, parents before children. --from takes trim-horizon (default),
            latest, at:SEQ, after:SEQ (a sequence number names its shard) or time:ISO8601.
            """)

    @OptionGroup var store: StoreOptions
    @Argument var name: String
    @Option(help: "Where to start: trim-horizon, latest, at:SEQ, after:SEQ, time:ISO8601.") var from: String = "trim-horizon"
    @Option(help: "Read only this shard.") var shard: String?
    @Option(help: "Stop after this many records.") var limit: Int?
    @Flag(help: "Print each record as JSON with its shard, sequence number, partition key and arrival time.")
    var json = false

    func run() async throws {
        let name = try streamName(name)
        let start = try StartSpec(parsing: from)
        if let limit, limit < 1 { throw CommandFailure("--limit must be positive") }
        let onlyShard = try shard.map(shardID)
        try await store.withStore { store in
            let description = try store.describeStream(name)
            var shards = description.shards.map(\.id)  // ascending ids: parents before children
            if let onlyShard {
                guard shards.contains(onlyShard) else { throw CommandFailure("stream '\(name)' has no shard \(onlyShard)") }
                shards = [onlyShard]
            } else if let named = start.sequenceShard {
                shards = [named]
            }
            var output = OutputBuffer()
            var remaining = limit ?? Int.max
            for shard in shards where remaining > 0 {
                var cursor: ShardCursor? = try store.cursor(stream: name, shard: shard, at: start.position(for: shard))
                while let current = cursor, remaining > 0 {
                    let result = try store.read(current, maxRecords: min(remaining, 10_000))
                    for record in result.records {
                        write(record, to: &output)
                        output.flushIfLarge()
                    }
                    remaining -= result.records.count
                    if result.records.isEmpty { break }
                    cursor = result.next
                }
            }
            output.flush()
        }
    }

    private func write(_ record: StoredRecord, to output: inout OutputBuffer) {
        guard json else {
            output.bytes.append(contentsOf: record.data)
            output.bytes.append(0x0A)
            return
        }
        output.append(#"{"shard":"\#(record.sequenceNumber.shard)","sequenceNumber":"\#(record.sequenceNumber)","#)
        output.append(#""sequence":\#(record.sequenceNumber.sequence),"partitionKey":"#)
        JSONString.append(record.partitionKey.utf8, to: &output.bytes)
        output.append(#","arrival":"\#(formatTimestamp(record.arrivalMilliseconds))","#)
        if let text = String(validating: record.data, as: UTF8.self) {
            output.append(#""data":"#)
            JSONString.append(text.utf8, to: &output.bytes)
        } else {
            output.append(#""dataBase64":""# + base64(record.data) + "\"")
        }
        output.append("}\n")
    }
}

/// A parsed `--from`.
struct StartSpec {
    enum Kind {
        case trimHorizon, latest
        case at(SequenceNumber), after(SequenceNumber)
        case time(Int64)
    }
    var kind: Kind

    init(parsing text: String) throws {
        switch text {
        case "trim-horizon", "trim_horizon", "TRIM_HORIZON": kind = .trimHorizon
        case "latest", "LATEST": kind = .latest
        default:
            if text.hasPrefix("at:") || text.hasPrefix("after:") {
                let isAt = text.hasPrefix("at:")
                let digits = String(text.dropFirst(isAt ? 3 : 6))
                guard let number = SequenceNumber(digits) else {
                    throw CommandFailure("'\(digits)' is not a sequence number")
                }
                kind = isAt ? .at(number) : .after(number)
            } else if text.hasPrefix("time:") {
                kind = .time(try parseTimestamp(String(text.dropFirst(5))))
            } else {
                throw CommandFailure("--from must be trim-horizon, latest, at:SEQ, after:SEQ or time:ISO8601, got '\(text)'")
            }
        }
    }

    /// The shard a sequence-number start names, if any.
    var sequenceShard: ShardID? {
        switch kind {
        case .at(let number), .after(let number): number.shard
        default: nil
        }
    }

    func position(for shard: ShardID) -> StartingPosition {
        switch kind {
        case .trimHorizon: .trimHorizon
        case .latest: .latest
        case .at(let number): .atSequence(number)
        case .after(let number): .afterSequence(number)
        case .time(let time): .atTimestamp(time)
        }
    }
}

/// Standard base64 with padding.
func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var output: [UInt8] = []
    var index = 0
    while index < bytes.count {
        let chunk = bytes[index..<min(index + 3, bytes.count)]
        var value = UInt32(0)
        for (offset, byte) in chunk.enumerated() { value |= UInt32(byte) << (16 - 8 * offset) }
        for position in 0..<4 {
            output.append(position <= chunk.count ? alphabet[Int((value >> (18 - 6 * position)) & 0x3F)] : UInt8(ascii: "="))
        }
        index += 3
    }
    return String(decoding: output, as: UTF8.self)
}
