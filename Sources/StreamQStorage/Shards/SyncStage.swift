import Dispatch
import Synchronization

/// Where the shard writers of one stream make their written groups durable under
/// `FsyncPolicy.always`, one `fdatasync` per shard for everything written since its last sync.
///
/// One stage serves all of a stream's shards, so an append split across them waits for one round
/// instead of one sync stage per shard, and a round covers every group the writers finished while
/// the round before it ran. With a stage per shard, each shard synced almost every part of a split
/// append on its own: five times the syncs of one shard for the same records.
final class SyncStage: Sendable {
    /// A group one shard writer has written and waits to have synced.
    struct Group: Sendable {
        let log: ShardLog
        /// The file the group was written to, and how far the shard is visible once it is synced.
        let file: FileHandle
        let watermark: ShardWatermark
        /// The shard's own queue for its sync when a round syncs several shards side by side (a
        /// serial queue, so a sync blocked in the kernel holds a thread of its own, never one of
        /// the threads tasks run on).
        let syncQueue: DispatchQueue
        /// Runs once the group is durable (nil), or with the error that stopped its sync.
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct State: Sendable {
        var waiting: [Group] = []
        var draining = false
    }

    private let queue: DispatchQueue
    private let state = Mutex(State())

    init(label: String) {
        queue = DispatchQueue(label: "streamq.sync.\(label)")
    }

    /// Queues `group` for the next round, starting one unless one is running.
    func submit(_ group: Group) {
        let start = state.withLock { state in
            state.waiting.append(group)
            defer { state.draining = true }
            return !state.draining
        }
        if start { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            let groups: [Group] = state.withLock { state in
                if state.waiting.isEmpty { state.draining = false }
                defer { state.waiting.removeAll() }
                return state.waiting
            }
            guard !groups.isEmpty else { return }
            let shards = Self.byShard(groups)
            if shards.count == 1 {
                sync(shards[0])
            } else {
                // The shards' syncs run side by side (the device takes several at once); the next
                // round starts when all are done, so it covers whatever was written meanwhile.
                let round = DispatchGroup()
                for shardGroups in shards.dropFirst() {
                    shardGroups[0].syncQueue.async(group: round) { self.sync(shardGroups) }
                }
                sync(shards[0])
                round.wait()
            }
        }
    }

    /// Syncs one shard's groups and finishes them. One sync covers them all: they are all in the
    /// last group's file, or in an older segment that was synced when it was sealed.
    private func sync(_ shardGroups: [Group]) {
        let last = shardGroups[shardGroups.count - 1]
        let failure: (any Error)?
        do {
            try last.log.syncCommitted(last.file, upTo: last.watermark)
            failure = nil
        } catch {
            failure = error
        }
        for group in shardGroups { group.finish(failure) }
    }

    /// `groups` gathered per shard, in the order each shard first appears, each in submission order.
    private static func byShard(_ groups: [Group]) -> [[Group]] {
        guard groups.count > 1 else { return [groups] }
        var shards: [[Group]] = []
        for group in groups {
            if let index = shards.firstIndex(where: { $0[0].log === group.log }) {
                shards[index].append(group)
            } else {
                shards.append([group])
            }
        }
        return shards
    }
}
