/// Cuts a queue of entries into PutRecords requests of at most `maximumCount` entries and
/// `maximumBytes` (data plus partition keys), in queue order.
///
/// An entry larger than `maximumBytes` goes alone, for the service to refuse or accept.
struct PutRecordsBatcher {
    let maximumCount: Int
    let maximumBytes: Int

    /// Takes the next request's entries from the front of `queue`; entries `isHeldBack` refuses
    /// are moved to `heldBack` instead (in queue order) and never sent in this request.
    func nextBatch(
        from queue: inout ArraySlice<Int>,
        size: (Int) -> Int,
        isHeldBack: (Int) -> Bool,
        heldBack: inout [Int]
    ) -> [Int] {
        var batch: [Int] = []
        var bytes = 0
        while let index = queue.first, batch.count < maximumCount {
            if isHeldBack(index) {
                heldBack.append(index)
                queue.removeFirst()
                continue
            }
            let entrySize = size(index)
            if !batch.isEmpty && bytes + entrySize > maximumBytes { break }
            batch.append(index)
            bytes += entrySize
            queue.removeFirst()
        }
        return batch
    }

    /// Every request for entries of these sizes, none held back.
    func batches(sizes: [Int]) -> [[Int]] {
        var queue = ArraySlice(sizes.indices)
        var heldBack: [Int] = []
        var batches: [[Int]] = []
        while !queue.isEmpty {
            batches.append(
                nextBatch(from: &queue, size: { sizes[$0] }, isHeldBack: { _ in false }, heldBack: &heldBack)
            )
        }
        return batches
    }
}
