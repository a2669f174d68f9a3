import Logging
import ServiceLifecycle
import StreamQStorage

/// Scales ON_DEMAND streams as AWS does for its on-demand mode: a shard that took more than a
/// provisioned shard's write limit (1,000 records/s or 1 MiB/s) over the last interval is split in
/// two at the middle of its hash range, up to the server's shard limit.
struct OnDemandScaler: Service {
    let service: KinesisService
    let interval: Duration

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isShuttingDownGracefully else { return }
            await scaleHotShards(seconds: Double(interval.components.seconds))
        }
    }

    private func scaleHotShards(seconds: Double) async {
        let written = service.writeRates.take()
        for (key, totals) in written {
            let recordsPerSecond = Double(totals.records) / seconds
            let bytesPerSecond = Double(totals.bytes) / seconds
            guard
                recordsPerSecond > ThroughputLimits.writeRecordsPerSecond
                    || bytesPerSecond > ThroughputLimits.writeBytesPerSecond
            else { continue }
            do {
                try await service.changes.withLock {
                    guard try service.attributes(key.stream).onDemand,
                        try service.openShardCount() < KinesisService.shardLimit,
                        let shard = try service.describe(key.stream).openShards.first(where: { $0.id == key.shard }),
                        shard.hashKeyRange.end - shard.hashKeyRange.start > 2
                    else { return }
                    let range = shard.hashKeyRange
                    let middle = range.start + (range.end - range.start) / 2 + 1
                    try await service.reshard(key.stream, parents: [shard.id]) {
                        try await service.store.splitShard(key.stream, shard: shard.id, newStartingHashKey: middle)
                    }
                    service.logger.info(
                        "on-demand stream split a hot shard",
                        metadata: [
                            "stream": "\(key.stream)", "shard": "\(shard.id)",
                            "recordsPerSecond": "\(Int(recordsPerSecond))",
                        ]
                    )
                }
            } catch {
                service.logger.warning(
                    "on-demand scaling failed",
                    metadata: ["stream": "\(key.stream)", "error": "\(error)"]
                )
            }
        }
    }
}
