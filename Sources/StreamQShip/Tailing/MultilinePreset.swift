/// Ready-made ``MultilineRule``s for the traces that runtimes write over many lines.
public enum MultilinePreset: String, Sendable, CaseIterable {
    /// A Java (or Kotlin, Scala) log line and the stack trace under it: the exception's class and
    /// message, indented `at` frames, `Caused by:` and `Suppressed:` sections and `... N more`.
    case java
    /// A Python traceback: `Traceback (most recent call last):`, the indented `File` lines and code,
    /// and the exception line that ends it.
    case python
    /// A Go panic or `fatal error:` and the goroutine dump after it (also a dump alone, or
    /// `http: panic serving`): the signal line, goroutine headers, frames, indented file lines and
    /// the blank lines between them.
    case go

    public var rule: MultilineRule {
        // The patterns are constants, each compiled by the tests.
        switch self {
        case .java:
            try! MultilineRule(
                startPattern: #"^\S"#,
                conditionPattern:
                    #"^\s+at |^\s+\.\.\. \d+ (more|common frames omitted)$|^\s*(Caused by|Suppressed): |^([\w$]+\.)+[\w$]*(Exception|Error|Throwable)(: |$)"#,
                mode: .continueThrough
            )
        case .python:
            try! MultilineRule(
                startPattern: #"^Traceback \(most recent call last\):$"#,
                conditionPattern: #"^[\t ]"#,
                mode: .continuePast
            )
        case .go:
            try! MultilineRule(
                startPattern: #"^panic: |^fatal error: |http: panic serving|^goroutine \d+ .*\]:$"#,
                conditionPattern:
                    #"^$|^\s|^\[signal |^goroutine \d+ |^created by |^runtime stack:$|^\.\.\.additional frames elided\.\.\.$|^exit status \d+$|^[\w.\-/]+(\(\*?[\w.\[\], ]+\))?[\w.\[\]]*\(.*\)$"#,
                mode: .continueThrough
            )
        }
    }
}
