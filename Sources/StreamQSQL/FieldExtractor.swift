import StreamQJSON
import Synchronization

/// The JSON paths a query reads, gathered while it is compiled, and their one-pass extraction:
/// each record's top-level object is scanned once for all of them, instead of once per field.
final class FieldRegistry: Sendable {
    private let registered = Mutex<[[JSONPathStep]]>([])

    /// The index of `path` in the extracted values, registering it if new.
    func index(of path: [JSONPathStep]) -> Int {
        registered.withLock { paths in
            if let index = paths.firstIndex(of: path) { return index }
            paths.append(path)
            return paths.count - 1
        }
    }

    var paths: [[JSONPathStep]] { registered.withLock { $0 } }

    /// The registry of the query being compiled, if any.
    @TaskLocal static var current: FieldRegistry?
}

/// Extracts a fixed set of paths from records in one scan of each record's top-level object.
struct FieldExtractor: Sendable {
    let paths: [[JSONPathStep]]
    /// Top-level key → the paths that start with it.
    private let byFirstKey: [String: [Int]]

    init(paths: [[JSONPathStep]]) {
        self.paths = paths
        var byFirstKey: [String: [Int]] = [:]
        for (index, path) in paths.enumerated() {
            if case .key(let key) = path.first { byFirstKey[key, default: []].append(index) }
        }
        self.byFirstKey = byFirstKey
    }

    /// The values of every path in `data` (NULL where missing).
    /// - Throws: `JSONFieldLookup.SyntaxError` when the record is not a JSON object.
    func extract(from data: [UInt8]) throws(JSONFieldLookup.SyntaxError) -> [SQLValue] {
        var values = [SQLValue](repeating: .null, count: paths.count)
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(JSONFieldLookup.SyntaxError) in
                try JSONFieldLookup.forEachTopLevelField(in: bytes) { (key, value) throws(JSONFieldLookup.SyntaxError) -> Bool in
                    guard let indices = byFirstKey[key] else { return false }
                    for index in indices {
                        let rest = Array(paths[index].dropFirst())
                        values[index] = rest.isEmpty
                            ? SQLValue(json: try JSONFieldLookup.value(at: [], in: value))
                            : SQLValue(json: try JSONFieldLookup.value(at: rest, in: value))
                    }
                    return false
                }
            }
        }
        try result.get()
        return values
    }
}
