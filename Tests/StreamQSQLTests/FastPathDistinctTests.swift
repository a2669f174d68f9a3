import StreamQStorage
import Testing

@testable import StreamQSQL

/// `count(DISTINCT field)` on the fast path counts typed values per group (bits per value number,
/// or (group, value) pairs when those would take too much): it must give exactly the row engine's
/// counts, NULLs and missing fields not counted, numbers and text of the same digits apart, over
/// one query, partial queries merged from both paths, and values the fast path leaves to the row
/// engine (text beyond ASCII, escapes, JSON).
@Suite struct FastPathDistinctTests {
    /// A record of `logs` at `index`, with the given `"user":…,` text (empty: no such field).
    static func record(_ index: Int, host: String, user: String, extra: String = "") -> SQLRecord {
        let ts = 1_767_225_600_000 + Int64(index) * 250
        let text = #"{"ts":\#(ts),"host":"\#(host)",\#(user)"v":\#(index % 9)\#(extra)}"#
        return SQLRecord(
            data: Array(text.utf8),
            arrivalMilliseconds: ts,
            position: SequenceNumber(sequence: UInt64(index), shard: ShardID(0))
        )
    }

    /// Records the fast path takes every one of: users missing, NULL, integers, the same digits as
    /// text and as DOUBLE, 0.0 and -0.0, booleans, short and long (over 8 bytes) text.
    static let typedRecords: [SQLRecord] = (0..<4_000).map { index in
        let user: String =
            switch index % 10 {
            case 0: ""
            case 1: #""user":null,"#
            case 2: #""user":\#(index % 7),"#
            case 3: #""user":"\#(index % 7)","#
            case 4: #""user":\#(index % 7).0,"#
            case 5: #""user":\#(index % 4 == 1 ? "-0.0" : "0.0"),"#
            case 6: #""user":\#(index % 3 == 0),"#
            case 7: #""user":"a-rather-long-user-name-\#(index % 23)","#
            case 8: #""user":"u\#(index % 8)\#(String(repeating: "x", count: index % 11))","#
            default: #""user":"u\#(index * 7 % 97)","#
            }
        return record(index, host: "web-\(index % 5)", user: user)
    }

    /// The typed records with others between them that the fast path leaves to the row engine:
    /// text beyond ASCII (some the same text as other users'), escapes, JSON values, exponents.
    static let mixedRecords: [SQLRecord] = typedRecords.enumerated().map { index, typed in
        let user: String
        switch index % 40 {
        case 11: user = #""user":"ü\#(index % 5)","#
        case 13: user = #""user":"n\u00e9\#(index % 3)","#
        case 17: user = #""user":"tab\t\#(index % 3)","#
        case 19: user = #""user":{"id":\#(index % 4)},"#
        case 23: user = #""user":1e\#(index % 3),"#
        case 29: user = #""user":"u\u0031","#
        default: return typed
        }
        return record(index, host: "web-\(index % 5)", user: user)
    }

    static let queries = [
        "SELECT host, count(DISTINCT user) AS users FROM logs GROUP BY host",
        "SELECT count(DISTINCT user) AS users, count(DISTINCT v) AS vs, count(*) AS n, count(user) AS present FROM logs",
        "SELECT window_start, host, count(DISTINCT user) AS users, max(v) AS top FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), host",
        "SELECT window_start, count(DISTINCT user) AS users, count(DISTINCT host) AS hosts FROM logs GROUP BY HOP(ts, INTERVAL '20' SECOND, INTERVAL '20' SECOND)",
        "SELECT v, count(DISTINCT user) AS users, sum(DISTINCT v) AS s FROM logs WHERE host <> 'web-3' GROUP BY v",
        "SELECT user, count(DISTINCT host) AS hosts FROM logs GROUP BY user",
    ]

    /// Rows in an order that tells values of different kinds apart (1 and "1"), -0.0 sorted as 0.0
    /// (they are one group, shown as the value either path met first).
    static func canonical(_ rows: [[SQLValue]]) -> [[SQLValue]] {
        func text(_ row: [SQLValue]) -> String {
            row.map { value in
                switch value {
                case .double(let number): "d\(number == 0 ? 0 : number)"
                case .integer(let number): "i\(number)"
                case .string(let text): "s\(text)"
                case .boolean(let flag): "b\(flag)"
                default: "\(value)"
                }
            }
            .joined(separator: "|")
        }
        return rows.sorted { text($0) < text($1) }
    }

