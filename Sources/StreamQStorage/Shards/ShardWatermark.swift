/// How far readers in other processes may read a shard: the writer rewrites this 32-byte file,
/// `<shard>/VISIBLE`, each time more records become visible (under `FsyncPolicy.always`: durable),
/// and readers never go past it. It is a hint, not a source of truth: the writer rewrites it on
/// open, and a reader still checks every batch it reads.
struct ShardWatermark: Equatable, Sendable {
    static let fileName = "VISIBLE"
    static let size = 32
    private static let magic: UInt32 = 0x5751_5153  // "SQQW"

    /// Base sequence of the segment the watermark points into.
    var segmentBase: UInt64
    /// Bytes of that segment that hold visible batches.
    var byteLength: UInt64
    /// One past the last visible sequence.
    var next: UInt64

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.size)
        bytes.appendLittleEndian(Self.magic)
        bytes.appendLittleEndian(segmentBase)
        bytes.appendLittleEndian(byteLength)
        bytes.appendLittleEndian(next)
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        return bytes
    }

    /// Reads the watermark of the shard in `directory`; nil when there is none or it is being
    /// rewritten (the CRC does not match).
    static func read(in directory: String) -> ShardWatermark? {
        guard let file = try? FileHandle.openForReading(directory + "/" + fileName),
            let bytes = try? file.read(count: size, at: 0), bytes.count == size
        else { return nil }
        return bytes.withUnsafeBytes { raw in
            guard raw.loadLittleEndian(at: 0, as: UInt32.self) == magic,
                raw.loadLittleEndian(at: 28, as: UInt32.self)
                    == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<28]))
            else { return nil }
            return ShardWatermark(
                segmentBase: raw.loadLittleEndian(at: 4, as: UInt64.self),
                byteLength: raw.loadLittleEndian(at: 12, as: UInt64.self),
                next: raw.loadLittleEndian(at: 20, as: UInt64.self)
            )
        }
    }
}
