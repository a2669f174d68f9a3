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

    /// Adds `session` (one row's, or a partial state's) to `key`'s sessions, merging every session
    /// it comes within `gap` of: a row can bridge two sessions into one.
    mutating func insert(_ session: Session, key: [SQLValue], gap: Int64, aggregates: [AggregateSpec], tracksChanges: Bool) {
        let (group, isNew) = table.group(for: key)
        if isNew { byGroup.append([]) }
        var merged = session
        merged.changed = tracksChanges
        var kept: [Session] = []
        for existing in byGroup[group] {
            if existing.start - merged.last < gap && merged.start - existing.last < gap {
                // Overlapping: fold the earlier states first, so first/last keep their order.
                var states = existing.states
                for index in aggregates.indices { aggregates[index].merge(merged.states[index], into: &states[index]) }
                merged = Session(
                    start: min(existing.start, merged.start), last: max(existing.last, merged.last), states: states,
                    fired: existing.fired || merged.fired, changed: tracksChanges)
            } else {
                kept.append(existing)
            }
        }
        let position = kept.firstIndex { $0.start > merged.start } ?? kept.count
        kept.insert(merged, at: position)
        byGroup[group] = kept
    }

    /// Sessions whose end (last row + gap) is at or before `watermark` and have not fired yet;
    /// sessions whose end + `retention` has passed are dropped.
    mutating func fire(upTo watermark: Int64, retention: Int64, gap: Int64) -> [(group: Int, session: Session)] {
        var fired: [(group: Int, session: Session)] = []
        for group in byGroup.indices {
            for index in byGroup[group].indices where byGroup[group][index].last + gap <= watermark && !byGroup[group][index].fired {
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
            for index in byGroup[group].indices where byGroup[group][index].changed && (!firedOnly || byGroup[group][index].fired) {
                byGroup[group][index].changed = false
                changes.append((group, byGroup[group][index]))
            }
        }
        return changes
    }
}
