import Foundation
import StreamQClient
import StreamQStorage
import Synchronization
import Testing

@testable import StreamQShip

@Suite struct SyslogFrameReaderTests {
    private func frames(_ chunks: [String], max: Int = 1 << 20) throws -> [SyslogMessage] {
        var reader = SyslogFrameReader(maxMessageBytes: max)
        var messages: [SyslogMessage] = []
        for chunk in chunks {
            var failure: SyslogFramingError?
            Array(chunk.utf8).withUnsafeBytes { bytes in
                do throws(SyslogFramingError) {
                    try reader.read(bytes, into: &messages)
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
        }
        if let last = reader.finish() { messages.append(last) }
        return messages
    }

    @Test func octetCountingAndNewlinesMixInOneStream() throws {
        let stream = "11 <13>1 - a b\r\n<13>c d\n\n5 hello<13>last"
        let expected = ["<13>1 - a b", "<13>c d", "hello", "<13>last"]
        #expect(try frames([stream]).map { String(decoding: $0.text, as: UTF8.self) } == expected)
        // Split at every byte, as TCP segments may cut it.
        #expect(try frames(stream.map { String($0) }).map { String(decoding: $0.text, as: UTF8.self) } == expected)
    }

    @Test func longFramesAreCutAndTheStreamGoesOn() throws {
        let long = String(repeating: "x", count: 100)
        let messages = try frames(["100 \(long)", "\(long)\nnext\n"], max: 10)
        #expect(messages.map(\.text.count) == [10, 10, 4])
        #expect(messages.map(\.originalBytes) == [100, 100, 4])
        #expect(messages[2].isTruncated == false)
    }

    @Test(arguments: ["12x hello", "0 hello", "12345678901 hello"])
    func aBadOctetCountIsAFramingError(stream: String) {
        #expect(throws: SyslogFramingError.self) { try frames(["<13>ok\n" + stream]) }
    }
}

@Suite(.serialized) struct SyslogListenerTests {
    @Test func udpMessagesOfBothRFCsBecomeRecords() async throws {
        let fixture = try ShipFixture()
        let summary = try await withListener(fixture, backend: fixture.store) { _, addresses in
            let udp = try UDPSender(addresses.udp)
            udp.send("<34>Oct 11 22:14:15 mymachine su[81]: 'su root' failed")
            udp.send("<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [ex@32473 iut=\"3\"] An event\n")
            try await fixture.waitForRecords(2)
        }
        let records = try fixture.records().map(\.fields).sorted { "\($0["appname"]!)" > "\($1["appname"]!)" }
        #expect(records.count == 2)
        #expect(summary.shipped == 2)
        #expect(records[0]["facility"] as? String == "auth")
        #expect(records[0]["hostname"] as? String == "mymachine")
        #expect(records[0]["message"] as? String == "'su root' failed")
        #expect(records[1]["msgid"] as? String == "ID47")
        #expect(records[1]["message"] as? String == "An event")
        for record in records {
            #expect(record["transport"] as? String == "udp")
            #expect((record["peer"] as? String)?.hasPrefix("127.0.0.1:") == true)
            #expect(record["host"] as? String == "test-host")
            #expect(record["_parse_error"] == nil)
        }
    }

    @Test func tcpFramesMixedSplitAndTooLongArriveInOrder() async throws {
        let fixture = try ShipFixture()
        let counted = "<13>1 2024-01-01T00:00:00Z h app - - - counted"
        let summary = try await withListener(fixture, backend: fixture.store, maxMessageBytes: 200) { _, addresses in
            let tcp = try TCPSender(addresses.tcp)
            try tcp.send("\(counted.utf8.count) \(counted)<13>Jan  2 03:04:05 h app: lf")
            try await Task.sleep(for: .milliseconds(50))  // the next segment finishes the LF frame
            try tcp.send(" framed\n<13>Jan  2 03:04:05 h app: \(String(repeating: "y", count: 500))\nnot syslog\n")
            tcp.close()
            try await fixture.waitForRecords(4)
        }
        let records = try fixture.records().map(\.fields)
        #expect(
            records.map { $0["message"] as? String ?? "" }.map { String($0.prefix(9)) } == [
                "counted", "lf framed", "yyyyyyyyy", "not syslo",
            ]
        )
        #expect(records[2]["_truncated"] as? Bool == true)
        #expect(records[2]["_original_bytes"] as? Int == 527)
        #expect(records[3]["_parse_error"] != nil)
        #expect(summary.truncated == 1)
        #expect(summary.parseErrors == 1)
    }

    @Test func aBadOctetCountClosesOnlyItsConnection() async throws {
        let fixture = try ShipFixture()
        let summary = try await withListener(fixture, backend: fixture.store) { _, addresses in
            let good = try TCPSender(addresses.tcp)
            let bad = try TCPSender(addresses.tcp)
            try good.send("<13>Jan  2 03:04:05 h app: before\n")
            try bad.send("<13>Jan  2 03:04:05 h app: shipped first\n12x not a count\n")
            try await fixture.waitForRecords(2)
            try good.send("<13>Jan  2 03:04:05 h app: after\n")
            try await fixture.waitForRecords(3)
            #expect(bad.isClosedByPeer())
        }
        let messages = Set(try fixture.records().compactMap { $0.fields["message"] as? String })
        #expect(messages == ["before", "shipped first", "after"])
        #expect(summary.framingErrors == 1)
    }

    @Test func aTCPSenderHeldBackByASlowStreamLosesNothing() async throws {
        let fixture = try ShipFixture()
        let backend = HeldBackend(store: fixture.store)
        let count = 20_000
        let summary = try await withListener(fixture, backend: backend, budget: 16 << 10) { listener, addresses in
            let tcp = try TCPSender(addresses.tcp)
            let lines = (0..<count).map {
                "<13>Jan  2 03:04:05 h app: message \($0) \(String(repeating: "p", count: 200))\n"
            }
            // The send blocks until the listener reads again: on a thread of its own, not one of the
            // two cooperative threads every test shares.
            let text = lines.joined()
            let sender = Task { try await onOwnThread { try tcp.send(text) } }
            // The stream holds every append: the listener stops reading well before the sender is done.
            while listener.summary.received < 10 { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(listener.summary.received < count / 2)
            backend.open()
            try await sender.value
            tcp.close()
            try await fixture.waitForRecords(count)
        }
        let records = try fixture.records()
        let numbers = records.compactMap { ($0.fields["message"] as? String)?.split(separator: " ")[1] }.compactMap {
            Int($0)
        }
        #expect(numbers == Array(0..<count))
        #expect(Set(records.map(\.key)).count == 1)
        #expect(summary.shipped == count)
        #expect(summary.dropped == 0)
    }

    @Test func udpDatagramsBeyondTheBudgetAreDroppedAndCounted() async throws {
        let fixture = try ShipFixture()
        let backend = HeldBackend(store: fixture.store)
        let summary = try await withListener(fixture, backend: backend, budget: 1) { listener, addresses in
            let udp = try UDPSender(addresses.udp)
            for index in 0..<20 { udp.send("<13>Jan  2 03:04:05 h app: datagram \(index)") }
            while listener.summary.received < 20 { try await Task.sleep(for: .milliseconds(10)) }
            backend.open()
            try await fixture.waitForRecords(1)
        }
        #expect(summary.received == 20)
        #expect(summary.dropped == 19)
        #expect(summary.shipped == 1)
        #expect(try fixture.records().count == 1)
    }

    private struct Addresses: Sendable {
        var udp: String
        var tcp: String
    }

    /// Runs a listener on a UDP and a TCP port of 127.0.0.1 around `body`, then stops it.
    private func withListener(
        _ fixture: ShipFixture,
        backend: any StreamBackend,
        budget: Int = 32 << 20,
        maxMessageBytes: Int = 1 << 20,
        _ body: (SyslogListener, Addresses) async throws -> Void
    ) async throws -> SyslogSummary {
        var configuration = SyslogConfiguration(
            endpoints: [
                SyslogEndpoint(transport: .udp, host: "127.0.0.1", port: 0),
                SyslogEndpoint(transport: .tcp, host: "127.0.0.1", port: 0),
            ],
            stream: fixture.stream,
            host: "test-host"
        )
        configuration.maxInFlightBytes = budget
        configuration.maxMessageBytes = maxMessageBytes
        let listener = SyslogListener(configuration: configuration, backend: backend)
        let bound = Mutex<[String]>([])
        let running = Task { try await listener.run { address in bound.withLock { $0.append(address) } } }
        while bound.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(5)) }
        let addresses = bound.withLock { $0 }
        do {
            try await body(
                listener,
                Addresses(
                    udp: addresses.first { $0.hasPrefix("udp://") }!.dropFirst(6).description,
                    tcp: addresses.first { $0.hasPrefix("tcp://") }!.dropFirst(6).description
                )
            )
        } catch {
            listener.stop()
            _ = try? await running.value
            throw error
        }
        listener.stop()
        return try await running.value
    }
}

