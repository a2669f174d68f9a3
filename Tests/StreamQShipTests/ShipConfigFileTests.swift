import StreamQShip
import StreamQStorage
import Testing

/// `streamq ship --config`: what a file says, and the errors for what it must not say.
@Suite struct ShipConfigFileTests {
    private let example = """
        state_dir: /var/lib/streamq/ship
        endpoint: http://127.0.0.1:4567
        metrics_listen: 127.0.0.1:9598
        sources:
          - name: web
            paths: ["/var/log/nginx/access.log*"]
            exclude: ["*.gz"]
            stream: web
            parser: nginx
          - name: app
            paths:
              - /var/log/app/*.log
            stream: app
            parser: json
            time_field: ts
            time_format: epoch_ms
            from: beginning
            max_line_bytes: 65536
            multiline: { preset: java, timeout_ms: 2000 }
        """

    @Test func readsEverySourceAndItsOptions() throws {
        let file = try ShipConfigFile.parse(example, path: "ship.yaml")
        #expect(file.stateDir == "/var/lib/streamq/ship")
        #expect(file.endpoint == "http://127.0.0.1:4567")
        #expect(file.metricsListen == "127.0.0.1:9598")
        #expect(file.sources.map(\.name) == ["web", "app"])
        #expect(file.sources[0].exclude == ["*.gz"])
        #expect(file.sources[1].multiline == ShipConfigFile.Multiline(preset: "java", timeoutMs: 2000))

        let app = try ShipSourceOptions(file.sources[1]).configuration(
            stateDirectory: "/state/app",
            host: "h",
            once: false,
            option: { $0 }
        )
        #expect(app.stream.rawValue == "app")
        #expect(app.sourceName == "app")
        #expect(app.startPosition == .beginning)
        #expect(app.maxLineBytes == 65536)
        #expect(app.multiline?.timeout == .milliseconds(2000))
        #expect(app.parser.eventTime != nil)
    }

    @Test func refusesWhatItCannotUseAndSaysWhere() throws {
        func problem(_ text: String) -> String? {
            do {
                _ = try ShipConfigFile.parse(text, path: "ship.yaml")
                return nil
            } catch {
                return error.message
            }
        }
        let typo = problem("sources:\n  - name: a\n    paths: [x]\n    stream: s\n    parsr: json\n")
        #expect(typo?.contains("ship.yaml (line 5): unknown key 'parsr' in sources[0]") == true)
        #expect(problem("state_dri: /x\nsources: []\n")?.contains("unknown key 'state_dri' in the top level") == true)
        #expect(problem("sources: []\n")?.contains("no sources and no syslog input") == true)
        #expect(
            problem("syslog: {listen: [udp://127.0.0.1:0], stream: s, port: 5}\n")?.contains(
                "unknown key 'port' in syslog"
            ) == true
        )
        let syslogOnly = try ShipConfigFile.parse(
            "syslog: {listen: [tcp://127.0.0.1:0], stream: s}\n",
            path: "ship.yaml"
        )
        #expect(syslogOnly.sources.isEmpty && syslogOnly.syslog?.listen == ["tcp://127.0.0.1:0"])
        #expect(problem("sources:\n  - name: a\n    paths: [x]\n")?.contains("missing 'stream' in sources[0]") == true)
        #expect(problem("sources:\n  - name: a\n    paths: x\n    stream: s\n")?.contains("sources[0].paths") == true)
        #expect(
            problem("sources:\n  - name: ../up\n    paths: [x]\n    stream: s\n")?.contains("names a directory") == true
        )
        let twice = "sources:\n  - {name: a, paths: [x], stream: s}\n  - {name: a, paths: [y], stream: t}\n"
        #expect(problem(twice)?.contains("two sources are named 'a'") == true)
        #expect(problem("sources: [")?.contains("not valid YAML") == true)
        let multiline = "sources:\n  - {name: a, paths: [x], stream: s, multiline: {preset: java, mode: x}}\n"
        #expect(try ShipConfigFile.parse(multiline, path: "ship.yaml").sources[0].multiline?.mode == "x")
    }

    @Test func optionsAreCheckedAsOnTheCommandLine() throws {
        let file = try ShipConfigFile.parse(
            "sources:\n  - {name: a, paths: [x], stream: s, parser: xml, multiline: {preset: cobol}}\n",
            path: "ship.yaml"
        )
        let option = { (name: String) in "ship.yaml: sources[0].\(name)" }
        var source = ShipSourceOptions(file.sources[0])
        #expect(throws: ShipError.self) {
            _ = try source.configuration(stateDirectory: "/s", host: "h", once: true, option: option)
        }
        do {
            _ = try source.configuration(stateDirectory: "/s", host: "h", once: true, option: option)
        } catch {
            #expect(error.message.hasPrefix("ship.yaml: sources[0].parser must be none, json"))
        }
        source.parser = "json"
        do {
            _ = try source.configuration(stateDirectory: "/s", host: "h", once: true, option: option)
            Issue.record("an unknown multiline preset was accepted")
        } catch {
            #expect(error.message.contains("must be java, python or go, got 'cobol'"))
        }
    }
}
