import StreamQJSON

/// What `streamq explain` prints: how a query will run, what it reads, when it emits, and what
/// bounds its memory.
extension QueryPlan {
    public var explanation: String {
        let statement = self.statement
        var lines: [String] = []
        lines.append(
            "source      stream \(stream), every shard (bounded: scanned in parallel, partial aggregates merged)"
        )
        let fields = extractor.paths.map { path in
            path.map { step -> String in
                switch step {
                case .key(let key): key
                case .index(let index): "[\(index)]"
                }
            }.joined(separator: ".").replacing(".[", with: "[")
        }
        lines.append(
            "fields      "
                + (fields.isEmpty
                    ? "none (pseudo-columns only; records need not be JSON)"
                    : fields.joined(separator: ", ") + " (one pass over each record's JSON)")
        )
        if let filter = statement.filter { lines.append("filter      \(filter.sqlText)") }
        let modes = [
            FastScan(plan: self) != nil ? "bounded" : nil, FastScan(plan: self, follow: true) != nil ? "follow" : nil,
        ]
        .compactMap { $0 }
        lines.append(
            modes.isEmpty
                ? "fast path   no: every record through the row engine"
                : "fast path   yes (\(modes.joined(separator: " and "))): typed values read from each record; records it cannot answer exactly go through the row engine"
        )
        if isAggregate {
            let keys = groupKeySyntax
            lines.append("group by    " + (keys.isEmpty ? "(no key)" : keys.map(\.sqlText).joined(separator: ", ")))
            lines.append(
                "aggregates  "
                    + aggregates.map { aggregate -> String in
                        let base =
                            "\(aggregate.name)(\(aggregate.distinct ? "DISTINCT " : "")\(aggregate.star ? "*" : "…"))"
                        switch aggregate.name {
                        case "approx_count_distinct":
                            return base + " [HyperLogLog, 4096 registers, ±1.6% standard error; exact below 256 values]"
                        case "approx_percentile": return base + " [DDSketch, ±1% relative error]"
                        case "median", "quantile_cont", "quantile_disc", "string_agg":
                            return base + " [exact: holds every value of the group]"
                        case "mode": return base + " [exact: holds every distinct value of the group with its count]"
                        case "approx_top_k":
                            return base + " [Misra-Gries, 16·k counters: a count is low by at most n/(16·k + 1)]"
                        default: return base
                        }
                    }.joined(separator: ", ")
            )
        }
        if let window {
            let time =
                window.isProcessingTime
                ? "_arrival (processing time: rows are never late)"
                : "event time from the record (ISO-8601 or epoch s/ms/µs)"
            lines.append("window      \(window.description) over \(time)")
            let delay =
                statement.source.watermarkDelay?.milliseconds
                ?? (window.isProcessingTime ? 0 : ContinuousQuery.defaultDelay)
            lines.append(
                "watermark   per shard: newest event time − \(IntervalText.format(delay)); query: oldest over non-idle shards (idle after 30 s, --idle-timeout)"
            )
            var emission =
                statement.emit == .changes
                ? "EMIT CHANGES: a row each time a group's result changes"
                : "EMIT FINAL: one row per window and group when the watermark passes the window's end"
            emission += "; bounded runs fire every window at the end"
            lines.append("emission    \(emission)")
            switch statement.late {
            case .drop: lines.append("late rows   dropped, counted and written to the error output (--errors FILE)")
            case .updateWithin(let interval):
                lines.append(
                    "late rows   kept for \(IntervalText.format(interval.milliseconds)) after a window fires; late rows update it and its corrected row is emitted again"
                )
            }
            let lateness: Int64 =
                if case .updateWithin(let interval) = statement.late { interval.milliseconds } else { 0 }
            switch window.kind {
            case .tumble, .hop:
                let open = (delay + lateness + window.size) / window.slide + 1
                lines.append(
                    "state       follow: about \(open) open window\(open == 1 ? "" : "s") × groups per window (not rows); bounded: every window × groups"
                )
            case .session:
                lines.append(
                    "state       open sessions × group keys (a session closes \(IntervalText.format(window.size)) after its last row, + watermark delay)"
                )
            }
        } else if isAggregate {
            lines.append("emission    bounded: one row per group at the end; follow: a row each time a group changes")
            lines.append("state       one accumulator set per group (not rows)")
        } else {
            lines.append(
                "emission    rows stream out as they are read"
                    + (order.isEmpty && !distinct
                        ? "" : " (ORDER BY/DISTINCT: bounded runs hold the output rows to sort them)")
            )
            lines.append(
                "state       none per row" + (order.isEmpty && !distinct ? "" : ", except the held output rows")
            )
        }
        if !statement.orderBy.isEmpty {
            lines.append(
                "order by    "
                    + statement.orderBy.map { "\($0.expression.sqlText)\($0.descending ? " DESC" : "")" }.joined(
                        separator: ", "
                    )
            )
        }
        if let limit { lines.append("limit       \(limit)") }
        if let into = statement.into {
            lines.append(
                "output      files under \(into): committed atomically with a manifest, exactly once across restarts"
            )
        }
        let holding = aggregates.map(\.name).filter(AggregateCatalog.holdingValues.contains)
        if !holding.isEmpty, let state = lines.firstIndex(where: { $0.hasPrefix("state") }) {
            lines[state] += "; " + holding.joined(separator: ", ") + " also hold the values of their groups"
        }
        lines.append("columns     " + columns.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}

extension Expression {
    /// The expression as SQL text (normalized spacing), for `explain`.
    var sqlText: String {
        switch self {
        case .literal(let literal, let location):
            switch literal {
            case .null: return "NULL"
            case .boolean(let value): return value ? "TRUE" : "FALSE"
            case .integer(let value): return String(value)
            case .double(let value): return String(value)
            case .string(let value): return "'" + value.replacing("'", with: "''") + "'"
            case .interval(let interval): return "INTERVAL '\(IntervalText.format(interval.milliseconds))'"
            case .list(let items):
                return "[" + items.map { Expression.literal($0, location).sqlText }.joined(separator: ", ") + "]"
            }
        case .field(let path, _):
            return path.map { component -> String in
                switch component {
                case .key(let key): key
                case .index(let index): "[\(index)]"
                }
            }.joined(separator: ".").replacing(".[", with: "[")
        case .unary(let op, let operand, _): return op == .not ? "NOT \(operand.sqlText)" : "-\(operand.sqlText)"
        case .binary(let op, let left, let right, _): return "(\(left.sqlText) \(op.rawValue) \(right.sqlText))"
        case .between(let value, let low, let high, let negated, _):
            return "\(value.sqlText) \(negated ? "NOT " : "")BETWEEN \(low.sqlText) AND \(high.sqlText)"
        case .inList(let value, let list, let negated, _):
            return "\(value.sqlText) \(negated ? "NOT " : "")IN (\(list.map(\.sqlText).joined(separator: ", ")))"
        case .like(let value, let pattern, let insensitive, let negated, _):
            return "\(value.sqlText) \(negated ? "NOT " : "")\(insensitive ? "ILIKE" : "LIKE") \(pattern.sqlText)"
        case .isNull(let value, let negated, _): return "\(value.sqlText) IS \(negated ? "NOT " : "")NULL"
        case .caseWhen: return "CASE …"
        case .cast(let value, let type, let isTry, _):
            return "\(isTry ? "TRY_CAST" : "CAST")(\(value.sqlText) AS \(type.rawValue))"
        case .call(let call, _):
            let order =
                call.orderBy.isEmpty
                ? ""
                : " ORDER BY "
                    + call.orderBy.map { "\($0.expression.sqlText)\($0.descending ? " DESC" : "")" }.joined(
                        separator: ", "
                    )
            return
                "\(call.name)(\(call.distinct ? "DISTINCT " : "")\(call.star ? "*" : call.arguments.map(\.sqlText).joined(separator: ", "))\(order))"
        case .jsonAccess(let value, let key, let asText, _):
            return "\(value.sqlText) \(asText ? "->>" : "->") \(key.sqlText)"
        }
    }
}
