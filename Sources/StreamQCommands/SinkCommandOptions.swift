import ArgumentParser
import Foundation
import StreamQRemote
import StreamQSQL
import StreamQSinks
import Synchronization

/// Options of commands that write files (`query --into`, `deliver`).
struct SinkCommandOptions: ParsableArguments {
    @Option(
        help:
            "Write results as files: file:///dir/{query}/dt={dt}/hr={hr} or s3://bucket/prefix/dt={dt}/hr={hr} (also INTO '…' in the query)."
    )
    var into: String?
    @Option(
        help:
            "With --into: none (default), gzip or zstd for jsonl and csv files (Parquet compresses its pages with zstd)."
    )
    var compression: String = "none"
    @Option(
        name: .customLong("roll-size"),
        help: "With --into: commit files once one holds this much (default 128MiB)."
    )
    var rollSize: String = "128MiB"
    @Option(
        name: .customLong("roll-interval"),
        help: "With --into: commit files once the oldest is this old (default 300s)."
    )
    var rollInterval: String = "300s"
    @Option(
        name: .customLong("roll-inactivity"),
        help: "With --into: commit files after this long without rows (default 60s)."
    )
    var rollInactivity: String = "60s"
    @Option(name: .customLong("row-group-rows"), help: "With --format parquet: rows per row group (default 1000000).")
    var rowGroupRows: Int = 1_000_000
    @Option(
        name: .customLong("s3-endpoint"),
        help:
            "With --into s3://: send S3 requests to this URL (an S3-compatible store) instead of AWS (default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL)."
    )
    var s3Endpoint: String?
    @Flag(
        name: .customLong("s3-path-style"),
        help:
            "With --into s3://: address buckets as https://host/bucket/key rather than https://bucket.host/key (the default with an S3 endpoint)."
    )
    var s3PathStyle = false
    @Option(
        name: .customLong("s3-part-size"),
        help: "With --into s3://: upload files larger than this in parts of this size (default 16MiB, at least 5MiB)."
    )
    var s3PartSize: String = "16MiB"

    /// Runs `body` with the destination `url` names and its storage: the directory, or S3 through
    /// a client (credentials and region from the AWS chain, `--region` and `--profile` of
    /// `store`) that is shut down afterwards.
    func withStorage<T>(
        url: String,
        store: StoreOptions,
        _ body: (SinkDestination, any SinkStorage) async throws -> T
    ) async throws -> T {
        let destination: SinkDestination
        do {
            destination = try SinkDestination(url: url)
        } catch {
            throw CommandFailure(error.message)
        }
        guard case .objectStore(let bucket, let prefix) = destination.location else {
            return try await body(destination, LocalSinkStorage(root: destination.root))
        }
        var configuration: S3ClientConfiguration
        do {
            configuration = try S3ClientConfiguration.resolve(
                chain: AWSCredentialChain(profile: store.profile),
                region: store.region,
                endpointOverride: s3Endpoint,
                pathStyle: s3PathStyle ? true : nil
            )
        } catch {
            throw CommandFailure("\(destination.root): \(error)")
        }
        configuration.verifyCertificates = !store.noVerifySSL
        configuration.partSize = try byteCount(s3PartSize, option: "--s3-part-size")
        guard configuration.partSize >= S3ClientConfiguration.minimumPartSize else {
            throw CommandFailure("--s3-part-size must be at least 5MiB (S3's smallest part)")
        }
        let client = S3Client(configuration: configuration)
        let storage = S3SinkStorage(
            client: client,
            bucket: bucket,
            prefix: prefix,
            temporaryDirectory: FileManager.default.temporaryDirectory.path
        )
        do {
            let result = try await body(destination, storage)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    func makeSink(
        destination: SinkDestination,
        storage: any SinkStorage,
        format: String?,
        columns: [String],
        names: [String: String],
        timeColumn: String?,
        rawColumn: String? = nil,
        columnTypes: [ColumnType]? = nil
    ) throws -> FileSink {
        guard let fileFormat = SinkFormat(rawValue: format ?? "jsonl") else {
            throw CommandFailure("--format with --into must be jsonl, csv or parquet, got '\(format ?? "")'")
        }
        guard let compression = SinkCompression(rawValue: compression) else {
            throw CommandFailure("--compression must be none, gzip or zstd, got '\(compression)'")
        }
        var options = FileSink.Options(format: fileFormat, compression: compression)
        options.rollBytes = try byteCount(rollSize, option: "--roll-size")
        options.rollAge = try milliseconds(rollInterval, option: "--roll-interval")
        options.inactivity = try milliseconds(rollInactivity, option: "--roll-inactivity")
        guard rowGroupRows > 0 else { throw CommandFailure("--row-group-rows must be positive") }
        options.rowGroupRows = rowGroupRows
        return FileSink(
            destination: destination,
            storage: storage,
            columns: columns,
            options: options,
            names: names,
            timeColumn: timeColumn,
            rawColumn: rawColumn,
            columnTypes: columnTypes
        )
    }
}

/// A duration option in milliseconds (`500ms`, `30s`, `5m`).
func milliseconds(_ text: String, option: String) throws -> Int64 {
    let (seconds, attoseconds) = try parseDuration(text).components
    let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    guard milliseconds > 0 else { throw CommandFailure("\(option) must be positive") }
    return milliseconds
}

/// A size option: `64MiB`, `1GiB`, `500KiB` or bytes.
func byteCount(_ text: String, option: String) throws -> Int {
    let units: [(String, Int)] = [
        ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1000),
        ("B", 1),
    ]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        if let value = Int(text.dropLast(suffix.count)), value > 0 { return value * scale }
    }
    if let value = Int(text), value > 0 { return value }
    throw CommandFailure("\(option) must be a size such as 64MiB, got '\(text)'")
}

/// A file sink shared by the tasks of a bounded query.
final class LockedSink: Sendable {
    private let lock = Mutex(())
    private let sink: FileSink

    init(_ sink: FileSink) { self.sink = sink }

    func withSink<T>(_ body: (FileSink) throws -> T) throws -> T { try lock.withLock { _ in try body(sink) } }
}
