import ArgumentParser
import CMalloc
import Logging
import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// The `streamq` command: one binary for streams, records and sample data.
public struct StreamQCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "streamq",
        abstract: "Sharded append-only streams on local disk, and SQL over them.",
        discussion: """
            Data lives in a data directory: --data-dir, or STREAMQ_DATA_DIR, or ./streamq-data. \
            Errors are one line on stderr and a non-zero exit status.

            Global options, accepted before or after the subcommand by every command that opens a data directory \
            (see its --help): --data-dir <data-dir>, --fsync <fsync>, --zstd-level <zstd-level>, \
            --master-key-file <master-key-file>, --endpoint <endpoint>, --region <region>, --profile <profile>, \
            --no-verify-ssl, --state-dir <state-dir>.
            """,
        subcommands: [
            CreateStream.self, ListStreams.self, DescribeStream.self, DeleteStream.self, Put.self, Read.self,
            Query.self,
            Explain.self, SQLShell.self, Deliver.self, SplitShard.self, MergeShards.self, UpdateShardCount.self,
            Groups.self, Stats.self, Generate.self,
            Keys.self, EncryptStream.self, DecryptStream.self, RotateKey.self, Serve.self, Ship.self, Run.self,
            Queries.self,
        ]
    )

    public init() {}

    /// Runs the command line, printing failures as one line (`streamq: error: …`) with exit status 1.
    public static func main() async {
        bootstrapLogging()
        // A write past a file-size limit must fail with EFBIG, which the storage engine reports,
        // rather than kill the process mid-batch.
        signal(SIGXFSZ, SIG_IGN)
        // Batches are built, compressed and freed by the megabyte on several threads. By default
        // glibc hands such blocks back to the kernel at once (mmap above 128 KiB, trimming the heap
        // top past 128 KiB), so every batch paid page faults and zeroing again: a quarter of
        // `put`'s time. Keep freed memory for reuse instead; what the process holds stays bounded
        // by what it has in flight.
        streamq_keep_freed_memory(32 << 20, 128 << 20)
        do {
            var command = try parseAsRoot(GlobalOptions.placedAfterSubcommand(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as StreamQStorageError {
            fail(error.message)
        } catch let error as CommandFailure {
            fail(error.message)
        } catch {
            exit(withError: error)
        }
    }

    /// Logs go to stderr at `warning` and above unless `STREAMQ_LOG_LEVEL` says otherwise
    /// (trace, debug, info, notice, warning, error, critical).
    private static func bootstrapLogging() {
        let requested = getenv("STREAMQ_LOG_LEVEL").flatMap { String(validatingCString: $0) }
        let level = requested.flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    private static func fail(_ message: String) -> Never {
        StandardStreams.writeError("streamq: error: \(message)\n")
        Glibc.exit(1)
    }
}

/// A command failed for a reason that is already a full sentence for the user.
struct CommandFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
