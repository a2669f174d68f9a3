import FoundationEssentials
import StreamQSQL
import StreamQStorage

/// What a persistent query saves at each commit, in one file written atomically: its follow state
/// (positions, windows, watermarks) and the appends that carry the rows produced up to that state.
///
/// The appends are saved **before** they are made (a write-ahead record). Each is stamped with the
/// query's producer id and the next sequence of its (stream, shard), so after a crash the query
/// makes the saved appends again and the output stream's producer deduplication stores whichever
/// it had not: every row once, whatever moment the crash hit. The next commit replaces the record.
///
/// The file: `SQC1`, then a JSON header (the state and the next sequences) and the appends in a
/// length-prefixed binary form (rows are written as they will be stored, without JSON escaping).
struct OutputCommit: Sendable {
    /// The ``FollowQueryRunner`` state as it saved it.
    var state: String
    /// Per "stream/shard", the producer sequence of the next append there.
    var nextSequence: [String: UInt64]
    var appends: [PendingAppend]

    /// One stamped append to one shard.
    struct PendingAppend: Sendable, Equatable {
        var stream: String
        /// When the stream was created: an append meant for a stream since dropped and made again
        /// is not made into the new one.
        var streamCreatedAt: Int64
        var shard: ShardID
        var sequence: UInt64
        var keys: [String]
        /// Each record's data: a JSON object (rows and errors are JSON text).
        var records: [[UInt8]]
    }

    private struct Header: Codable {
        var state: String
        var nextSequence: [String: UInt64]
    }

    private static let magic = Array("SQC1".utf8)

    static func stampKey(stream: String, shard: ShardID) -> String { "\(stream)/\(shard.number)" }

    func encoded() throws -> [UInt8] {
        var bytes = Self.magic
        let header = Array(try JSONEncoder().encode(Header(state: state, nextSequence: nextSequence)))
        bytes.appendInteger(UInt32(header.count))
        bytes += header
        bytes.appendInteger(UInt32(appends.count))
        for append in appends {
            bytes.appendText(append.stream, width: UInt16.self)
            bytes.appendInteger(UInt64(bitPattern: append.streamCreatedAt))
            bytes.appendInteger(append.shard.number)
            bytes.appendInteger(append.sequence)
            bytes.appendInteger(UInt32(append.records.count))
            for (key, record) in zip(append.keys, append.records) {
                bytes.appendText(key, width: UInt16.self)
                bytes.appendInteger(UInt32(record.count))
                bytes += record
            }
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8], origin: String) throws -> OutputCommit {
        var reader = ByteReader(bytes: bytes)
        do {
            guard Array(try reader.take(4)) == magic else { throw ByteReader.Truncated() }
            let header = try JSONDecoder().decode(
                Header.self,
                from: Data(try reader.take(Int(try reader.integer(UInt32.self))))
            )
            var appends: [PendingAppend] = []
            for _ in 0..<(try reader.integer(UInt32.self)) {
                let stream = try reader.text(width: UInt16.self)
                let createdAt = Int64(bitPattern: try reader.integer(UInt64.self))
                let shard = ShardID(try reader.integer(UInt32.self))
                let sequence = try reader.integer(UInt64.self)
                var keys: [String] = []
                var records: [[UInt8]] = []
                for _ in 0..<(try reader.integer(UInt32.self)) {
                    keys.append(try reader.text(width: UInt16.self))
                    records.append(Array(try reader.take(Int(try reader.integer(UInt32.self)))))
                }
                appends.append(
                    PendingAppend(
                        stream: stream,
                        streamCreatedAt: createdAt,
                        shard: shard,
                        sequence: sequence,
                        keys: keys,
                        records: records
                    )
                )
            }
            return OutputCommit(state: header.state, nextSequence: header.nextSequence, appends: appends)
        } catch {
            throw PipelineError("the checkpoint \(origin) is unreadable; TERMINATE the query to start over")
        }
    }
}

/// Reads the little-endian, length-prefixed fields of a commit file, failing past its end.
private struct ByteReader {
    struct Truncated: Error {}
    let bytes: [UInt8]
    var offset = 0

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, offset + count <= bytes.count else { throw Truncated() }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type) throws -> T {
        try take(MemoryLayout<T>.size).reversed().reduce(T(0)) { $0 << 8 | T($1) }
    }

    mutating func text<T: FixedWidthInteger & UnsignedInteger>(width: T.Type) throws -> String {
        let count = Int(try integer(T.self))
        return String(decoding: try take(count), as: UTF8.self)
    }
}

extension [UInt8] {
    fileprivate mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
        var little = value.littleEndian
        Swift.withUnsafeBytes(of: &little) { append(contentsOf: $0) }
    }

    fileprivate mutating func appendText<T: FixedWidthInteger>(_ text: String, width: T.Type) {
        let utf8 = Array(text.utf8)
        appendInteger(T(utf8.count))
        append(contentsOf: utf8)
    }
}

/// A persistent query's progress as its checkpoint records it.
public struct QueryProgress: Sendable {
    public var follow: FollowProgress?
    /// Bytes of the checkpoint (window state, positions and the last commit's rows).
    public var checkpointBytes: Int

    init(commit: OutputCommit, checkpointBytes: Int) {
        follow = FollowQueryRunner.progress(ofSavedState: Array(commit.state.utf8))
        self.checkpointBytes = checkpointBytes
    }
}
