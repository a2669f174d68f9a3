/// The functions the SQL dialect knows, for completion in `streamq sql` and for "did you mean"
/// suggestions: every scalar, aggregate and window function, lower case, sorted.
public enum SQLFunctionNames {
    public static let all: [String] = Set(
        Array(ScalarFunctions.table.keys) + Array(ScalarFunctions.nullTolerant.keys)
            + Array(ScalarFunctions.aggregates) + Array(ScalarFunctions.windows) + RegexFunctions.names
            + TimeFormatFunctions.names + ["now", "current_timestamp"]
    ).sorted()
}
