import Dispatch
import Synchronization

/// The state of a grouped query. TUMBLE and HOP rows are folded once, into the pane of width
/// `slide` holding their time (a TUMBLE pane is its window); a HOP window's result merges its
/// size/slide panes when it is emitted, so a row is never copied into every window it is in.
/// SESSION windows are kept per group key. A query without a window keeps one pane (start 0).
/// Memory is bounded by open panes × groups, not by rows.
struct AggregationState: Sendable {
    let aggregates: [AggregateSpec]
    let keyWidth: Int
    let window: WindowSpec?
    /// Panes by start.
    private(set) var panes: [Int64: Pane] = [:]
    /// Starts of windows already emitted (follow mode), above `firedBelow`.
    private(set) var fired: Set<Int64> = []
    /// Every window starting below this has been emitted.
    private(set) var firedBelow: Int64 = .min
    /// SESSION windows per group key.
    private(set) var sessions: SessionGroups
    /// Record which groups changed, for EMIT CHANGES and late updates.
    var tracksChanges = false

    init(aggregates: [AggregateSpec], keyWidth: Int, window: WindowSpec?) {
        self.aggregates = aggregates
        self.keyWidth = keyWidth
        self.window = window
        sessions = SessionGroups(width: keyWidth)
    }

    /// The groups of one pane.
    struct Pane: Sendable, Codable {
        var table: GroupTable
        var states: [Accumulator] = []
        /// Groups changed since the last ``AggregationState/takeChanges(firedOnly:)``.
        var changed: Set<Int> = []
    }

    /// One group's result: its key, its aggregates' values and its window.
    struct GroupResult: Sendable {
        var key: [SQLValue]
        var values: [SQLValue]
        var window: (start: Int64, end: Int64)?
    }

    /// No row folded yet, nor any state absorbed.
    var isEmpty: Bool { panes.isEmpty && sessions.table.count == 0 }

    private var size: Int64 { window?.size ?? 0 }
    private var slide: Int64 { window?.slide ?? 1 }
    private var hasPanes: Bool { window?.kind != .session }

    private func initialStates() -> [Accumulator] { aggregates.map { $0.initial() } }

    /// The start of the pane holding `time`.
    func paneStart(containing time: Int64) -> Int64 {
        let (quotient, remainder) = time.quotientAndRemainder(dividingBy: slide)
        return (remainder < 0 ? quotient - 1 : quotient) * slide
    }

    /// Folds one row's aggregate inputs into the group `key` of the pane starting at `start`.
    mutating func add(key: [SQLValue], paneStart start: Int64, inputs: [AggregateSpec.Input], arrival: Int64) {
        let aggregates = self.aggregates
        let width = keyWidth
        let tracksChanges = self.tracksChanges
        Self.fold(
            into: &panes[start, default: Pane(table: GroupTable(width: width))],
            key: key,
            inputs: inputs,
            arrival: arrival,
            aggregates: aggregates,
            tracksChanges: tracksChanges
        )
    }

    private static func fold(
        into pane: inout Pane,
        key: [SQLValue],
        inputs: [AggregateSpec.Input],
        arrival: Int64,
        aggregates: [AggregateSpec],
        tracksChanges: Bool
    ) {
        let (group, isNew) = pane.table.group(for: key)
        if isNew { pane.states.append(contentsOf: aggregates.map { $0.initial() }) }
        let base = group * inputs.count
        for index in inputs.indices {
            AggregateSpec.fold(inputs[index], arrival: arrival, into: &pane.states[base + index])
        }
        if tracksChanges { pane.changed.insert(group) }
    }

    /// Folds one row at event time `time` (nil without a window) into its session or the pane
    /// holding it; windows that already fired see it only as a correction (UPDATE WITHIN).
    mutating func fold(key: [SQLValue], time: Int64?, inputs: [AggregateSpec.Input], arrival: Int64) {
        guard let time, let window else {
            add(key: key, paneStart: 0, inputs: inputs, arrival: arrival)
            return
        }
        if window.kind == .session {
            addToSession(key: key, time: time, inputs: inputs, arrival: arrival)
        } else {
            add(key: key, paneStart: paneStart(containing: time), inputs: inputs, arrival: arrival)
        }
    }

