/// One statement of the dialect: a query, or a statement that creates, feeds or manages streams
/// and persistent queries.
public enum Statement: Sendable, Equatable {
    case select(SelectStatement)
    /// `CREATE STREAM name [WITH (…)] AS SELECT … [PARTITION BY …]`.
    case createStream(CreateStream)
    /// `INSERT INTO name SELECT … [PARTITION BY …]`.
    case insert(Insert)
    /// `REPLACE QUERY name AS SELECT … [PARTITION BY …]`: the query's new text, same output stream.
    case replaceQuery(name: String, Insert)
    /// `DROP STREAM [IF EXISTS] name`.
    case dropStream(name: String, ifExists: Bool)
    case showStreams
    case showQueries
    case describeQuery(String)
    case stopQuery(String)
    case startQuery(String)
    case terminateQuery(String)

    /// A query whose rows go into a stream, as part of `CREATE STREAM … AS`, `INSERT INTO` or
    /// `REPLACE QUERY`.
    public struct Insert: Sendable, Equatable {
        public var target: String
        public var query: SelectStatement
        /// `PARTITION BY expression, …` over the output columns: their values make each row's
        /// partition key.
        public var partitionBy: [Expression]

        public init(target: String, query: SelectStatement, partitionBy: [Expression]) {
            self.target = target
            self.query = query
            self.partitionBy = partitionBy
        }
    }

    public struct CreateStream: Sendable, Equatable {
        public var insert: Insert
        /// `WITH (shards = N)`; nil for the default.
        public var shards: Int?
        /// `WITH (retention = '7d')` as written; nil for the default.
        public var retention: String?
        /// `CREATE STREAM IF NOT EXISTS`.
        public var ifNotExists: Bool
    }
}

extension Statement {
    /// The stream a `CREATE STREAM … AS` or `INSERT INTO` writes; nil for the other statements.
    public var target: String? {
        switch self {
        case .createStream(let create): create.insert.target
        case .insert(let insert): insert.target
        default: nil
        }
    }

    /// `name` as a quoted identifier, so a name given outside SQL (a URL path, a command argument)
    /// reaches the parser as written; a double quote in it cannot end the identifier early.
    public static func quotedName(_ name: String) -> String { "\"" + name.replacing("\"", with: "") + "\"" }
}
