import Metrics
import StreamQStorage

/// The server's metrics through swift-metrics (Prometheus text on `GET /metrics` when the
/// process bootstraps swift-prometheus): requests and latency by operation and status, records
/// and bytes in and out by stream and shard, iterator age by shard, open subscriptions, errors by code.
struct ServerMetrics: Sendable {
    private let subscriptions = Meter(label: "streamq_kinesis_open_subscriptions")

    func request(operation: String, status: Int, errorCode: String?, duration: Duration) {
        Counter(
            label: "streamq_kinesis_requests_total",
            dimensions: [("operation", operation), ("status", String(status))]
        ).increment()
        Timer(label: "streamq_kinesis_request_duration_seconds", dimensions: [("operation", operation)])
            .recordNanoseconds(
                duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
            )
        if let errorCode {
            Counter(label: "streamq_kinesis_errors_total", dimensions: [("code", errorCode)]).increment()
        }
    }

    func recordsIn(stream: StreamName, shard: ShardID, records: Int, bytes: Int) {
        let dimensions = [("stream", stream.rawValue), ("shard", shard.description)]
        Counter(label: "streamq_kinesis_incoming_records_total", dimensions: dimensions).increment(by: records)
        Counter(label: "streamq_kinesis_incoming_bytes_total", dimensions: dimensions).increment(by: bytes)
    }

    func recordsOut(stream: StreamName, shard: ShardID, records: Int, bytes: Int) {
        let dimensions = [("stream", stream.rawValue), ("shard", shard.description)]
        Counter(label: "streamq_kinesis_outgoing_records_total", dimensions: dimensions).increment(by: records)
        Counter(label: "streamq_kinesis_outgoing_bytes_total", dimensions: dimensions).increment(by: bytes)
    }

    func iteratorAge(stream: StreamName, shard: ShardID, milliseconds: Int64) {
        Gauge(
            label: "streamq_kinesis_iterator_age_milliseconds",
            dimensions: [("stream", stream.rawValue), ("shard", shard.description)]
        ).record(milliseconds)
    }

    func subscriptionOpened() { subscriptions.increment(by: 1) }
    func subscriptionClosed() { subscriptions.decrement(by: 1) }
}
