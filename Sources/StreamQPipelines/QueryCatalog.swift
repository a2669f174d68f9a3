import FoundationEssentials
import StreamQStorage

/// The persistent queries of a data directory, one folder each under
/// `<data-dir>/persistent-queries/<name>/`: `definition.json` (what to run), `checkpoint.json`
/// (where it is, with the rows of its last commit) and `status.json` (what its host last saw).
///
/// Every file is replaced atomically, so a host process and a CLI process can share the catalog:
/// the CLI writes definitions, the host notices them on its next look.
public struct QueryCatalog: Sendable {
    public let directory: String

    public init(dataDirectory: String) {
        directory = dataDirectory + "/persistent-queries"
    }

    public func folder(of name: String) -> String { directory + "/" + name }
    func definitionPath(_ name: String) -> String { folder(of: name) + "/definition.json" }
    func checkpointPath(_ name: String) -> String { folder(of: name) + "/checkpoint.json" }
    func statusPath(_ name: String) -> String { folder(of: name) + "/status.json" }

    /// Every definition, by name.
    public func definitions() throws -> [QueryDefinition] {
        guard FileSystem.isDirectory(directory) else { return [] }
        return try FileSystem.contents(of: directory).sorted().compactMap { name in
            guard (try? QueryDefinition.validateName(name)) != nil else { return nil }
            return try definition(name)
        }
    }

    /// The definition named `name`, or nil.
    public func definition(_ name: String) throws -> QueryDefinition? {
        try QueryDefinition.validateName(name)
        let path = definitionPath(name)
        guard FileSystem.exists(path) else { return nil }
        do {
            return try JSONDecoder().decode(QueryDefinition.self, from: Data(try FileSystem.readFile(path)))
        } catch {
            throw PipelineError("the definition of query '\(name)' in \(path) is unreadable: \(error)")
        }
    }

    public func save(_ definition: QueryDefinition) throws {
        try QueryDefinition.validateName(definition.name)
        try FileSystem.createDirectories(folder(of: definition.name))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileSystem.writeAtomically(Array(try encoder.encode(definition)), to: definitionPath(definition.name))
    }

    /// Removes a query's definition, checkpoint and status.
    public func remove(_ name: String) throws {
        try QueryDefinition.validateName(name)
        try FileSystem.removeTree(folder(of: name))
    }

    /// Removes the checkpoint, so the query starts over (used when its text is replaced).
    func removeCheckpoint(_ name: String) throws {
        let path = checkpointPath(name)
        if FileSystem.exists(path) { try FileSystem.remove(path) }
    }

    /// The name for the next `INSERT INTO target`: `<target>_insert_<n>`, the first n not taken.
    public func nextInsertName(into target: String) throws -> String {
        let taken = Set(try definitions().map(\.name))
        var number = 1
        while taken.contains("\(target)_insert_\(number)") { number += 1 }
        let name = "\(target)_insert_\(number)"
        try QueryDefinition.validateName(name)
        return name
    }

    /// The saved checkpoint's progress, or nil before the first commit.
    public func progress(of name: String) throws -> QueryProgress? {
        let path = checkpointPath(name)
        guard FileSystem.exists(path) else { return nil }
        let bytes = try FileSystem.readFile(path)
        let commit = try OutputCommit.decode(bytes, origin: path)
        return QueryProgress(commit: commit, checkpointBytes: bytes.count)
    }

    /// What the query's host last wrote, or nil.
    public func status(of name: String) -> QueryStatus? {
        let path = statusPath(name)
        guard let bytes = try? FileSystem.readFile(path) else { return nil }
        return try? JSONDecoder().decode(QueryStatus.self, from: Data(bytes))
    }

    func saveStatus(_ status: QueryStatus, of name: String) throws {
        guard FileSystem.isDirectory(folder(of: name)) else { return }  // terminated meanwhile
        try FileSystem.writeAtomically(Array(try JSONEncoder().encode(status)), to: statusPath(name))
    }
}
