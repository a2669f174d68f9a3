import FoundationEssentials

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

    /// Decodes the manifest `name` of `origin` (named in the error when it is unreadable).
    static func decode(_ bytes: [UInt8], name: String, origin: String) throws -> SinkManifest {
        do {
            return try JSONDecoder().decode(SinkManifest.self, from: Data(bytes))
        } catch {
            throw SinkError("sink manifest \(origin)/_manifest/\(name) is unreadable: \(error)")
        }
    }

    /// The manifest's file name: the commit number, zero-padded so names sort by number.
    var name: String { zeroPadded(commit, 10) + ".json" }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }
}

/// `n` in decimal, left-padded with zeros to `width` digits (file names sort by number).
func zeroPadded(_ number: Int, _ width: Int) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
