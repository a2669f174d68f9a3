/// Deterministic JSON access-log lines for demos, tests and benchmarks.
///
/// The same shape as the project's reference generator: one JSON object per line of about 180
/// bytes with `ts` (epoch ms, starting 2026-01-01T00:00:00Z, about 2 ms apart, 2 % of records late by
/// up to 5 s), `host`, `method`, `path`, `status`, `bytes`, `latency_ms`, `user_agent` and `user`.
/// The same seed always gives the same lines.
public struct AccessLogGenerator: Sequence, IteratorProtocol, Sendable {
    private var random: SplitMix64
    private var time: Int64 = 1_767_225_600_000
    private var remaining: Int

    static let hosts = (0..<16).map { "web-" + ($0 < 10 ? "0" : "") + String($0) }
    static let paths = [
        "/", "/login", "/api/v1/items", "/api/v1/items/{id}", "/api/v1/cart", "/static/app.js", "/static/app.css",
        "/search", "/checkout", "/health",
    ]
    static let methods = Array(repeating: "GET", count: 8) + ["POST", "PUT", "DELETE"]
    static let userAgents = [
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", "curl/8.5.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1", "python-requests/2.32",
    ]
    static let statuses: [(status: Int, weight: UInt64)] = [
        (200, 70), (201, 3), (204, 2), (301, 2), (304, 5), (400, 3), (401, 2), (404, 8), (500, 3), (503, 2),
    ]

    /// - Parameters:
    ///   - count: how many lines to produce.
    ///   - seed: the same seed gives the same lines.
    public init(count: Int, seed: UInt64 = 7) {
        self.random = SplitMix64(seed: seed)
        self.remaining = count
    }

    public mutating func next() -> String? {
        guard remaining > 0 else { return nil }
        remaining -= 1
        time += Int64(random.next(below: 5))
        let late = random.next(below: 100) < 2
        let timestamp = time - (late ? Int64(random.next(below: 5001)) : 0)
        var path = Self.paths[Int(random.next(below: UInt64(Self.paths.count)))]
        if path.hasSuffix("{id}") { path = "/api/v1/items/" + String(1 + random.next(below: 99_999)) }
        var pick = random.next(below: 100)
        var status = 200
        for (candidate, weight) in Self.statuses {
            if pick < weight {
                status = candidate
                break
            }
            pick -= weight
        }
        // Exponential latency with mean 40 ms, rounded to hundredths.
        let uniform = Double(random.next() >> 11) / Double(1 << 53)
        let latency = (-40 * log1p(-uniform) * 100).rounded() / 100
        let host = Self.hosts[Int(random.next(below: 16))]
        let method = Self.methods[Int(random.next(below: UInt64(Self.methods.count)))]
        let bytes = random.next(below: 50_001)
        let agent = Self.userAgents[Int(random.next(below: UInt64(Self.userAgents.count)))]
        let user = 1 + random.next(below: 5000)
        return #"{"ts":\#(timestamp),"host":"\#(host)","method":"\#(method)","path":"\#(path)","status":\#(status),"#
            + #""bytes":\#(bytes),"latency_ms":\#(latency),"user_agent":"\#(agent)","user":"u\#(user)"}"#
    }
}

/// A small, fast, seedable generator (SplitMix64) so sample data is identical on every platform,
/// and a test's random cases repeat.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound`, without modulo bias worth caring about for sample data.
    public mutating func next(below bound: UInt64) -> UInt64 {
        UInt64((UInt128(next()) * UInt128(bound)) >> 64)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
