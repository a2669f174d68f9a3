#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A DDSketch (Masson et al., VLDB 2019) for `approx_percentile`: values fall into logarithmic
/// buckets, so any quantile it returns is within 1% relative error of a value at that rank, its size
/// grows with the logarithm of the value range (not with the rows), and two sketches merge exactly.
struct QuantileSketch: Sendable, Hashable, Codable {
    static let relativeAccuracy = 0.01
    private static let gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy)
    private static let logGamma = log(gamma)

    private var positive: [Int32: Int64] = [:]
    private var negative: [Int32: Int64] = [:]
    private var zeros: Int64 = 0
    private(set) var count: Int64 = 0

    private static func bucket(_ magnitude: Double) -> Int32 { Int32((log(magnitude) / logGamma).rounded(.up)) }
    private static func value(_ bucket: Int32) -> Double { 2 * pow(gamma, Double(bucket)) / (gamma + 1) }

    mutating func insert(_ value: Double) {
        guard value.isFinite else { return }
        count += 1
        // Magnitudes below 1e-9 count as zero.
        if value > 1e-9 {
            positive[Self.bucket(value), default: 0] += 1
        } else if value < -1e-9 {
            negative[Self.bucket(-value), default: 0] += 1
        } else {
            zeros += 1
        }
    }

    mutating func merge(_ other: QuantileSketch) {
        positive.merge(other.positive, uniquingKeysWith: +)
        negative.merge(other.negative, uniquingKeysWith: +)
        zeros += other.zeros
        count += other.count
    }

    /// The value at rank ⌈fraction × count⌉ (nearest rank), within the relative accuracy.
    func quantile(_ fraction: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = max(1, Int64((fraction * Double(count)).rounded(.up)))
        var seen: Int64 = 0
        for bucket in negative.keys.sorted(by: >) {
            seen += negative[bucket]!
            if seen >= rank { return -Self.value(bucket) }
        }
        seen += zeros
        if seen >= rank { return 0 }
        for bucket in positive.keys.sorted() {
            seen += positive[bucket]!
            if seen >= rank { return Self.value(bucket) }
        }
        return positive.keys.max().map(Self.value)
    }
}
