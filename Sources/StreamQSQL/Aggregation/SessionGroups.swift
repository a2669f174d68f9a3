/// One session window of one group key: rows whose event times are less than the gap apart.
/// It spans `[start, last + gap)`.
struct Session: Sendable, Codable {
    var start: Int64
    var last: Int64
    var states: [Accumulator]
    var fired = false
    var changed = false
}

/// The open session windows of every group key of a `SESSION(t, gap)` query.
struct SessionGroups: Sendable, Codable {
    var table: GroupTable
    /// Sessions of group g, ordered by start and never overlapping.
    private(set) var byGroup: [[Session]] = []

    init(width: Int) { table = GroupTable(width: width) }

    /// Folds one row at `time` into the newest session of `key` when it falls within that session's
    /// reach and bridges nothing (rows mostly arrive in time order); returns false otherwise.
    mutating func foldIntoNewest(
        key: [SQLValue],
        time: Int64,
        gap: Int64,
        inputs: [AggregateSpec.Input],
        arrival: Int64,
        aggregates: [AggregateSpec],
        tracksChanges: Bool
    ) -> Bool {
        let (group, isNew) = table.group(for: key)
        if isNew {
            byGroup.append([])
            return false
        }
        guard let newest = byGroup[group].indices.last else { return false }
        let session = byGroup[group][newest]
        guard time > session.start - gap, time < session.last + gap else { return false }
        if newest > 0, time - byGroup[group][newest - 1].last < gap { return false }  // would bridge to the one before
        byGroup[group][newest].start = min(session.start, time)
        byGroup[group][newest].last = max(session.last, time)
        for index in aggregates.indices {
            AggregateSpec.fold(inputs[index], arrival: arrival, into: &byGroup[group][newest].states[index])
        }
        if tracksChanges { byGroup[group][newest].changed = true }
        return true
    }

    /// Adds `session` (one row's, or a partial state's) to `key`'s sessions, merging every session
    /// it comes within `gap` of: a row can bridge two sessions into one.
    mutating func insert(
        _ session: Session,
        key: [SQLValue],
        gap: Int64,
        aggregates: [AggregateSpec],
        tracksChanges: Bool
    ) {
        merge([session], key: key, gap: gap, aggregates: aggregates, tracksChanges: tracksChanges)
    }

    /// Merges `incoming` (another partial state's sessions of `key`, sorted by start and apart by
    /// at least `gap`) with `key`'s sessions in one pass over both, combining every pair that
    /// comes within `gap`, in time linear in the sessions within reach of the incoming ones.
    mutating func merge(
        _ incoming: [Session],
        key: [SQLValue],
        gap: Int64,
        aggregates: [AggregateSpec],
        tracksChanges: Bool
    ) {
        guard !incoming.isEmpty else { return }
        let (group, isNew) = table.group(for: key)
        if isNew {
            byGroup.append(
                incoming.map { session in
                    var session = session
                    session.changed = tracksChanges
                    return session
                }
            )
            return
        }
        var sessions = byGroup[group]
        byGroup[group] = []  // keeps `sessions` uniquely referenced while it changes
        // Only the existing sessions within `gap` of the incoming ones' span can change: partial
        // states usually cover a stretch of time, so the rest is left where it is.
        let first = incoming[0].start
        let last = incoming[incoming.count - 1].last
        let low = Self.firstIndex(in: sessions) { $0.last > first - gap }
        let high = Self.firstIndex(in: sessions) { $0.start >= last + gap }
        // Merged in a function of its own, so the slice of `sessions` is gone before the splice: alive,
        // it shared `sessions`, and the splice copied every session of the key (quadratic over merges).
        let result = Self.merged(
            sessions[low..<max(low, high)],
            incoming: incoming,
            gap: gap,
            aggregates: aggregates,
            tracksChanges: tracksChanges
        )
        sessions.replaceSubrange(low..<max(low, high), with: result)
        byGroup[group] = sessions
    }

    /// `existing` and `incoming` (each sorted by start) merged into one sorted run, every pair that
    /// comes within `gap` combined.
    private static func merged(
        _ existing: ArraySlice<Session>,
        incoming: [Session],
        gap: Int64,
        aggregates: [AggregateSpec],
        tracksChanges: Bool
    ) -> [Session] {
        var result: [Session] = []
        result.reserveCapacity(existing.count + incoming.count)
        var mine = existing.startIndex
        var theirs = 0
        while mine < existing.endIndex || theirs < incoming.count {
            var next: Session
            if theirs == incoming.count || (mine < existing.endIndex && existing[mine].start <= incoming[theirs].start)
            {
                next = existing[mine]
                mine += 1
            } else {
                next = incoming[theirs]
                next.changed = tracksChanges  // as ``insert(_:key:gap:aggregates:tracksChanges:)`` marks it
                theirs += 1
            }
            // Sorted by start, `next` joins the last session when it starts within its reach.
            if let end = result.indices.last, next.start - result[end].last < gap {
                var states = result[end].states
                result[end].states = []
                for index in aggregates.indices { aggregates[index].merge(next.states[index], into: &states[index]) }
                result[end].states = states
                result[end].last = max(result[end].last, next.last)
                result[end].fired = result[end].fired || next.fired
                result[end].changed = tracksChanges
            } else {
                result.append(next)
            }
        }
        return result
    }

    /// The first index of sorted `sessions` whose session satisfies `test` (false for a prefix,
    /// true for the rest), by binary search; `sessions.count` if none.
    private static func firstIndex(in sessions: [Session], where test: (Session) -> Bool) -> Int {
        var low = 0
        var high = sessions.count
        while low < high {
            let middle = (low + high) / 2
            if test(sessions[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Sessions whose end (last row + gap) is at or before `watermark` and have not fired yet;
    /// sessions whose end + `retention` has passed are dropped.
    mutating func fire(upTo watermark: Int64, retention: Int64, gap: Int64) -> [(group: Int, session: Session)] {
        var fired: [(group: Int, session: Session)] = []
        for group in byGroup.indices {
            for index in byGroup[group].indices
            where byGroup[group][index].last + gap <= watermark && !byGroup[group][index].fired {
                byGroup[group][index].fired = true
                byGroup[group][index].changed = false
                fired.append((group, byGroup[group][index]))
            }
            byGroup[group].removeAll { $0.last + gap + retention <= watermark }
        }
        return fired.sorted { $0.session.last < $1.session.last }
    }

    mutating func takeChanges(firedOnly: Bool) -> [(group: Int, session: Session)] {
        var changes: [(group: Int, session: Session)] = []
        for group in byGroup.indices {
            for index in byGroup[group].indices
            where byGroup[group][index].changed && (!firedOnly || byGroup[group][index].fired) {
                byGroup[group][index].changed = false
                changes.append((group, byGroup[group][index]))
            }
        }
        return changes
    }
}
