import Crypto
import Synchronization

/// The store's master keys: the key file of `StorageConfiguration.masterKeyFile`, read on first
/// need, so a missing file only fails operations on encrypted streams, never opening the store.
///
/// Every failure is an `.encryptionKeyUnavailable` error naming the stream, the key id and the file.
final class MasterKeySource: Sendable {
    let path: String?
    private let dataDirectory: String
    private let loaded = Mutex<MasterKeyFile?>(nil)

    init(path: String?, dataDirectory: String) {
        self.path = path
        self.dataDirectory = dataDirectory
    }

    /// The master key `keyID`, needed by `stream`. A file that lacks the key is read again, in case
    /// the key was created since.
    func key(_ keyID: String, for stream: String) throws -> DataKey {
        guard let path else {
            throw StreamQStorageError(
                .encryptionKeyUnavailable,
                "stream '\(stream)' needs master key '\(keyID)' but no master key file is configured "
                    + "(--master-key-file or STREAMQ_MASTER_KEY_FILE)"
            )
        }
        if let key = loaded.withLock({ $0?.key(named: keyID).map(DataKey.init) }) { return key }
        let file: MasterKeyFile
        do {
            file = try MasterKeyFile.load(path, dataDirectory: dataDirectory)
        } catch let error as StreamQStorageError {
            throw StreamQStorageError(
                .encryptionKeyUnavailable,
                "stream '\(stream)' needs master key '\(keyID)': \(error.message)"
            )
        }
        loaded.withLock { $0 = file }
        guard let key = file.key(named: keyID) else {
            throw StreamQStorageError(
                .encryptionKeyUnavailable,
                "stream '\(stream)' needs master key '\(keyID)', which \(path) does not hold"
            )
        }
        return DataKey(key)
    }
}
