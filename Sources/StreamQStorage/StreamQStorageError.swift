/// An error raised by the storage engine.
///
/// `code` says what kind of failure it is; `message` says what and where in words a person can act on
/// (stream, shard, file and byte offset when they are known). Codes are a struct wrapping a private
/// enum so that new codes can be added without breaking clients that switch over them.
public struct StreamQStorageError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidArgument, streamNotFound, streamExists, shardNotFound, shardClosed
            case recordTooLarge, corruption, ioFailure, shardFailed, locked, unsupportedFormat, closed, readOnly,
                duplicateSequence, outOfOrderSequence, leaseLost
            case encryptionKeyUnavailable
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A name, key, size or option is outside what the engine accepts. Nothing was written.
        public static let invalidArgument = Code(.invalidArgument)
        /// No stream has that name.
        public static let streamNotFound = Code(.streamNotFound)
        /// A stream with that name already exists.
        public static let streamExists = Code(.streamExists)
        /// The stream has no shard with that id.
        public static let shardNotFound = Code(.shardNotFound)
        /// The shard was closed by a split or merge and takes no more writes.
        public static let shardClosed = Code(.shardClosed)
        /// A record is larger than the configured maximum. Nothing was written.
        public static let recordTooLarge = Code(.recordTooLarge)
        /// Stored bytes failed a checksum or structural check; the message names the file and offset.
        public static let corruption = Code(.corruption)
        /// A system call failed; the message names the operation, the file and the errno text.
        public static let ioFailure = Code(.ioFailure)
        /// An earlier write or fsync failed; the shard refuses writes until the store is reopened.
        public static let shardFailed = Code(.shardFailed)
        /// Another process holds the data directory's write lock.
        public static let locked = Code(.locked)
        /// A file was written by an unknown format version.
        public static let unsupportedFormat = Code(.unsupportedFormat)
        /// The store has been closed.
        public static let closed = Code(.closed)
        /// A write was attempted through a store opened read-only.
        public static let readOnly = Code(.readOnly)
        /// An idempotent producer retried an append older than the shard's deduplication window.
        public static let duplicateSequence = Code(.duplicateSequence)
        /// An idempotent producer's append skips ahead of the next expected sequence.
        public static let outOfOrderSequence = Code(.outOfOrderSequence)
        /// A consumer-group member no longer holds the lease on a shard (another member took it).
        public static let leaseLost = Code(.leaseLost)
        /// An encrypted stream's master key cannot be had: no key file, no key of that name in it,
        /// or a key that does not unwrap the stream's data key. The message names the stream, the
        /// key id and the key file. Nothing was read or written, and nothing is deleted.
        public static let encryptionKeyUnavailable = Code(.encryptionKeyUnavailable)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension StreamQStorageError {
    static func invalid(_ message: String) -> Self { .init(.invalidArgument, message) }
    static func corrupt(_ path: String, offset: Int, _ what: String) -> Self {
        .init(.corruption, "corruption in \(path) at byte \(offset): \(what)")
    }
}
