import FoundationEssentials

/// A stream's persistent state, `streams/<name>/stream.meta`: configuration and the shard map.
///
/// Written only by atomic replace, as JSON followed by a `# crc32c=` line, so a crash leaves the
/// old or the new version and a damaged file is refused, never taken for an empty stream.
///
/// A stream that has ever been encrypted is written as format version 2, which older binaries
/// refuse rather than write plaintext into it or misread its batches.
struct StreamMetadata: Codable, Sendable, Equatable {
    /// Set by ``encoded()``: 1, or 2 once `encryption` is present.
    var formatVersion = 1
    var name: String
    /// 16 random bytes in hex, stamped into every segment header of the stream.
    var streamID: String
    var createdAt: Int64
    var retentionMilliseconds: Int64
    var retentionBytes: Int?
    /// Increases with every change of the shard map or of the encryption.
    var generation: Int
    var nextShardNumber: UInt32
    var shards: [ShardMetadata]
    /// Present once the stream has been encrypted (it stays after encryption stops: old batches
    /// still need their data keys).
    var encryption: StreamEncryptionState?

    var streamIDBytes: [UInt8] {
        stride(from: 0, to: streamID.utf8.count, by: 2).map { offset in
            let start = streamID.utf8.index(streamID.utf8.startIndex, offsetBy: offset)
            let end = streamID.utf8.index(start, offsetBy: 2)
            return UInt8(String(streamID[start..<end]), radix: 16) ?? 0
        }
    }

    func shard(_ id: ShardID) -> ShardMetadata? { shards.first { $0.id == id } }

    mutating func update(_ shard: ShardMetadata) {
        if let index = shards.firstIndex(where: { $0.id == shard.id }) {
            shards[index] = shard
        } else {
            shards.append(shard)
        }
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var stamped = self
        stamped.formatVersion = encryption == nil ? 1 : 2
        var bytes = Array(try encoder.encode(stamped))
        bytes.append(0x0A)
        let checksum = String(CRC32C.checksum(bytes), radix: 16)
        bytes.append(contentsOf: Array("# crc32c=\(checksum)\n".utf8))
        return bytes
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> StreamMetadata {
        guard let marker = bytes.lastIndex(of: UInt8(ascii: "#")), marker > 0 else {
            throw StreamQStorageError.corrupt(path, offset: 0, "no checksum line")
        }
        let body = Array(bytes[..<marker])
        let trailer = String(decoding: bytes[marker...], as: UTF8.self).trimmingWhitespace
        guard trailer == "# crc32c=\(String(CRC32C.checksum(body), radix: 16))" else {
            throw StreamQStorageError.corrupt(path, offset: marker, "metadata checksum mismatch")
        }
        let metadata: StreamMetadata
        do {
            metadata = try JSONDecoder().decode(StreamMetadata.self, from: Data(body))
        } catch {
            throw StreamQStorageError.corrupt(path, offset: 0, "unreadable metadata: \(error)")
        }
        guard metadata.formatVersion == 1 || metadata.formatVersion == 2 else {
            throw StreamQStorageError(.unsupportedFormat, "\(path) has format version \(metadata.formatVersion)")
        }
        return metadata
    }
}

/// One shard's entry in the shard map.
struct ShardMetadata: Codable, Sendable, Equatable {
    var id: ShardID
    /// Hash-key range bounds as decimal strings, as Kinesis shows them.
    var startingHashKey: String
    var endingHashKey: String
    var parents: [ShardID]
    var children: [ShardID] = []
    /// The first sequence the shard ever held (children start after their parents' last).
    var baseSequence: UInt64
    /// Set when the shard is closed: one past its last sequence.
    var endSequence: UInt64?

    init(id: ShardID, range: HashKeyRange, parents: [ShardID], baseSequence: UInt64) {
        self.id = id
        self.startingHashKey = String(range.start)
        self.endingHashKey = String(range.end)
        self.parents = parents
        self.baseSequence = baseSequence
    }

    var isOpen: Bool { endSequence == nil }

    var range: HashKeyRange {
        HashKeyRange(start: HashKey(startingHashKey) ?? 0, end: HashKey(endingHashKey) ?? .max)
    }
}
