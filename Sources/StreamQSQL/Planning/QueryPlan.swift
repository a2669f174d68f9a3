/// A checked, compiled query: what to read, how to filter, group, window, aggregate and project.
public struct QueryPlan: Sendable {
    public var stream: String
    public var columns: [String]
    let filter: CompiledExpression?
    let window: WindowSpec?
    let groupKeys: [CompiledExpression]
    let aggregates: [AggregateSpec]
    /// Evaluated per input row (no aggregation) or per group (over slots).
    let outputs: [CompiledExpression]
    let having: CompiledExpression?
    let order: [(index: Int?, expression: CompiledExpression, descending: Bool, nullsFirst: Bool)]
    public var limit: Int64?
    let distinct: Bool
    public var isAggregate: Bool { window != nil || !groupKeys.isEmpty || !aggregates.isEmpty }
    /// Groups by TUMBLE, HOP or SESSION.
    public var isWindowed: Bool { window != nil }
    public var statement: SelectStatement
    /// The group keys as expressions, with positions, aliases and GROUP BY ALL resolved (for explain).
    var groupKeySyntax: [Expression] = []
    /// For a grouped query, the output columns that carry its group key (not aggregates, not
    /// window bounds), left to right.
    public internal(set) var keyColumns: [Int] = []
    /// Extracts every JSON path the query reads in one pass per record.
    var extractor = FieldExtractor(paths: [])
}
