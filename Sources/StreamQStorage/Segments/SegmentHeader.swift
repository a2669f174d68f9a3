/// The 64-byte header at the start of every segment file (storage notes §3.3).
///
/// It ties the file to its stream, shard and base sequence, so a segment copied or moved to the
/// wrong place is detected instead of being read as someone else's data.
struct SegmentHeader: Equatable {
    struct HeaderProblem: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    static let size = 64
    static let magic: [UInt8] = Array("SQSEG".utf8) + [0, 0, 1]
    static let version: UInt16 = 1

    var streamID: [UInt8]  // 16 bytes
    var shard: ShardID
    var baseSequence: UInt64
    var createdAt: Int64

    func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendLittleEndian(Self.version)
        bytes.appendLittleEndian(UInt16(0))
        bytes.appendLittleEndian(UInt32(Self.size))
        bytes.append(contentsOf: streamID)
        bytes.appendLittleEndian(UInt64(shard.number))
        bytes.appendLittleEndian(baseSequence)
        bytes.appendLittleEndian(createdAt)
        bytes.appendLittleEndian(UInt32(0))
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        return bytes
    }

    /// Parses a header, returning what is wrong with it when it is not valid.
    static func parse(_ bytes: [UInt8]) -> Result<SegmentHeader, HeaderProblem> {
        guard bytes.count >= size else {
            return .failure(HeaderProblem(reason: "file is shorter than its 64-byte header"))
        }
        return bytes.withUnsafeBytes { raw in
            guard Array(raw[0..<8]) == magic else {
                return .failure(HeaderProblem(reason: "not a streamq segment (bad magic)"))
            }
            guard
                raw.loadLittleEndian(at: 60, as: UInt32.self)
                    == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<60]))
            else { return .failure(HeaderProblem(reason: "segment header checksum mismatch")) }
            let version = raw.loadLittleEndian(at: 8, as: UInt16.self)
            guard version == Self.version else {
                return .failure(HeaderProblem(reason: "unsupported segment version \(version)"))
            }
            return .success(
                SegmentHeader(
                    streamID: Array(raw[16..<32]),
                    shard: ShardID(UInt32(truncatingIfNeeded: raw.loadLittleEndian(at: 32, as: UInt64.self))),
                    baseSequence: raw.loadLittleEndian(at: 40, as: UInt64.self),
                    createdAt: raw.loadLittleEndian(at: 48, as: Int64.self)
                )
            )
        }
    }
}
