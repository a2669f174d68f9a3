import StreamQStorage

/// What `streamq ship --listen-syslog` listens on and where the messages go.
public struct SyslogConfiguration: Sendable {
    public var endpoints: [SyslogEndpoint]
    public var stream: StreamName
    /// `host` in every record: this machine.
    public var host: String
    /// Longer messages keep their first `maxMessageBytes`, marked `_truncated`.
    public var maxMessageBytes = 1 << 20
    /// The destination's record limit (Kinesis: 1 MiB).
    public var maxRecordBytes = 1 << 20
    /// Bytes of records sent and not yet acknowledged; past it TCP input stops reading its sockets
    /// and UDP datagrams are dropped and counted.
    public var maxInFlightBytes = 32 << 20
    /// After a stop request, how long acknowledgements are waited for.
    public var grace: Duration = .seconds(30)
    /// Reads RFC 5424 and RFC 3164 messages; its `now` gives RFC 3164 messages their year.
    public var parser = LineParser.syslog

    public init(endpoints: [SyslogEndpoint], stream: StreamName, host: String) {
        self.endpoints = endpoints
        self.stream = stream
        self.host = host
    }
}
