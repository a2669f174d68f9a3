/// Reads a file's records: one per line, or with a ``MultilineRule`` one per group of lines.
///
/// **Multiline and exactly-once.** An append carries the records from byte `start` to byte `end`
/// of its file (``AppendIntent``), and after a crash the lines of that range are read and grouped
/// again to rebuild it with its original stamp (see ``FileProducer``). That rebuild gives back the
/// same records because:
///
/// - A group is never split between appends, and a group still open (waiting for its next line or
///   for the timeout) is in no append: it is held back here (``Scan/heldGroupEnd``), so the file's
///   read offset stays at its first line and it is neither sent nor counted as acknowledged. After
///   a `kill -9` it is read again from the file, with whatever lines came since.
/// - So every append starts where a group starts, and ends where a group ends. Grouping depends on
///   nothing before a group (see ``MultilineAggregator``), so grouping the range `start..<end`
///   afresh and closing its last group at `end` (group boundaries = append boundaries) yields the
///   same groups, whatever closed the last one at first: the line after it (which then starts the
///   next append), the timeout, the end of a rotated file, `--once` or a stop.
/// - A group closed by the timeout is the last record read at that moment, so it ends its append.
///   Continuation lines written after it are read from its end with no group open: they open a
///   group of their own only if they match the start pattern, else each is a record. A restart
///   does the same, since reading resumes at an append's end.
///
/// Were the rule changed between a crash and the restart, an in-doubt append would still be
/// resent over the same bytes, so still no line would be lost or stored twice; only its grouping
/// could differ from what the stream may already hold.
struct RecordScanner {
    var lines: LineScanner
    var multiline: MultilineRule?

    struct Scan {
        var records = LineBatch()
        /// Where the group held back ends: the last lines read, in a group that may grow.
        var heldGroupEnd: Int?
    }

    /// Lines read at a time while grouping.
    static let chunkLines = 1000

    /// The records from `offset` whose lines end before `limit`, stopping once `maxRecords` records
    /// or `maxBytes` bytes of text were taken (see ``LineScanner/lines(in:from:limit:maxLines:maxBytes:includeUnterminated:)``).
    /// With multiline, a group still open when the lines run out is returned if `flushingGroup`
    /// (the timeout passed, the file will not grow, or reading stops), and otherwise held back.
    func records(
        in file: LogFile,
        from offset: Int,
        limit: Int,
        maxRecords: Int,
        maxBytes: Int,
        includeUnterminated: Bool,
        flushingGroup: Bool
    ) throws(ShipError) -> Scan {
        guard let multiline else {
            let records = try lines.lines(
                in: file,
                from: offset,
                limit: limit,
                maxLines: maxRecords,
                maxBytes: maxBytes,
                includeUnterminated: includeUnterminated
            )
            return Scan(records: records)
        }
        // Read a chunk at a time: an open group keeps only its first `maxLineBytes` of text, so
        // memory stays bounded however long the group is.
        var aggregator = MultilineAggregator(rule: multiline, maxBytes: lines.maxLineBytes)
        var scan = Scan()
        var taken = 0
        var position = offset
        while true {
            let chunk = try lines.lines(
                in: file,
                from: position,
                limit: limit,
                maxLines: Self.chunkLines,
                maxBytes: LineScanner.chunkBytes,
                includeUnterminated: includeUnterminated
            )
            guard let last = chunk.last else { break }
            for line in chunk {
                for record in aggregator.add(line) {
                    scan.records.append(record)
                    taken += record.text.count
                }
                // The open group is dropped: the next read starts at its first line.
                if scan.records.count >= maxRecords || taken >= maxBytes { return scan }
            }
            position = last.end
        }
        if let group = aggregator.flush() {
            if flushingGroup {
                scan.records.append(group)
            } else {
                scan.heldGroupEnd = group.end
            }
        }
        return scan
    }
}
