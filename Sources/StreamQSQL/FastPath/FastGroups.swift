#if canImport(Glibc)
import Glibc
#endif

/// The fast path's grouping: each row's pane start and group key encoded as bytes, looked up in an
/// open-addressing table, and the aggregates folded into typed cells. Partial states over other
/// rows ``merge(_:aggregates:)`` as they are, and a bounded query whose rows all went this way
/// takes its windows' results from the cells (``results(aggregates:window:parallelism:)``);
/// otherwise the groups are handed to an ``AggregationState`` as ordinary accumulators.
///
/// For SESSION windows a group's cells hold its newest session; a row at or after that session's
/// start extends it, or (a gap or more after its last row) closes it and starts the next. A row
/// before it becomes a closed session of its own: closed sessions are kept as they come, and
/// sorted and joined where they come within the gap when they are read.
struct FastGroups: Sendable {
    /// An aggregate the fast path folds: `count(*)`, count/sum/avg/min/max of a field into typed
    /// cells, `count(DISTINCT field)` into a typed set of values per group, or another aggregate
    /// of a field (other DISTINCT ones, sketches, variance, first/last) into the row engine's own
    /// accumulator, skipping the rest of the row engine.
    struct Aggregate: Sendable {
        enum Function: Sendable, Equatable {
            case countStar, count, sum, average, minimum, maximum
            /// `count(DISTINCT field)`: the values go into `distinctValues[set]`, the cell counts
            /// those new to its group. Counts of two panes do not add up, so this is only for
            /// queries whose groups are never merged pane with pane (no HOP of several panes, no
            /// SESSION).
            case countDistinct(set: Int)
            /// Folded by ``AggregateSpec/fold(_:arrival:into:)`` from this initial state; `numeric`:
            /// the row engine accepts only numbers (and NULL).
            case accumulator(initial: Accumulator, numeric: Bool)
        }
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
    /// The gap of a SESSION window, if the query has one.
    let sessionGap: Int64?
    /// Per group, its newest session's first and last row times (SESSION only).
    private(set) var sessionStarts: [Int64] = []
    private(set) var sessionLasts: [Int64] = []
    /// Closed sessions (in no particular order, possibly within the gap of one another) and
    /// their cells (`aggregates.count` each).
    private(set) var closedSessions: [(group: Int, start: Int64, last: Int64)] = []
    private(set) var closedCells: [Cell] = []
    private(set) var closedAccumulators: [Accumulator] = []
    /// Encoded keys back to back; group g's at `keyStarts[g] ..< keyStarts[g + 1]`.
    private var keyBytes: [UInt8] = []
    private var keyStarts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Group number + 1 per bucket (0: empty); a power of two long.
    private var buckets = [Int32](repeating: 0, count: 64)
    private(set) var cells: [Cell] = []
    /// Per group and aggregate, the accumulator of an `.accumulator` aggregate (empty when the
    /// query has none).
    private(set) var accumulators: [Accumulator] = []
    let usesAccumulators: Bool
    /// The values of each `.countDistinct` aggregate, by its set number.
    private var distinctValues: [FastDistinctValues]
    /// Follow mode: keep every sum and avg input as an addend (and leave the cells' running sums
    /// of doubles out of their states), so the query's state adds them in row order.
    var keepsAddends = false
    /// The number each row added to a sum's or avg's running sum of doubles, in row order, with
    /// its cell (group × aggregates + aggregate).
    private(set) var addends: [(cell: Int, number: Double)] = []
    /// The key of the row being added: its first `scratchCount` bytes (written in place over what
    /// the array holds, which grows only when a key is longer, so a row's key costs no appends).
    private var scratch: [UInt8] = []
    private var scratchCount = 0
    /// Mixed into every hash; random per table.
    private let seed = UInt64.random(in: 1...UInt64.max)

    var count: Int { hashes.count }

    init(aggregates: [Aggregate], keyFields: [Int], sessionGap: Int64? = nil) {
        self.aggregates = aggregates
        self.keyFields = keyFields
        self.sessionGap = sessionGap
        usesAccumulators = aggregates.contains { aggregate in
            if case .accumulator = aggregate.function { return true }
            return false
        }
        distinctValues = aggregates.compactMap { aggregate in
            if case .countDistinct = aggregate.function { return FastDistinctValues() }
            return nil
        }
        scratch.reserveCapacity(256)
    }

