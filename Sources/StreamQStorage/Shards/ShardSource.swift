/// Where reads of one shard get their view: the writer's own log in the writing process, or the
/// files on disk in a read-only process.
protocol ShardSource: Sendable {
    var shard: ShardID { get }
    /// The shard as readers may see it now.
    func snapshot() throws -> ShardSnapshot
    /// Signalled when more records may be visible, or the shard may have closed.
    var changes: ChangeSignal { get }
}

extension ShardLog: ShardSource {}
