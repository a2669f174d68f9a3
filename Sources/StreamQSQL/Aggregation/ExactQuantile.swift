/// Exact quantiles over every value of a group, as DuckDB computes them: `quantile_cont` (and
/// `median`) interpolate between the two values around rank (n − 1) × fraction; `quantile_disc`
/// returns the value at DuckDB's discrete index, the ⌈n × fraction⌉-th smallest (the first for 0).
/// The values are sorted once for all the fractions asked for; none gives NULL.
enum ExactQuantile {
    static func continuous(_ numbers: [Double], _ fractions: [Double]) -> [SQLValue] {
        guard !numbers.isEmpty else { return fractions.map { _ in .null } }
        let sorted = numbers.sorted()
        return fractions.map { fraction in
            let rank = Double(sorted.count - 1) * fraction
            let below = Int(rank.rounded(.down))
            let above = Int(rank.rounded(.up))
            let low = sorted[below]
            return .double(below == above ? low : low + (sorted[above] - low) * (rank - Double(below)))
        }
    }

    static func discrete(_ values: [SQLValue], _ fractions: [Double]) -> [SQLValue] {
        guard !values.isEmpty else { return fractions.map { _ in .null } }
        let sorted = values.sorted { SQLValue.ordering($0, $1) < 0 }
        let count = Double(sorted.count)
        return fractions.map { fraction in
            sorted[max(1, sorted.count - Int((count - fraction * count).rounded(.down))) - 1]
        }
    }
}
