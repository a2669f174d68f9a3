/// `date_trunc`, `extract` (`date_part`) and `time_bucket` over timestamps in UTC.
enum CalendarFunctions {
    private static let units: Set<String> = [
        "millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year",
    ]

    /// Floors `time` to the start of its `unit`; weeks start on Monday, as in ISO 8601 and DuckDB.
    static func truncate(_ time: Int64, to unit: String, _ location: SourceLocation) throws -> Int64 {
        func floor(_ size: Int64) -> Int64 {
            let (quotient, remainder) = time.quotientAndRemainder(dividingBy: size)
            return (remainder < 0 ? quotient - 1 : quotient) * size
        }
        switch normalized(unit) {
        case "millisecond": return time
        case "second": return floor(1000)
        case "minute": return floor(60_000)
        case "hour": return floor(3_600_000)
        case "day": return floor(86_400_000)
        case "week":
            // 1970-01-01 was a Thursday: Mondays are 4 days later, modulo 7.
            let day = floor(86_400_000) / 86_400_000
            let sinceMonday = ((day - 4) % 7 + 7) % 7
            return (day - sinceMonday) * 86_400_000
        case "month", "quarter", "year":
            let (year, month, _) = EventTime.civilFromDays(Int(floor(86_400_000) / 86_400_000))
            let startMonth =
                normalized(unit) == "year" ? 1 : normalized(unit) == "quarter" ? (month - 1) / 3 * 3 + 1 : month
            return Int64(EventTime.daysFromCivil(year: year, month: startMonth, day: 1)) * 86_400_000
        default:
            throw EvaluationError(
                message: "unknown date part '\(unit)'; use one of \(units.sorted().joined(separator: ", "))",
                location: location
            )
        }
    }

    /// A field of `time`: year, quarter, month, day, hour, minute, second, millisecond, dow (0 =
    /// Sunday), isodow (1 = Monday), doy, week (ISO), epoch (seconds, DOUBLE).
    static func extract(_ field: String, from time: Int64, _ location: SourceLocation) throws -> SQLValue {
        let (days, remainder) = time.quotientAndRemainder(dividingBy: 86_400_000)
        let day = remainder < 0 ? days - 1 : days
        let inDay = remainder < 0 ? remainder + 86_400_000 : remainder
        let (year, month, dayOfMonth) = EventTime.civilFromDays(Int(day))
        let dayOfWeek = Int64(((day + 4) % 7 + 7) % 7)  // 0 = Sunday
        switch normalized(field) {
        case "year": return .integer(Int64(year))
        case "quarter": return .integer(Int64((month - 1) / 3 + 1))
        case "month": return .integer(Int64(month))
        case "day": return .integer(Int64(dayOfMonth))
        case "hour": return .integer(inDay / 3_600_000)
        case "minute": return .integer(inDay / 60_000 % 60)
        case "second": return .integer(inDay / 1000 % 60)
        case "millisecond": return .integer(inDay / 1000 % 60 * 1000 + inDay % 1000)
        case "dow": return .integer(dayOfWeek)
        case "isodow": return .integer(dayOfWeek == 0 ? 7 : dayOfWeek)
        case "doy": return .integer(Int64(Int(day) - EventTime.daysFromCivil(year: year, month: 1, day: 1) + 1))
        case "epoch": return .double(Double(time) / 1000)
        case "week":
            // ISO week: the week (Monday start) containing this date's Thursday.
            let thursday = Int(day) + 3 - Int((dayOfWeek + 6) % 7)
            let (thursdayYear, _, _) = EventTime.civilFromDays(thursday)
            return .integer(Int64((thursday - EventTime.daysFromCivil(year: thursdayYear, month: 1, day: 1)) / 7 + 1))
        default:
            throw EvaluationError(message: "unknown date part '\(field)'", location: location)
        }
    }

    /// The start of the `width`-wide bucket holding `time`, buckets aligned to 2000-01-03 00:00
    /// UTC (a Monday), as DuckDB's `time_bucket` does.
    static func bucket(_ time: Int64, width: Int64) -> Int64 {
        let origin: Int64 = 946_857_600_000
        let offset = time - origin
        let (quotient, remainder) = offset.quotientAndRemainder(dividingBy: width)
        return origin + (remainder < 0 ? quotient - 1 : quotient) * width
    }

    private static func normalized(_ unit: String) -> String {
        let lower = unit.lowercased()
        let aliases = [
            "ms": "millisecond", "milliseconds": "millisecond", "seconds": "second", "minutes": "minute",
            "hours": "hour",
            "days": "day", "weeks": "week", "months": "month", "years": "year", "quarters": "quarter",
            "dayofweek": "dow",
            "dayofyear": "doy",
        ]
        return aliases[lower] ?? lower
    }
}
