import Dispatch
import Synchronization

/// Reusable buffers of ``FastGroups/forEachSession(of:closed:aggregates:scratch:_:)``.
struct SessionScratch {
    /// One group's sessions: first and last row times, and where their cells are (-1: the
    /// group's newest session; otherwise a closed session's number).
    var sessions: [(start: Int64, last: Int64, index: Int)] = []
    var cells: [FastGroups.Cell] = []
    var accumulators: [Accumulator] = []
}

/// The results of a bounded query whose rows all went through the fast path, read from its typed
/// cells: the windows, groups and values ``AggregationState/allResults(parallelism:)`` gives for
/// the same rows, without an accumulator array per group, pane or session on the way.
extension FastGroups {
    /// Makes a result row from a group's key, its window and its aggregates' values by index.
    typealias RowMaker<Row> =
        @Sendable (_ key: [SQLValue], _ window: (start: Int64, end: Int64)?, _ value: (Int) -> SQLValue) -> Row

    /// A row per group of every window, oldest window first (groups of a window in the order their
    /// panes met them), or per session of every group; computed on `parallelism` cores when there
    /// are many.
    func results<Row: Sendable>(
        aggregates specs: [AggregateSpec],
        window: WindowSpec?,
        parallelism: Int,
        _ make: RowMaker<Row>
    ) -> [Row] {
        guard let window else { return paneResults(specs, size: nil, parallelism: parallelism, make) }
        switch window.kind {
        case .tumble: return paneResults(specs, size: window.size, parallelism: parallelism, make)
        case .hop:
            if window.size == window.slide {
                return paneResults(specs, size: window.size, parallelism: parallelism, make)
            }
            return hopResults(specs, size: window.size, slide: window.slide, parallelism: parallelism, make)
        case .session: return sessionResults(specs, gap: window.size, parallelism: parallelism, make)
        }
    }

