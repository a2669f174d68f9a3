import StreamQSQL
import StreamQStorage

/// A persistent query as the catalog keeps it: the statement that made it, where its rows go, and
/// whether it should run. Everything else (plan, columns) is derived from the statement again when
/// it starts, so a definition never disagrees with its SQL.
public struct QueryDefinition: Codable, Sendable, Equatable {
    /// The query's name: the stream's for `CREATE STREAM … AS`, `<stream>_insert_<n>` for `INSERT INTO`.
    public var name: String
    /// The whole statement as written (`CREATE STREAM …`, `INSERT INTO …`, or the `REPLACE QUERY`
    /// text that last replaced it).
    public var statement: String
    /// The stream the rows go into.
    public var target: String
    /// Whether a host should run it (`START QUERY`) or leave it stopped (`STOP QUERY`).
    public var desiredState: DesiredState
    /// Stamps every append of this query (with a per-shard sequence) so a re-driven append after a
    /// crash is recognised by the output stream and stored once.
    public var producerID: UInt64
    /// When it was created, ms since the epoch.
    public var createdAt: Int64
    /// When set, a `REPLACE QUERY` is catching up: windows ending at or before this event time were
    /// already emitted by the query it replaced and are not emitted again.
    public var suppressWindowsEndingBy: Int64?
    /// When set, a `REPLACE QUERY` of a query without windows continues from where the replaced
    /// one was: per source shard the next sequence.
    public var resumePositions: [ShardID: UInt64]?
    /// The source shards the replaced query had read to their end.
    public var resumeFinished: Set<ShardID>?

    public enum DesiredState: String, Codable, Sendable {
        case running
        case stopped
    }

    /// The stream where rows the query could not use go, with their reasons.
    public var errorStream: String { name + "_errors" }

    /// The statement's query part: the SELECT, the target and PARTITION BY.
    public func insert() throws -> Statement.Insert {
        let statement: Statement
        do {
            statement = try Parser.parseStatement(self.statement)
        } catch {
            throw PipelineError("query '\(name)': \(error.rendered(in: self.statement))")
        }
        switch statement {
        case .createStream(let create): return create.insert
        case .insert(let insert): return insert
        case .replaceQuery(_, var insert):
            insert.target = target
            return insert
        default:
            throw PipelineError(
                "the saved statement of query '\(name)' is not a CREATE STREAM, INSERT INTO or REPLACE QUERY"
            )
        }
    }

    /// Checks a query name: a stream name's characters, short enough for its error stream's name.
    public static func validateName(_ name: String) throws(PipelineError) {
        do {
            _ = try StreamName(validating: name)
        } catch {
            throw PipelineError("query name '\(name)': \(error.message)")
        }
        guard name.utf8.count <= 121 else {
            throw PipelineError("query name '\(name)' is longer than 121 characters (its error stream adds '_errors')")
        }
    }
}
