import FoundationEssentials
import StreamQStorage

/// `<state-dir>/checkpoints.json`: per file, how far its lines are acknowledged by the stream and
/// which appends were sent without an acknowledgement yet. Written atomically (temp file, fsync,
/// rename, fsync of the directory), so a `kill -9` leaves the previous or the next version.
struct ShipCheckpoint: Codable, Sendable {
    /// Random once per state directory: part of every file's producer id, so that a state
    /// directory started afresh never collides with the deduplication history of an old one.
    var instance: UInt64
    var files: [FileCheckpoint]

    static func load(_ path: String) throws(ShipError) -> ShipCheckpoint? {
        guard FileSystem.exists(path) else { return nil }
        do {
            return try JSONDecoder().decode(ShipCheckpoint.self, from: Data(FileSystem.readFile(path)))
        } catch {
            throw ShipError("cannot read the checkpoint \(path): \(error)")
        }
    }

    func save(_ path: String) throws(ShipError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try FileSystem.writeAtomically(Array(try encoder.encode(self)), to: path)
        } catch {
            throw ShipError("cannot write the checkpoint \(path): \(error)")
        }
    }
}

/// One file's entry in the checkpoint.
struct FileCheckpoint: Codable, Sendable {
    /// The file's producer id (see ``FileProducer``); never 0.
    var key: UInt64
    var inode: Inode
    var fingerprint: FileFingerprint
    /// Where the file was last seen.
    var path: String
    /// Just past the last line whose record the stream acknowledged, in order: shipping resumes here.
    var ackedOffset: Int
    /// The producer sequence of the next new append.
    var nextSequence: UInt64
    /// Appends sent (or about to be) and not known to be acknowledged, oldest first: resent as they
    /// were after a restart, so the stream recognises those it already stored.
    var inDoubt: [AppendIntent]
    /// Seconds since the epoch when the file was last seen; old entries are forgotten.
    var lastSeen: Int64
    /// The file's modification time when it was closed with everything shipped, as inactive or at a
    /// stop (see ``FileStatus/modified``): while the file under `inode` still has it and is still
    /// `ackedOffset` long, scans (and the next start) need not open it.
    var closedUnchangedAt: Int? = nil
}

/// An append's stamp and the lines it carries: `lines` records (a line each, or a group of lines
/// with multiline) from byte `start` to byte `end`.
struct AppendIntent: Codable, Sendable, Equatable {
    var sequence: UInt64
    var start: Int
    var end: Int
    var lines: Int
}
