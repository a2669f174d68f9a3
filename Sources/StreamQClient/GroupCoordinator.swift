import StreamQStorage

#if canImport(Glibc)
import Glibc
#endif

/// Leases and checkpoints of one consumer group, shared through files by members in any number of
/// processes on this machine.
///
/// Every operation takes the group's `LOCK` (flock), reads `state.json`, changes it and replaces it
/// atomically. A member renews its leases every `renewInterval`; a lease not renewed within
/// `leaseDuration` may be taken by another member. Shards are shared evenly among live members, and
/// a shard closed by a reshard must be read to its end before its children are handed out.
struct GroupCoordinator: Sendable {
    let directory: String
    let memberID: String
    let leaseDuration: Duration

    private var statePath: String { directory + "/state.json" }

    /// Validates the group name and prepares its directory.
    init(groupsDirectory: String, configuration: ConsumerGroupConfiguration) throws {
        guard let name = try? StreamName(validating: configuration.name) else {
            throw StreamQStorageError(
                .invalidArgument,
                "group name '\(configuration.name)' may only contain letters, digits, '_', '.' and '-' (1 to 128)"
            )
        }
        self.directory = groupsDirectory + "/" + name.rawValue
        self.memberID = configuration.memberID
        self.leaseDuration = configuration.leaseDuration
        try FileSystem.createDirectories(directory)
    }

    /// A shard this member holds, and where to read it from.
    struct Assignment: Sendable, Equatable {
        var shard: ShardID
        var counter: UInt64
        /// Continue after this sequence (the checkpoint) …
        var after: UInt64?
        /// … or start here (a fixed position), or at the group's starting position when both are nil.
        var start: UInt64?
    }

    /// What a renewal leaves this member with.
    struct Renewal: Sendable {
        var assignments: [Assignment]
        /// Shards still leased to members that stopped renewing (crashed?): they come free when
        /// the lease expires, so a member reading what is there now should wait for them.
        var awaitingExpiry: Int
    }

    /// Heartbeats, renews this member's leases, takes or gives back shards to balance the group.
    /// - Parameters:
    ///   - shards: the stream's shards now.
    ///   - latest: for a new group starting at LATEST, the current end of each open shard.
    ///   - staleAfter: a member that has not renewed for this long is presumed to have crashed: its
    ///     shards count in ``Renewal/awaitingExpiry`` until their leases run out.
    func renew(shards: [ShardDescription], latest: [ShardID: UInt64]?, staleAfter: Duration) throws -> Renewal {
        try withLockedState { state in
            let now = Self.nowMilliseconds()
            let lease = leaseDuration.milliseconds
            let boot = Self.bootID()
            if state.bootID != boot {  // leases from before a reboot mean nothing now
                state.bootID = boot
                state.members = [:]
                for key in state.shards.keys { state.shards[key]!.owner = nil }
            }
            if !state.initialized {
                for shard in shards {
                    var entry = state.shards[shard.id.description] ?? GroupState.ShardLease()
                    if let latest {  // starting at LATEST: history, including closed shards, is skipped
                        if !shard.isOpen { entry.ended = true } else { entry.startSequence = latest[shard.id] }
                    }
                    state.shards[shard.id.description] = entry
                }
                state.initialized = true
            }
            state.members[memberID] = GroupState.Member(heartbeat: now, expiry: now + lease)
            // Each member by its own lease: one renewing often with a short lease must not drop
            // a member with a longer one that still holds valid leases.
            state.members = state.members.filter { $0.value.isPresent(at: now, assumingLease: lease) }
            for shard in shards where state.shards[shard.id.description] == nil {
                state.shards[shard.id.description] = GroupState.ShardLease()
            }
            let ended = Set(state.shards.filter(\.value.ended).keys)
            let known = Set(shards.map(\.id))
            let available = shards.filter { shard in
                !ended.contains(shard.id.description)
                    && shard.parents.allSatisfy { parent in
                        ended.contains(parent.description) || !known.contains(parent)
                    }
            }.map(\.id.description)

            func isLive(_ entry: GroupState.ShardLease) -> Bool {
                entry.owner != nil && entry.expiry > now && state.members[entry.owner!] != nil
            }
            var mine = available.filter { state.shards[$0]!.owner == memberID && state.shards[$0]!.expiry > now }
            let target = (available.count + state.members.count - 1) / max(1, state.members.count)
            for key in available where mine.count < target && !mine.contains(key) && !isLive(state.shards[key]!) {
                state.shards[key]!.owner = memberID
                mine.append(key)
            }
            while mine.count > target, let extra = mine.popLast() {  // give back to balance the group
                state.shards[extra]!.owner = nil
                state.shards[extra]!.expiry = 0
            }
            for key in mine {
                state.shards[key]!.counter += 1
                state.shards[key]!.expiry = now + lease
            }
            // Leases of shards that are no longer available (ended) are dropped.
            for (key, entry) in state.shards where entry.owner == memberID && !mine.contains(key) {
                state.shards[key]!.owner = nil
            }
            let staleBefore = now - staleAfter.milliseconds
            let awaiting = available.filter { key in
                let entry = state.shards[key]!
                guard let owner = entry.owner, owner != memberID, entry.expiry > now else { return false }
                return (state.members[owner]?.heartbeat ?? 0) < staleBefore
            }.count
            let assignments = mine.compactMap { key in
                let entry = state.shards[key]!
                return ShardID(parsing: key).map {
                    Assignment(
                        shard: $0,
                        counter: entry.counter,
                        after: entry.checkpoint?.sequence,
                        start: entry.startSequence
                    )
                }
            }.sorted { $0.shard < $1.shard }
            return Renewal(assignments: assignments, awaitingExpiry: awaiting)
        }
    }

