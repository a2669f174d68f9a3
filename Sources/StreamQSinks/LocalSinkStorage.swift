import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// Committed files in a local directory: files are written in place, hidden, and published by a
/// rename; the directories are fsynced before the manifest is written (atomically), so a crash
/// never leaves a manifest listing a file that is not there.
public final class LocalSinkStorage: SinkStorage {
    public let root: String

    public init(root: String) { self.root = root }

    /// The storage of a `file://` destination.
    convenience init(directoryOf destination: SinkDestination) {
        guard case .directory(let root) = destination.location else {
            preconditionFailure("\(destination.root) is not a directory: give the sink its storage")
        }
        self.init(root: root)
    }

    public var location: String { root }
    public var stagingDirectory: String { root }
    private var manifestDirectory: String { root + "/_manifest" }

    public func manifestNames() throws -> [String] {
        guard FileSystem.exists(manifestDirectory) else { return [] }
        return try FileSystem.contents(of: manifestDirectory).filter { $0.hasSuffix(".json") }.sorted()
    }

    public func readManifest(_ name: String) throws -> [UInt8] {
        try FileSystem.readFile(manifestDirectory + "/" + name)
    }

    public func publish(_ files: [StagedFile]) throws {
        var directories = Set<String>()
        for file in files {
            let final = root + "/" + file.path
            try FileSystem.rename(file.stagedPath, to: final)
            directories.insert(Self.parent(of: final))
        }
        for directory in directories { try FileSystem.syncDirectory(directory) }
    }

    public func publish(bytes: [UInt8], as path: String) throws {
        let final = root + "/" + path
        let directory = Self.parent(of: final)
        try FileSystem.createDirectories(directory)
        let temporary = directory + "/." + final.dropFirst(directory.count + 1) + ".inprogress"
        let handle = try FileHandle.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC)
        try handle.write(bytes, at: 0)
        try handle.sync()
        try FileSystem.rename(temporary, to: final)
        try FileSystem.syncDirectory(directory)
    }

    public func writeManifest(_ bytes: [UInt8], named name: String) throws {
        try FileSystem.createDirectories(manifestDirectory)
        try FileSystem.writeAtomically(bytes, to: manifestDirectory + "/" + name)
    }

    public func removeUncommitted(keeping committed: Set<String>) throws {
        try removeUncommitted(in: root, relative: "", keeping: committed)
    }

    private func removeUncommitted(in directory: String, relative: String, keeping committed: Set<String>) throws {
        guard FileSystem.exists(directory) else { return }
        for name in try FileSystem.contents(of: directory) where name != "_manifest" {
            let path = directory + "/" + name
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            if FileSystem.isDirectory(path) {
                try removeUncommitted(in: path, relative: relativePath, keeping: committed)
            } else if name.hasSuffix(".inprogress") || (name.hasPrefix("part-") && !committed.contains(relativePath)) {
                try FileSystem.remove(path)
            }
        }
    }

    private static func parent(of path: String) -> String {
        String(path[..<path.lastIndex(of: "/")!])
    }
}
