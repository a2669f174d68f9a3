/// What a host last saw of one persistent query, written to the catalog about every second while
/// it hosts it, so `DESCRIBE QUERY` in another process can show it.
public struct QueryStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case running
        /// Failed and waiting to be restarted (with backoff).
        case failed
        case stopped
    }

    public var state: State
    /// The last failure's message, kept until a run commits again.
    public var lastError: String?
    /// Failures since the host started it.
    public var failures: Int
    /// The process that hosts it and when it last wrote this status, ms since the epoch.
    public var hostProcess: Int32
    public var updatedAt: Int64

    /// A status older than this is from a host that is gone.
    public static let staleAfter: Int64 = 5000
}
