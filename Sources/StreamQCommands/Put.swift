import ArgumentParser
import StreamQClient
import StreamQJSON
import StreamQRemote
import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// `streamq put`: stdin lines become records.
struct Put: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Append stdin lines to a stream, one record per line.",
        discussion: """
            Each line (without its newline) becomes one record's data, byte for byte. Without \
            --partition-key or --key-field, each run of 64 lines gets a fresh random key, so runs spread \
            over the shards. Lines that cannot be stored (too large, or without the --key-field) are not \
            stored: each is reported with its line number on stderr (or to --errors FILE as JSON lines), \
            counted, and the exit status is 1.
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String
    @Option(name: .customLong("partition-key"), help: "Partition key for every record.") var partitionKey: String?
    @Option(name: .customLong("key-field"), help: "Use this top-level JSON field of each line as its partition key.")
    var keyField: String?
    @Option(
        name: .customLong("batch-size"),
        help: "Records per append at most (an append is also cut at 1 MiB; each is one durable commit)."
    )
    var batchSize: Int = 10_000
    @Option(name: .customLong("errors"), help: "Write rejected lines to this file as JSON lines with the reason.")
    var errorsPath: String?
    @Flag(help: "Print the running count of acknowledged (durable) records on stderr as it grows.")
    var progress = false
    @Flag(
        help:
            "With --endpoint: pack each shard's records into KPL aggregates of up to 50 KiB (KCL and read unpack them)."
    )
    var aggregate = false

    func validate() throws {
        if aggregate && store.remoteEndpoint == nil {
            throw ValidationError("--aggregate packs records for a Kinesis endpoint; give --endpoint")
        }
        if partitionKey != nil && keyField != nil {
            throw ValidationError("use either --partition-key or --key-field, not both")
        }
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 100000") }
    }

    func run() async throws {
        let name = try streamName(name)
        var rejections = RejectionLog(path: errorsPath)
        // Plain locals: property-wrapper getters are far too slow for a per-line loop.
        let fixedKey = partitionKey
        let keyField = keyField
        let batchSize = batchSize
        let (sent, stored, failure): (Int, Int, (any Error)?)
        if let endpoint = store.remoteEndpoint {
            (sent, stored, failure) = try await store.withRemote(endpoint) { client in
                try await RemotePut(
                    client: client,
                    stream: name.rawValue,
                    fixedKey: fixedKey,
                    keyField: keyField,
                    maxRecordBytes: 1 << 20,
                    progress: progress,
                    aggregate: aggregate
                ).run(rejections: &rejections)
            }
        } else {
            (sent, stored, failure) = try await putLocally(name, fixedKey, keyField, batchSize, &rejections)
        }
        try finish(name, sent: sent, stored: stored, failure: failure, rejections: &rejections)
    }

    private func putLocally(
        _ name: StreamName,
        _ fixedKey: String?,
        _ keyField: String?,
        _ batchSize: Int,
        _ rejections: inout RejectionLog
    ) async throws -> (Int, Int, (any Error)?) {
        let progress = progress
        return try await store.withStore { store -> (Int, Int, (any Error)?) in
            let appender = try BulkAppender(store: store, stream: name, maxBatchRecords: batchSize)
            // --progress: a ticker reports acknowledged (durable) records as they grow, also while
            // stdin is quiet.
            let acknowledgedCount = appender.acknowledged
            let ticker =
                progress
                ? Task {
                    var reported = 0
                    while !Task.isCancelled {
                        let acknowledged = acknowledgedCount.value
                        if acknowledged > reported {
                            reported = acknowledged
                            StandardStreams.writeError("stored \(acknowledged)\n")
                        }
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                } : nil
            defer { ticker?.cancel() }
            var keys = LinePartitionKeys(
                fixedKey: fixedKey,
                keyField: keyField,
                maxRecordBytes: store.configuration.maxRecordBytes
            )
            var reader = LineReader()
            var lineNumber = 0
            var sent = 0
            var failure: (any Error)?
            do {
                // Whenever stdin has nothing more for now (a `tail -F` between lines), what is
                // buffered is appended, so records never wait for a batch to fill.
                while var line = try await reader.nextLine(whenIdle: { try await appender.appendBuffered() }) {
                    lineNumber += 1
                    var key = try keys.key(for: line, lineNumber: lineNumber, rejections: &rejections)
                    // The lines already read are added without an `await` each, their keys read a
                    // line ahead: a key field's shard is looked up while the line before is added.
                    while true {
                        let next = reader.bufferedLine()
                        var nextKey: String?
                        if let next {
                            nextKey = try keys.key(for: next, lineNumber: lineNumber + 1, rejections: &rejections)
                            if keys.keyField != nil, let nextKey { appender.prepare(partitionKey: nextKey) }
                        }
                        if let key {
                            let full = line.withUnsafeBytes { appender.add(partitionKey: key, data: $0) }
                            sent += 1
                            if full { try await appender.sendFull() }
                        }
                        guard let next else { break }
                        (line, key) = (next, nextKey)
                        lineNumber += 1
                    }
                }
                try await appender.finish()
            } catch let error as StreamQStorageError {
                failure = error  // a failed append: report what was stored, then fail
                _ = try? await appender.finish()
            }
            if progress { StandardStreams.writeError("stored \(appender.acknowledgedRecords)\n") }
            return (sent, appender.acknowledgedRecords, failure)
        }
    }

    /// Reports what was stored and rejected; exit status 1 when anything was not stored.
    private func finish(
        _ name: StreamName,
        sent: Int,
        stored: Int,
        failure: (any Error)?,
        rejections: inout RejectionLog
    ) throws {
        try rejections.close()
        let rejected = rejections.count
        if let failure {
            StandardStreams.writeError("streamq: \(failure)\n")
        }
        StandardStreams.writeError(
            "stored \(stored) record\(stored == 1 ? "" : "s") in \(name)"
                + (rejected > 0 ? "; rejected \(rejected) line\(rejected == 1 ? "" : "s") (not stored)" : "")
                + (sent > stored ? "; \(sent - stored) failed" : "") + "\n"
        )
        if rejected > 0 || failure != nil { throw ExitCode(1) }
    }
}

/// The top-level JSON field `--key-field` names, and its name's UTF-8 bytes (made once, not per line).
struct KeyField {
    let name: String
    let nameUTF8: [UInt8]

    init(_ name: String) {
        self.name = name
        nameUTF8 = Array(name.utf8)
    }
}

/// Each stdin line's partition key for `put`: the fixed key, a top-level JSON field, or a random
/// one; a line over the record limit or without the field is rejected (reported and counted).
struct LinePartitionKeys {
    let fixedKey: String?
    let keyField: KeyField?
    let maxRecordBytes: Int
    private var random = RandomPartitionKeys()

    init(fixedKey: String?, keyField: String?, maxRecordBytes: Int) {
        self.fixedKey = fixedKey
        self.keyField = keyField.map(KeyField.init)
        self.maxRecordBytes = maxRecordBytes
    }

    /// The key for `line`, or nil when the line is rejected.
    mutating func key(for line: ArraySlice<UInt8>, lineNumber: Int, rejections: inout RejectionLog) throws -> String? {
        guard line.count <= maxRecordBytes else {
            try rejections.reject(
                line: lineNumber,
                reason: "line is \(line.count) bytes; the record limit is \(maxRecordBytes)",
                data: line
            )
            return nil
        }
        if let fixedKey { return fixedKey }
        if let keyField { return try rejections.keyField(keyField, in: line, lineNumber: lineNumber) }
        return random.next()
    }
}

/// Lines `put` could not store: reported on stderr (the first 20) or written to a file, and counted.
struct RejectionLog {
    private let file: UnsafeMutablePointer<FILE>?
    private(set) var count = 0

    init(path: String?) {
        file = path.flatMap { fopen($0, "a") }
    }

    mutating func reject(line: Int, reason: String, data: ArraySlice<UInt8>) throws {
        count += 1
        if let file {
            var json: [UInt8] = Array(#"{"line":\#(line),"reason":"#.utf8)
            JSONString.append(reason.utf8, to: &json)
            json.append(contentsOf: Array(#","data":"#.utf8))
            JSONString.append(data, to: &json)
            json.append(contentsOf: Array("}\n".utf8))
            guard fwrite(json, 1, json.count, file) == json.count else {
                throw CommandFailure("writing to the --errors file failed: \(String(cString: strerror(errno)))")
            }
        } else if count <= 20 {
            StandardStreams.writeError("streamq: line \(line) not stored: \(reason)\n")
        } else if count == 21 {
            StandardStreams.writeError("streamq: more lines not stored; use --errors FILE to keep them all\n")
        }
    }

    /// The `--key-field` of a line, or nil after rejecting the line.
    mutating func keyField(_ field: KeyField, in line: ArraySlice<UInt8>, lineNumber: Int) throws -> String? {
        do {
            let value = try line.withUnsafeBytes { json in
                field.nameUTF8.withUnsafeBytes { name in
                    Result { () throws(JSONFieldLookup.SyntaxError) in
                        try JSONFieldLookup.value(ofField: name, in: json)
                    }
                }
            }.get()
            guard let key = value?.text, !key.isEmpty else {
                try reject(line: lineNumber, reason: "no field '\(field.name)' (or it is null or empty)", data: line)
                return nil
            }
            return key.utf8.count <= 256 ? key : String(key.prefix(256))
        } catch {
            try reject(line: lineNumber, reason: "\(error)", data: line)
            return nil
        }
    }

    func close() throws {
        if let file, fclose(file) != 0 {
            throw CommandFailure("closing the --errors file failed: \(String(cString: strerror(errno)))")
        }
    }
}
