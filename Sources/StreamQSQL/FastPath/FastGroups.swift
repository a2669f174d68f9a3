#if canImport(Glibc)
import Glibc
#endif

/// The fast path's grouping: each row's pane start and group key encoded as bytes, looked up in an
/// open-addressing table, and the aggregates folded into typed cells. At the end the groups are
/// handed to an ``AggregationState`` as ordinary accumulators, so merging, HAVING, ORDER BY and
/// output are the row engine's.
struct FastGroups: Sendable {
    /// An aggregate the fast path folds: `count(*)`, or count/sum/avg/min/max of a field.
    struct Aggregate: Sendable {
        enum Function { case countStar, count, sum, average, minimum, maximum }
        var function: Function
        /// The argument's index in the extracted values (unused for `count(*)`).
        var field: Int
    }

    /// One aggregate's running state for one group.
    struct Cell: Sendable {
        var count: Int64 = 0
        var integerSum: Int128 = 0
        var doubleSum: Double = 0
        var isDouble = false
        var seen = false
        /// MIN/MAX so far: none, an integer or a double.
        var best: FastValue.Kind = .null
        var bestInteger: Int64 = 0
        var bestDouble: Double = 0
    }

    let aggregates: [Aggregate]
    let keyFields: [Int]
    /// Encoded keys back to back; group g's at `keyStarts[g] ..< keyStarts[g + 1]`.
    private var keyBytes: [UInt8] = []
    private var keyStarts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Group number + 1 per bucket (0: empty); a power of two long.
    private var buckets = [Int32](repeating: 0, count: 64)
    private var cells: [Cell] = []
    /// The key of the row being added.
    private var scratch: [UInt8] = []
    /// Mixed into every hash; random per table.
    private let seed = UInt64.random(in: 1...UInt64.max)

    var count: Int { hashes.count }

    init(aggregates: [Aggregate], keyFields: [Int]) {
        self.aggregates = aggregates
        self.keyFields = keyFields
        scratch.reserveCapacity(256)
    }

    /// Whether the row's aggregate inputs are ones the fast path folds exactly as the row engine
    /// would (numbers or NULL for sum, avg, min and max): checked before anything is folded.
    @inline(__always)
    func accepts(_ values: UnsafeMutableBufferPointer<FastValue>) -> Bool {
        for aggregate in aggregates {
            switch aggregate.function {
            case .countStar, .count: continue
            case .sum, .average, .minimum, .maximum:
                let kind = values[aggregate.field].kind
                if kind != .null && kind != .integer && kind != .double { return false }
            }
        }
        return true
    }

    /// Folds one row into the group of its key in the pane starting at `paneStart`.
    /// - Returns: false (nothing folded) when a key value is one the fast path does not group by.
    @inline(__always)
    mutating func add(
        _ values: UnsafeMutableBufferPointer<FastValue>,
        record: UnsafeRawBufferPointer,
        paneStart: Int64
    ) -> Bool {
        guard encodeKey(values, record: record, paneStart: paneStart) else { return false }
        let group = findOrInsert()
        let base = group * aggregates.count
        cells.withUnsafeMutableBufferPointer { cells in
            for index in 0..<aggregates.count {
                let aggregate = aggregates[index]
                let value = aggregate.function == .countStar ? FastValue.null : values[aggregate.field]
                Self.fold(aggregate.function, value, into: &cells[base + index])
            }
        }
        return true
    }

    @inline(__always)
    private static func fold(_ function: Aggregate.Function, _ value: FastValue, into cell: inout Cell) {
        switch function {
        case .countStar:
            cell.count += 1
        case .count:
            if value.kind != .null { cell.count += 1 }
        case .sum:
            switch value.kind {
            case .integer:
                cell.integerSum += Int128(value.integer)
                cell.doubleSum += Double(value.integer)
                cell.seen = true
            case .double:
                cell.doubleSum += value.double
                cell.isDouble = true
                cell.seen = true
            default: break
            }
        case .average:
            guard value.isNumber else { return }
            cell.doubleSum += value.number
            cell.count += 1
        case .minimum, .maximum:
            guard value.isNumber else { return }
            if cell.best != .null {
                let order: Int
                if value.kind == .integer && cell.best == .integer {
                    order = value.integer < cell.bestInteger ? -1 : (value.integer == cell.bestInteger ? 0 : 1)
                } else {
                    let best = cell.best == .integer ? Double(cell.bestInteger) : cell.bestDouble
                    order = value.number < best ? -1 : (value.number == best ? 0 : 1)
                }
                guard order == (function == .maximum ? 1 : -1) else { return }
            }
            cell.best = value.kind
            cell.bestInteger = value.integer
            cell.bestDouble = value.double
        }
    }

