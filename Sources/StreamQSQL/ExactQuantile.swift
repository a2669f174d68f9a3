/// Exact quantiles over every value of a group, as DuckDB computes them: `quantile_cont` (and
/// `median`) interpolate between the two values around rank (n − 1) × fraction; `quantile_disc`
/// returns the value at DuckDB's discrete index, the ⌈n × fraction⌉-th smallest (the first for 0).
enum ExactQuantile {
    static func continuous(_ numbers: [Double], _ fraction: Double) -> SQLValue {
        guard !numbers.isEmpty else { return .null }
        let sorted = numbers.sorted()
        let rank = Double(sorted.count - 1) * fraction
        let below = Int(rank.rounded(.down))
        let above = Int(rank.rounded(.up))
        let low = sorted[below]
        return .double(below == above ? low : low + (sorted[above] - low) * (rank - Double(below)))
    }

    static func discrete(_ values: [SQLValue], _ fraction: Double) -> SQLValue {
        guard !values.isEmpty else { return .null }
        let count = Double(values.count)
        let index = max(1, values.count - Int((count - fraction * count).rounded(.down))) - 1
        return values.sorted { SQLValue.ordering($0, $1) < 0 }[index]
    }
}
