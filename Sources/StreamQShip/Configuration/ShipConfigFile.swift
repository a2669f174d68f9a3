import StreamQStorage
import Yams

/// `streamq ship --config ship.yaml`: several sources, each tailing its own files into its own
/// stream with its own parser and options, run together by one process.
///
/// ```yaml
/// state_dir: /var/lib/streamq/ship     # each source keeps its checkpoint in state_dir/<name>
/// endpoint: http://127.0.0.1:4567      # or data_dir: ./streamq-data (command-line options win)
/// metrics_listen: 127.0.0.1:9598
/// sources:
///   - name: web
///     paths: ["/var/log/nginx/access.log*"]
///     exclude: ["*.gz"]
///     stream: web
///     parser: nginx
///   - name: app
///     paths: ["/var/log/app/*.log"]
///     stream: app
///     parser: json
///     time_field: ts
///     time_format: epoch_ms
///     multiline: { preset: java, timeout_ms: 2000 }
/// ```
///
/// Keys are the command line's option names with `_` for `-`; an unknown key is an error, so a
/// typo never silently falls back to a default.
public struct ShipConfigFile: Decodable, Sendable, Equatable {
    /// One source: the options `streamq ship` takes for one set of files.
    public struct Source: Decodable, Sendable, Equatable {
        /// Names the source's state directory (`state_dir/<name>`) and its metrics.
        public var name: String
        public var paths: [String]
        public var exclude: [String]?
        public var stream: String
        public var parser: String?
        public var timeField: String?
        public var timeFormat: String?
        public var from: String?
        public var maxLineBytes: Int?
        public var multiline: Multiline?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, paths, exclude, stream, parser
            case timeField = "time_field"
            case timeFormat = "time_format"
            case from
            case maxLineBytes = "max_line_bytes"
            case multiline
        }
    }

    /// A source's multiline rule: a `preset`, or `start`, `mode` and `condition` together.
    public struct Multiline: Decodable, Sendable, Equatable {
        public var preset: String?
        public var start: String?
        public var mode: String?
        public var condition: String?
        public var timeoutMs: Int?

        public init(
            preset: String? = nil,
            start: String? = nil,
            mode: String? = nil,
            condition: String? = nil,
            timeoutMs: Int? = nil
        ) {
            self.preset = preset
            self.start = start
            self.mode = mode
            self.condition = condition
            self.timeoutMs = timeoutMs
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case preset, start, mode, condition
            case timeoutMs = "timeout_ms"
        }
    }

    /// A syslog input: `--listen-syslog` addresses and the stream their messages go to.
    public struct Syslog: Decodable, Sendable, Equatable {
        /// `udp://HOST:PORT` or `tcp://HOST:PORT`, each bound as given.
        public var listen: [String]
        public var stream: String
        public var inflightBytes: Int?
        public var maxLineBytes: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case listen, stream
            case inflightBytes = "inflight_bytes"
            case maxLineBytes = "max_line_bytes"
        }
    }

    public var stateDir: String?
    public var endpoint: String?
    public var dataDir: String?
    public var metricsListen: String?
    /// File sources; may be empty when there is a syslog input.
    public var sources: [Source]
    public var syslog: Syslog?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case stateDir = "state_dir"
        case endpoint
        case dataDir = "data_dir"
        case metricsListen = "metrics_listen"
        case sources
        case syslog
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        stateDir = try container.decodeIfPresent(String.self, forKey: .stateDir)
        endpoint = try container.decodeIfPresent(String.self, forKey: .endpoint)
        dataDir = try container.decodeIfPresent(String.self, forKey: .dataDir)
        metricsListen = try container.decodeIfPresent(String.self, forKey: .metricsListen)
        sources = try container.decodeIfPresent([Source].self, forKey: .sources) ?? []
        syslog = try container.decodeIfPresent(Syslog.self, forKey: .syslog)
    }

    /// Reads and checks `path`.
    /// - Throws: ``ShipError`` naming the file and, where YAML says, the line: unreadable, not
    ///   YAML, an unknown key, a missing or mistyped value, no sources, or a bad or repeated name.
    public static func load(_ path: String) throws(ShipError) -> ShipConfigFile {
        let text: String
        do {
            text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
        } catch {
            throw ShipError("cannot read the ship configuration \(path): \(error)")
        }
        return try parse(text, path: path)
    }

    /// Checks and decodes configuration text; `path` only names it in errors.
    public static func parse(_ text: String, path: String) throws(ShipError) -> ShipConfigFile {
        let file: ShipConfigFile
        do {
            guard let root = try Yams.compose(yaml: text) else { throw ShipError("\(path) is empty") }
            try checkKeys(root, path: path)
            file = try YAMLDecoder().decode(ShipConfigFile.self, from: root)
        } catch let error as ShipError {
            throw error
        } catch let error as DecodingError {
            throw ShipError("\(path): \(describe(error))")
        } catch {
            throw ShipError("\(path) is not valid YAML: \(error)")
        }
        guard !file.sources.isEmpty || file.syslog != nil else {
            throw ShipError("\(path): no sources and no syslog input; give at least one")
        }
        var names = Set<String>()
        for source in file.sources {
            guard isValidName(source.name) else {
                throw ShipError(
                    "\(path): source name '\(source.name)' must be 1 to 64 letters, digits, '.', '_' or '-' (it names a directory)"
                )
            }
            guard names.insert(source.name).inserted else {
                throw ShipError("\(path): two sources are named '\(source.name)'")
            }
        }
        return file
    }

    /// Names become directories under the state directory: no separators, no `.` or `..`.
    static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    private static func checkKeys(_ root: Node, path: String) throws(ShipError) {
        try checkMapping(root, allowed: CodingKeys.allCases.map(\.rawValue), at: "the top level", path: path)
        if let syslog = root.mapping?["syslog"] {
            try checkMapping(syslog, allowed: Syslog.CodingKeys.allCases.map(\.rawValue), at: "syslog", path: path)
        }
        guard let sources = root.mapping?["sources"]?.sequence else { return }
        for (index, source) in sources.enumerated() {
            let place = "sources[\(index)]"
            try checkMapping(source, allowed: Source.CodingKeys.allCases.map(\.rawValue), at: place, path: path)
            if let multiline = source.mapping?["multiline"] {
                let allowed = Multiline.CodingKeys.allCases.map(\.rawValue)
                try checkMapping(multiline, allowed: allowed, at: place + ".multiline", path: path)
            }
        }
    }

    private static func checkMapping(_ node: Node, allowed: [String], at place: String, path: String) throws(ShipError)
    {
        guard let mapping = node.mapping else { return }  // the decoder reports a wrong type
        for key in mapping.keys {
            guard let name = key.string, allowed.contains(name) else {
                let line = key.mark.map { " (line \($0.line))" } ?? ""
                throw ShipError(
                    "\(path)\(line): unknown key '\(key.string ?? "?")' in \(place); known: \(allowed.joined(separator: ", "))"
                )
            }
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func where_(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context):
            let place = where_(context.codingPath)
            return "missing '\(key.stringValue)'" + (place.isEmpty ? "" : " in \(place)")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(where_(context.codingPath)) must be \(typeName(type))"
        case .dataCorrupted(let context):
            return "\(where_(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "text"
        case is Int.Type: return "a whole number"
        case is [String].Type: return "a list of text"
        default: return "a \(type)"
        }
    }
}