    /// Folds one row into its session for `key` at event time `time`, merging sessions it bridges.
    mutating func addToSession(key: [SQLValue], time: Int64, inputs: [AggregateSpec.Input], arrival: Int64) {
        if sessions.foldIntoNewest(
            key: key,
            time: time,
            gap: size,
            inputs: inputs,
            arrival: arrival,
            aggregates: aggregates,
            tracksChanges: tracksChanges
        ) {
            return
        }
        var states = initialStates()
        for index in aggregates.indices { AggregateSpec.fold(inputs[index], arrival: arrival, into: &states[index]) }
        sessions.insert(
            Session(start: time, last: time, states: states),
            key: key,
            gap: size,
            aggregates: aggregates,
            tracksChanges: tracksChanges
        )
    }

    /// Absorbs another partial state of the same query (another shard's rows).
    mutating func merge(_ other: AggregationState) {
        for (start, theirs) in other.panes {
            if panes[start] == nil {
                panes[start] = theirs
                continue
            }
            for group in 0..<theirs.table.count {
                let base = group * aggregates.count
                absorb(
                    key: Array(theirs.table.key(group)),
                    paneStart: start,
                    states: theirs.states[base..<(base + aggregates.count)]
                )
            }
        }
        for group in 0..<other.sessions.table.count {
            absorbSessions(key: Array(other.sessions.table.key(group)), sessions: other.sessions.byGroup[group])
        }
    }

    /// Merges one group's states, aggregated elsewhere over other rows, into the group `key` of
    /// the pane starting at `start`.
    @discardableResult
    mutating func absorb(key: [SQLValue], paneStart start: Int64, states: ArraySlice<Accumulator>) -> Int {
        let (group, isNew) = panes[start, default: Pane(table: GroupTable(width: keyWidth))].table.group(for: key)
        if isNew { panes[start]!.states.append(contentsOf: initialStates()) }
        for (index, state) in zip(aggregates.indices, states) {
            aggregates[index].merge(state, into: &panes[start]!.states[group * aggregates.count + index])
        }
        if tracksChanges { panes[start]!.changed.insert(group) }
        return group
    }

    /// Absorbs the groups the fast path folded (over other rows), in the order it met them, and
    /// then the addends it kept, in row order.
    mutating func absorb(_ groups: FastGroups) {
        if groups.sessionGap != nil {
            groups.forEachSessionGroup(aggregates: aggregates) { key, sessions in
                absorbSessions(key: key, sessions: sessions)
            }
            return
        }
        var targets: [(paneStart: Int64, group: Int)] = []
        targets.reserveCapacity(groups.count)
        groups.forEachGroup { paneStart, key, states in
            targets.append((paneStart, absorb(key: key, paneStart: paneStart, states: states[...])))
        }
        for (cell, number) in groups.addends {
            let (group, aggregate) = cell.quotientAndRemainder(dividingBy: aggregates.count)
            let target = targets[group]
            panes[target.paneStart]!.states[target.group * aggregates.count + aggregate].addToRunningSum(number)
        }
    }

    /// Merges sessions of `key` aggregated elsewhere over other rows (sorted by start, apart by at
    /// least the gap) into this state's.
    mutating func absorbSessions(key: [SQLValue], sessions incoming: [Session]) {
        sessions.merge(incoming, key: key, gap: size, aggregates: aggregates, tracksChanges: tracksChanges)
    }

    /// The pane starts making up the window that starts at `start`.
    private func panes(ofWindow start: Int64) -> StrideTo<Int64> {
        window == nil
            ? stride(from: start, to: start + 1, by: 1) : stride(from: start, to: start + size, by: Int(slide))
    }

    /// Starts of the windows containing the pane at `pane`.
    private func windows(containingPane pane: Int64) -> StrideThrough<Int64> {
        window == nil
            ? stride(from: pane, through: pane, by: 1)
            : stride(from: pane - size + slide, through: pane, by: Int(slide))
    }

