/// Whether a shard log encrypts the batches it writes, and with what. Confined to the log's writer.
enum ShardWriteEncryption {
    case off
    /// Seal with data key `index` of `keyRing`. The sealer (and with it a fresh session salt) is made
    /// on the first write, so a master key that cannot be had fails appends, not opening the store.
    case on(index: UInt32, keyRing: DataKeyRing, sealer: BatchSealer?)

    /// The sealer for the next batches of `shard`, nil when not encrypting.
    /// - Throws: `.encryptionKeyUnavailable` when the data key cannot be had; nothing is written
    ///   then, and an encrypted stream never receives plaintext.
    mutating func sealer(shard: ShardID) throws -> BatchSealer? {
        switch self {
        case .off:
            return nil
        case .on(_, _, let sealer?):
            return sealer
        case .on(let index, let keyRing, nil):
            let sealer = BatchSealer(
                dataKey: try keyRing.dataKey(index).key,
                index: index,
                streamID: keyRing.streamID,
                shard: shard
            )
            self = .on(index: index, keyRing: keyRing, sealer: sealer)
            return sealer
        }
    }
}
