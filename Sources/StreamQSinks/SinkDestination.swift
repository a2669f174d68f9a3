import StreamQSQL

/// Where a sink writes: a `file:///dir/…` or `s3://bucket/prefix/…` URL whose path may hold a
/// template. The directory (or key prefix) before the first `{` is the sink's root (it holds
/// `_manifest/` and `_errors/`); the rest is rendered per row into a partition directory:
///
/// - `{stream}`, `{query}`: names given by the caller; `{shard}`: the row's shard (delivered
///   records), from a `_shard` or `shard` column;
/// - `{dt}` and `{hr}`: the UTC date (`YYYY-MM-DD`) and hour (`HH`) of the row's time (a query's
///   `window_start`, a delivered record's arrival), for Hive partitions `dt={dt}/hr={hr}`;
/// - `{window_start:%Y/%m/%d/%H}`: the time with `%Y %m %d %H %M %S`.
///
/// Rows without a time render as `__HIVE_DEFAULT_PARTITION__`, as Hive names them.
public struct SinkDestination: Sendable, Equatable {
    /// Where the root is.
    public enum Location: Sendable, Equatable {
        /// A local directory (absolute path).
        case directory(String)
        /// Objects in an S3 bucket under a key prefix (empty, or without a trailing `/`).
        case objectStore(bucket: String, prefix: String)
    }

    public let location: Location
    /// The root as users name it: the directory's path, or `s3://bucket/prefix`.
    public let root: String
    public let template: String

    public init(url: String) throws(SinkError) {
        let path: String
        let bucket: String?
        if url.hasPrefix("file://") {
            path = String(url.dropFirst("file://".count))
            guard path.hasPrefix("/") else { throw SinkError("sink URL needs an absolute path: file:///dir/…") }
            bucket = nil
        } else if url.hasPrefix("s3://") {
            let rest = url.dropFirst("s3://".count)
            let name = String(rest.prefix { $0 != "/" })
            guard Self.isBucketName(name) else {
                throw SinkError(
                    "'\(name)' is not an S3 bucket name (3-63 lowercase letters, digits, '.' and '-'): s3://bucket/prefix/…"
                )
            }
            bucket = name
            path = String(rest.dropFirst(name.count))
        } else {
            throw SinkError("sink URL must start with file:// or s3:// (got '\(url)')")
        }
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard !trimmed.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw SinkError("sink path must not contain '.' or '..' components: \(trimmed)")
        }
        let rootPath: String
        if let brace = trimmed.firstIndex(of: "{") {
            guard let slash = trimmed[..<brace].lastIndex(of: "/") else {
                throw SinkError("the sink template must start after a '/': s3://\(bucket ?? "")/prefix/{dt}")
            }
            rootPath = String(trimmed[..<slash])
            template = String(trimmed[trimmed.index(after: slash)...])
        } else {
            rootPath = trimmed == "/" ? "" : trimmed
            template = ""
        }
        if let bucket {
            let prefix = String(rootPath.drop { $0 == "/" })
            guard prefix.isEmpty || !prefix.split(separator: "/", omittingEmptySubsequences: false).contains("") else {
                throw SinkError("S3 key prefix '\(prefix)' has an empty segment ('//')")
            }
            location = .objectStore(bucket: bucket, prefix: prefix)
            root = "s3://" + bucket + (prefix.isEmpty ? "" : "/" + prefix)
        } else {
            guard !rootPath.isEmpty else { throw SinkError("sink root cannot be / itself") }
            location = .directory(rootPath)
            root = rootPath
        }
        // Check the template once, so a typo fails before any row.
        _ = try render(names: [:], time: nil)
    }

    /// S3's bucket naming rules: 3 to 63 characters of lowercase letters, digits, `.` and `-`,
    /// starting and ending with a letter or digit.
    private static func isBucketName(_ name: String) -> Bool {
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
        let edges = !name.hasPrefix(".") && !name.hasPrefix("-") && !name.hasSuffix(".") && !name.hasSuffix("-")
        return (3...63).contains(name.utf8.count) && allowed && edges
    }

    /// The partition directory (relative to the root) for a row.
    func render(names: [String: String], time: Int64?) throws(SinkError) -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            output += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw SinkError("unclosed '{' in sink path template '\(template)'")
            }
            let variable = rest[rest.index(after: open)..<close]
            output += try value(of: variable, names: names, time: time)
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return output
    }

    private func value(of variable: Substring, names: [String: String], time: Int64?) throws(SinkError) -> String {
        let parts = variable.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts[0] {
        case "stream", "query", "shard":
            return Self.safe(names[parts[0]] ?? "__none__")
        case "dt", "hr", "window_start":
            guard let time else { return "__HIVE_DEFAULT_PARTITION__" }
            let iso = EventTime.iso8601(time)  // 2026-01-01T00:00:00.000Z
            let fields = [
                "%Y": iso.prefix(4), "%m": iso.dropFirst(5).prefix(2), "%d": iso.dropFirst(8).prefix(2),
                "%H": iso.dropFirst(11).prefix(2), "%M": iso.dropFirst(14).prefix(2), "%S": iso.dropFirst(17).prefix(2),
            ]
            let format =
                parts[0] == "dt"
                ? "%Y-%m-%d" : parts[0] == "hr" ? "%H" : (parts.count > 1 ? parts[1] : "%Y-%m-%dT%H:%M:%S")
            var text = format
            for (key, value) in fields { text = text.replacing(key, with: String(value)) }
            return text
        default:
            throw SinkError(
                "unknown variable {\(variable)} in sink path; use {stream}, {query}, {shard}, {dt}, {hr} or {window_start:%Y/%m/%d/%H}"
            )
        }
    }

    /// A name made safe as one path component.
    private static func safe(_ name: String) -> String {
        let cleaned = String(name.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        return cleaned == "." || cleaned == ".." || cleaned.isEmpty ? "_" : cleaned
    }
}

extension SinkDestination {
    /// Whether the template names `variable` (so the writer can provide it).
    public func uses(_ variable: String) -> Bool { template.contains("{" + variable) }
}
