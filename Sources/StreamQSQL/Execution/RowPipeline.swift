import StreamQStorage

/// The per-record half of a query: JSON extraction, WHERE, and then either the projection (plain
/// queries) or the group key, event time and aggregate inputs (grouped queries). Each worker owns
/// one, and its scratch buffers are reused from record to record.
struct RowPipeline {
    let plan: QueryPlan
    private var fields: [SQLValue] = []
    /// The group key of the last row evaluated by ``evaluateGrouping(_:)``.
    private(set) var key: [SQLValue]
    /// The aggregate inputs of that row.
    private(set) var inputs: [AggregateSpec.Input]

    private let groupKeys: [CompiledExpression]
    private let aggregates: [AggregateSpec]
    private let windowTime: CompiledExpression?
    /// Per group key, the extracted field it reads directly, or -1 (evaluate the expression).
    private let keyFieldIndexes: [Int]
    /// Per aggregate, the common shapes taken without calling closures: `count(*)` and a plain
    /// field argument without FILTER or DISTINCT (`field` -1 otherwise).
    private let aggregateShapes: [(star: Bool, field: Int, numeric: Bool)]

    init(plan: QueryPlan) {
        self.plan = plan
        groupKeys = plan.groupKeys
        aggregates = plan.aggregates
        windowTime = plan.window?.time
        keyFieldIndexes = plan.groupKeys.map { $0.fieldIndex ?? -1 }
        aggregateShapes = plan.aggregates.map { aggregate in
            let simple = aggregate.filter == nil && aggregate.arguments.count <= 1 && !aggregate.booleanInput
            return (
                star: simple && aggregate.star,
                field: simple && !aggregate.star ? aggregate.arguments.first?.fieldIndex ?? -1 : -1,
                numeric: aggregate.numericInput
            )
        }
        key = []
        inputs = []
        key.reserveCapacity(plan.groupKeys.count)
        inputs.reserveCapacity(plan.aggregates.count)
    }

    /// Extracts the query's fields into `row` and applies WHERE.
    /// - Returns: false when WHERE rejects the row.
    mutating func prepare(_ row: inout SQLRow) throws -> Bool {
        if !plan.extractor.paths.isEmpty {
            row.fields = nil
            do {
                try plan.extractor.extract(from: row.data, into: &fields)
            } catch {
                throw EvaluationError(
                    message: "the record is not valid JSON (\(error)); use _raw",
                    location: plan.statement.source.location
                )
            }
            row.fields = fields
        }
        if let filter = plan.filter, try filter(row) != .boolean(true) { return false }
        return true
    }

    /// The output columns and ORDER BY keys of a plain (ungrouped) row.
    func project(_ row: SQLRow) throws -> ProjectedRow {
        let output = try plan.outputs.map { try $0(row) }
        let sortKeys = try plan.order.map { item in try item.index.map { output[$0] } ?? item.expression(row) }
        return ProjectedRow(output: output, sortKeys: sortKeys)
    }

    /// Evaluates the group key, the aggregates' inputs and the event time of a grouped row.
    /// - Returns: the row's event time in ms (nil without a window).
    /// - Throws: when any of them fails, before anything is folded: a row counts whole or not at all.
    mutating func evaluateGrouping(_ row: SQLRow) throws -> Int64? {
        key.removeAll(keepingCapacity: true)
        for index in 0..<keyFieldIndexes.count {
            let field = keyFieldIndexes[index]
            key.append(field >= 0 ? fields[field] : try groupKeys[index].evaluate(row))
        }
        inputs.removeAll(keepingCapacity: true)
        for index in 0..<aggregateShapes.count {
            let shape = aggregateShapes[index]
            if shape.star {
                inputs.append(.one(.boolean(true)))
            } else if shape.field >= 0 {
                let value = fields[shape.field]
                if shape.numeric, ExpressionCompiler.number(value) == nil, !value.isNull {
                    throw EvaluationError(
                        message: "\(aggregates[index].name) needs numbers, got \(value)",
                        location: aggregates[index].location
                    )
                }
                inputs.append(.one(value))
            } else {
                inputs.append(try aggregates[index].input(row, fields: fields))
            }
        }
        guard let windowTime else { return nil }
        let timeValue = try windowTime.value(row, fields: fields)
        guard let time = EventTime.milliseconds(from: timeValue) else {
            throw EvaluationError(
                message: timeValue.isNull ? "the event time is missing" : "event time \(timeValue) is not a time",
                location: plan.statement.source.location
            )
        }
        return time
    }
}

/// One output row and the values it sorts by.
struct ProjectedRow: Sendable {
    var output: [SQLValue]
    var sortKeys: [SQLValue]
}

/// A row the query could not use, with why and where it came from.
public struct RowError: Sendable, Equatable, Error {
    public enum Kind: String, Sendable {
        /// The row could not be evaluated (not JSON, no event time, a failed CAST…).
        case evaluation = "error"
        /// The row arrived after its window had closed.
        case late
    }

    public var kind: Kind
    public var position: SequenceNumber?
    public var message: String

    public init(kind: Kind, position: SequenceNumber?, message: String) {
        self.kind = kind
        self.position = position
        self.message = message
    }
}

/// Counts of what a query did.
public struct QueryStatistics: Sendable, Equatable {
    public var rowsIn = 0
    public var rowsOut = 0
    public var errors = 0
    public var late = 0

    public init(rowsIn: Int = 0, rowsOut: Int = 0, errors: Int = 0, late: Int = 0) {
        self.rowsIn = rowsIn
        self.rowsOut = rowsOut
        self.errors = errors
        self.late = late
    }

    public mutating func add(_ other: QueryStatistics) {
        rowsIn += other.rowsIn
        rowsOut += other.rowsOut
        errors += other.errors
        late += other.late
    }
}

/// Column names and rows.
public struct ResultSet: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[SQLValue]]

    public init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }
}
