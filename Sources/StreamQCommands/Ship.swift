import ArgumentParser
import Logging
import Metrics
import Prometheus
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

    func validate() throws {
        if status { return }
        guard !paths.isEmpty || !listenSyslog.isEmpty else {
            throw ValidationError("give at least one --path or --listen-syslog")
        }
        _ = try syslogEndpoints()
        if once, !listenSyslog.isEmpty { throw ValidationError("--once cannot be combined with --listen-syslog") }
        guard syslogInflightBytes > 0 else { throw ValidationError("--syslog-inflight-bytes must be positive") }
        guard stream != nil else { throw ValidationError("give --stream, the stream the lines go to") }
        _ = try lineParser()
        if let from, ShipConfiguration.StartPosition(rawValue: from) == nil {
            throw ValidationError("--from must be beginning or end, got '\(from)'")
        }
        guard (1...(1 << 20)).contains(maxLineBytes) else {
            throw ValidationError("--max-line-bytes must be 1 to 1048576")
        }
        _ = try multilineRule()
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
        guard let stream else { throw CommandFailure("give --stream") }
        let listen = try metricsListen.map(ListenAddress.parse)
        let registry = PrometheusCollectorRegistry()
        if listen != nil { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
        var configuration = ShipConfiguration(
            paths: paths,
            stream: try streamName(stream),
            stateDirectory: store.stateDirectory ?? Self.defaultStateDirectory,
            host: Self.hostName
        )
        configuration.excludes = excludes
        configuration.parser = try lineParser()
        configuration.startPosition =
            from.flatMap { ShipConfiguration.StartPosition(rawValue: $0) } ?? (once ? .beginning : .end)
        configuration.once = once
        configuration.maxLineBytes = maxLineBytes
        if store.remoteEndpoint == nil { configuration.localStoreBatches() }
        configuration.multiline = try multilineRule()
        var syslogConfiguration = SyslogConfiguration(
            endpoints: try syslogEndpoints(),
            stream: configuration.stream,
            host: Self.hostName
        )
        syslogConfiguration.maxMessageBytes = maxLineBytes
        syslogConfiguration.maxInFlightBytes = syslogInflightBytes
        let (summary, syslogSummary) = try await store.withBackend { backend in
            let shipper = paths.isEmpty ? nil : Shipper(configuration: configuration, backend: backend)
            let listener =
                syslogConfiguration.endpoints.isEmpty
                ? nil : SyslogListener(configuration: syslogConfiguration, backend: backend)
            let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
            let watcher = Task {
                for await _ in signals {
                    shipper?.stop()
                    listener?.stop()
                }
            }
            defer { watcher.cancel() }
            return try await withThrowingTaskGroup(of: Finished.self) { tasks in
                if let (host, port) = listen {
                    tasks.addTask {
                        do {
                            try await Self.serveMonitoring(shipper, registry: registry, host, port)
                        } catch {
                            throw CommandFailure("cannot serve metrics on \(host):\(port): \(error)")
                        }
                        return .monitoring
                    }
                }
                if let shipper {
                    tasks.addTask {
                        do {
                            return .files(try await shipper.run())
                        } catch let error as ShipError {
                            throw CommandFailure(error.message)
                        }
                    }
                }
                if let listener {
                    tasks.addTask {
                        do {
                            return .syslog(
                                try await listener.run { address in StandardStreams.writeError("syslog on \(address)\n")
                                }
                            )
                        } catch let error as ShipError {
                            shipper?.stop()
                            throw CommandFailure(error.message)
                        }
                    }
                }
                // The inputs' summaries end the run; the metrics listener only ends by failing.
                var summaries: (ShipSummary?, SyslogSummary?) = (nil, nil)
                while summaries.0 == nil && shipper != nil || summaries.1 == nil && listener != nil,
                    let finished = try await tasks.next()
                {
                    switch finished {
                    case .files(let summary): summaries.0 = summary
                    case .syslog(let summary): summaries.1 = summary
                    case .monitoring: throw CommandFailure("the metrics listener stopped")
                    }
                }
                tasks.cancelAll()
                return summaries
            }
        }
        if let summary {
            StandardStreams.writeError(
                "shipped \(summary.linesShipped) line\(summary.linesShipped == 1 ? "" : "s") from \(summary.files) "
                    + "file\(summary.files == 1 ? "" : "s") to \(stream) (\(summary.parseErrors) not parsed, "
                    + "\(summary.truncatedLines) truncated, \(summary.truncations) truncations, \(summary.rotations) rotations)\n"
            )
        }
        if let summary = syslogSummary {
            StandardStreams.writeError(
                "shipped \(summary.shipped) of \(summary.received) syslog messages to \(stream) (\(summary.dropped) "
                    + "dropped with the in-flight budget full, \(summary.parseErrors) not parsed, \(summary.truncated) "
                    + "truncated, \(summary.framingErrors) connections closed for bad framing, "
                    + "\(summary.unacknowledged) unacknowledged)\n"
            )
        }
    }

    /// What a task of `run()` ended with.
    private enum Finished {
        case files(ShipSummary)
        case syslog(SyslogSummary)
        case monitoring
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
        _ shipper: Shipper?,
        registry: PrometheusCollectorRegistry,
        _ host: String,
        _ port: Int
    ) async throws {
        let listener = MonitoringListener(
            host: host,
            port: port,
            logger: Self.quietLogger,
            renderMetrics: { registry.emitToBuffer() },
            health: { MonitoringListener.Health(problem: shipper?.problem()) }
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

    /// The rule that --multiline or the three --multiline-start/-mode/-condition options give, if any.
    private func multilineRule() throws(ValidationError) -> MultilineRule? {
        let custom = [multilineStart, multilineMode, multilineCondition]
        var rule: MultilineRule
        if let multilinePreset {
            guard custom.allSatisfy({ $0 == nil }) else {
                throw ValidationError(
                    "--multiline \(multilinePreset) cannot be combined with --multiline-start/-mode/-condition"
                )
            }
            guard let preset = MultilinePreset(rawValue: multilinePreset) else {
                throw ValidationError("--multiline must be java, python or go, got '\(multilinePreset)'")
            }
            rule = preset.rule
        } else if let multilineStart, let multilineMode, let multilineCondition {
            guard let mode = MultilineRule.Mode(rawValue: multilineMode) else {
                throw ValidationError(
                    "--multiline-mode must be continue_through, continue_past, halt_before or halt_with, got '\(multilineMode)'"
                )
            }
            do {
                rule = try MultilineRule(startPattern: multilineStart, conditionPattern: multilineCondition, mode: mode)
            } catch {
                throw ValidationError(error.message)
            }
        } else if custom.contains(where: { $0 != nil }) {
            throw ValidationError("--multiline-start, --multiline-mode and --multiline-condition go together")
        } else {
            return nil
        }
        guard multilineTimeout > 0 else { throw ValidationError("--multiline-timeout must be at least 1 ms") }
        rule.timeout = .milliseconds(multilineTimeout)
        return rule
    }

    /// The parser `--parser`, `--time-field` and `--time-format` describe.
    private func lineParser() throws -> LineParser {
        var lineParser: LineParser
        do {
            lineParser = try LineParser(named: parser)
        } catch {
            throw ValidationError(error.description)
        }
        if let timeField {
            guard !timeField.isEmpty else { throw ValidationError("--time-field must name a field") }
            do {
                lineParser.eventTime = EventTimeRule(field: timeField, format: try TimeFormat(timeFormat ?? "rfc3339"))
            } catch {
                throw ValidationError(
                    "--time-format: \(error.description); use rfc3339, epoch, epoch_ms or \(TimeFormat.codes)"
                )
            }
        } else if timeFormat != nil {
            throw ValidationError("--time-format needs --time-field: the field it reads")
        }
        return lineParser
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
