import StreamQStorage

extension [StoredRecord] {
    /// How many of the first records a read within `maxRecords` and `maxBytes` returns without
    /// splitting a KPL aggregate (a run of records with one sequence): whole runs only, at least the
    /// first (even one larger than `maxRecords`), stopping after the run that reaches `maxBytes`.
    func wholeAggregatesPrefix(maxRecords: Int, maxBytes: Int) -> Int {
        var taken = 0
        var bytes = 0
        while taken < count {
            var end = taken + 1
            let sequence = self[taken].sequenceNumber.sequence
            while end < count && self[end].sequenceNumber.sequence == sequence { end += 1 }
            if taken > 0 && end > maxRecords { break }
            bytes += self[taken..<end].reduce(0) { $0 + $1.data.count + $1.partitionKey.utf8.count }
            taken = end
            if taken >= maxRecords || bytes >= maxBytes { break }
        }
        return taken
    }
}
