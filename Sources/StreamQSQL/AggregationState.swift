/// The state of a grouped query: for each window, its groups' accumulators. A query without a
/// window keeps one window (start 0). Memory is bounded by open windows × groups, not by rows.
struct AggregationState: Sendable {
    let aggregates: [AggregateSpec]
    let keyWidth: Int
    let window: WindowSpec?
    /// TUMBLE and HOP windows by start (or the one window of a query without a window).
    private(set) var windows: [Int64: WindowGroups] = [:]
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

    /// The groups of one TUMBLE/HOP window (or of a query without a window).
    struct WindowGroups: Sendable, Codable {
        var table: GroupTable
        var states: [Accumulator] = []
        /// Groups changed since the last ``AggregationState/takeChanges()``.
        var changed: Set<Int> = []
        /// Emitted once already: later changes are corrections (late rows within UPDATE WITHIN).
        var fired = false
    }

    /// One group's result: its key, its aggregates' values and its window.
    struct GroupResult: Sendable {
        var key: [SQLValue]
        var values: [SQLValue]
        var window: (start: Int64, end: Int64)?
    }

    private func initialStates() -> [Accumulator] { aggregates.map { $0.initial() } }

    /// Folds one row's aggregate inputs into the group `key` of the window starting at `start`.
    mutating func add(key: [SQLValue], windowStart start: Int64, inputs: [AggregateSpec.Input], arrival: Int64) {
        let aggregates = self.aggregates
        let width = keyWidth
        let tracksChanges = self.tracksChanges
        Self.fold(into: &windows[start, default: WindowGroups(table: GroupTable(width: width))], key: key, inputs: inputs, arrival: arrival, aggregates: aggregates, tracksChanges: tracksChanges)
    }

    private static func fold(
        into groups: inout WindowGroups, key: [SQLValue], inputs: [AggregateSpec.Input], arrival: Int64, aggregates: [AggregateSpec],
        tracksChanges: Bool
    ) {
        let (group, isNew) = groups.table.group(for: key)
        if isNew { groups.states.append(contentsOf: aggregates.map { $0.initial() }) }
        let base = group * aggregates.count
        for index in aggregates.indices {
            aggregates[index].fold(inputs[index], arrival: arrival, into: &groups.states[base + index])
        }
        if tracksChanges { groups.changed.insert(group) }
    }

    /// Folds one row into its session for `key` at event time `time`, merging sessions it bridges.
    mutating func addToSession(key: [SQLValue], time: Int64, inputs: [AggregateSpec.Input], arrival: Int64) {
        var states = initialStates()
        for index in aggregates.indices { aggregates[index].fold(inputs[index], arrival: arrival, into: &states[index]) }
        sessions.insert(Session(start: time, last: time, states: states), key: key, gap: window?.size ?? 0, aggregates: aggregates, tracksChanges: tracksChanges)
    }

    /// Absorbs another partial state of the same query (another shard's rows).
    mutating func merge(_ other: AggregationState) {
        for (start, theirs) in other.windows {
            if windows[start] == nil {
                windows[start] = theirs
                continue
            }
            for group in 0..<theirs.table.count {
                let key = Array(theirs.table.key(group))
                let (mine, isNew) = windows[start]!.table.group(for: key)
                if isNew { windows[start]!.states.append(contentsOf: initialStates()) }
                for index in aggregates.indices {
                    aggregates[index].merge(
                        theirs.states[group * aggregates.count + index], into: &windows[start]!.states[mine * aggregates.count + index])
                }
            }
        }
        for group in 0..<other.sessions.table.count {
            let key = Array(other.sessions.table.key(group))
            for session in other.sessions.byGroup[group] {
                sessions.insert(session, key: key, gap: window?.size ?? 0, aggregates: aggregates, tracksChanges: tracksChanges)
            }
        }
    }

    /// The end of the window starting at `start`.
    private func end(of start: Int64) -> Int64 { start + (window?.size ?? 0) }

