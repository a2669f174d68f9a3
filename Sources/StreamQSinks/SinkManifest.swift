import FoundationEssentials
import StreamQStorage

/// One commit of a file sink: the files it published and the state the writer resumes from.
struct SinkManifest: Codable {
    struct File: Codable {
        /// Relative to the sink's root.
        var path: String
        var rows: Int
        var bytes: Int
    }

    var commit: Int
    var files: [File]
    var errorFile: String?
    var errors: Int
    /// The writer's progress (a follow query's checkpoint, JSON), saved with the files it produced.
    var state: String?
    /// The Parquet schema the sink's files share.
    var columnTypes: [ColumnType]?

    static func read(_ path: String) throws -> SinkManifest {
        do {
            return try JSONDecoder().decode(SinkManifest.self, from: Data(try FileSystem.readFile(path)))
        } catch {
            throw SinkError("sink manifest \(path) is unreadable: \(error)")
        }
    }

    func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileSystem.writeAtomically(
            Array(try encoder.encode(self)),
            to: directory + "/" + zeroPadded(commit, 10) + ".json"
        )
    }
}

/// `n` in decimal, left-padded with zeros to `width` digits (file names sort by number).
func zeroPadded(_ number: Int, _ width: Int) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
