/// How a stream is encrypted, as `stream.meta` records it.
///
/// Data keys are kept forever, also after encryption stops or the data key is rotated, so every
/// batch ever written stays readable. Any change bumps the metadata generation, which is how
/// read-only stores learn of new data keys.
struct StreamEncryptionState: Codable, Sendable, Equatable {
    /// The master key new data keys are wrapped with; nil once encryption was stopped.
    var masterKeyID: String?
    /// The data key new batches are sealed with; nil once encryption was stopped.
    var activeDataKey: UInt32?
    var dataKeys: [WrappedDataKey]

    /// The next unused data key index.
    var nextDataKeyIndex: UInt32 { dataKeys.map { $0.index + 1 }.max() ?? 0 }

    func dataKey(_ index: UInt32) -> WrappedDataKey? { dataKeys.first { $0.index == index } }
}