    /// Whether the row's aggregate inputs are ones the fast path folds exactly as the row engine
    /// would (numbers or NULL for sum, avg, min and max): checked before anything is folded.
    @inline(__always)
    func accepts(_ values: UnsafeMutableBufferPointer<FastValue>) -> Bool {
        for aggregate in aggregates {
            switch aggregate.function {
            case .countStar, .count: continue
            case .sum, .average, .minimum, .maximum, .accumulator(_, numeric: true):
                let kind = values[aggregate.field].kind
                if kind != .null && kind != .integer && kind != .double { return false }
            case .accumulator(_, numeric: false), .countDistinct:
                if values[aggregate.field].kind == .other { return false }  // text beyond ASCII, JSON
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
        arrival: Int64,
        paneStart: Int64
    ) -> Bool {
        guard encodeKey(values, record: record, paneStart: paneStart) else { return false }
        let group = findOrInsert().group
        fold(values, record: record, arrival: arrival, group: group)
        return true
    }

    /// Folds one row at event time `time` into its group's newest session (SESSION windows), or
    /// into a closed session of its own when it comes before that session.
    /// - Returns: false (nothing folded) when a key value is one the fast path does not group by.
    @inline(__always)
    mutating func addToSession(
        _ values: UnsafeMutableBufferPointer<FastValue>,
        record: UnsafeRawBufferPointer,
        arrival: Int64,
        time: Int64
    ) -> Bool {
        guard let gap = sessionGap, encodeKey(values, record: record, paneStart: 0) else { return false }
        let (group, isNew) = findOrInsert()
        if isNew {
            sessionStarts.append(time)
            sessionLasts.append(time)
        } else if time < sessionStarts[group] {
            foldIntoSessionOfItsOwn(values, record: record, arrival: arrival, group: group, time: time)
            return true
        } else if time - sessionLasts[group] >= gap {
            closeNewestSession(of: group)
            sessionStarts[group] = time
            sessionLasts[group] = time
        } else if time > sessionLasts[group] {
            sessionLasts[group] = time
        }
        fold(values, record: record, arrival: arrival, group: group)
        return true
    }

    /// Moves `group`'s newest session to the closed ones, leaving its cells as new.
    private mutating func closeNewestSession(of group: Int) {
        let base = group * aggregates.count
        closedSessions.append((group, sessionStarts[group], sessionLasts[group]))
        closedCells.append(contentsOf: cells[base..<(base + aggregates.count)])
        for index in base..<(base + aggregates.count) { cells[index] = Cell() }
        if usesAccumulators {
            closedAccumulators.append(contentsOf: accumulators[base..<(base + aggregates.count)])
            for index in aggregates.indices {
                accumulators[base + index] = Self.initial(aggregates[index].function)
            }
        }
    }

    /// Folds a row that comes before its group's newest session into a closed session of its own.
    private mutating func foldIntoSessionOfItsOwn(
        _ values: UnsafeMutableBufferPointer<FastValue>,
        record: UnsafeRawBufferPointer,
        arrival: Int64,
        group: Int,
        time: Int64
    ) {
        let base = closedCells.count
        closedSessions.append((group, time, time))
        closedCells.append(contentsOf: repeatElement(Cell(), count: aggregates.count))
        if usesAccumulators { closedAccumulators.append(contentsOf: aggregates.map { Self.initial($0.function) }) }
        for index in aggregates.indices {
            let aggregate = aggregates[index]
            switch aggregate.function {
            case .countStar: closedCells[base + index].count += 1
            case .accumulator:
                let value = values[aggregate.field].sqlValue(in: record)
                AggregateSpec.fold(.one(value), arrival: arrival, into: &closedAccumulators[base + index])
            default: Self.fold(aggregate.function, values[aggregate.field], into: &closedCells[base + index])
            }
        }
    }

    @inline(__always)
    private mutating func fold(
        _ values: UnsafeMutableBufferPointer<FastValue>,
        record: UnsafeRawBufferPointer,
        arrival: Int64,
        group: Int
    ) {
        let base = group * aggregates.count
        cells.withUnsafeMutableBufferPointer { cells in
            for index in 0..<aggregates.count {
                let aggregate = aggregates[index]
                switch aggregate.function {
                case .countStar: cells[base + index].count += 1
                case .accumulator:
                    let value = values[aggregate.field].sqlValue(in: record)
                    AggregateSpec.fold(.one(value), arrival: arrival, into: &accumulators[base + index])
                case .countDistinct(let set):
                    if distinctValues[set].insert(values[aggregate.field], record: record, group: group) {
                        cells[base + index].count += 1
                    }
                case .sum, .average:
                    let value = values[aggregate.field]
                    Self.fold(aggregate.function, value, into: &cells[base + index])
                    if keepsAddends && value.isNumber { addends.append((base + index, value.number)) }
                default: Self.fold(aggregate.function, values[aggregate.field], into: &cells[base + index])
                }
            }
        }
    }

    static func initial(_ function: Aggregate.Function) -> Accumulator {
        if case .accumulator(let initial, _) = function { return initial }
        return .count(0)
    }

    @inline(__always)
    private static func fold(_ function: Aggregate.Function, _ value: FastValue, into cell: inout Cell) {
        switch function {
        case .countStar, .accumulator, .countDistinct:
            return
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
        var length = 8
        for field in keyFields {
            let value = values[field]
            switch value.kind {
            case .null: length += 1
            case .boolean: length += 2
            case .integer, .double: length += 9
            case .string: length += 5 + value.count
            case .other: return false
            }
        }
        if scratch.count < length { scratch.append(contentsOf: repeatElement(0, count: length - scratch.count)) }
        scratchCount = length
        scratch.withUnsafeMutableBytes { key in
            key.storeBytes(of: paneStart.littleEndian, as: Int64.self)
            var offset = 8
            for field in keyFields {
                let value = values[field]
                key[offset] = value.kind.rawValue
                offset += 1
                switch value.kind {
                case .null, .other: break
                case .boolean:
                    key[offset] = UInt8(value.integer)
                    offset += 1
                case .integer:
                    key.storeBytes(of: value.integer.littleEndian, toByteOffset: offset, as: Int64.self)
                    offset += 8
                case .double:
                    // 0.0 and -0.0 are one group, as they are equal values.
                    let bits = value.double == 0 ? 0 : value.double.bitPattern
                    key.storeBytes(of: bits.littleEndian, toByteOffset: offset, as: UInt64.self)
                    offset += 8
                case .string:
                    key.storeBytes(of: UInt32(value.count).littleEndian, toByteOffset: offset, as: UInt32.self)
                    offset += 4
                    if value.count > 0 {
                        (key.baseAddress! + offset).copyMemory(
                            from: record.baseAddress! + value.start,
                            byteCount: value.count
                        )
                    }
                    offset += value.count
                }
            }
        }
        return true
    }

    @inline(__always)
    private mutating func findOrInsert() -> (group: Int, isNew: Bool) {
        let hash = scratch.withUnsafeBytes { key in
            var hasher = KeyHasher(seed: seed)
            hasher.mix(bytes: UnsafeRawBufferPointer(rebasing: key[0..<scratchCount]))
            return hasher.value
        }
        let mask = buckets.count - 1
        var bucket = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = Int(buckets[bucket])
            if entry == 0 { break }
            let group = entry - 1
            if hashes[group] == hash, sameKey(group) { return (group, false) }
            bucket = (bucket + 1) & mask
        }
        let group = hashes.count
        hashes.append(hash)
        keyBytes.append(contentsOf: scratch[0..<scratchCount])
        keyStarts.append(keyBytes.count)
        cells.append(contentsOf: repeatElement(Cell(), count: aggregates.count))
        if usesAccumulators { accumulators.append(contentsOf: aggregates.map { Self.initial($0.function) }) }
        buckets[bucket] = Int32(group + 1)
        if hashes.count * 2 > buckets.count { grow() }
        return (group, true)
    }

    @inline(__always)
    private func sameKey(_ group: Int) -> Bool {
        let start = keyStarts[group]
        let count = keyStarts[group + 1] - start
        guard count == scratchCount else { return false }
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
        let distinctSets = distinctValues.map { $0.valueSets(groupCount: count) }
        for group in 0..<count {
            let (paneStart, key) = decodeKey(group)
            body(paneStart, key, states(group: group, distinctSets: distinctSets))
        }
    }

    /// Every group's sessions as the row engine keeps them (SESSION windows): sorted by start,
    /// those within the gap of one another joined.
    func forEachSessionGroup(
        aggregates specs: [AggregateSpec],
        _ body: (_ key: [SQLValue], _ sessions: [Session]) -> Void
    ) {
        let closed = closedSessionsByGroup()
        var scratch = SessionScratch()
        for group in 0..<count {
            var sessions: [Session] = []
            forEachSession(of: group, closed: closed, aggregates: specs, scratch: &scratch) {
                start,
                last,
                cells,
                states in
                sessions.append(Session(start: start, last: last, states: self.states(cells[...], states, 0)))
            }
            body(decodeKey(group).key, sessions)
        }
    }

    /// The row engine's accumulators of a group, given each `.countDistinct` set's values by group.
    private func states(group: Int, distinctSets: [[Set<SQLValue>]]) -> [Accumulator] {
        var states = states(cells[(group * aggregates.count)...], accumulators, group * aggregates.count)
        for (index, aggregate) in aggregates.enumerated() {
            if case .countDistinct(let set) = aggregate.function { states[index] = .distinct(distinctSets[set][group]) }
        }
        return states
    }

    /// The accumulators of the cells starting `cells` (and at `base` in `accumulators`).
    private func states(_ cells: ArraySlice<Cell>, _ accumulators: [Accumulator], _ base: Int) -> [Accumulator] {
        let start = cells.startIndex
        return (0..<aggregates.count).map { index in
            if case .accumulator = aggregates[index].function { return accumulators[base + index] }
            var cell = cells[start + index]
            if keepsAddends { cell.doubleSum = 0 }
            return Self.accumulator(aggregates[index].function, cell)
        }
    }

    /// The group of the encoded key `key` (as ``encodeKey(_:record:paneStart:)`` writes them),
    /// added with fresh cells when new.
    mutating func group(forEncodedKey key: ArraySlice<UInt8>) -> (group: Int, isNew: Bool) {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: key)
        scratchCount = key.count
        return findOrInsert()
    }

    /// The encoded key of `group`.
    func encodedKey(_ group: Int) -> ArraySlice<UInt8> { keyBytes[keyStarts[group]..<keyStarts[group + 1]] }

    /// The start of `group`'s pane (0 without a window or with SESSION).
    func paneStart(of group: Int) -> Int64 {
        keyBytes.withUnsafeBytes {
            Int64(littleEndian: $0.loadUnaligned(fromByteOffset: keyStarts[group], as: Int64.self))
        }
    }

    /// Absorbs a partial state of the same bounded query over other rows: its groups' cells merge
    /// into this one's groups of the same key and pane, as the row engine merges their
    /// accumulators; its sessions join this one's closed sessions (a group new here takes its
    /// newest session as its own). Not for follow queries' states, whose addends stay apart.
    mutating func merge(_ other: FastGroups, aggregates specs: [AggregateSpec]) {
        let width = aggregates.count
        var targets: [Int] = []
        targets.reserveCapacity(other.count)
        for group in 0..<other.count {
            let (target, isNew) = self.group(forEncodedKey: other.encodedKey(group))
            targets.append(target)
            let base = target * width
            let theirs = group * width
            if sessionGap != nil {
                if isNew {
                    sessionStarts.append(other.sessionStarts[group])
                    sessionLasts.append(other.sessionLasts[group])
                    for index in 0..<width { cells[base + index] = other.cells[theirs + index] }
                    if usesAccumulators {
                        for index in 0..<width { accumulators[base + index] = other.accumulators[theirs + index] }
                    }
                } else {
                    closedSessions.append((target, other.sessionStarts[group], other.sessionLasts[group]))
                    closedCells.append(contentsOf: other.cells[theirs..<(theirs + width)])
                    if usesAccumulators {
                        closedAccumulators.append(contentsOf: other.accumulators[theirs..<(theirs + width)])
                    }
                }
                continue
            }
            for index in 0..<width {
                if case .accumulator = aggregates[index].function {
                    specs[index].merge(other.accumulators[theirs + index], into: &accumulators[base + index])
                } else {
                    Self.merge(aggregates[index].function, other.cells[theirs + index], into: &cells[base + index])
                }
            }
        }
        for (index, aggregate) in aggregates.enumerated() {
            guard case .countDistinct(let set) = aggregate.function else { continue }
            distinctValues[set].merge(other.distinctValues[set], groups: targets) { group in
                cells[group * width + index].count += 1
            }
        }
        for session in other.closedSessions {
            closedSessions.append((targets[session.group], session.start, session.last))
        }
        closedCells += other.closedCells
        closedAccumulators += other.closedAccumulators
    }

    /// Merges `other` (the same aggregate's cell over other rows) into `cell`, as
    /// ``AggregateSpec/merge(_:into:)`` merges their accumulators.
    @inline(__always)
    static func merge(_ function: Aggregate.Function, _ other: Cell, into cell: inout Cell) {
        switch function {
        case .countStar, .count: cell.count += other.count
        case .countDistinct: return  // counted as the other's values join this one's
        case .sum:
            cell.integerSum += other.integerSum
            cell.doubleSum += other.doubleSum
            cell.isDouble = cell.isDouble || other.isDouble
            cell.seen = cell.seen || other.seen
        case .average:
            cell.doubleSum += other.doubleSum
            cell.count += other.count
        case .minimum, .maximum:
            guard other.best != .null else { return }
            var best = FastValue()
            best.kind = other.best
            best.integer = other.bestInteger
            best.double = other.bestDouble
            fold(function, best, into: &cell)
        case .accumulator: return
        }
    }

    /// A group's pane start and key values.
    func decodeKey(_ group: Int) -> (paneStart: Int64, key: [SQLValue]) {
        keyBytes.withUnsafeBytes { bytes in
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
            return (paneStart, key)
        }
    }

    /// A cell as the row engine's accumulator for the same aggregate.
    static func accumulator(_ function: Aggregate.Function, _ cell: Cell) -> Accumulator {
        switch function {
        case .countStar, .count, .countDistinct: return .count(cell.count)
        case .accumulator(let initial, _): return initial  // kept in `accumulators`, never here
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
