import ArgumentParser
import Logging
import Metrics
import Prometheus
import StreamQClient
import StreamQServer
import StreamQShip
import StreamQStorage
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// `streamq ship`: tails log files into a stream.
struct Ship: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ship",
        abstract: "Tail log files into a stream: every line once, through rotation, restarts and kill -9.",
        discussion: """
            Files matching --path are followed through appends, rotation by rename and by copytruncate, \
            deletion and truncation; files that appear later are read from their start. Each line becomes a \
            JSON record with the parsed fields plus time (the event time, see --time-field), message, host, \
            file and offset; a line that does not parse is shipped with _parse_error, and one longer than \
            --max-line-bytes is cut and marked _truncated. \
            Acknowledged progress is kept in --state-dir (default: /var/lib/streamq/ship as root, else \
            $XDG_STATE_HOME/streamq/ship); every append carries a deterministic producer stamp, so after a \
            restart or kill -9 no line is lost and none is stored twice. Stops on Ctrl-C or SIGTERM once \
            what was sent is acknowledged (30 s at most). --metrics-listen serves Prometheus text on /metrics \
            (lines, bytes, records, errors, and ship_lag_bytes per file) and /health (503 once appends have \
            failed for 30 s); --status prints each file's acknowledged offset and lag from the checkpoint.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(name: .customLong("path"), help: "Glob of files to tail (*, ?, [...], **); repeatable.")
    var paths: [String] = []
    @Option(
        name: .customLong("exclude"),
        help: "Glob of files to leave out (matches the path or the name); repeatable."
    )
    var excludes: [String] = []
    @Option(help: "The stream the lines go to.") var stream: String?
    @Option(
        help: ArgumentHelp(
            "How lines are parsed: none, json, logfmt, syslog, nginx, apache or 'regex:<pattern>'.",
            discussion: """
                syslog reads RFC 5424 and RFC 3164 (with or without <PRI>, as in /var/log/syslog; the year \
                is the latest not more than a day ahead of now) into facility, severity, time, hostname, appname, procid, msgid, \
                structured_data and message. nginx and apache read access lines (common and combined) into \
                client, ident, user, time, method, path, protocol, status, bytes, referer and agent, and \
                error lines into time, module, level, pid, tid, connection, client, message and nginx's \
                context (its host as http_host). regex:<pattern> makes the pattern's named groups \
                ((?<status>\\d+)) string fields; it is searched for anywhere in the line. A '-' in a log \
                leaves its field out (a '-' size is bytes 0).
                """
        )
    )
    var parser: String = "none"
    @Option(
        name: .customLong("time-field"),
        help: ArgumentHelp(
            "The parsed field holding the event time (default: the timestamp of syslog, nginx and apache).",
            discussion: """
                The record gets the event time as 'time', in RFC 3339 UTC (a field named time that is not \
                the event time is kept as _time). A line whose time field is missing or does not read is \
                shipped with _time_error and counted as not parsed.
                """
        )
    )
    var timeField: String?
    @Option(
        name: .customLong("time-format"),
        help: ArgumentHelp(
            "How --time-field is written: rfc3339 (default), epoch, epoch_ms or strptime codes.",
            discussion:
                "Codes: \(TimeFormat.codes). Times without a zone are UTC; without a year, the latest not a day ahead of now."
        )
    )
    var timeFormat: String?
    @Option(
        help:
            "Where files found at the first start are read from: beginning or end (default: end, or beginning with --once)."
    )
    var from: String?
    @Flag(help: "Ship what the files hold now, then exit.") var once = false
    @Option(name: .customLong("max-line-bytes"), help: "Longer lines keep their first bytes, marked _truncated.")
    var maxLineBytes: Int = 1 << 20
    @Option(
        name: .customLong("metrics-listen"),
        help: "HOST:PORT for GET /metrics (Prometheus text) and GET /health, e.g. 127.0.0.1:9598 (default: off)."
    )
    var metricsListen: String?
    @Flag(help: "Print each file's acknowledged offset and lag from the state directory's checkpoint, then exit.")
    var status = false
    @Option(
        name: .customLong("multiline"),
        help:
            "Join the lines of stack traces into one record: java, python or go (at most 500 lines, --max-line-bytes)."
    )
    var multilinePreset: String?
    @Option(
        name: .customLong("multiline-start"),
        help: "Regex of a line that opens a group of lines (with --multiline-mode and --multiline-condition)."
    )
    var multilineStart: String?
    @Option(
        name: .customLong("multiline-mode"),
        help:
            "How --multiline-condition goes on with a group: continue_through, continue_past, halt_before or halt_with."
    )
    var multilineMode: String?
    @Option(
        name: .customLong("multiline-condition"),
        help: "Regex that --multiline-mode tests on each line of an open group."
    )
    var multilineCondition: String?
    @Option(
        name: .customLong("multiline-timeout"),
        help: "Milliseconds an open group waits for its next line before it is shipped as it is."
    )
    var multilineTimeout: Int = 1000
    @Option(
        name: .customLong("listen-syslog"),
        help: ArgumentHelp(
            "Receive syslog messages on udp://HOST:PORT or tcp://HOST:PORT (port 0: any free one); repeatable.",
            discussion: """
                RFC 5424 and RFC 3164, TCP framed by octet counting or newlines (RFC 6587). The address is \
                bound as given: use 127.0.0.1 unless other machines must reach it. Each message becomes a \
                record with the syslog fields, message, host, peer and transport. TCP is read only as fast \
                as records are acknowledged; UDP datagrams that arrive while --syslog-inflight-bytes are \
                unacknowledged are dropped and counted.
                """
        )
    )
    var listenSyslog: [String] = []
    @Option(
        name: .customLong("syslog-inflight-bytes"),
        help: "Bytes of syslog records sent and not yet acknowledged before TCP waits and UDP drops."
    )
    var syslogInflightBytes: Int = 32 << 20

    @Option(
        help: ArgumentHelp(
            "A YAML file with several sources, each its own files, stream, parser and options.",
            discussion: """
                Keys are the options' names with _ for -: state_dir, endpoint or data_dir, metrics_listen, and \
                sources, each with name, paths, exclude, stream, parser, from, max_line_bytes and multiline \
                (preset, or start, mode and condition; timeout_ms). Each source keeps its checkpoint in \
                <state_dir>/<name>. Options given on the command line win over the file's.
                """
        )
    )
    var config: String?

    func validate() throws {
        if status { return }
        _ = try syslogEndpoints()
        if once, !listenSyslog.isEmpty { throw ValidationError("--once cannot be combined with --listen-syslog") }
        guard syslogInflightBytes > 0 else { throw ValidationError("--syslog-inflight-bytes must be positive") }
        if paths.isEmpty, !listenSyslog.isEmpty, config == nil {
            guard stream != nil else { throw ValidationError("give --stream, the stream the messages go to") }
            return
        }
        if config != nil {
            guard listenSyslog.isEmpty else {
                throw ValidationError("with --config, declare the syslog input in the file's syslog section")
            }
            guard paths.isEmpty, stream == nil else {
                throw ValidationError("--config takes the sources from the file; leave out --path and --stream")
            }
            return
        }
        guard !paths.isEmpty || !listenSyslog.isEmpty else {
            throw ValidationError("give at least one --path or --listen-syslog")
        }
        do {
            _ = try commandLineSource.configuration(stateDirectory: "", host: "", once: once, option: Self.flag)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Lets ship hold as many files open as the system allows (the soft limit is often 1,024,
    /// and every file being tailed is an open descriptor).
    private static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    func run() async throws {
        if status {
            do {
                StandardStreams.writeOutput(
                    try ShipStatus.read(stateDirectory: store.stateDirectory ?? Self.defaultStateDirectory).text
                )
            } catch {
                throw CommandFailure(error.message)
            }
            return
        }
        Self.raiseDescriptorLimit()
        var options = store
        var listenAddress = metricsListen
        var configurations: [ShipConfiguration] = []
        var fileSyslog: SyslogConfiguration?
        do throws(ShipError) {
            if let config {
                let file = try ShipConfigFile.load(config)
                if let input = file.syslog {
                    guard !once else { throw ShipError("\(config): a syslog input cannot be shipped with --once") }
                    guard let name = StreamName(rawValue: input.stream) else {
                        throw ShipError("\(config): syslog.stream '\(input.stream)' is not a valid stream name")
                    }
                    var configuration = SyslogConfiguration(
                        endpoints: try input.listen.map { url throws(ShipError) in
                            do throws(ShipError) {
                                return try SyslogEndpoint(parsing: url)
                            } catch {
                                throw ShipError("\(config): syslog.listen: \(error.message)")
                            }
                        },
                        stream: name,
                        host: Self.hostName
                    )
                    configuration.maxMessageBytes = input.maxLineBytes ?? configuration.maxMessageBytes
                    configuration.maxInFlightBytes = input.inflightBytes ?? configuration.maxInFlightBytes
                    guard configuration.maxInFlightBytes > 0, (1...(1 << 20)).contains(configuration.maxMessageBytes)
                    else {
                        throw ShipError(
                            "\(config): syslog.inflight_bytes must be positive and syslog.max_line_bytes 1 to 1048576"
                        )
                    }
                    fileSyslog = configuration
                }
                if options.endpoint == nil && options.dataDirectory == nil {
                    options.endpoint = file.endpoint
                    options.dataDirectory = file.dataDir
                }
                listenAddress = listenAddress ?? file.metricsListen
                let root = options.stateDirectory ?? file.stateDir ?? Self.defaultStateDirectory
                for (index, source) in file.sources.enumerated() {
                    configurations.append(
                        try ShipSourceOptions(source).configuration(
                            stateDirectory: root + "/" + source.name,
                            host: Self.hostName,
                            once: once,
                            option: { "\(config): sources[\(index)].\(Self.fileKey($0))" }
                        )
                    )
                }
            } else if !paths.isEmpty || listenSyslog.isEmpty {
                configurations.append(
                    try commandLineSource.configuration(
                        stateDirectory: options.stateDirectory ?? Self.defaultStateDirectory,
                        host: Self.hostName,
                        once: once,
                        option: Self.flag
                    )
                )
            }
        } catch {
            throw CommandFailure(error.message)
        }
        if options.remoteEndpoint == nil {
            for index in configurations.indices { configurations[index].localStoreBatches() }
        }
        let listen = try listenAddress.map(ListenAddress.parse)
        let registry = PrometheusCollectorRegistry()
        if listen != nil { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
        var syslog = fileSyslog
        if !listenSyslog.isEmpty, let stream {
            var configuration = SyslogConfiguration(
                endpoints: try syslogEndpoints(),
                stream: try streamName(stream),
                host: Self.hostName
            )
            configuration.maxMessageBytes = maxLineBytes
            configuration.maxInFlightBytes = syslogInflightBytes
            syslog = configuration
        }
        let frozen = configurations
        let frozenSyslog = syslog
        let (summaries, syslogSummary) = try await options.withBackend { backend in
            try await Self.ship(frozen, syslog: frozenSyslog, backend: backend, listen: listen, registry: registry)
        }
        if let summary = syslogSummary, let syslog {
            StandardStreams.writeError(
                "shipped \(summary.shipped) of \(summary.received) syslog messages to \(syslog.stream) (\(summary.dropped) "
                    + "dropped with the in-flight budget full, \(summary.parseErrors) not parsed, \(summary.truncated) "
                    + "truncated, \(summary.framingErrors) connections closed for bad framing, "
                    + "\(summary.unacknowledged) unacknowledged)\n"
            )
        }
        for (configuration, summary) in zip(configurations, summaries) {
            StandardStreams.writeError(
                "shipped \(summary.linesShipped) line\(summary.linesShipped == 1 ? "" : "s") from \(summary.files) "
                    + "file\(summary.files == 1 ? "" : "s") to \(configuration.stream) (\(summary.parseErrors) not parsed, "
                    + "\(summary.truncatedLines) truncated, \(summary.truncations) truncations, \(summary.rotations) rotations)\n"
            )
        }
    }

    /// The source the command-line options describe.
    private var commandLineSource: ShipSourceOptions {
        var source = ShipSourceOptions(name: nil, paths: paths, stream: stream ?? "")
        source.excludes = excludes
        source.parser = parser
        source.timeField = timeField
        source.timeFormat = timeFormat
        source.from = from
        source.maxLineBytes = maxLineBytes
        source.multiline = ShipConfigFile.Multiline(
            preset: multilinePreset,
            start: multilineStart,
            mode: multilineMode,
            condition: multilineCondition,
            timeoutMs: multilineTimeout
        )
        return source
    }

    /// `max_line_bytes` → `--max-line-bytes`.
    private static func flag(_ name: String) -> String {
        "--" + String(name.map { $0 == "_" ? "-" : $0 })
    }

    /// An option's key in a `--config` file.
    private static func fileKey(_ name: String) -> String {
        switch name {
        case "multiline": return "multiline.preset"
        case "multiline_start": return "multiline.start"
        case "multiline_mode": return "multiline.mode"
        case "multiline_condition": return "multiline.condition"
        case "multiline_timeout": return "multiline.timeout_ms"
        case "path": return "paths"
        default: return name
        }
    }

    /// What ended one of `ship`'s tasks.
    private enum Finished: Sendable {
        case files(Int, ShipSummary)
        case syslog(SyslogSummary)
        case monitoring
    }

    /// Runs a shipper per configuration, the syslog listener if any (and the metrics listener)
    /// until all have finished: with --once when the files are shipped, otherwise on SIGINT or
    /// SIGTERM. A failing source stops the others.
    private static func ship(
        _ configurations: [ShipConfiguration],
        syslog: SyslogConfiguration?,
        backend: any StreamBackend,
        listen: (String, Int)?,
        registry: PrometheusCollectorRegistry
    ) async throws -> ([ShipSummary], SyslogSummary?) {
        let shippers = configurations.map { Shipper(configuration: $0, backend: backend) }
        let listener = syslog.map { SyslogListener(configuration: $0, backend: backend) }
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let watcher = Task {
            for await _ in signals {
                for shipper in shippers { shipper.stop() }
                listener?.stop()
            }
        }
        defer { watcher.cancel() }
        return try await withThrowingTaskGroup(of: Finished.self) { tasks in
            if let (host, port) = listen {
                tasks.addTask {
                    do {
                        try await Self.serveMonitoring(shippers, registry: registry, host, port)
                    } catch {
                        throw CommandFailure("cannot serve metrics on \(host):\(port): \(error)")
                    }
                    return .monitoring
                }
            }
            for (index, shipper) in shippers.enumerated() {
                tasks.addTask {
                    do {
                        return .files(index, try await shipper.run())
                    } catch let error as ShipError {
                        throw CommandFailure(
                            shippers.count == 1 ? error.message : "\(configurations[index].stream): \(error.message)"
                        )
                    }
                }
            }
            if let listener {
                tasks.addTask {
                    do {
                        return .syslog(
                            try await listener.run { address in StandardStreams.writeError("syslog on \(address)\n") }
                        )
                    } catch let error as ShipError {
                        throw CommandFailure(error.message)
                    }
                }
            }
            var summaries = [ShipSummary?](repeating: nil, count: shippers.count)
            var syslogSummary: SyslogSummary?
            do {
                // The inputs' summaries end the run; the metrics listener only ends by failing.
                while summaries.contains(where: { $0 == nil }) || (listener != nil && syslogSummary == nil),
                    let finished = try await tasks.next()
                {
                    switch finished {
                    case .files(let index, let summary): summaries[index] = summary
                    case .syslog(let summary): syslogSummary = summary
                    case .monitoring: throw CommandFailure("the metrics listener stopped")
                    }
                }
            } catch {
                for shipper in shippers { shipper.stop() }
                listener?.stop()
                throw error
            }
            tasks.cancelAll()
            return (summaries.compactMap { $0 }, syslogSummary)
        }
    }

    /// The `--listen-syslog` addresses.
    private func syslogEndpoints() throws(ValidationError) -> [SyslogEndpoint] {
        do {
            return try listenSyslog.map { url throws(ShipError) in try SyslogEndpoint(parsing: url) }
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// `/metrics` and `/health` on `host:port` until cancelled.
    private static func serveMonitoring(
        _ shippers: [Shipper],
        registry: PrometheusCollectorRegistry,
        _ host: String,
        _ port: Int
    ) async throws {
        let listener = MonitoringListener(
            host: host,
            port: port,
            logger: Self.quietLogger,
            renderMetrics: { registry.emitToBuffer() },
            health: { MonitoringListener.Health(problem: shippers.lazy.compactMap { $0.problem() }.first) }
        )
        try await listener.run { url in StandardStreams.writeError("metrics on \(url)/metrics\n") }
    }

    /// The listener's logger: it ends by cancellation, which HTTP server logs as an error; a
    /// failure to listen is thrown, not logged.
    private static var quietLogger: Logger {
        var logger = Logger(label: "streamq.ship")
        logger.logLevel = .critical
        return logger
    }

    private static var defaultStateDirectory: String {
        if getuid() == 0 { return "/var/lib/streamq/ship" }
        if let state = getenv("XDG_STATE_HOME").flatMap({ String(validatingCString: $0) }), !state.isEmpty {
            return state + "/streamq/ship"
        }
        let home = getenv("HOME").flatMap { String(validatingCString: $0) } ?? "."
        return home + "/.local/state/streamq/ship"
    }

    private static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
