import ArgumentParser
import StreamQClient
import StreamQRemote
import StreamQStorage

struct Groups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "List a stream's consumer groups with their members, checkpoints and lag."
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String

    func run() async throws {
        try store.refuseRemote("groups")
        let name = try streamName(name)
        let text = try await store.withEngine(mode: .readOnly) { engine -> String in
            let groups = try engine.listGroups(name).sorted()
            guard !groups.isEmpty else { return "no consumer groups on \(name)\n" }
            var lines: [String] = []
            for group in groups {
                let described = try engine.describeGroup(name, group: group)
                lines.append(
                    "group \(group)  members: \(described.members.isEmpty ? "none active" : described.members.joined(separator: ", "))"
                )
                lines.append(
                    contentsOf: TextTable.render(
                        header: ["SHARD", "OWNER", "CHECKPOINT", "LAG RECORDS", "LAG"],
                        rows: described.shards.map { shard in
                            [
                                shard.shard.description, shard.owner ?? "-",
                                shard.ended ? "SHARD_END" : shard.checkpoint.map(String.init) ?? "-",
                                String(shard.lagRecords), shard.lagMilliseconds.map { "\($0) ms" } ?? "-",
                            ]
                        }
                    )
                )
                lines.append("")
            }
            return lines.joined(separator: "\n")
        }
        StandardStreams.writeOutput(text)
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract:
            "Per shard: records, bytes on disk, compression ratio, arrival times and the last minute's write rate."
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String

    func run() async throws {
        let name = try streamName(name)
        if let endpoint = store.remoteEndpoint {
            // What the Kinesis API tells: the stream's summary and its shards; record counts, bytes
            // and rates are not part of it.
            let text = try await store.withRemote(endpoint) {
                try await RemoteAdministration.describe($0, name.rawValue, json: false)
            }
            StandardStreams.writeOutput(
                text + "records, bytes and rates per shard are not part of the Kinesis API: run `streamq stats` "
                    + "where the data directory is, or read the server's /metrics\n"
            )
            return
        }
        let shards = try await store.withStore(mode: .readOnly) { try $0.statistics(name) }
        let rows = shards.map { shard in
            [
                shard.shard.description, shard.isOpen ? "OPEN" : "CLOSED", String(shard.records),
                String(shard.bytesOnDisk),
                String(format1: shard.compressionRatio) + "x",
                shard.oldestArrivalMilliseconds.map(formatTimestamp) ?? "-",
                shard.newestArrivalMilliseconds.map(formatTimestamp) ?? "-",
                String(format1: Double(shard.recordsLastMinute) / 60) + "/s",
            ]
        }
        let total = shards.reduce(into: (records: UInt64(0), bytes: 0, raw: 0, stored: 0, minute: UInt64(0))) {
            $0.records += $1.records
            $0.bytes += $1.bytesOnDisk
            $0.raw += $1.uncompressedBytes
            $0.stored += $1.storedPayloadBytes
            $0.minute += $1.recordsLastMinute
        }
        let totalRow = [
            "total", "", String(total.records), String(total.bytes),
            String(format1: total.stored == 0 ? 1 : Double(total.raw) / Double(total.stored)) + "x", "", "",
            String(format1: Double(total.minute) / 60) + "/s",
        ]
        let lines = TextTable.render(
            header: [
                "SHARD", "STATE", "RECORDS", "BYTES ON DISK", "COMPRESSION", "OLDEST ARRIVAL", "NEWEST ARRIVAL",
                "RATE (1 MIN)",
            ],
            rows: rows + [totalRow]
        )
        StandardStreams.writeOutput(lines.joined(separator: "\n") + "\n")
    }
}

extension String {
    /// One decimal place, without Foundation's formatter.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
