import StreamQSQL

/// Where a sink writes: a `file:///` URL whose path may hold a template. The directory before the
/// first `{` is the sink's root (it holds `_manifest/` and `_errors/`); the rest is rendered per
/// row into a partition directory:
///
/// - `{stream}`, `{query}`: names given by the caller; `{shard}`: the row's shard (delivered
///   records), from a `_shard` or `shard` column;
/// - `{dt}` and `{hr}`: the UTC date (`YYYY-MM-DD`) and hour (`HH`) of the row's time (a query's
///   `window_start`, a delivered record's arrival), for Hive partitions `dt={dt}/hr={hr}`;
/// - `{window_start:%Y/%m/%d/%H}`: the time with `%Y %m %d %H %M %S`.
///
/// Rows without a time render as `__HIVE_DEFAULT_PARTITION__`, as Hive names them.
public struct SinkDestination: Sendable, Equatable {
    public let root: String
    public let template: String

    public init(url: String) throws(SinkError) {
        guard url.hasPrefix("file://") else { throw SinkError("sink URL must start with file:// (got '\(url)')") }
        var path = String(url.dropFirst("file://".count))
        guard path.hasPrefix("/") else { throw SinkError("sink URL needs an absolute path: file:///dir/…") }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        guard !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw SinkError("sink path must not contain '.' or '..' components: \(path)")
        }
        if let brace = path.firstIndex(of: "{") {
            let slash = path[..<brace].lastIndex(of: "/")!
            root = slash == path.startIndex ? "/" : String(path[..<slash])
            template = String(path[path.index(after: slash)...])
        } else {
            root = path
            template = ""
        }
        guard root != "/" else { throw SinkError("sink root cannot be / itself") }
        // Check the template once, so a typo fails before any row.
        _ = try render(names: [:], time: nil)
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