    /// The results of the window starting at `start`: its panes merged per group key (only `keys`
    /// when given), groups in order of first appearance.
    private func windowResults(_ start: Int64, keys: [[SQLValue]]? = nil) -> [GroupResult] {
        let members = panes(ofWindow: start).compactMap { panes[$0] }
        guard !members.isEmpty else { return [] }
        let bounds: (start: Int64, end: Int64)? = window.map { _ in (start, start + size) }
        if members.count == 1, keys == nil {  // TUMBLE, or no window: no merging
            let pane = members[0]
            return (0..<pane.table.count).map { group in
                let base = group * aggregates.count
                return GroupResult(
                    key: Array(pane.table.key(group)),
                    values: aggregates.indices.map { aggregates[$0].result(pane.states[base + $0]) },
                    window: bounds
                )
            }
        }
        var merged = Pane(table: GroupTable(width: keyWidth))
        let wanted = keys.map(Set.init)
        for pane in members {
            for group in 0..<pane.table.count {
                let key = Array(pane.table.key(group))
                if let wanted, !wanted.contains(key) { continue }
                let (target, isNew) = merged.table.group(for: key)
                if isNew { merged.states.append(contentsOf: initialStates()) }
                for index in aggregates.indices {
                    aggregates[index].merge(
                        pane.states[group * aggregates.count + index],
                        into: &merged.states[target * aggregates.count + index]
                    )
                }
            }
        }
        return (0..<merged.table.count).map { group in
            let base = group * aggregates.count
            return GroupResult(
                key: Array(merged.table.key(group)),
                values: aggregates.indices.map { aggregates[$0].result(merged.states[base + $0]) },
                window: bounds
            )
        }
    }

    /// Every group key of every pane numbered once (HOP windows at the end of a bounded query), so
    /// each window merges its panes' groups by number instead of hashing their keys again.
    private struct KeyNumbering {
        /// The key of each number.
        var keys: [[SQLValue]] = []
        /// Per pane start, each of its groups' numbers.
        var byPane: [Int64: [Int]] = [:]
    }

    private func numberKeys() -> KeyNumbering {
        var table = GroupTable(width: keyWidth)
        var numbering = KeyNumbering()
        for (start, pane) in panes {
            var numbers: [Int] = []
            numbers.reserveCapacity(pane.table.count)
            for group in 0..<pane.table.count {
                let key = Array(pane.table.key(group))
                let (number, isNew) = table.group(for: key)
                if isNew { numbering.keys.append(key) }
                numbers.append(number)
            }
            numbering.byPane[start] = numbers
        }
        return numbering
    }

    /// What ``windowResults(_:keys:)`` gives for the window starting at `start`, by key numbers.
    /// - Parameter slots: the places of key numbers, cleared (as left on return).
    private func windowResults(_ start: Int64, numbering: KeyNumbering, slots: inout WindowSlots) -> [GroupResult] {
        let initial = initialStates()
        let width = aggregates.count
        var states: [Accumulator] = []
        for paneStart in panes(ofWindow: start) {
            guard let pane = panes[paneStart], let numbers = numbering.byPane[paneStart] else { continue }
            for group in 0..<pane.table.count {
                let (slot, isNew) = slots.place(of: numbers[group])
                if isNew { states.append(contentsOf: initial) }
                for index in 0..<width {
                    aggregates[index].merge(pane.states[group * width + index], into: &states[slot * width + index])
                }
            }
        }
        defer { slots.clear() }
        return slots.order.enumerated().map { slot, number in
            GroupResult(
                key: numbering.keys[number],
                values: (0..<width).map { aggregates[$0].result(states[slot * width + $0]) },
                window: (start, start + size)
            )
        }
    }

    /// Every window start with at least one pane, oldest first.
    private var windowStarts: [Int64] {
        Set(panes.keys.flatMap { windows(containingPane: $0) }).sorted()
    }

