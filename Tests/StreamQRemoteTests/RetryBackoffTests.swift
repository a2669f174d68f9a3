import StreamQRemote
import Testing

@Suite struct RetryBackoffTests {
    @Test func ceilingsDoubleFromTheBaseUpToTheCap() {
        let backoff = RetryBackoff()
        let ceilings = (1...10).map { backoff.ceiling(forRetry: $0) }
        #expect(
            ceilings == [
                .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                .milliseconds(1600), .milliseconds(3200), .seconds(5), .seconds(5), .seconds(5),
            ]
        )
        #expect(backoff.ceiling(forRetry: 1000) == .seconds(5))
        #expect(backoff.maxAttempts == 8)
    }

    @Test func delaysAreDrawnFromZeroToTheCeiling() {
        let backoff = RetryBackoff()
        var generator = SystemRandomNumberGenerator()
        for retry in 1...12 {
            let ceiling = backoff.ceiling(forRetry: retry)
            var sawLowerHalf = false
            var sawUpperHalf = false
            for _ in 0..<200 {
                let delay = backoff.delay(forRetry: retry, using: &generator)
                #expect(delay >= .zero && delay <= ceiling)
                if delay < ceiling / 2 { sawLowerHalf = true } else { sawUpperHalf = true }
            }
            // Full jitter: the whole range is used, not just values near the ceiling.
            #expect(sawLowerHalf && sawUpperHalf)
        }
    }
}
