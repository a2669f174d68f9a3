import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Finding files and following them through rotation: which file a path holds now, whether it
/// grew, was truncated or rewritten, renamed or deleted.
extension ShipSession {
    /// Expands the globs: files already open get their current path; any other file is matched
    /// against the checkpoint by inode and fingerprint, or else is new.
    func scan(initial: Bool) throws {
        var attached: [Inode: TailedFile] = [:]
        for file in active.values where !file.isDetached {
            attached[file.entry.inode] = file
            file.inGlob = false
        }
        var closedUnchanged: [Inode: UInt64] = [:]
        for entry in dormant.values where entry.closedUnchangedAt != nil { closedUnchanged[entry.inode] = entry.key }
        let now = Int64(time(nil))
        for (path, status) in glob.files() {
            if let key = closedUnchanged[status.inode], let entry = dormant[key],
                entry.closedUnchangedAt == status.modified, entry.ackedOffset == status.size
            {
                dormant[key]?.lastSeen = now  // closed all shipped and not changed since: not opened
                if initial {
                    summary.files += 1
                    summary.filesUnchanged += 1
                }
                continue
            }
            if let file = attached[status.inode] {
                file.inGlob = true
                if file.entry.path != path {
                    summary.rotations += 1
                    logger.info("file renamed", metadata: ["from": "\(file.entry.path)", "to": "\(path)"])
                    file.entry.path = path
                    checkpointIsDirty = true
                }
                continue
            }
            try discover(path, status: status, initial: initial)
        }
    }

    /// After a restart: files with unshipped lines that were renamed out of the globs while the
    /// shipper was stopped are still found where the checkpoint last saw them, and drained.
    func resumeRenamedAway() throws {
        for entry in dormant.values {
            guard dormant[entry.key] != nil, let status = FileStatus.of(entry.path), status.inode == entry.inode,
                !entry.inDoubt.isEmpty || status.size > entry.ackedOffset
            else { continue }
            try discover(entry.path, status: status, initial: false)
            active[entry.key]?.inGlob = false
        }
    }

    private func discover(_ path: String, status: FileStatus, initial: Bool) throws {
        guard status.size > 0 else { return }
        let handle: LogFile
        do {
            handle = try LogFile(path: path)
        } catch {
            // Gone since the scan, or unreadable (permissions, out of descriptors): the next scan
            // tries again; an unreadable file is said, not skipped in silence.
            if FileStatus.of(path) != nil, unreadable.insert(path).inserted {
                logger.warning("cannot open a log file; trying again at each scan", metadata: ["error": "\(error)"])
            }
            return
        }
        unreadable.remove(path)
        let opened = try handle.status()
        guard opened.inode == status.inode else { return }  // replaced since the scan: next scan
        let prefix = try handle.read(count: min(opened.size, FileFingerprint.fullLength), at: 0)
        for (key, entry) in dormant where entry.inode == opened.inode {
            if entry.fingerprint.matches(prefix: prefix) {
                dormant[key] = nil
                return try activate(entry, handle: handle, path: path, status: opened)
            }
            // Rewritten (copytruncate while stopped) or a reused inode: the file it held lives on
            // only in a copy, if anywhere, which its fingerprint can still find.
            dormant[key]?.inode = .none
        }
        let fingerprint = FileFingerprint(of: prefix)
        // A file that starts with what another file's fingerprint covers, once that file had a
        // complete line read (so the fingerprint covers at least that line), is a copy of it.
        func isCopy(of entry: FileCheckpoint, read: Int) -> Bool {
            read > 0 && entry.fingerprint.matches(prefix: prefix)
        }
        if active.values.contains(where: { !$0.isDetached && isCopy(of: $0.entry, read: $0.readOffset) }) {
            return  // a copy of a file being tailed (copytruncate, before the truncation): look again later
        }
        if let orphan = active.values.first(where: { $0.isDetached && isCopy(of: $0.entry, read: $0.readOffset) }) {
            // copytruncate: the copy holds the rest of the file that was truncated under us
            orphan.file = handle
            orphan.entry.fingerprint = fingerprint
            orphan.entry.inode = opened.inode
            orphan.entry.path = path
            orphan.size = opened.size
            orphan.inGlob = true
            orphan.lastChange = .now
            if configuration.once { orphan.limit = opened.size }
            summary.rotations += 1
            logger.info("continuing a truncated file in its copy", metadata: ["file": "\(path)"])
            return
        }
        if var entry = dormant.values.first(where: {
            isCopy(of: $0, read: $0.ackedOffset + $0.inDoubt.count)
                && FileStatus.of($0.path)?.inode != $0.inode  // else the original is still there
        }) {
            dormant[entry.key] = nil
            entry.inode = opened.inode
            entry.fingerprint = fingerprint
            summary.rotations += 1
            return try activate(entry, handle: handle, path: path, status: opened)
        }
        let start =
            try initial && isFirstStart && configuration.startPosition == .end
            ? handle.endOfLastLine(before: opened.size) : 0
        let entry = FileCheckpoint(
            key: FileProducer.key(instance: instance, inode: opened.inode, fingerprint: fingerprint),
            inode: opened.inode,
            fingerprint: fingerprint,
            path: path,
            ackedOffset: start,
            nextSequence: 0,
            inDoubt: [],
            lastSeen: Int64(time(nil))
        )
        try activate(entry, handle: handle, path: path, status: opened)
    }

