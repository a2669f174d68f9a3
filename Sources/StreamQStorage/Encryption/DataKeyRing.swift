import Synchronization

/// One stream's data keys: the wrapped keys from its metadata, unwrapped with their master key on
/// first use and kept unwrapped for the life of the store.
final class DataKeyRing: Sendable {
    let streamName: String
    let streamID: [UInt8]
    private let masterKeys: MasterKeySource
    /// Re-reads the stream's encryption state from disk (read-only stores, whose metadata may be
    /// older than the batch being read).
    private let reload: (@Sendable () throws -> StreamEncryptionState?)?
    private let state: Mutex<State>

    private struct State: Sendable {
        var encryption: StreamEncryptionState?
        var unwrapped: [UInt32: DataKey] = [:]
    }

    init(
        metadata: StreamMetadata,
        masterKeys: MasterKeySource,
        reload: (@Sendable () throws -> StreamEncryptionState?)? = nil
    ) {
        self.streamName = metadata.name
        self.streamID = metadata.streamIDBytes
        self.masterKeys = masterKeys
        self.reload = reload
        self.state = Mutex(State(encryption: metadata.encryption))
    }

    /// Takes the stream's current encryption state (after a change or a metadata refresh).
    func update(_ encryption: StreamEncryptionState?) {
        state.withLock { $0.encryption = encryption }
    }

    /// Remembers a data key this process just generated, so it is never unwrapped again.
    func add(_ key: DataKey, index: UInt32) {
        state.withLock { _ = $0.unwrapped.updateValue(key, forKey: index) }
    }

    /// The master key `keyID`, for wrapping a new data key of this stream.
    func masterKey(_ keyID: String) throws -> DataKey {
        try masterKeys.key(keyID, for: streamName)
    }

    /// The data key with `index`, unwrapped.
    /// - Throws: `.encryptionKeyUnavailable` naming the stream, the key id and the key file when its
    ///   master key cannot be had or does not unwrap it; `.corruption` when the stream's metadata
    ///   has no data key with that index.
    func dataKey(_ index: UInt32) throws -> DataKey {
        let (cached, known) = state.withLock { ($0.unwrapped[index], $0.encryption?.dataKey(index)) }
        if let cached { return cached }
        var wrapped = known
        if wrapped == nil, let reload {
            let encryption = try reload()
            update(encryption)
            wrapped = encryption?.dataKey(index)
        }
        guard let wrapped else {
            throw StreamQStorageError(
                .corruption,
                "stream '\(streamName)' has a batch sealed with data key \(index), which its metadata does not hold"
            )
        }
        let masterKey = try masterKeys.key(wrapped.masterKeyID, for: streamName)
        guard let key = wrapped.unwrap(with: masterKey.key, streamID: streamID) else {
            throw StreamQStorageError(
                .encryptionKeyUnavailable,
                "stream '\(streamName)' needs master key '\(wrapped.masterKeyID)' from \(masterKeys.path ?? "no key file"), "
                    + "but its data key \(index) does not unwrap with that key (wrong key)"
            )
        }
        add(key, index: index)
        return key
    }
}
