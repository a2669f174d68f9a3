import StreamQStorage

/// One source's options as the command line or a `--config` file gives them (names, not yet
/// checked), and the ``ShipConfiguration`` they make. Both spellings go through here, so a flag
/// and its YAML key accept and refuse the same values with the same message.
public struct ShipSourceOptions: Sendable, Equatable {
    /// A `--config` file's name for the source; nil on the command line.
    public var name: String?
    public var paths: [String]
    public var excludes: [String] = []
    public var stream: String
    public var parser = "none"
    public var timeField: String?
    public var timeFormat: String?
    public var from: String?
    public var maxLineBytes = 1 << 20
    public var multiline = ShipConfigFile.Multiline()

    public init(name: String?, paths: [String], stream: String) {
        self.name = name
        self.paths = paths
        self.stream = stream
    }

    /// A `--config` file's source.
    public init(_ source: ShipConfigFile.Source) {
        self.init(name: source.name, paths: source.paths, stream: source.stream)
        excludes = source.exclude ?? []
        parser = source.parser ?? "none"
        timeField = source.timeField
        timeFormat = source.timeFormat
        from = source.from
        maxLineBytes = source.maxLineBytes ?? 1 << 20
        multiline = source.multiline ?? ShipConfigFile.Multiline()
    }

    /// The configuration these options make.
    /// - Parameters:
    ///   - option: how an option is called where it was written (`parser` → `--parser` on the
    ///     command line, `sources[0].parser` in a file), for error messages.
    ///   - once: `--once`: files found at the first start are then read from their beginning by default.
    /// - Throws: ``ShipError`` naming the option and what it accepts.
    public func configuration(
        stateDirectory: String,
        host: String,
        once: Bool,
        option: (String) -> String
    ) throws(ShipError) -> ShipConfiguration {
        guard !paths.isEmpty else { throw ShipError("give at least one \(option("path"))") }
        guard let streamName = StreamName(rawValue: stream) else {
            throw ShipError("\(option("stream")) '\(stream)' is not a valid stream name")
        }
        var configuration = ShipConfiguration(
            paths: paths,
            stream: streamName,
            stateDirectory: stateDirectory,
            host: host
        )
        configuration.excludes = excludes
        configuration.sourceName = name
        configuration.parser = try lineParser(option: option)
        if let from {
            guard let position = ShipConfiguration.StartPosition(rawValue: from) else {
                throw ShipError("\(option("from")) must be beginning or end, got '\(from)'")
            }
            configuration.startPosition = position
        } else {
            configuration.startPosition = once ? .beginning : .end
        }
        configuration.once = once
        guard (1...(1 << 20)).contains(maxLineBytes) else {
            throw ShipError("\(option("max_line_bytes")) must be 1 to 1048576, got \(maxLineBytes)")
        }
        configuration.maxLineBytes = maxLineBytes
        configuration.multiline = try multiline.rule(option: option)
        return configuration
    }
}

extension ShipSourceOptions {
    /// The parser `parser` names, with the event-time rule of `timeField` and `timeFormat`.
    func lineParser(option: (String) -> String) throws(ShipError) -> LineParser {
        var lineParser: LineParser
        do {
            lineParser = try LineParser(named: parser)
        } catch {
            throw ShipError("\(option("parser")) \(error.description)")
        }
        if let timeField {
            guard !timeField.isEmpty else { throw ShipError("\(option("time_field")) must name a field") }
            do {
                lineParser.eventTime = EventTimeRule(field: timeField, format: try TimeFormat(timeFormat ?? "rfc3339"))
            } catch {
                throw ShipError(
                    "\(option("time_format")): \(error.description); use rfc3339, epoch, epoch_ms or \(TimeFormat.codes)"
                )
            }
        } else if timeFormat != nil {
            throw ShipError("\(option("time_format")) needs \(option("time_field")): the field it reads")
        }
        return lineParser
    }
}

extension ShipConfigFile.Multiline {
    /// The rule a preset, or a start pattern, mode and condition together, give; nil for none.
    /// - Throws: ``ShipError`` for an unknown preset or mode, a bad pattern, a preset mixed with
    ///   the three, only some of the three, or a timeout below 1 ms.
    public func rule(option: (String) -> String) throws(ShipError) -> MultilineRule? {
        let custom = [start, mode, condition]
        var rule: MultilineRule
        if let preset {
            guard custom.allSatisfy({ $0 == nil }) else {
                throw ShipError(
                    "\(option("multiline")) \(preset) cannot be combined with "
                        + "\(option("multiline_start"))/-mode/-condition"
                )
            }
            guard let known = MultilinePreset(rawValue: preset) else {
                throw ShipError("\(option("multiline")) must be java, python or go, got '\(preset)'")
            }
            rule = known.rule
        } else if let start, let mode, let condition {
            guard let known = MultilineRule.Mode(rawValue: mode) else {
                throw ShipError(
                    "\(option("multiline_mode")) must be continue_through, continue_past, halt_before or halt_with, got '\(mode)'"
                )
            }
            rule = try MultilineRule(startPattern: start, conditionPattern: condition, mode: known)
        } else if custom.contains(where: { $0 != nil }) {
            throw ShipError(
                "\(option("multiline_start")), \(option("multiline_mode")) and \(option("multiline_condition")) go together"
            )
        } else {
            return nil
        }
        let timeout = timeoutMs ?? 1000
        guard timeout > 0 else { throw ShipError("\(option("multiline_timeout")) must be at least 1 ms") }
        rule.timeout = .milliseconds(timeout)
        return rule
    }
}
