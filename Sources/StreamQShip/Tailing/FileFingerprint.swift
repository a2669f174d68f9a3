/// A hash of a file's first bytes, with how many bytes it covers: with the inode, what tells one
/// log file from another. A renamed file keeps it (so shipping continues where it was); a reused
/// inode or a truncated and rewritten file does not (so it is read as a new file from its start).
///
/// Files shorter than ``fullLength`` are fingerprinted on what they hold, and the fingerprint is
/// extended as they grow. A file under another inode is taken for a copy (copytruncate rotation)
/// when it starts with the bytes a fingerprint covers and at least one complete line of them was
/// read; see ``ShipSession/scan(initial:)``.
struct FileFingerprint: Sendable, Hashable, Codable {
    var hash: UInt64
    var length: Int

    static let fullLength = 1024

    init(of bytes: some Collection<UInt8>) {
        hash = Self.fnv1a(bytes.prefix(Self.fullLength))
        length = min(bytes.count, Self.fullLength)
    }

    var isFull: Bool { length == Self.fullLength }

    /// Whether `prefix` (a file's first bytes) starts with the bytes this fingerprint covers.
    func matches(prefix: [UInt8]) -> Bool {
        prefix.count >= length && Self.fnv1a(prefix.prefix(length)) == hash
    }

    /// FNV-1a, 64 bits: fast on a kilobyte and well spread; no attacker picks log prefixes.
    static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
