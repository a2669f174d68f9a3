import ArgumentParser
import StreamQClient
import StreamQRemote
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

    @Option(
        name: .customLong("master-key-file"),
        help:
            "Master key file, outside the data directory (default: $STREAMQ_MASTER_KEY_FILE or ~/.streamq/master.keys)."
    )
    var masterKeyFile: String?

    @Option(
        help:
            "Run against this Kinesis endpoint instead of a data directory: `streamq serve` elsewhere, or 'aws' for Amazon Kinesis (default: $STREAMQ_ENDPOINT)."
    )
    var endpoint: String?

    @Option(help: "AWS region with --endpoint (default: $AWS_REGION, the profile's region, or us-east-1).")
    var region: String?

    @Option(help: "AWS profile for credentials and region with --endpoint (default: $AWS_PROFILE or default).")
    var profile: String?

    @Flag(
        name: .customLong("no-verify-ssl"),
        help: "With an https --endpoint, accept any certificate (a test server's self-signed one)."
    )
    var noVerifySSL = false

    @Option(
        name: .customLong("state-dir"),
        help:
            "With --endpoint: where consumer groups, named queries and deliveries keep leases and checkpoints (default: ~/.streamq/remote/<endpoint>)."
    )
    var stateDirectory: String?

    /// The Kinesis endpoint commands run against, if remote mode is on.
    var remoteEndpoint: String? {
        if let endpoint { return endpoint }
        if let value = getenv("STREAMQ_ENDPOINT"), let text = String(validatingCString: value), !text.isEmpty {
            return text
        }
        return nil
    }

    /// Fails in one line when remote mode is on for a command that only works on a data directory.
    func refuseRemote(_ command: String) throws {
        guard let endpoint = remoteEndpoint else { return }
        throw CommandFailure(
            "\(command) works on a local data directory only, not through --endpoint \(endpoint) "
                + "(remote: create-stream, list-streams, describe-stream, delete-stream, split-shard, merge-shards, "
                + "update-shard-count, encrypt-stream, decrypt-stream, put, read, query, explain, sql, deliver, ship, stats)"
        )
    }

    /// Runs `body` with a Kinesis client for the remote endpoint.
    func withRemote<T>(_ endpoint: String, _ body: (KinesisClient) async throws -> T) async throws -> T {
        try await RemoteEndpoint.with(
            endpoint: endpoint,
            region: region,
            profile: profile,
            verifyCertificates: !noVerifySSL,
            body
        )
    }

    /// Runs `body` with what streams are read and written through: the data directory, or the
    /// Kinesis endpoint in remote mode.
    func withBackend<T>(
        mode: StreamStore.AccessMode = .readWrite,
        _ body: (any StreamBackend) async throws -> T
    ) async throws -> T {
        guard let endpoint = remoteEndpoint else { return try await withStore(mode: mode, body) }
        return try await withRemote(endpoint) { client in try await body(KinesisBackend(client: client)) }
    }

    /// Where consumer groups' leases and named queries' checkpoints are kept: the data directory,
    /// or in remote mode `--state-dir` (default: a directory per endpoint under `~/.streamq/remote`).
    func localStateDirectory() throws -> String {
        guard let endpoint = remoteEndpoint else { return resolvedDirectory }
        let directory: String
        if let stateDirectory {
            directory = stateDirectory
        } else {
            let home = getenv("HOME").flatMap { String(validatingCString: $0) } ?? "."
            let host = endpoint.replacing("://", with: "_").map { $0.isLetter || $0.isNumber || $0 == "." ? $0 : "_" }
            directory = home + "/.streamq/remote/" + String(host)
        }
        do {
            try FileSystem.createDirectories(directory)
        } catch {
            throw CommandFailure("cannot create the state directory \(directory): \(error)")
        }
        return directory
    }

    var resolvedDirectory: String {
        if let dataDirectory { return dataDirectory }
        if let value = getenv("STREAMQ_DATA_DIR"), let text = String(validatingCString: value), !text.isEmpty {
            return text
        }
        return "./streamq-data"
    }

    var resolvedMasterKeyFile: String {
        if let masterKeyFile { return masterKeyFile }
        if let value = getenv("STREAMQ_MASTER_KEY_FILE"), let text = String(validatingCString: value), !text.isEmpty {
            return text
        }
        let home = getenv("HOME").flatMap { String(validatingCString: $0) } ?? "."
        return home + "/.streamq/master.keys"
    }

    var storageConfiguration: StorageConfiguration {
        get throws {
            var configuration = StorageConfiguration()
            guard let policy = FsyncPolicy(parsing: fsync) else {
                throw CommandFailure("--fsync must be always, never or interval:<ms>, got '\(fsync)'")
            }
            configuration.fsyncPolicy = policy
            configuration.compression = zstdLevel == 0 ? .none : .zstd(level: zstdLevel)
            configuration.masterKeyFile = resolvedMasterKeyFile
            return configuration
        }
    }

    /// Opens an engine on the data directory, runs `body`, and shuts the engine down (flushing
    /// producers, committing consumers, syncing) whether `body` failed or not.
    func withEngine<T>(
        mode: StreamStore.AccessMode = .readWrite,
        _ body: (StreamQEngine) async throws -> T
    ) async throws -> T {
        let engine = try StreamQEngine(
            directory: resolvedDirectory,
            configuration: try storageConfiguration,
            mode: mode
        )
        do {
            let result = try await body(engine)
            try await engine.shutdown()
            return result
        } catch {
            try? await engine.shutdown()
            throw error
        }
    }

    func openStore(mode: StreamStore.AccessMode = .readWrite) throws -> StreamStore {
        try StreamStore(directory: resolvedDirectory, configuration: try storageConfiguration, mode: mode)
    }

    /// Opens the store, runs `body`, and closes the store (syncing it) whether `body` failed or not.
    func withStore<T>(
        mode: StreamStore.AccessMode = .readWrite,
        _ body: (StreamStore) async throws -> T
    ) async throws -> T {
        try await openStore(mode: mode).closing(after: body)
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