    private func activate(_ entry: FileCheckpoint, handle: LogFile, path: String, status: FileStatus) throws {
        var entry = entry
        entry.path = path
        entry.closedUnchangedAt = nil
        let file = TailedFile(entry: entry, file: handle, size: status.size, now: .now)
        file.links = status.links
        file.modified = status.modified
        if configuration.once { file.limit = status.size }
        var rebuilt: [PendingAppend] = []
        for intent in entry.inDoubt { rebuilt.append(try rebuild(intent, of: file, from: handle)) }
        guard try stillHolds(entry.fingerprint, handle) else { return }  // rewritten just now: next scan
        for append in rebuilt {
            file.appends.append(append)
            file.readOffset = append.intent.end
            inFlightBytes += append.bytes
        }
        file.entry.inDoubt = []
        active[entry.key] = file
        summary.files += 1
        checkpointIsDirty = true
    }

    /// Checks each open file: growth, a fingerprint that grows with a short file, and truncation
    /// or rewriting (the size fell below what was read, or the first bytes changed; checked
    /// whenever the size or the modification time moved, since a rewritten file can grow back past
    /// its old size between two polls). A file that did neither costs one `fstat`, so thousands of
    /// rotated files that stay in the globs cost little.
    func poll(_ now: ContinuousClock.Instant) throws {
        for file in active.values {
            guard let handle = file.file else { continue }
            let status = try handle.status()
            file.links = status.links
            if status.size == file.size, status.modified == file.modified { continue }
            file.modified = status.modified
            let prefix = try handle.read(count: min(status.size, FileFingerprint.fullLength), at: 0)
            if status.size < file.readOffset || !file.entry.fingerprint.matches(prefix: prefix) {
                detach(file, now)
                continue
            }
            if !file.entry.fingerprint.isFull, prefix.count > file.entry.fingerprint.length {
                file.entry.fingerprint = FileFingerprint(of: prefix)
                checkpointIsDirty = true
            }
            if status.size != file.size {
                file.size = status.size
                file.lastChange = now
            }
        }
    }

    /// The file's content was replaced under it (truncated, or rewritten): what is left of it can
    /// only come from a copy, and its inode is found again by the next scan, as a new file.
    func detach(_ file: TailedFile, _ now: ContinuousClock.Instant) {
        summary.truncations += 1
        logger.warning(
            "file truncated or rewritten; reading it again from its start",
            metadata: ["file": "\(file.entry.path)", "read": "\(file.readOffset)"]
        )
        file.file = nil
        file.entry.inode = .none
        file.lastChange = now
        lastScan = now - configuration.scanInterval
    }

    /// Whether `handle` still starts with the bytes `fingerprint` covers: checked after reading,
    /// so lines read while the file was being truncated and rewritten are never taken for its own.
    func stillHolds(_ fingerprint: FileFingerprint, _ handle: LogFile) throws -> Bool {
        fingerprint.matches(prefix: try handle.read(count: fingerprint.length, at: 0))
    }

    /// Closes files renamed out of the globs or deleted once everything in them is shipped and
    /// they stopped growing, and files the globs name that were inactive for
    /// ``ShipConfiguration/closeInactive``; and gives up on the rest of a truncated file no copy
    /// turned up for.
    func closeFinishedFiles(_ now: ContinuousClock.Instant) {
        for file in active.values where file.appends.isEmpty {
            let idle = configuration.once || now - file.lastChange >= configuration.rotateWait
            guard idle else { continue }
            let shipped = file.readOffset >= file.size
            let inactive = !configuration.once && now - file.lastChange >= configuration.closeInactive
            if file.isDetached || (shipped && (file.isGone || inactive)) {
                var entry = file.entry
                entry.closedUnchangedAt = inactive && !file.isDetached && !file.isGone ? file.modified : nil
                dormant[file.entry.key] = entry
                active[file.entry.key] = nil
                checkpointIsDirty = true
            }
        }
    }
}
