import StreamQJSON
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

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
final class FieldExtractor: Sendable {
    let paths: [[JSONPathStep]]
    /// Each distinct top-level key (as UTF-8) with the paths that start with it, and the rest of
    /// each path below that key.
    private let firstKeys: [(key: [UInt8], paths: [(index: Int, rest: [JSONPathStep])])]
    /// Wanted keys by a 6-bit signature of their bytes, so most other keys are dismissed at once:
    /// -1 none, -2 several, else the one wanted key's entry.
    private let keySignatures: [Int]
    /// Per first key: the one path that is just that key (the common case), or -1.
    private let wholeValueIndex: [Int]
    /// Every first key's bytes, back to back, and where each starts (one more entry: the end), so
    /// the per-field lookup reads raw memory instead of arrays of arrays.
    private let keyBytes: [UInt8]
    private let keyStarts: [Int]

    init(paths: [[JSONPathStep]]) {
        self.paths = paths
        var firstKeys: [(key: [UInt8], paths: [(index: Int, rest: [JSONPathStep])])] = []
        for (index, path) in paths.enumerated() {
            guard case .key(let key) = path.first else { continue }
            let bytes = Array(key.utf8)
            let entry = (index: index, rest: Array(path.dropFirst()))
            if let existing = firstKeys.firstIndex(where: { $0.key == bytes }) {
                firstKeys[existing].paths.append(entry)
            } else {
                firstKeys.append((bytes, [entry]))
            }
        }
        self.firstKeys = firstKeys
        var signatures = [Int](repeating: -1, count: 64)
        for (index, entry) in firstKeys.enumerated() where !entry.key.isEmpty {
            entry.key.withUnsafeBytes { key in
                let signature = Self.signature(key)
                signatures[signature] = signatures[signature] == -1 ? index : -2
            }
        }
        keySignatures = signatures
        wholeValueIndex = firstKeys.map { $0.paths.count == 1 && $0.paths[0].rest.isEmpty ? $0.paths[0].index : -1 }
        keyBytes = firstKeys.flatMap(\.key)
        var starts = [0]
        for entry in firstKeys { starts.append(starts.last! + entry.key.count) }
        keyStarts = starts
    }

    /// Length, first and last byte, folded into 0..<64.
    @inline(__always)
    private static func signature(_ key: UnsafeRawBufferPointer) -> Int {
        let first = Int(key.load(fromByteOffset: 0, as: UInt8.self))
        let last = Int(key.load(fromByteOffset: key.count - 1, as: UInt8.self))
        return (key.count &* 7 &+ first &* 3 &+ last) & 63
    }

    /// The entry for a key with escapes (rare): decoded, then compared.
    private func entry(forEscaped key: UnsafeRawBufferPointer) throws(JSONFieldLookup.SyntaxError) -> Int? {
        let decoded = try JSONFieldLookup.decodeString(key)
        return firstKeys.firstIndex { $0.key == decoded }
    }

    /// The entry for a raw key (no escapes), by its signature and then its bytes.
    @inline(__always)
    private static func entry(
        for key: UnsafeRawBufferPointer,
        signatures: UnsafeBufferPointer<Int>,
        keyBytes: UnsafeBufferPointer<UInt8>,
        keyStarts: UnsafeBufferPointer<Int>
    ) -> Int? {
        guard key.count > 0 else {
            return (0..<(keyStarts.count - 1)).first { keyStarts[$0] == keyStarts[$0 + 1] }
        }
        let slot = signatures[signature(key)]
        if slot == -1 { return nil }
        // One wanted key with this signature (the usual case), or several (-2): compare with all.
        let candidates = slot >= 0 ? slot..<(slot + 1) : 0..<(keyStarts.count - 1)
        for index in candidates where keyStarts[index + 1] - keyStarts[index] == key.count {
            let start = keyStarts[index]
            var matches = true
            for offset in 0..<key.count where keyBytes[start + offset] != key[offset] {
                matches = false
                break
            }
            if matches { return index }
        }
        return nil
    }

