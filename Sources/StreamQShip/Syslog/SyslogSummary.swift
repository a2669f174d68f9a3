/// What a syslog listener did: counts since it started.
public struct SyslogSummary: Sendable, Equatable {
    /// Messages read: TCP frames and UDP datagrams, dropped ones included.
    public var received = 0
    /// Messages whose records the stream acknowledged.
    public var shipped = 0
    /// UDP datagrams dropped because the in-flight budget was full.
    public var dropped = 0
    /// Messages shipped with `_parse_error`.
    public var parseErrors = 0
    /// Messages shipped with `_truncated`.
    public var truncated = 0
    /// TCP connections accepted.
    public var connections = 0
    /// TCP connections closed because an octet count was not one.
    public var framingErrors = 0

    /// Messages accepted and never acknowledged: lost at a stop whose grace period ran out.
    public var unacknowledged: Int { received - dropped - shipped }

    public init() {}
}
