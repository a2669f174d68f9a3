/// Multiline groups held back while they may still grow (see ``RecordScanner``).
extension ShipSession {
    /// Whether a file's open group waited long enough: nothing was written to the file for the
    /// rule's timeout.
    func groupTimedOut(_ file: TailedFile, _ now: ContinuousClock.Instant) -> Bool {
        guard let multiline = configuration.multiline else { return false }
        return now - file.lastChange >= multiline.timeout
    }

    /// After a stop request no line is read, so each group held back is shipped as it is: exactly
    /// the lines read before the request, up to the held group's end. A file whose appends fill
    /// its window gets its turn on a later call, as acknowledgements arrive.
    func flushHeldGroups() throws {
        for file in activeInKeyOrder {
            guard let end = file.heldGroupEnd, let handle = file.file, file.retryAt == nil,
                file.appends.count < configuration.maxInFlightAppendsPerFile
            else { continue }
            let records =
                try file.readOffset < end
                ? recordScanner.records(
                    in: handle,
                    from: file.readOffset,
                    limit: end,
                    maxRecords: .max,
                    maxBytes: .max,
                    includeUnterminated: false,
                    flushingGroup: true
                ).records : LineBatch()
            guard !records.isEmpty, try stillHolds(file.entry.fingerprint, handle) else {
                file.heldGroupEnd = nil
                continue
            }
            take(appendCutter(for: file).cut(records, bytesPerPart: partBytes(file)), of: file)
            if file.readOffset >= end { file.heldGroupEnd = nil }
        }
    }
}
