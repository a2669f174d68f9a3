import StreamQStorage

/// Where the acknowledgements of a batch's records go, kept as runs rather than one entry per
/// record: records appended one after another to the same ``BatchPromise`` share a run, so
/// acknowledging a batch costs one promise update per run, not one per record.
struct RecordTargets: Sendable {
    private struct Run: Sendable {
        var promise: BatchPromise
        /// The first record's index in the promise.
        var start: Int
        var count: Int
    }

    private var runs: [Run] = []
    /// How many records the targets cover.
    private(set) var count = 0

    /// Adds the next record, acknowledged to `promise` at `index`.
    mutating func append(_ promise: BatchPromise, index: Int) {
        count += 1
        if let last = runs.last, last.promise === promise, last.start + last.count == index {
            runs[runs.count - 1].count += 1
        } else {
            runs.append(Run(promise: promise, start: index, count: 1))
        }
    }

    mutating func append(contentsOf other: RecordTargets) {
        for run in other.runs {
            if let last = runs.last, last.promise === run.promise,
                last.start + last.count == run.start
            {
                runs[runs.count - 1].count += run.count
            } else {
                runs.append(run)
            }
        }
        count += other.count
    }

    /// Each record's promise and index, in order (for the rare paths that handle records one by one).
    var perRecord: [(promise: BatchPromise, index: Int)] {
        var all: [(promise: BatchPromise, index: Int)] = []
        all.reserveCapacity(count)
        for run in runs {
            for offset in 0..<run.count { all.append((run.promise, run.start + offset)) }
        }
        return all
    }

    /// The targets of records `range` (offsets into this batch).
    func slice(_ range: Range<Int>) -> RecordTargets {
        var result = RecordTargets()
        for target in perRecord[range] { result.append(target.promise, index: target.index) }
        return result
    }

    /// Resolves every record as stored, the first at `first` and the rest densely after it.
    func resolveStored(first: SequenceNumber) {
        var offset: UInt64 = 0
        for run in runs {
            run.promise.resolveStored(
                run.start..<(run.start + run.count),
                first: SequenceNumber(sequence: first.sequence + offset, shard: first.shard)
            )
            offset += UInt64(run.count)
        }
    }
}