    /// The answer of the row engine alone.
    static func expected(_ sql: String, _ records: [SQLRecord]) throws -> [[SQLValue]] {
        var reference = BoundedQuery(plan: try QueryPlanner.plan(sql), fastPath: false)
        for record in records { reference.add(record) }
        return Self.canonical(reference.finish().rows)
    }

    @Test(arguments: queries) func typedCountsAreTheRowEnginesOverOneAndOverMergedPartialQueries(sql: String) throws {
        let plan = try QueryPlanner.plan(sql)
        let expected = try Self.expected(sql, Self.typedRecords)
        #expect(!expected.isEmpty)

        var single = BoundedQuery(plan: plan)
        for record in Self.typedRecords { single.add(record) }
        #expect(single.fastPathRowCount == Self.typedRecords.count, "\(sql)")
        FastPathTests.expectSame(Self.canonical(single.finish().rows), expected, sql)

        // Partials as the workers of a parallel query make them: contiguous stretches and
        // interleaved rows, merged in a scrambled order.
        var partials = (0..<6).map { _ in BoundedQuery(plan: plan) }
        for (index, record) in Self.typedRecords.enumerated() {
            partials[index < 1_500 ? index / 500 : 3 + index % 3].add(record)
        }
        var merged = BoundedQuery(plan: plan)
        for index in [4, 1, 5, 0, 3, 2] { merged.merge(partials[index]) }
        FastPathTests.expectSame(Self.canonical(merged.finish().rows), expected, sql)
    }

    /// Records of values the fast path does not read go through the row engine; partial queries
    /// with and without a fast path merge into its answer.
    @Test(arguments: queries) func countsJoinTheRowEnginesWhenItTookRows(sql: String) throws {
        let plan = try QueryPlanner.plan(sql)
        let expected = try Self.expected(sql, Self.mixedRecords)

        var single = BoundedQuery(plan: plan)
        for record in Self.mixedRecords { single.add(record) }
        #expect(single.fastPathRowCount > 0 && single.fastPathRowCount < Self.mixedRecords.count, "\(sql)")
        FastPathTests.expectSame(Self.canonical(single.finish().rows), expected, sql)

        var partials = [BoundedQuery(plan: plan), BoundedQuery(plan: plan, fastPath: false), BoundedQuery(plan: plan)]
        for (index, record) in Self.mixedRecords.enumerated() { partials[index % 3].add(record) }
        var merged = BoundedQuery(plan: plan)
        for index in [2, 1, 0] { merged.merge(partials[index]) }
        FastPathTests.expectSame(Self.canonical(merged.finish().rows), expected, sql)
    }

    /// Many groups: few values each over many values in all (the sets turn to pairs), and every
    /// group with most of a few hundred values (they stay bits); merged across partial queries.
    @Test(arguments: [(groups: 6_000, values: 40_000), (groups: 1_500, values: 300)])
    func manyGroupsCountAsTheRowEngineCounts(groups: Int, values: Int) throws {
        let records = (0..<24_000).map { index in
            Self.record(index, host: "h\(index % groups)", user: #""user":"\#((index * 7_919) % values)","#)
        }
        let sql = "SELECT host, count(DISTINCT user) AS users, count(*) AS n FROM logs GROUP BY host"
        let plan = try QueryPlanner.plan(sql)
        let expected = try Self.expected(sql, records)
        #expect(expected.count == groups)
        var partials = (0..<3).map { _ in BoundedQuery(plan: plan) }
        for (index, record) in records.enumerated() { partials[index % 3].add(record) }
        var merged = BoundedQuery(plan: plan)
        for partial in partials {
            #expect(partial.fastPathRowCount == partial.statistics.rowsIn)
            merged.merge(partial)
        }
        FastPathTests.expectSame(Self.canonical(merged.finish().rows), expected, sql)
    }

    /// Typed sets count where each group is a window of its own; HOP windows of several panes
    /// and SESSION windows, whose panes' or sessions' counts could not be added, keep the row
    /// engine's sets.
    @Test func typedSetsOnlyWhereNoTwoGroupsCountsJoin() throws {
        func functions(_ sql: String) throws -> [FastGroups.Aggregate.Function] {
            try #require(FastScan(plan: try QueryPlanner.plan(sql))?.groups).aggregates.map(\.function)
        }
        #expect(
            try functions("SELECT host, count(DISTINCT user) AS u, count(DISTINCT v) AS v FROM logs GROUP BY host")
                == [.countDistinct(set: 0), .countDistinct(set: 1)]
        )
        let hop = try functions(
            "SELECT window_start, count(DISTINCT user) AS u FROM logs GROUP BY HOP(ts, INTERVAL '10' SECOND, INTERVAL '1' MINUTE)"
        )
        let session = try functions(
            "SELECT window_start, count(DISTINCT user) AS u FROM logs GROUP BY SESSION(ts, INTERVAL '10' SECOND)"
        )
        for function in hop + session {
            guard case .accumulator = function else {
                Issue.record("count(DISTINCT) over joined panes or sessions took \(function)")
                continue
            }
        }
    }

