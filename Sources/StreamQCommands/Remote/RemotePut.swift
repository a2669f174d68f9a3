import StreamQRemote

/// `streamq put --endpoint URL`: stdin lines become records through PutRecords.
///
/// Lines are sent in requests of up to 500 records (and the request size limit) as soon as a
/// request is full or stdin goes quiet; `putRecordsReliably` re-drives only the entries the
/// service failed, keeping each partition key's order, and nothing acknowledged is sent twice.
/// One request is in flight at a time, so records of one key are stored in input order.
struct RemotePut {
    let client: KinesisClient
    let stream: String
    let fixedKey: String?
    let keyField: String?
    let maxRecordBytes: Int
    let progress: Bool

    /// What was sent, acknowledged, and the failure that stopped it (if any).
    func run(rejections: inout RejectionLog) async throws -> (sent: Int, stored: Int, failure: (any Error)?) {
        var keys = RandomPartitionKeys()
        var reader = LineReader()
        var pending: [PutRecordsEntry] = []
        var pendingBytes = 0
        var lineNumber = 0
        var sent = 0
        var stored = 0
        func sendPending() async throws {
            guard !pending.isEmpty else { return }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            pendingBytes = 0
            do {
                stored += try await client.putRecordsReliably(stream: .name(stream), records: batch).count
            } catch let error as PutRecordsReliablyError {
                stored += error.stored.compactMap { $0 }.count
                throw error
            }
            if progress { StandardStreams.writeError("stored \(stored)\n") }
        }
        do {
            while let line = try await reader.nextLine(whenIdle: { try await sendPending() }) {
                lineNumber += 1
                guard line.count <= maxRecordBytes else {
                    try rejections.reject(
                        line: lineNumber,
                        reason: "line is \(line.count) bytes; the record limit is \(maxRecordBytes)",
                        data: line
                    )
                    continue
                }
                let key: String
                if let fixedKey {
                    key = fixedKey
                } else if let keyField {
                    guard let found = try rejections.keyField(keyField, in: line, lineNumber: lineNumber) else {
                        continue
                    }
                    key = found
                } else {
                    key = keys.next()
                }
                let entry = PutRecordsEntry(data: Array(line), partitionKey: key)
                if pending.count == 500 || pendingBytes + entry.size > 5 << 20 { try await sendPending() }
                pending.append(entry)
                pendingBytes += entry.size
                sent += 1
            }
            try await sendPending()
            return (sent, stored, nil)
        } catch let error as PutRecordsReliablyError {
            return (sent, stored, error)
        }
    }
}