    /// Runs `body` over `count` items cut into `parallelism` stretches at once (one stretch when
    /// they are few), and joins the stretches' results in order.
    private static func inStretches<Row: Sendable>(
        of count: Int,
        parallelism: Int,
        _ body: @Sendable (Range<Int>) -> [Row]
    ) -> [Row] {
        let parts = count < 1024 ? 1 : max(1, parallelism)
        guard parts > 1 else { return body(0..<count) }
        let pieces = Mutex([[Row]](repeating: [], count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let results = body((count * part / parts)..<(count * (part + 1) / parts))
            pieces.withLock { $0[part] = results }
        }
        return pieces.withLock { $0.flatMap { $0 } }
    }

    /// Makes the row of the group whose cells (and accumulators) are number `slot` of `cells`.
    @inline(__always)
    private func row<Row>(
        _ make: RowMaker<Row>,
        key: [SQLValue],
        window: (start: Int64, end: Int64)?,
        specs: [AggregateSpec],
        slot: Int,
        cells: UnsafeBufferPointer<Cell>,
        accumulators: UnsafeBufferPointer<Accumulator>
    ) -> Row {
        let base = slot * aggregates.count
        return make(key, window) { index in
            let function = aggregates[index].function
            if case .accumulator = function { return specs[index].result(accumulators[base + index]) }
            return specs[index].result(Self.accumulator(function, cells[base + index]))
        }
    }

    /// Each group its own window (TUMBLE, or none: `size` nil), windows oldest first.
    private func paneResults<Row: Sendable>(
        _ specs: [AggregateSpec],
        size: Int64?,
        parallelism: Int,
        _ make: RowMaker<Row>
    ) -> [Row] {
        let starts = (0..<count).map(paneStart(of:))
        let order = (0..<count).sorted { starts[$0] < starts[$1] || (starts[$0] == starts[$1] && $0 < $1) }
        return Self.inStretches(of: order.count, parallelism: parallelism) { stretch in
            cells.withUnsafeBufferPointer { cells in
                accumulators.withUnsafeBufferPointer { accumulators in
                    order[stretch].map { group in
                        let start = starts[group]
                        return row(
                            make,
                            key: decodeKey(group).key,
                            window: size.map { (start, start + $0) },
                            specs: specs,
                            slot: group,
                            cells: cells,
                            accumulators: accumulators
                        )
                    }
                }
            }
        }
    }

    /// HOP windows: each merges the groups of its size/slide panes by key, the keys numbered once
    /// so that a window finds a key's place without hashing it again.
    private func hopResults<Row: Sendable>(
        _ specs: [AggregateSpec],
        size: Int64,
        slide: Int64,
        parallelism: Int,
        _ make: RowMaker<Row>
    ) -> [Row] {
        let width = aggregates.count
        let (numbers, keyCount, byPane) = numberKeys()
        let starts = Set(byPane.keys.flatMap { stride(from: $0 - size + slide, through: $0, by: Int(slide)) }).sorted()
        let initial = aggregates.map { Self.initial($0.function) }
        return Self.inStretches(of: starts.count, parallelism: parallelism) { stretch in
            cells.withUnsafeBufferPointer { cells in
                accumulators.withUnsafeBufferPointer { accumulators in
                    var results: [Row] = []
                    // Each stretch decodes the keys it meets itself: rows sharing one key's strings
                    // across the cores would bounce their reference counts between them, here and
                    // when the rows are written.
                    var keys = [[SQLValue]?](repeating: nil, count: keyCount)
                    var slots = WindowSlots(keyCount: keyCount)
                    var merged: [Cell] = []
                    var mergedAccumulators: [Accumulator] = []
                    for start in starts[stretch] {
                        for paneStart in stride(from: start, to: start + size, by: Int(slide)) {
                            guard let groups = byPane[paneStart] else { continue }
                            for group in groups {
                                let number = numbers[group]
                                let (slot, isNew) = slots.place(of: number)
                                if isNew {
                                    if keys[number] == nil { keys[number] = decodeKey(group).key }
                                    merged.append(contentsOf: repeatElement(Cell(), count: width))
                                    if usesAccumulators { mergedAccumulators.append(contentsOf: initial) }
                                }
                                for index in 0..<width {
                                    if case .accumulator = aggregates[index].function {
                                        specs[index].merge(
                                            accumulators[group * width + index],
                                            into: &mergedAccumulators[slot * width + index]
                                        )
                                    } else {
                                        Self.merge(
                                            aggregates[index].function,
                                            cells[group * width + index],
                                            into: &merged[slot * width + index]
                                        )
                                    }
                                }
                            }
                        }
                        merged.withUnsafeBufferPointer { merged in
                            mergedAccumulators.withUnsafeBufferPointer { mergedAccumulators in
                                for (slot, number) in slots.order.enumerated() {
                                    results.append(
                                        row(
                                            make,
                                            key: keys[number]!,
                                            window: (start, start + size),
                                            specs: specs,
                                            slot: slot,
                                            cells: merged,
                                            accumulators: mergedAccumulators
                                        )
                                    )
                                }
                            }
                        }
                        slots.clear()
                        merged.removeAll(keepingCapacity: true)
                        mergedAccumulators.removeAll(keepingCapacity: true)
                    }
                    return results
                }
            }
        }
    }

    /// Each group's key (without its pane) numbered: the number of each group, how many keys
    /// there are, and each pane's groups.
    private func numberKeys() -> (numbers: [Int], keyCount: Int, byPane: [Int64: [Int]]) {
        var numbering = FastGroups(aggregates: [], keyFields: [])
        var numbers: [Int] = []
        numbers.reserveCapacity(count)
        var byPane: [Int64: [Int]] = [:]
        for group in 0..<count {
            numbers.append(numbering.group(forEncodedKey: encodedKey(group).dropFirst(8)).group)
            byPane[paneStart(of: group), default: []].append(group)
        }
        return (numbers, numbering.count, byPane)
    }

    /// Every group's sessions, groups in the order they were met, each group's sessions oldest first.
    private func sessionResults<Row: Sendable>(
        _ specs: [AggregateSpec],
        gap: Int64,
        parallelism: Int,
        _ make: RowMaker<Row>
    ) -> [Row] {
        let closed = closedSessionsByGroup()
        let sessions = closedSessions.count + count
        return Self.inStretches(of: count, parallelism: parallelism) { stretch in
            var results: [Row] = []
            // Sessions mostly stay apart: about a row per session of the stretch's groups.
            results.reserveCapacity(sessions * stretch.count / max(1, count))
            var scratch = SessionScratch()
            for group in stretch {
                let key = decodeKey(group).key
                forEachSession(of: group, closed: closed, aggregates: specs, scratch: &scratch) {
                    start,
                    last,
                    cells,
                    accumulators in
                    cells.withUnsafeBufferPointer { cells in
                        accumulators.withUnsafeBufferPointer { accumulators in
                            results.append(
                                row(
                                    make,
                                    key: key,
                                    window: (start, last + gap),
                                    specs: specs,
                                    slot: 0,
                                    cells: cells,
                                    accumulators: accumulators
                                )
                            )
                        }
                    }
                }
            }
            return results
        }
    }

    /// The closed sessions by group: group g's numbers at `order[offsets[g] ..< offsets[g + 1]]`,
    /// in the order they were closed.
    func closedSessionsByGroup() -> (offsets: [Int], order: [Int]) {
        var offsets = [Int](repeating: 0, count: count + 1)
        for session in closedSessions { offsets[session.group + 1] += 1 }
        for group in 0..<count { offsets[group + 1] += offsets[group] }
        var next = offsets
        var order = [Int](repeating: 0, count: closedSessions.count)
        for (index, session) in closedSessions.enumerated() {
            order[next[session.group]] = index
            next[session.group] += 1
        }
        return (offsets, order)
    }

    /// `group`'s sessions (its newest and its closed ones) sorted by start, each joined with the
    /// next while that one starts less than the gap after the last row so far, as the row engine
    /// merges sessions: `body` gets each joined session's first and last row times, cells and
    /// accumulators (empty when the query has none).
    func forEachSession(
        of group: Int,
        closed: (offsets: [Int], order: [Int]),
        aggregates specs: [AggregateSpec],
        scratch: inout SessionScratch,
        _ body: (_ start: Int64, _ last: Int64, _ cells: [Cell], _ accumulators: [Accumulator]) -> Void
    ) {
        guard let gap = sessionGap else { return }
        let width = aggregates.count
        scratch.sessions.removeAll(keepingCapacity: true)
        scratch.sessions.append((sessionStarts[group], sessionLasts[group], -1))
        for index in closed.order[closed.offsets[group]..<closed.offsets[group + 1]] {
            let session = closedSessions[index]
            scratch.sessions.append((session.start, session.last, index))
        }
        scratch.sessions.sort { $0.start < $1.start || ($0.start == $1.start && $0.index < $1.index) }
        var start = Int64.min
        var last = Int64.min
        for (position, session) in scratch.sessions.enumerated() {
            let base = session.index < 0 ? group * width : session.index * width
            let (sourceCells, sourceAccumulators) =
                session.index < 0 ? (cells, accumulators) : (closedCells, closedAccumulators)
            if position > 0, session.start - last < gap {
                last = max(last, session.last)
                for index in 0..<width {
                    if case .accumulator = aggregates[index].function {
                        specs[index].merge(sourceAccumulators[base + index], into: &scratch.accumulators[index])
                    } else {
                        Self.merge(aggregates[index].function, sourceCells[base + index], into: &scratch.cells[index])
                    }
                }
                continue
            }
            if position > 0 { body(start, last, scratch.cells, scratch.accumulators) }
            start = session.start
            last = session.last
            scratch.cells.removeAll(keepingCapacity: true)
            scratch.cells.append(contentsOf: sourceCells[base..<(base + width)])
            scratch.accumulators.removeAll(keepingCapacity: true)
            if usesAccumulators { scratch.accumulators.append(contentsOf: sourceAccumulators[base..<(base + width)]) }
        }
        body(start, last, scratch.cells, scratch.accumulators)
    }
}
