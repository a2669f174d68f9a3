import Testing

@testable import StreamQRemote

@Suite struct PutRecordsBatcherTests {
    @Test func splitsByCount() {
        let batcher = PutRecordsBatcher(maximumCount: 500, maximumBytes: 10 * 1024 * 1024)
        let batches = batcher.batches(sizes: Array(repeating: 100, count: 1201))
        #expect(batches.map(\.count) == [500, 500, 201])
        #expect(batches.flatMap { $0 } == Array(0..<1201))
    }

    @Test func splitsByBytes() {
        let mebibyte = 1024 * 1024
        let batcher = PutRecordsBatcher(maximumCount: 500, maximumBytes: 10 * mebibyte)
        // Eleven 1 MiB records: ten fill a request exactly, the eleventh starts the next.
        #expect(batcher.batches(sizes: Array(repeating: mebibyte, count: 11)).map(\.count) == [10, 1])
        // A record too large for any request goes alone rather than being dropped.
        #expect(batcher.batches(sizes: [10, 11 * mebibyte, 10]).map { $0 } == [[0], [1], [2]])
        #expect(batcher.batches(sizes: [6 * mebibyte, 4 * mebibyte, 1]).map { $0 } == [[0, 1], [2]])
    }

    @Test func holdsBackEntriesWithoutSendingThem() {
        let batcher = PutRecordsBatcher(maximumCount: 2, maximumBytes: 100)
        var queue = ArraySlice([0, 1, 2, 3, 4])
        var heldBack: [Int] = []
        let batch = batcher.nextBatch(from: &queue, size: { _ in 1 }, isHeldBack: { $0 % 2 == 1 }, heldBack: &heldBack)
        // The request is full after 0 and 2; 3 stays queued for the next request.
        #expect(batch == [0, 2])
        #expect(heldBack == [1])
        #expect(Array(queue) == [3, 4])
    }

    @Test func putRecordsEntrySizeCountsDataAndKeyBytes() {
        #expect(PutRecordsEntry(data: [1, 2, 3], partitionKey: "ключ").size == 3 + 8)
    }
}
