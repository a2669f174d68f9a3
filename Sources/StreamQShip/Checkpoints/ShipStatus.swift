import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// What `streamq ship --status` prints: per file of a state directory's checkpoint, how far its
/// lines are acknowledged and how far behind that is. Read without the state directory's lock,
/// so it works beside a running shipper (the checkpoint is replaced atomically).
public struct ShipStatus: Sendable {
    /// One file of the checkpoint.
    public struct File: Sendable, Equatable {
        public var path: String
        /// Just past the last acknowledged line.
        public var ackedOffset: Int
        /// The file's size now, or nil when the path no longer names the file that was shipped
        /// (rotated away, deleted or replaced).
        public var size: Int?
        /// Appends sent and not known to be acknowledged when the checkpoint was written.
        public var inDoubtAppends: Int
        /// When the shipper last saw the file, in seconds since the epoch.
        public var lastSeen: Int64

        /// Bytes not acknowledged yet: the size minus the acknowledged offset.
        public var lagBytes: Int? { size.map { max(0, $0 - ackedOffset) } }
    }

    public var stateDirectory: String
    /// Whether a shipper holds the state directory now.
    public var shipperRunning: Bool
    /// Whether a checkpoint exists at all (none before the first start).
    public var hasCheckpoint: Bool
    public var files: [File]

    /// Reads `<stateDirectory>/checkpoints.json` and looks at each file it names.
    /// - Throws: ``ShipError`` when the checkpoint exists and cannot be read.
    public static func read(stateDirectory: String) throws(ShipError) -> ShipStatus {
        let checkpoint = try ShipCheckpoint.load(stateDirectory + "/checkpoints.json")
        let files = (checkpoint?.files ?? []).map { entry in
            let now = FileStatus.of(entry.path)
            return File(
                path: entry.path,
                ackedOffset: entry.ackedOffset,
                size: now.flatMap { $0.inode == entry.inode ? $0.size : nil },
                inDoubtAppends: entry.inDoubt.count,
                lastSeen: entry.lastSeen
            )
        }
        return ShipStatus(
            stateDirectory: stateDirectory,
            shipperRunning: isLocked(stateDirectory + "/ship.lock"),
            hasCheckpoint: checkpoint != nil,
            files: files.sorted { $0.path < $1.path }
        )
    }

    /// A table for a terminal, one line per file.
    public var text: String {
        var lines = [
            "state directory \(stateDirectory): \(shipperRunning ? "a shipper is running" : "no shipper running")"
        ]
        guard hasCheckpoint else { return (lines + ["no checkpoint yet"]).joined(separator: "\n") + "\n" }
        let header = ["FILE", "ACKED", "SIZE", "LAG", "IN-DOUBT", "LAST SEEN"]
        let rows = files.map { file in
            [
                file.path, String(file.ackedOffset), file.size.map(String.init) ?? "gone",
                file.lagBytes.map(String.init) ?? "-", String(file.inDoubtAppends), Self.timestamp(file.lastSeen),
            ]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        for row in [header] + rows {
            let cells = row.indices.map { column in
                let cell = row[column]
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                // The path left-aligned, the numbers right-aligned.
                return column == 0 || column == row.count - 1 ? cell + padding : padding + cell
            }
            lines.append(cells.joined(separator: "  ").trimmingTrailingSpaces)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func isLocked(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return flock(descriptor, LOCK_SH | LOCK_NB) != 0
    }

    private static func timestamp(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