    /// The set on its own: inserts say whether a value is new to its group, and merging renumbers
    /// the other set's groups, between sets keeping bits and sets keeping pairs.
    @Test func setsMergeAcrossBitsAndPairs() {
        let text = Array(#"["a","abcdefghijk","abcdefghijk"]"#.utf8)
        func string(_ start: Int, _ count: Int) -> FastValue {
            var value = FastValue()
            value.kind = .string
            value.start = start
            value.count = count
            return value
        }
        let short = string(2, 1)
        let long = string(6, 11)
        let sameLong = string(20, 11)
        text.withUnsafeBytes { record in
            var bits = FastDistinctValues()
            let inserted = [
                bits.insert(short, record: record, group: 0),
                bits.insert(short, record: record, group: 0),
                bits.insert(long, record: record, group: 0),
                bits.insert(sameLong, record: record, group: 0),
                bits.insert(FastValue(integer: 1), record: record, group: 1),
                bits.insert(FastValue(boolean: true), record: record, group: 1),
                bits.insert(.null, record: record, group: 1),
            ]
            #expect(inserted == [true, false, true, false, true, true, false])
            // The same text where the record ends within 8 bytes of it (read byte by byte).
            let atTheEnd = Array(#"["a"]"#.utf8).withUnsafeBytes { bits.insert(short, record: $0, group: 0) }
            #expect(!atTheEnd)

            // Thousands of groups over a hundred thousand values: pairs.
            var pairs = FastDistinctValues()
            var allNew = true
            for index in 0..<20_000 {
                allNew =
                    pairs.insert(FastValue(integer: Int64(index * 5)), record: record, group: index % 4_000) && allNew
            }
            allNew = pairs.insert(long, record: record, group: 3) && allNew
            allNew = pairs.insert(FastValue(integer: 1), record: record, group: 0) && allNew
            #expect(allNew)

            var merged = bits
            var added: [Int] = []
            // Their group g is group g + 1 here.
            merged.merge(pairs, groups: Array(1...4_000)) { added.append($0) }
            #expect(added.count == 20_001)  // (group 1 here, 1) was there
            let sets = merged.valueSets(groupCount: 4_001)
            #expect(sets[0] == [.string("a"), .string("abcdefghijk")])
            let theirFirst: Set<SQLValue> = [0, 20_000, 40_000, 60_000, 80_000, 1].map(SQLValue.integer)
                .reduce(into: []) { $0.insert($1) }
            #expect(sets[1] == theirFirst.union([.boolean(true)]))
            #expect(sets[4].contains(.string("abcdefghijk")))
            #expect(sets.reduce(0) { $0 + $1.count } == 4 + 20_001)

            var other = pairs
            var addedToOther: [Int] = []
            other.merge(bits, groups: [3_999, 0]) { addedToOther.append($0) }
            #expect(addedToOther.sorted() == [0, 3_999, 3_999])  // (0, 1) was there
            let joined = other.valueSets(groupCount: 4_000)
            #expect(joined[3_999].isSuperset(of: [.string("a"), .string("abcdefghijk")]))
            #expect(joined[0] == theirFirst.union([.boolean(true)]))
        }
    }
}
