import StreamQJSON
import Synchronization

/// The JSON paths a query reads, gathered while it is compiled, and their one-pass extraction:
/// each record's top-level object is scanned once for all of them, instead of once per field.
final class FieldRegistry: Sendable {
    private let registered = Mutex<[[JSONPathStep]]>([])
    /// Whether the query reads `_sequence` or `_shard`, which cost a string per record to provide.
    let readsPosition = Atomic<Bool>(false)

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
    /// Each distinct top-level key (as UTF-8) with the paths that start with it.
    private let firstKeys: [(key: [UInt8], paths: [Int])]

    init(paths: [[JSONPathStep]]) {
        self.paths = paths
        var firstKeys: [(key: [UInt8], paths: [Int])] = []
        for (index, path) in paths.enumerated() {
            guard case .key(let key) = path.first else { continue }
            let bytes = Array(key.utf8)
            if let existing = firstKeys.firstIndex(where: { $0.key == bytes }) {
                firstKeys[existing].paths.append(index)
            } else {
                firstKeys.append((bytes, [index]))
            }
        }
        self.firstKeys = firstKeys
    }

    /// The entry for a raw key from the document, comparing bytes (decoding only escaped keys).
    private func entry(for key: UnsafeRawBufferPointer, hasEscapes: Bool) throws(JSONFieldLookup.SyntaxError) -> Int? {
        if hasEscapes {
            let decoded = try JSONFieldLookup.decodeString(key)
            return firstKeys.firstIndex { $0.key == decoded }
        }
        return firstKeys.firstIndex { $0.key.count == key.count && $0.key.elementsEqual(key) }
    }

    /// The values of every path in `data` (NULL where missing).
    /// - Throws: `JSONFieldLookup.SyntaxError` when the record is not a JSON object.
    func extract(from data: [UInt8]) throws(JSONFieldLookup.SyntaxError) -> [SQLValue] {
        var values = [SQLValue](repeating: .null, count: paths.count)
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(JSONFieldLookup.SyntaxError) in
                try JSONFieldLookup.forEachTopLevelField(in: bytes) { (key, escaped, value) throws(JSONFieldLookup.SyntaxError) -> Bool in
                    guard let found = try entry(for: key, hasEscapes: escaped) else { return false }
                    for index in firstKeys[found].paths {
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
