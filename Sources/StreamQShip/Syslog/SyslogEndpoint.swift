/// One `--listen-syslog` address: `udp://HOST:PORT` or `tcp://HOST:PORT` (`[::1]:PORT` for IPv6;
/// port 0 lets the system choose). The host is bound exactly as given, so a listener is reachable
/// from other machines only when the URL names a non-loopback address.
public struct SyslogEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Transport: String, Sendable {
        case udp
        case tcp
    }

    public var transport: Transport
    public var host: String
    public var port: Int

    public init(transport: Transport, host: String, port: Int) {
        self.transport = transport
        self.host = host
        self.port = port
    }

    /// Parses `udp://HOST:PORT` or `tcp://HOST:PORT`.
    public init(parsing url: String) throws(ShipError) {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let transport = Transport(rawValue: String(parts[0])) else {
            throw ShipError("--listen-syslog must be udp://HOST:PORT or tcp://HOST:PORT, got '\(url)'")
        }
        let address = parts[1]
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ShipError("--listen-syslog needs a port (0 to 65535) in '\(url)'")
        }
        var host = address[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw ShipError("--listen-syslog needs a host in '\(url)'") }
        self.init(transport: transport, host: String(host), port: port)
    }

    public var description: String {
        "\(transport)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
