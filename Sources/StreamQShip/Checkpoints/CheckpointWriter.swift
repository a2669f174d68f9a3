import Dispatch

/// Writes the checkpoint on a thread of its own, one version after another in the order given, so
/// the shipping loop reads and encodes lines while the disk syncs (two fsyncs per version).
final class CheckpointWriter: Sendable {
    let path: String
    private let queue = DispatchQueue(label: "streamq.ship.checkpoint")

    init(path: String) {
        self.path = path
    }

    /// Writes `checkpoint` after every version given before, then calls `completion`.
    func write(_ checkpoint: ShipCheckpoint, then completion: @escaping @Sendable (Result<Void, ShipError>) -> Void) {
        let path = path
        queue.async {
            completion(Result { () throws(ShipError) in try checkpoint.save(path) })
        }
    }

    /// Writes `checkpoint` after every version given before, and returns once it is on disk.
    func writeNow(_ checkpoint: ShipCheckpoint) throws(ShipError) {
        let path = path
        try queue.sync { Result { () throws(ShipError) in try checkpoint.save(path) } }.get()
    }
}
