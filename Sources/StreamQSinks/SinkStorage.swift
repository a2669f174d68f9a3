/// Where a ``FileSink``'s committed files go: a local directory (``LocalSinkStorage``) or an object
/// store (S3, in StreamQRemote).
///
/// The sink writes each file into ``stagingDirectory`` first; a commit then publishes the finished
/// files under their final, deterministic names, then the error file, and last the manifest, so a
/// reader (and a restart) sees a file only once a manifest lists it. Paths are relative to the
/// destination's root, `/`-separated (`dt=2026-01-01/part-00000003-0000.jsonl`).
public protocol SinkStorage: AnyObject, Sendable {
    /// The destination as users name it, for messages (`/data/out`, `s3://bucket/prefix`).
    var location: String { get }
    /// The local directory files are written into before they are published. In-progress files
    /// there are hidden (`.…inprogress`) until ``publish(_:)`` takes them.
    var stagingDirectory: String { get }
    /// The names of the manifests committed so far (`0000000007.json`), in commit order.
    func manifestNames() async throws -> [String]
    /// The bytes of the manifest `name`.
    func readManifest(_ name: String) async throws -> [UInt8]
    /// Publishes finished staged files under their final paths; the staged files are gone afterwards.
    func publish(_ files: [StagedFile]) async throws
    /// Publishes `bytes` as the file at `path` (the error output).
    func publish(bytes: [UInt8], as path: String) async throws
    /// Writes the manifest `name` (last in a commit: it makes the commit's files part of the output).
    func writeManifest(_ bytes: [UInt8], named name: String) async throws
    /// Deletes every part file that `committed` does not list (an unfinished commit's) and every
    /// staged, in-progress file.
    func removeUncommitted(keeping committed: Set<String>) async throws
}

/// A finished file in the staging directory and the path it is published under.
public struct StagedFile: Sendable, Equatable {
    /// Where the file is now (in ``SinkStorage/stagingDirectory``).
    public var stagedPath: String
    /// Where it goes, relative to the destination's root.
    public var path: String

    public init(stagedPath: String, path: String) {
        self.stagedPath = stagedPath
        self.path = path
    }
}