/// A store that holds every append until ``open()``: a destination that is down, then returns.
final class HeldBackend: StoreWrappingShipBackend {
    let store: StreamStore
    private let held = Mutex<(open: Bool, appends: [@Sendable () -> Void])>((false, []))

    init(store: StreamStore) { self.store = store }

    func open() {
        let appends = held.withLock { held in
            held.open = true
            defer { held.appends = [] }
            return held.appends
        }
        for append in appends { append() }
    }

    func enqueueAppend(
        to name: StreamName,
        shard: ShardID,
        _ records: [AppendRecord],
        producer: ProducerStamp?,
        completion: @escaping @Sendable (Result<SequenceNumber, any Error>) -> Void
    ) throws {
        let store = store
        let append: @Sendable () -> Void = {
            do {
                try store.enqueueAppend(to: name, shard: shard, records, producer: producer, completion: completion)
            } catch {
                completion(.failure(error))
            }
        }
        let now = held.withLock { held in
            if !held.open { held.appends.append(append) }
            return held.open
        }
        if now { append() }
    }
}

/// `HOST:PORT` as a sockaddr_in of 127.0.0.1.
private func loopback(_ address: String) -> sockaddr_in {
    var socketAddress = sockaddr_in()
    socketAddress.sin_family = sa_family_t(AF_INET)
    socketAddress.sin_port = in_port_t(UInt16(address.split(separator: ":").last!)!).bigEndian
    socketAddress.sin_addr.s_addr = inet_addr("127.0.0.1")
    return socketAddress
}

/// Sends datagrams from one UDP socket.
final class UDPSender: Sendable {
    private let fd: Int32
    private let target: sockaddr_in

    init(_ address: String) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw ShipError("socket failed") }
        target = loopback(address)
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) {
        var target = target
        let bytes = Array(text.utf8)
        _ = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                sendto(fd, bytes, bytes.count, 0, address, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
}

/// One TCP connection, written with blocking sends.
/// Runs blocking work on a thread of its own and waits for it without holding a cooperative thread.
func onOwnThread(_ work: @escaping @Sendable () throws -> Void) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

final class TCPSender: Sendable {
    private let fd: Int32

    init(_ address: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var target = loopback(address)
        let connected = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, connected == 0 else { throw ShipError("cannot connect to \(address)") }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, 0) }
            guard written > 0 else { throw ShipError("send failed: errno \(errno)") }
            sent += written
        }
    }

    /// Whether the listener closed the connection (a read sees its end).
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) <= 0
    }

    func close() { shutdown(fd, Int32(SHUT_WR)) }
}