    /// Records that this member processed `shard` up to `checkpoint`, or to its end.
    /// - Throws: `.leaseLost` if the shard was taken: another member owns it now, or nobody does.
    func commit(shard: ShardID, checkpoint: GroupState.Checkpoint?, ended: Bool) throws {
        try withLockedState { state in
            let key = shard.description
            // Past its expiry, a lease still ours was taken by nobody (taking it changes the owner,
            // under this same lock), so what we processed is still ours to record.
            guard let entry = state.shards[key], entry.owner == memberID else {
                throw StreamQStorageError(.leaseLost, "member \(memberID) no longer holds the lease on \(shard)")
            }
            if let checkpoint, (entry.checkpoint?.sequence ?? 0) <= checkpoint.sequence || entry.checkpoint == nil {
                state.shards[key]!.checkpoint = checkpoint
            }
            if ended {
                state.shards[key]!.ended = true
                state.shards[key]!.owner = nil
            }
        }
    }

    /// Leaves the group, giving back every lease at once so others need not wait for expiry.
    func leave() throws {
        try withLockedState { state in
            state.members.removeValue(forKey: memberID)
            for (key, entry) in state.shards where entry.owner == memberID {
                state.shards[key]!.owner = nil
                state.shards[key]!.expiry = 0
            }
        }
    }

    /// The group's state as stored, without changing it.
    static func inspect(groupDirectory: String) throws -> GroupState {
        try GroupState.load(groupDirectory + "/state.json")
    }

    private func withLockedState<T>(_ body: (inout GroupState) throws -> T) throws -> T {
        let lock = try FileHandle.open(directory + "/LOCK", flags: O_RDWR | O_CREAT)
        while flock(lock.descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StreamQStorageError(.ioFailure, "flock \(lock.path) failed") }
        }
        defer { flock(lock.descriptor, LOCK_UN) }
        var state = try GroupState.load(statePath)
        let before = state
        let result = try body(&state)
        if state != before { try state.save(statePath) }
        return result
    }

    /// Milliseconds on the boot-time clock: comparable between processes on this machine.
    static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_BOOTTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// This boot's id. Read until the end, not by the file's size: /proc files report size 0 (read
    /// by size, every boot had the id "", and leases from before a reboot were honoured on a clock
    /// that had restarted).
    static func bootID() -> String {
        guard let bytes = try? FileHandle.openForReading("/proc/sys/kernel/random/boot_id").read(count: 64, at: 0),
            !bytes.isEmpty
        else { return "unknown" }
        return String(decoding: bytes.filter { $0 != 0x0A && $0 != 0x20 }, as: UTF8.self)
    }
}