    private func results(of groups: WindowGroups, start: Int64, only: Set<Int>? = nil) -> [GroupResult] {
        var results: [GroupResult] = []
        let members = only.map { $0.sorted() } ?? Array(0..<groups.table.count)
        for group in members {
            let base = group * aggregates.count
            results.append(
                GroupResult(
                    key: Array(groups.table.key(group)),
                    values: aggregates.indices.map { aggregates[$0].result(groups.states[base + $0]) },
                    window: window.map { _ in (start, end(of: start)) }))
        }
        return results
    }

    /// Every group of every window, oldest window first (bounded queries, at the end).
    func allResults() -> [GroupResult] {
        var results: [GroupResult] = []
        for start in windows.keys.sorted() { results += self.results(of: windows[start]!, start: start) }
        for group in 0..<sessions.table.count {
            for session in sessions.byGroup[group] { results.append(sessionResult(group, session)) }
        }
        return results
    }

    private func sessionResult(_ group: Int, _ session: Session) -> GroupResult {
        GroupResult(
            key: Array(sessions.table.key(group)), values: aggregates.indices.map { aggregates[$0].result(session.states[$0]) },
            window: (session.start, session.last + (window?.size ?? 0)))
    }

    /// Results of the windows whose end is at or before `watermark` and that have not fired yet,
    /// oldest first. Their state is kept `retention` longer for late corrections, then dropped.
    mutating func fire(upTo watermark: Int64, retention: Int64) -> [GroupResult] {
        var results: [GroupResult] = []
        for start in windows.keys.sorted() where end(of: start) <= watermark {
            if !windows[start]!.fired {
                results += self.results(of: windows[start]!, start: start)
                windows[start]!.fired = true
                windows[start]!.changed = []
            }
            if end(of: start) + retention <= watermark { windows[start] = nil }
        }
        results += sessions.fire(upTo: watermark, retention: retention, gap: window?.size ?? 0).map { sessionResult($0.group, $0.session) }
        return results
    }

    /// Whether the window(s) a row at `time` belongs to have all closed (the row is late and its
    /// state is gone or final).
    func isLate(time: Int64, watermark: Int64, retention: Int64) -> Bool {
        guard let window else { return false }
        switch window.kind {
        case .session: return time + window.size + retention <= watermark
        case .tumble, .hop: return window.latestStart(containing: time) + window.size + retention <= watermark
        }
    }

    /// Whether `time` only reaches windows that have already fired (a correction, under UPDATE WITHIN).
    func isCorrection(time: Int64, watermark: Int64) -> Bool {
        guard let window else { return false }
        switch window.kind {
        case .session: return time + window.size <= watermark
        case .tumble, .hop: return window.latestStart(containing: time) + window.size <= watermark
        }
    }

    /// The groups that changed since the last call (EMIT CHANGES, and corrections of fired windows).
    /// - Parameter firedOnly: only windows that have fired (corrections under EMIT FINAL).
    mutating func takeChanges(firedOnly: Bool) -> [GroupResult] {
        var results: [GroupResult] = []
        for start in windows.keys.sorted() where !windows[start]!.changed.isEmpty {
            guard !firedOnly || windows[start]!.fired else { continue }
            results += self.results(of: windows[start]!, start: start, only: windows[start]!.changed)
            windows[start]!.changed = []
        }
        for (group, session) in sessions.takeChanges(firedOnly: firedOnly) { results.append(sessionResult(group, session)) }
        return results
    }

    /// The windows and sessions, for a checkpoint.
    struct Snapshot: Codable, Sendable {
        var windows: [Int64: WindowGroups]
        var sessions: SessionGroups
    }

    var snapshot: Snapshot { Snapshot(windows: windows, sessions: sessions) }

    mutating func restore(_ snapshot: Snapshot) {
        windows = snapshot.windows
        sessions = snapshot.sessions
    }

    /// Open windows and groups, for `--stats` and `explain`.
    var openGroupCount: Int { windows.values.reduce(0) { $0 + $1.table.count } + sessions.byGroup.reduce(0) { $0 + $1.count } }
}
