import ArgumentParser
import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// Options every command that opens a data directory shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (default: $STREAMQ_DATA_DIR or ./streamq-data).")
    var dataDirectory: String?

    @Option(help: "fsync policy: always (default; nothing acknowledged is lost), interval:<ms>, or never.")
    var fsync: String = "always"

    @Option(name: .customLong("zstd-level"), help: "zstd level for new batches (1-19, 0 for no compression).")
    var zstdLevel: Int = 1

    var resolvedDirectory: String {
        if let dataDirectory { return dataDirectory }
        if let value = getenv("STREAMQ_DATA_DIR"), let text = String(validatingCString: value), !text.isEmpty {
            return text
        }
        return "./streamq-data"
    }

    func openStore() throws -> StreamStore {
        var configuration = StorageConfiguration()
        guard let policy = FsyncPolicy(parsing: fsync) else {
            throw CommandFailure("--fsync must be always, never or interval:<ms>, got '\(fsync)'")
        }
        configuration.fsyncPolicy = policy
        configuration.compression = zstdLevel == 0 ? .none : .zstd(level: zstdLevel)
        return try StreamStore(directory: resolvedDirectory, configuration: configuration)
    }

    /// Opens the store, runs `body`, and closes the store (syncing it) whether `body` failed or not.
    func withStore<T>(_ body: (StreamStore) async throws -> T) async throws -> T {
        let store = try openStore()
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}

func streamName(_ text: String) throws -> StreamName {
    try StreamName(validating: text)
}

func shardID(_ text: String) throws -> ShardID {
    guard let id = ShardID(parsing: text) else {
        throw CommandFailure("'\(text)' is not a shard id (expected shardId-000000000001, shard-1 or 1)")
    }
    return id
}
