/// How `streamq ship` joins consecutive lines of a file into one record, as Vector's `multiline`
/// (`start_pattern`, `condition_pattern`, `mode`, `timeout_ms`).
///
/// With no group open, a line matching ``startPattern`` opens one; any other line is a record by
/// itself. While a group is open, ``conditionPattern`` and ``mode`` decide for each line whether it
/// joins the group, ends it, or ends it and is taken afresh (it may open the next group). Patterns
/// are searched anywhere in the line (anchor them with `^`), one Unicode scalar at a time, in the
/// syntax of Swift's `Regex` (Perl's, as Vector's for the usual patterns).
public struct MultilineRule: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Lines matching the condition join the group; the first that does not ends it and is
        /// taken afresh. The line that opened the group need not match (Java's indented `at` lines).
        case continueThrough = "continue_through"
        /// Lines matching the condition join the group, and so does the first that does not, which
        /// ends it (a line ending in `\` continued on the next).
        case continuePast = "continue_past"
        /// Lines not matching the condition join the group; the first that matches ends it and is
        /// taken afresh (a marker that starts every message).
        case haltBefore = "halt_before"
        /// Lines join the group up to and including the first that matches the condition (a `;`
        /// that ends a statement).
        case haltWith = "halt_with"

        /// What a line does to an open group.
        func decision(conditionMatched: Bool) -> MultilineDecision {
            switch (self, conditionMatched) {
            case (.continueThrough, true), (.continuePast, true), (.haltBefore, false), (.haltWith, false): .join
            case (.continuePast, false), (.haltWith, true): .joinAndEnd
            case (.continueThrough, false), (.haltBefore, true): .endBefore
            }
        }
    }

    public let mode: Mode
    /// How long an open group waits for its next line before it is shipped as it is.
    public var timeout: Duration = .milliseconds(1000)
    /// A group of this many lines is shipped as it is, and the next line is taken afresh
    /// (Filebeat's `max_lines`, whose default this is).
    public var maxLines = 500

    let start: Pattern
    let condition: Pattern

    public var startPattern: String { start.source }
    public var conditionPattern: String { condition.source }

    /// - Throws: ``ShipError`` naming the pattern that is not a valid regular expression.
    public init(startPattern: String, conditionPattern: String, mode: Mode) throws(ShipError) {
        self.mode = mode
        start = try Pattern(startPattern, role: "start")
        condition = try Pattern(conditionPattern, role: "condition")
    }

    /// A compiled regular expression. Matching does not mutate it, so it is shared freely.
    struct Pattern: @unchecked Sendable {
        let source: String
        private let regex: Regex<AnyRegexOutput>

        init(_ source: String, role: String) throws(ShipError) {
            self.source = source
            do {
                regex = try Regex(source).matchingSemantics(.unicodeScalar)
            } catch {
                throw ShipError("the multiline \(role) pattern '\(source)' is not a valid regular expression: \(error)")
            }
        }

        /// Whether the pattern occurs anywhere in `line`.
        func matches(_ line: String) -> Bool {
            (try? regex.firstMatch(in: line)) != nil
        }
    }
}

/// What a line does to an open multiline group.
enum MultilineDecision: Equatable {
    /// The line joins the group, which stays open.
    case join
    /// The line joins the group and closes it.
    case joinAndEnd
    /// The group closes without the line, which is then taken as if no group were open.
    case endBefore
}