    /// Writes the value of every path in `data` into `values` (NULL where missing), reusing its storage.
    /// - Throws: `JSONFieldLookup.SyntaxError` when the record is not a JSON object.
    func extract(from data: UnsafeRawBufferPointer, into values: inout [SQLValue]) throws(JSONFieldLookup.SyntaxError) {
        if values.count != paths.count {
            values = [SQLValue](repeating: .null, count: paths.count)
        } else {
            for index in values.indices { values[index] = .null }
        }
        // The whole record is scanned even after the last wanted key, so a malformed tail is an error.
        let result = keySignatures.withUnsafeBufferPointer { signatures in
            keyBytes.withUnsafeBufferPointer { keyBytes in
                keyStarts.withUnsafeBufferPointer { keyStarts in
                    Result { () throws(JSONFieldLookup.SyntaxError) in
                        try extract(
                            from: data,
                            into: &values,
                            signatures: signatures,
                            keyBytes: keyBytes,
                            keyStarts: keyStarts
                        )
                    }
                }
            }
        }
        try result.get()
    }

    /// Every path is a whole top-level key (`status`, not `client.ip`), as the fast path needs.
    var isFlat: Bool { firstKeys.count == paths.count && !wholeValueIndex.contains(-1) }

    /// The fast path's extraction (``isFlat`` extractors only): each path's value as a
    /// ``FastValue`` viewing `data`, in one ``FastFieldScanner`` pass over the whole record, the
    /// keys predicted by (and taught to) the worker's `layout`. A number is parsed only for the
    /// values whose `parsesNumber` flag is set; the others are left null (strings are always
    /// checked, so the record is declined as before when one has escapes or is not UTF-8).
    /// - Returns: false when the row engine must take the record: it is not a well-formed JSON
    ///   object, a key has escapes, or an extracted string has escapes or is not UTF-8.
    func extractFast(
        from data: UnsafeRawBufferPointer,
        into values: UnsafeMutableBufferPointer<FastValue>,
        parsesNumber: UnsafeBufferPointer<Bool>,
        layout: FastKeyLayout
    ) -> Bool {
        for index in values.indices { values[index] = .null }
        return keySignatures.withUnsafeBufferPointer { signatures in
            keyBytes.withUnsafeBufferPointer { keyBytes in
                keyStarts.withUnsafeBufferPointer { keyStarts in
                    wholeValueIndex.withUnsafeBufferPointer { wholeValueIndex in
                        FastFieldScanner.scan(
                            data,
                            layout: layout,
                            entry: { key in
                                Self.entry(for: key, signatures: signatures, keyBytes: keyBytes, keyStarts: keyStarts)
                                    ?? -1
                            },
                            parsesNumber: { entry in parsesNumber[wholeValueIndex[entry]] },
                            found: { entry, value in values[wholeValueIndex[entry]] = value }
                        )
                    }
                }
            }
        }
    }

    @inline(__always)
    private func extract(
        from data: UnsafeRawBufferPointer,
        into values: inout [SQLValue],
        signatures: UnsafeBufferPointer<Int>,
        keyBytes: UnsafeBufferPointer<UInt8>,
        keyStarts: UnsafeBufferPointer<Int>
    ) throws(JSONFieldLookup.SyntaxError) {
        try JSONFieldLookup.forEachTopLevelField(in: data) {
            (key, escaped, value) throws(JSONFieldLookup.SyntaxError) -> Bool in
            let found =
                escaped
                ? try entry(forEscaped: key)
                : Self.entry(for: key, signatures: signatures, keyBytes: keyBytes, keyStarts: keyStarts)
            guard let entry = found else { return false }
            let index = wholeValueIndex[entry]
            if index >= 0 {
                values[index] = try SQLValue(rawJSON: value)
            } else {
                for (index, rest) in firstKeys[entry].paths {
                    values[index] =
                        rest.isEmpty
                        ? try SQLValue(rawJSON: value)
                        : SQLValue(json: try JSONFieldLookup.value(at: rest, in: value))
                }
            }
            return false
        }
    }
}
