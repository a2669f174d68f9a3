import StreamQJSON

/// A Misra-Gries summary (Misra and Gries 1982; merged as in Agarwal et al., "Mergeable
/// Summaries", 2012) for `approx_top_k(x, k)`: at most ``capacity`` counters of 16·k values. A
/// value's counter underestimates its count by at most n / (capacity + 1) over n values, so every
/// value more frequent than that is kept; with at most `capacity` distinct values every count is
/// exact. Two summaries merge with the same bound over their combined rows.
struct HeavyHitters: Sendable, Hashable, Codable {
    /// Counters kept per k asked for.
    static let countersPerResult = 16

    let k: Int
    private(set) var counters: [SQLValue: Int64] = [:]

    init(k: Int) { self.k = k }

    var capacity: Int { k * Self.countersPerResult }

    mutating func insert(_ value: SQLValue) {
        if let count = counters[value] {
            counters[value] = count + 1
        } else if counters.count < capacity {
            counters[value] = 1
        } else {
            // The new value and one occurrence of every kept value cancel out.
            counters = counters.compactMapValues { $0 > 1 ? $0 - 1 : nil }
        }
    }

    mutating func merge(_ other: HeavyHitters) {
        counters.merge(other.counters, uniquingKeysWith: +)
        guard counters.count > capacity else { return }
        // Subtract the (capacity + 1)-th largest count from all and keep what stays positive.
        let cut = counters.values.sorted(by: >)[capacity]
        counters = counters.compactMapValues { $0 > cut ? $0 - cut : nil }
    }

    /// The `k` values with the highest counts, most frequent first (equal counts: the smaller
    /// value first).
    var top: [SQLValue] {
        counters.sorted { left, right in
            left.value != right.value ? left.value > right.value : SQLValue.ordering(left.key, right.key) < 0
        }.prefix(k).map(\.key)
    }
}

extension SQLValue {
    /// A list of values as a JSON array (strings quoted, times as ISO-8601 text), as aggregates that
    /// return lists give it.
    static func jsonList(_ values: [SQLValue]) -> SQLValue {
        .json("[" + values.map(\.jsonText).joined(separator: ",") + "]")
    }

    private var jsonText: String {
        switch self {
        case .null: "null"
        case .boolean, .integer, .interval, .json: description
        case .double(let number): number.isFinite ? description : "null"
        case .string(let text): JSONString.quoted(text)
        case .timestamp(let milliseconds): JSONString.quoted(EventTime.iso8601(milliseconds))
        }
    }
}