    /// Key bytes: the pane start, then per key field a kind byte and its value (8 bytes for
    /// numbers, 1 for booleans, a 4-byte length and the bytes for text, nothing for NULL).
    @inline(__always)
    private mutating func encodeKey(
        _ values: UnsafeMutableBufferPointer<FastValue>,
        record: UnsafeRawBufferPointer,
        paneStart: Int64
    ) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        withUnsafeBytes(of: paneStart.littleEndian) { scratch.append(contentsOf: $0) }
        for field in keyFields {
            let value = values[field]
            scratch.append(value.kind.rawValue)
            switch value.kind {
            case .null: break
            case .boolean: scratch.append(UInt8(value.integer))
            case .integer: withUnsafeBytes(of: value.integer.littleEndian) { scratch.append(contentsOf: $0) }
            case .double:
                // 0.0 and -0.0 are one group, as they are equal values.
                let bits = value.double == 0 ? 0 : value.double.bitPattern
                withUnsafeBytes(of: bits.littleEndian) { scratch.append(contentsOf: $0) }
            case .string:
                withUnsafeBytes(of: UInt32(value.count).littleEndian) { scratch.append(contentsOf: $0) }
                scratch.append(
                    contentsOf: UnsafeRawBufferPointer(rebasing: record[value.start..<(value.start + value.count)])
                )
            case .other:
                return false
            }
        }
        return true
    }

    @inline(__always)
    private mutating func findOrInsert() -> Int {
        let hash = scratch.withUnsafeBytes { key in
            var hash = seed
            @inline(__always) func mix(_ value: UInt64) {
                hash = (hash ^ value) &* 0x9E37_79B9_7F4A_7C15
                hash ^= hash >> 29
            }
            var index = 0
            while index + 8 <= key.count {
                mix(key.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                index += 8
            }
            var tail = UInt64(key.count) << 56
            var shift: UInt64 = 0
            while index < key.count {
                tail |= UInt64(key[index]) << shift
                shift += 8
                index += 1
            }
            mix(tail)
            return hash
        }
        let mask = buckets.count - 1
        var bucket = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = Int(buckets[bucket])
            if entry == 0 { break }
            let group = entry - 1
            if hashes[group] == hash, sameKey(group) { return group }
            bucket = (bucket + 1) & mask
        }
        let group = hashes.count
        hashes.append(hash)
        keyBytes.append(contentsOf: scratch)
        keyStarts.append(keyBytes.count)
        cells.append(contentsOf: repeatElement(Cell(), count: aggregates.count))
        buckets[bucket] = Int32(group + 1)
        if hashes.count * 2 > buckets.count { grow() }
        return group
    }

    @inline(__always)
    private func sameKey(_ group: Int) -> Bool {
        let start = keyStarts[group]
        let count = keyStarts[group + 1] - start
        guard count == scratch.count else { return false }
        return keyBytes.withUnsafeBytes { stored in
            scratch.withUnsafeBytes { key in memcmp(stored.baseAddress! + start, key.baseAddress!, count) == 0 }
        }
    }

    private mutating func grow() {
        buckets = [Int32](repeating: 0, count: buckets.count * 2)
        let mask = buckets.count - 1
        for (group, hash) in hashes.enumerated() {
            var bucket = Int(truncatingIfNeeded: hash) & mask
            while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
            buckets[bucket] = Int32(group + 1)
        }
    }

    /// Every group as the row engine keeps it: pane start, key values and accumulators.
    func forEachGroup(_ body: (_ paneStart: Int64, _ key: [SQLValue], _ states: [Accumulator]) -> Void) {
        keyBytes.withUnsafeBytes { bytes in
            for group in 0..<count {
                var offset = keyStarts[group]
                let paneStart = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
                offset += 8
                var key: [SQLValue] = []
                for _ in keyFields {
                    let kind = FastValue.Kind(rawValue: bytes[offset])!
                    offset += 1
                    switch kind {
                    case .null, .other: key.append(.null)
                    case .boolean:
                        key.append(.boolean(bytes[offset] != 0))
                        offset += 1
                    case .integer:
                        key.append(
                            .integer(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
                        )
                        offset += 8
                    case .double:
                        let bits = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                        key.append(.double(Double(bitPattern: bits)))
                        offset += 8
                    case .string:
                        let length = Int(
                            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                        )
                        offset += 4
                        key.append(.string(String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)))
                        offset += length
                    }
                }
                let states = (0..<aggregates.count).map { index in
                    Self.accumulator(aggregates[index].function, cells[group * aggregates.count + index])
                }
                body(paneStart, key, states)
            }
        }
    }

    /// A cell as the row engine's accumulator for the same aggregate.
    private static func accumulator(_ function: Aggregate.Function, _ cell: Cell) -> Accumulator {
        switch function {
        case .countStar, .count: return .count(cell.count)
        case .sum:
            return .sum(integer: cell.integerSum, double: cell.doubleSum, isDouble: cell.isDouble, seen: cell.seen)
        case .average: return .average(sum: cell.doubleSum, count: cell.count)
        case .minimum, .maximum:
            let value: SQLValue =
                switch cell.best {
                case .integer: .integer(cell.bestInteger)
                case .double: .double(cell.bestDouble)
                default: .null
                }
            return .extreme(value, greatest: function == .maximum)
        }
    }
}
