/// Joins consecutive lines into records by a ``MultilineRule``, as Vector's line aggregator does.
///
/// A record of several lines is a ``LogLine`` like any other: its `offset` is its first line's,
/// its `end` is past its last line's newline, and its text is the lines joined with `\n`, cut at
/// `maxBytes` and then marked truncated (as a long line is); `originalBytes` is the length of the
/// whole group. A group also closes when it holds ``MultilineRule/maxLines`` lines.
///
/// Whether a line opens, joins or closes a group depends only on that line, the group's lines and
/// the rule, never on what came before the group: each group's first line is taken with no group
/// open. So grouping lines from the start of any group, and closing the last group where the lines
/// end, gives back the same groups; ``RecordScanner`` relies on it to group an append's lines
/// again, identically, after a restart.
struct MultilineAggregator {
    let rule: MultilineRule
    /// The longest text of a record.
    let maxBytes: Int
    private var group: (record: LogLine, lines: Int)?

    init(rule: MultilineRule, maxBytes: Int) {
        self.rule = rule
        self.maxBytes = maxBytes
    }

    /// Takes the next line: returns the records it completes, in order (none, one, or a closed
    /// group and then the line itself when it opens no group).
    mutating func add(_ line: LogLine) -> [LogLine] {
        let text = String(decoding: line.text, as: UTF8.self)
        guard var open = group else { return begin(line, text) }
        switch rule.mode.decision(conditionMatched: rule.condition.matches(text)) {
        case .join:
            join(line, to: &open.record)
            open.lines += 1
            guard open.lines >= rule.maxLines else {
                group = open
                return []
            }
            group = nil
            return [open.record]
        case .joinAndEnd:
            join(line, to: &open.record)
            group = nil
            return [open.record]
        case .endBefore:
            group = nil
            return [open.record] + begin(line, text)
        }
    }

    /// The open group, closed as it is: the timeout passed, the file ends, or the lines were all read.
    mutating func flush() -> LogLine? {
        defer { group = nil }
        return group?.record
    }

    private mutating func begin(_ line: LogLine, _ text: String) -> [LogLine] {
        guard rule.start.matches(text), rule.maxLines > 1 else { return [line] }
        group = (line, 1)
        return []
    }

    private func join(_ line: LogLine, to record: inout LogLine) {
        record.end = line.end
        record.originalBytes += 1 + line.originalBytes
        let room = maxBytes - record.text.count
        if line.isTruncated || 1 + line.text.count > room { record.isTruncated = true }
        guard room > 1 else { return }
        record.text.append(0x0A)
        record.text.append(contentsOf: line.text.prefix(room - 1))
    }
}
