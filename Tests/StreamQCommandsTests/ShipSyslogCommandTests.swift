import Foundation
import Testing

/// `streamq ship --listen-syslog` as a user runs it: no `--path`, messages over UDP and TCP, then
/// `SIGTERM`.
@Suite struct ShipSyslogCommandTests {
    @Test func aSyslogOnlyShipperStoresUDPAndTCPMessagesAndStopsOnSIGTERM() async throws {
        try await CommandRunner.withScratch { streamq in
            _ = try streamq.succeed("create-stream", "logs")
            let ship = streamq.process([
                "ship", "--stream", "logs", "--listen-syslog", "udp://127.0.0.1:0", "--listen-syslog",
                "tcp://127.0.0.1:0",
            ])
            let stderr = Pipe()
            ship.standardError = stderr
            try ship.run()
            defer { if ship.isRunning { ship.terminate() } }
            let announced = readOutput(stderr.fileHandleForReading) {
                $0.components(separatedBy: "syslog on ").count > 2
            }
            func port(_ transport: String) throws -> UInt16 {
                let line = try #require(announced.lines.first { $0.hasPrefix("syslog on \(transport)://127.0.0.1:") })
                return try #require(UInt16(line.split(separator: ":").last!))
            }

            send(type: SOCK_DGRAM, port: try port("udp"), "<34>Oct 11 22:14:15 mymachine su[81]: over udp")
            let rfc5424 = "<165>1 2003-10-11T22:14:15.003Z mymachine app - ID47 - over tcp"
            send(
                type: SOCK_STREAM,
                port: try port("tcp"),
                "\(rfc5424.utf8.count) \(rfc5424)<13>Jan  2 03:04:05 h x: lf\n"
            )
            var records: [[String: Any]] = []
            for _ in 0..<300 where records.count < 3 {
                Thread.sleep(forTimeInterval: 0.1)
                records = try streamq.succeed("read", "logs").lines.map {
                    try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
                }
            }
            let byMessage = Dictionary(records.map { ($0["message"] as? String ?? "", $0) }) { first, _ in first }
            #expect(byMessage.keys.sorted() == ["lf", "over tcp", "over udp"])
            #expect(byMessage["over udp"]?["transport"] as? String == "udp")
            #expect(byMessage["over udp"]?["facility"] as? String == "auth")
            #expect(byMessage["over tcp"]?["msgid"] as? String == "ID47")
            #expect((byMessage["over tcp"]?["peer"] as? String)?.hasPrefix("127.0.0.1:") == true)

            ship.terminate()
            ship.waitUntilExit()
            #expect(ship.terminationStatus == 0)
            let summary = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(summary.contains("shipped 3 of 3 syslog messages to logs (0 dropped"))
        }
    }

    @Test func listenSyslogIsValidated() async throws {
        try await CommandRunner.withScratch { streamq in
            let refusals = [
                (["--listen-syslog", "http://127.0.0.1:1"], "udp://HOST:PORT or tcp://HOST:PORT"),
                (["--listen-syslog", "udp://127.0.0.1:0", "--once"], "--once cannot be combined with --listen-syslog"),
                ([], "give at least one --path or --listen-syslog"),
            ]
            for (options, message) in refusals {
                let outcome = try streamq.run(["ship", "--stream", "logs"] + options, input: nil)
                #expect(outcome.status != 0)
                #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
            }
        }
    }

    @Test func aConfigFilesSyslogInputShipsBesideItsFileSources() async throws {
        try await CommandRunner.withScratch { streamq in
            let root = URL(fileURLWithPath: streamq.dataDirectory).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
            try Data("from a file\n".utf8).write(to: URL(fileURLWithPath: root + "/logs/app.log"))
            _ = try streamq.succeed("create-stream", "app")
            _ = try streamq.succeed("create-stream", "syslog")
            let config = root + "/ship.yaml"
            try Data(
                """
                state_dir: \(root)/state
                syslog:
                  listen: [udp://127.0.0.1:0]
                  stream: syslog
                sources:
                  - {name: app, paths: ["\(root)/logs/app.log"], stream: app, from: beginning}
                """.utf8
            ).write(to: URL(fileURLWithPath: config))
            let ship = streamq.process(["ship", "--config", config])
            let stderr = Pipe()
            ship.standardError = stderr
            try ship.run()
            defer { if ship.isRunning { ship.terminate() } }
            let announced = readOutput(stderr.fileHandleForReading) { $0.contains("syslog on udp://") }
            let line = try #require(announced.lines.first { $0.hasPrefix("syslog on udp://127.0.0.1:") })
            send(
                type: SOCK_DGRAM,
                port: try #require(UInt16(line.split(separator: ":").last!)),
                "<13>Jan  2 03:04:05 h x: hi"
            )
            var stored: [String] = []
            for _ in 0..<300 where stored.count < 2 {
                Thread.sleep(forTimeInterval: 0.1)
                stored = try streamq.succeed("read", "syslog").lines + streamq.succeed("read", "app").lines
            }
            #expect(stored.count == 2)
            #expect(stored.contains { $0.contains("\"message\":\"hi\"") })
            #expect(stored.contains { $0.contains("\"message\":\"from a file\"") })
            ship.terminate()
            ship.waitUntilExit()
            #expect(ship.terminationStatus == 0)

            let mixed = try streamq.run(
                ["ship", "--config", config, "--listen-syslog", "udp://127.0.0.1:0"],
                input: nil
            )
            #expect(mixed.stderr.contains("declare the syslog input in the file"))
        }
    }

    /// Sends `text` to 127.0.0.1:`port` over a new socket of `type`.
    private func send(type: __socket_type, port: UInt16, _ text: String) {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bytes = Array(text.utf8)
        withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                let length = socklen_t(MemoryLayout<sockaddr_in>.size)
                if type == SOCK_DGRAM {
                    _ = sendto(fd, bytes, bytes.count, 0, target, length)
                } else if connect(fd, target, length) == 0 {
                    _ = Glibc.send(fd, bytes, bytes.count, 0)
                }
            }
        }
    }
}
