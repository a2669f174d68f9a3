import StreamQClient
import StreamQSQL
import StreamQStorage

/// One run of a persistent query: plans its statement, makes sure its error stream exists, and
/// follows its source from its checkpoint (or the start of the stream), committing rows and
/// progress into its output stream exactly once, until cancelled.
struct PersistentQuery: Sendable {
    let definition: QueryDefinition
    let store: StreamStore
    let catalog: QueryCatalog
    let idleTimeout: Int64

    /// Runs until cancelled (then commits) or until it fails.
    func run(started: @escaping @Sendable () -> Void) async throws {
        let insert: Statement.Insert
        let plan: QueryPlan
        insert = try definition.insert()
        do {
            plan = try QueryPlanner.plan(insert.query)
        } catch {
            throw PipelineError("query '\(definition.name)': \(error.rendered(in: definition.statement))")
        }
        let target = try StreamName(validating: definition.target)
        guard try store.listStreams().contains(target) else {
            throw PipelineError(
                "query '\(definition.name)': its output stream '\(target)' does not exist (was it dropped?)"
            )
        }
        let errors = try StreamName(validating: definition.errorStream)
        if try !store.listStreams().contains(errors) {
            do {
                try store.createStream(errors, shardCount: 1)
            } catch let error as StreamQStorageError where error.code == .streamExists {}
        }
        let router = OutputRouter(
            store: store,
            target: target,
            producerID: definition.producerID,
            columns: plan.columns,
            partitionKey: try Self.partitionKey(insert, plan: plan, query: definition.name)
        )
        let output = StreamOutput(router: router, catalog: catalog, definition: definition)
        var runner = FollowQueryRunner(
            plan: plan,
            backend: store,
            stream: try StreamName(validating: plan.stream),
            start: .trimHorizon,
            idleTimeout: idleTimeout
        )
        if let positions = definition.resumePositions {
            runner.resumeAt = (positions, definition.resumeFinished ?? [])
        }
        runner.emitsWindowsEndingAfter = definition.suppressWindowsEndingBy
        // Its rows become a stream: keep the source's shards in step so the rows' event times stay
        // as close to the source's order as its shards allow.
        runner.readsShardsInStep = true
        let lock = try await QueryRunLock.acquire(
            folder: catalog.folder(of: definition.name),
            query: definition.name,
            timeout: .seconds(30)
        )
        defer { lock.release() }
        started()
        _ = try await runner.run(output: output, reportErrors: { output.report($0) })
    }

    /// PARTITION BY's expressions over the output columns, or by default an aggregate's group-key
    /// columns (every row of a group to one shard, in order), or none (spreading keys).
    static func partitionKey(_ insert: Statement.Insert, plan: QueryPlan, query: String) throws -> [OutputExpression] {
        let location = insert.query.source.location
        let expressions =
            insert.partitionBy.isEmpty
            ? (plan.isAggregate ? plan.keyColumns.map { Expression.field([.key(plan.columns[$0])], location) } : [])
            : insert.partitionBy
        var compiled: [OutputExpression] = []
        for expression in expressions {
            do {
                compiled.append(try OutputExpression(expression, columns: plan.columns))
            } catch {
                throw PipelineError("query '\(query)': PARTITION BY \(error.message)")
            }
        }
        return compiled
    }
}