    /// Every group of every window, oldest window first (bounded queries, at the end). Windows
    /// (and session keys) are split into `parallelism` stretches computed at once: a HOP window
    /// merges its panes, and a million-row result is worth the cores.
    func allResults(parallelism: Int = 1) -> [GroupResult] {
        let starts = windowStarts
        let groups = sessions.table.count
        let parts = starts.count + groups < 1024 ? 1 : max(1, parallelism)
        let pieces = Mutex([[GroupResult]](repeating: [], count: parts))
        let numbering = window?.kind == .hop ? numberKeys() : nil
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var results: [GroupResult] = []
            var slots = WindowSlots(keyCount: numbering?.keys.count ?? 0)
            for start in starts[(starts.count * part / parts)..<(starts.count * (part + 1) / parts)] {
                if let numbering {
                    results += windowResults(start, numbering: numbering, slots: &slots)
                } else {
                    results += windowResults(start)
                }
            }
            for group in (groups * part / parts)..<(groups * (part + 1) / parts) {
                for session in sessions.byGroup[group] { results.append(sessionResult(group, session)) }
            }
            pieces.withLock { $0[part] = results }
        }
        return pieces.withLock { $0.flatMap { $0 } }
    }

    private func sessionResult(_ group: Int, _ session: Session) -> GroupResult {
        GroupResult(
            key: Array(sessions.table.key(group)),
            values: aggregates.indices.map { aggregates[$0].result(session.states[$0]) },
            window: (session.start, session.last + size)
        )
    }

    private func hasFired(_ start: Int64) -> Bool { start < firedBelow || fired.contains(start) }

    /// Results of the windows whose end is at or before `watermark` and that have not fired yet,
    /// oldest first. Panes are kept until every window using them has ended `retention` ago (for
    /// late corrections), then dropped.
    mutating func fire(upTo watermark: Int64, retention: Int64) -> [GroupResult] {
        var results: [GroupResult] = []
        guard watermark > .min else { return results }  // no watermark yet
        if hasPanes {
            for start in windowStarts where start + size <= watermark && !hasFired(start) {
                results += windowResults(start)
                fired.insert(start)
            }
            for start in Array(panes.keys) where start + size + retention <= watermark { panes[start] = nil }
            // Fired starts below the oldest pane's first window can never come back.
            let oldest = panes.keys.min().map { $0 - size + slide } ?? watermark - size + 1
            if oldest > firedBelow {
                firedBelow = oldest
                fired = fired.filter { $0 >= oldest }
            }
        }
        results += sessions.fire(upTo: watermark, retention: retention, gap: size).map {
            sessionResult($0.group, $0.session)
        }
        return results
    }

    /// Whether every window a row at `time` belongs to has ended `retention` before `watermark`
    /// (the row is late: its state is gone or final).
    func isLate(time: Int64, watermark: Int64, retention: Int64) -> Bool {
        guard let window else { return false }
        switch window.kind {
        case .session: return time + window.size + retention <= watermark
        case .tumble, .hop: return paneStart(containing: time) + window.size + retention <= watermark
        }
    }

    /// The changed groups since the last call, in the windows they change (EMIT CHANGES, and
    /// corrections of fired windows).
    /// - Parameter firedOnly: only windows that have fired (corrections under EMIT FINAL).
    mutating func takeChanges(firedOnly: Bool) -> [GroupResult] {
        var results: [GroupResult] = []
        var changedKeys: [Int64: [[SQLValue]]] = [:]  // window start -> keys
        for start in panes.keys.sorted() where !panes[start]!.changed.isEmpty {
            let pane = panes[start]!
            let keys = pane.changed.sorted().map { Array(pane.table.key($0)) }
            panes[start]!.changed = []
            for windowStart in windows(containingPane: start) where !firedOnly || hasFired(windowStart) {
                changedKeys[windowStart, default: []] += keys
            }
        }
        for start in changedKeys.keys.sorted() {
            var seen = Set<[SQLValue]>()
            let keys = changedKeys[start]!.filter { seen.insert($0).inserted }
            results += windowResults(start, keys: keys)
        }
        for (group, session) in sessions.takeChanges(firedOnly: firedOnly) {
            results.append(sessionResult(group, session))
        }
        return results
    }

    /// The panes and sessions, for a checkpoint.
    struct Snapshot: Codable, Sendable {
        var panes: [Int64: Pane]
        var fired: Set<Int64>
        var firedBelow: Int64
        var sessions: SessionGroups
    }

    var snapshot: Snapshot { Snapshot(panes: panes, fired: fired, firedBelow: firedBelow, sessions: sessions) }

    mutating func restore(_ snapshot: Snapshot) {
        panes = snapshot.panes
        fired = snapshot.fired
        firedBelow = snapshot.firedBelow
        sessions = snapshot.sessions
    }
}
