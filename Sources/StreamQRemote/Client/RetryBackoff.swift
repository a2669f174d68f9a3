/// "Full jitter" exponential backoff (AWS Architecture Blog, "Exponential Backoff and Jitter"): the
/// wait before retry `n` is uniform in `[0, min(cap, base × 2^(n-1))]`, so many clients throttled
/// together spread out instead of retrying in lockstep.
public struct RetryBackoff: Sendable, Equatable {
    /// The ceiling of the first retry's wait.
    public var base: Duration
    /// The largest ceiling any retry's wait gets.
    public var cap: Duration
    /// Attempts in all, the first included; 1 means no retries.
    public var maxAttempts: Int

    /// 50 ms base, 5 s cap, 8 attempts.
    public init(base: Duration = .milliseconds(50), cap: Duration = .seconds(5), maxAttempts: Int = 8) {
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    /// The ceiling of the wait before retry `retry` (1 for the first retry).
    public func ceiling(forRetry retry: Int) -> Duration {
        let exponent = min(max(retry - 1, 0), 40)
        let baseNanoseconds = base.nanoseconds
        let (scaled, overflow) = baseNanoseconds.multipliedReportingOverflow(by: Int64(1) << exponent)
        return .nanoseconds(overflow ? cap.nanoseconds : min(scaled, cap.nanoseconds))
    }

    /// A wait drawn uniformly from `[0, ceiling(forRetry: retry)]`.
    public func delay(forRetry retry: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        .nanoseconds(Int64.random(in: 0...ceiling(forRetry: retry).nanoseconds, using: &generator))
    }

    /// A wait drawn with the system's random number generator.
    public func delay(forRetry retry: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(forRetry: retry, using: &generator)
    }
}

extension Duration {
    /// The whole nanoseconds, saturating at `Int64.max`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole + attoseconds / 1_000_000_000
    }
}
