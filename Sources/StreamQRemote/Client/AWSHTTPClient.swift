import AsyncHTTPClient
import NIOCore
import NIOSSL

/// The HTTP client the Kinesis and S3 clients share the settings of: no redirects, no
/// decompression, a connect timeout, and no retrying of refused connections inside the pool (a
/// refused connection fails its attempt at once and goes through the caller's own backoff, instead
/// of holding each attempt for the whole connect timeout).
enum AWSHTTPClient {
    static func make(
        verifyCertificates: Bool,
        connectTimeout: Duration,
        maximumHTTP1Connections: Int = 8
    ) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !verifyCertificates { tls.certificateVerification = .none }
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: maximumHTTP1Connections
        )
        pool.retryConnectionEstablishment = false
        return HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: HTTPClient.Configuration(
                tlsConfiguration: tls,
                redirectConfiguration: .disallow,
                timeout: HTTPClient.Configuration.Timeout(connect: .nanoseconds(connectTimeout.nanoseconds)),
                connectionPool: pool,
                decompression: .disabled
            )
        )
    }
}
