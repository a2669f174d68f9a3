import Metrics

/// A shipper's metrics through swift-metrics (Prometheus text on `--metrics-listen` when the
/// process bootstraps swift-prometheus), named as `shipper-sink.md` §3.1-14 recommends: counters
/// of lines, bytes, records and errors, gauges of open files, bytes in flight, the age of the
/// oldest unacknowledged append and, per file, the lag: its size minus its acknowledged offset.
///
/// Counters are published from ``ShipSummary`` deltas, so the session only keeps counting.
final class ShipMetrics {
    private let dimensions: [(String, String)]
    private var published = ShipSummary()
    private var lagGauges: [UInt64: (path: String, gauge: Gauge)] = [:]

    init(stream: String, source: String?) {
        dimensions = [("stream", stream)] + (source.map { [("source", $0)] } ?? [])
    }

    /// Publishes what changed since the last call.
    func publish(_ summary: ShipSummary, files: [TailedFile], inFlightBytes: Int, now: ContinuousClock.Instant) {
        count("ship_lines_read_total", summary.linesRead, published.linesRead)
        count("ship_bytes_read_total", summary.bytesRead, published.bytesRead)
        count("ship_lines_shipped_total", summary.linesShipped, published.linesShipped)
        count("ship_records_sent_total", summary.recordsSent, published.recordsSent)
        count("ship_records_retried_total", summary.recordsRetried, published.recordsRetried)
        count("ship_parse_errors_total", summary.parseErrors, published.parseErrors)
        count("ship_truncated_lines_total", summary.truncatedLines, published.truncatedLines)
        count("ship_truncations_total", summary.truncations, published.truncations)
        count("ship_rotations_total", summary.rotations, published.rotations)
        published = summary

        Gauge(label: "ship_files_open", dimensions: dimensions).record(files.count)
        Gauge(label: "ship_inflight_bytes", dimensions: dimensions).record(inFlightBytes)
        let oldest = files.compactMap { $0.appends.first?.sentAt }.min()
        Gauge(label: "ship_oldest_unacked_age_seconds", dimensions: dimensions)
            .record(oldest.map { Self.seconds(now - $0) } ?? 0)

        var seen = Set<UInt64>()
        for file in files {
            seen.insert(file.entry.key)
            let gauge: Gauge
            if let known = lagGauges[file.entry.key], known.path == file.entry.path {
                gauge = known.gauge
            } else {
                lagGauges[file.entry.key]?.gauge.destroy()
                gauge = Gauge(label: "ship_lag_bytes", dimensions: dimensions + [("file", file.entry.path)])
                lagGauges[file.entry.key] = (file.entry.path, gauge)
            }
            gauge.record(max(0, file.size - file.entry.ackedOffset))
        }
        for (key, closed) in lagGauges where !seen.contains(key) {
            closed.gauge.destroy()
            lagGauges[key] = nil
        }
    }

    /// How long an acknowledged append took, from its send to its acknowledgement.
    func recordPutLatency(_ duration: Duration) {
        Timer(label: "ship_put_latency_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
            .recordNanoseconds(
                duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
            )
    }

    private func count(_ label: String, _ now: Int, _ before: Int) {
        guard now > before else { return }
        Counter(label: label, dimensions: dimensions).increment(by: now - before)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
