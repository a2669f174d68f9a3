/// `date_trunc`, `extract` (`date_part`), `time_bucket`, `date_diff`, `date_sub`, `date_add`,
/// `make_timestamp` and `epoch` over timestamps in UTC.
enum CalendarFunctions {
    /// `epoch`, `epoch_us`, `make_timestamp`, `date_diff`, `date_sub` and `date_add`, for `ScalarFunctions.table`.
    static let table: [String: ScalarFunctions.Entry] = [
        "epoch": (
            1...1,
            { args, location in
                if case .interval(let width) = args[0] { return .double(Double(width) / 1000) }
                return .double(Double(try time(args[0], "epoch", location)) / 1000)
            }
        ),
        "epoch_us": (
            1...1,
            { args, location in
                let (microseconds, overflow) = try time(args[0], "epoch_us", location).multipliedReportingOverflow(
                    by: 1000
                )
                if overflow {
                    throw EvaluationError(message: "epoch_us: \(args[0]) is out of range", location: location)
                }
                return .integer(microseconds)
            }
        ),
        "make_timestamp": (
            1...6,
            { args, location in
                // 1 or 6 arguments: ScalarFunctions.compile refuses the counts between.
                guard args.count == 1 else { return .timestamp(try makeTimestamp(args, location)) }
                guard case .integer(let microseconds) = args[0] else {
                    throw EvaluationError(
                        message: "make_timestamp needs whole microseconds since the epoch, got \(args[0])",
                        location: location
                    )
                }
                return .timestamp(floorDivide(microseconds, 1000))
            }
        ),
        "date_diff": (
            3...3,
            { args, location in
                .integer(
                    try difference(
                        args[0].description,
                        from: try time(args[1], "date_diff", location),
                        to: try time(args[2], "date_diff", location),
                        location
                    )
                )
            }
        ),
        "date_sub": (
            3...3,
            { args, location in
                .integer(
                    try completeParts(
                        args[0].description,
                        from: try time(args[1], "date_sub", location),
                        to: try time(args[2], "date_sub", location),
                        location
                    )
                )
            }
        ),
        "date_add": (
            2...2,
            { args, location in
                guard case .interval(let width) = args[1] else {
                    throw EvaluationError(
                        message: "date_add needs an INTERVAL second, got \(args[1])",
                        location: location
                    )
                }
                let (sum, overflow) = try time(args[0], "date_add", location).addingReportingOverflow(width)
                if overflow {
                    throw EvaluationError(message: "date_add: the result is out of range", location: location)
                }
                return .timestamp(sum)
            }
        ),
    ]

    /// `value` as a time, or an error naming `function`.
    private static func time(_ value: SQLValue, _ function: String, _ location: SourceLocation) throws -> Int64 {
        guard let time = EventTime.milliseconds(from: value) else {
            throw EvaluationError(message: "\(function) needs a time, got \(value)", location: location)
        }
        return time
    }

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

    /// The days in `month` (1-12) of `year`, proleptic Gregorian.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `make_timestamp(year, month, day, hour, minute, seconds)`: the fields are checked as DuckDB
    /// checks them (seconds may be 60, which rolls over); seconds keep their milliseconds.
    static func makeTimestamp(_ arguments: [SQLValue], _ location: SourceLocation) throws -> Int64 {
        let names = ["year", "month", "day", "hour", "minute"]
        var fields: [Int] = []
        for (name, value) in zip(names, arguments) {
            guard case .integer(let field) = value, abs(field) <= 290_000 else {
                throw EvaluationError(
                    message: "make_timestamp needs a whole \(name) (within ±290000), got \(value)",
                    location: location
                )
            }
            fields.append(Int(field))
        }
        guard let seconds = ExpressionCompiler.number(arguments[5]), seconds.isFinite else {
            throw EvaluationError(
                message: "make_timestamp needs a number of seconds, got \(arguments[5])",
                location: location
            )
        }
        let (year, month, day, hour, minute) = (fields[0], fields[1], fields[2], fields[3], fields[4])
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else {
            throw EvaluationError(
                message: "make_timestamp: \(year)-\(month)-\(day) is not a date",
                location: location
            )
        }
        guard (0...23).contains(hour), (0...59).contains(minute), seconds >= 0, seconds <= 60 else {
            throw EvaluationError(
                message: "make_timestamp: \(hour):\(minute):\(seconds) is not a time of day",
                location: location
            )
        }
        let microseconds = Int64((seconds * 1_000_000).rounded())
        let days = Int64(EventTime.daysFromCivil(year: year, month: month, day: day))
        return (days * 86_400 + Int64(hour * 3600 + minute * 60)) * 1000 + floorDivide(microseconds, 1000)
    }

    /// `date_diff(part, start, end)`: how many `part` boundaries lie between the two times (so one
    /// minute across midnight is a day), as in DuckDB. Weeks are whole 7-day spans of the dates.
    static func difference(
        _ part: String,
        from start: Int64,
        to end: Int64,
        _ location: SourceLocation
    ) throws -> Int64 {
        func boundaries(_ size: Int64) -> Int64 { floorDivide(end, size) - floorDivide(start, size) }
        let (startYear, startMonth, _) = EventTime.civilFromDays(Int(floorDivide(start, 86_400_000)))
        let (endYear, endMonth, _) = EventTime.civilFromDays(Int(floorDivide(end, 86_400_000)))
        let months = Int64((endYear - startYear) * 12 + endMonth - startMonth)
        func years(per span: Int64) -> Int64 {
            floorDivide(Int64(endYear), span) - floorDivide(Int64(startYear), span)
        }
        switch try differenceUnit(part, "date_diff", location) {
        case "microsecond": return try microseconds(end, start, "date_diff", location)
        case "millisecond": return try milliseconds(end, start, "date_diff", location)
        case "second": return boundaries(1000)
        case "minute": return boundaries(60_000)
        case "hour": return boundaries(3_600_000)
        case "day": return boundaries(86_400_000)
        case "week": return boundaries(86_400_000) / 7
        case "month": return months
        case "quarter":
            return Int64((endYear - startYear) * 4 + (endMonth - 1) / 3 - (startMonth - 1) / 3)
        case "year": return Int64(endYear - startYear)
        case "decade": return years(per: 10)
        case "century": return years(per: 100)
        default: return years(per: 1000)
        }
    }

    /// `date_sub(part, start, end)`: how many whole `part`s fit between the two times, as in
    /// DuckDB: a month ends on the same day of the month at the same time of day, or on the last
    /// day of a shorter month.
    static func completeParts(
        _ part: String,
        from start: Int64,
        to end: Int64,
        _ location: SourceLocation
    ) throws -> Int64 {
        let unit = try differenceUnit(part, "date_sub", location)
        let sizes: [String: Int64] = [
            "second": 1000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000, "week": 604_800_000,
        ]
        switch unit {
        case "microsecond": return try microseconds(end, start, "date_sub", location)
        case "millisecond": return try milliseconds(end, start, "date_sub", location)
        default:
            if let size = sizes[unit] { return try milliseconds(end, start, "date_sub", location) / size }
        }
        guard start <= end else { return -(try completeParts(part, from: end, to: start, location)) }
        let (startDays, startTime) = (
            floorDivide(start, 86_400_000), start - floorDivide(start, 86_400_000) * 86_400_000
        )
        let (endDays, endTime) = (floorDivide(end, 86_400_000), end - floorDivide(end, 86_400_000) * 86_400_000)
        let (startYear, startMonth, startDay) = EventTime.civilFromDays(Int(startDays))
        let (endYear, endMonth, endDay) = EventTime.civilFromDays(Int(endDays))
        // A start day past the end of a shorter end month counts as that month's last day.
        let lastDay = daysIn(month: endMonth, year: endYear)
        let effectiveStartDay = endDay == lastDay ? min(startDay, lastDay) : startDay
        var months = Int64((endYear - startYear) * 12 + endMonth - startMonth)
        if (endDay, endTime) < (effectiveStartDay, startTime) { months -= 1 }
        let perUnit: [String: Int64] = [
            "month": 1, "quarter": 3, "year": 12, "decade": 120, "century": 1200, "millennium": 12000,
        ]
        return months / (perUnit[unit] ?? 1)
    }

    private static let differenceUnits = [
        "microsecond", "millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year",
        "decade", "century", "millennium",
    ]

    private static func differenceUnit(
        _ part: String,
        _ function: String,
        _ location: SourceLocation
    ) throws -> String {
        let extra = [
            "us": "microsecond", "microseconds": "microsecond", "s": "second", "sec": "second", "secs": "second",
            "m": "minute", "min": "minute", "mins": "minute", "h": "hour", "hr": "hour", "hrs": "hour",
            "d": "day", "w": "week", "mon": "month", "mons": "month", "y": "year", "yr": "year", "yrs": "year",
            "decades": "decade", "centuries": "century", "millennia": "millennium", "millenniums": "millennium",
        ]
        let unit = extra[part.lowercased()] ?? normalized(part)
        guard differenceUnits.contains(unit) else {
            throw EvaluationError(
                message:
                    "\(function): unknown date part '\(part)'; use one of \(differenceUnits.joined(separator: ", "))",
                location: location
            )
        }
        return unit
    }

    private static func milliseconds(
        _ end: Int64,
        _ start: Int64,
        _ function: String,
        _ location: SourceLocation
    ) throws -> Int64 {
        let (difference, overflow) = end.subtractingReportingOverflow(start)
        if overflow {
            throw EvaluationError(message: "\(function): the difference is out of range", location: location)
        }
        return difference
    }

    private static func microseconds(
        _ end: Int64,
        _ start: Int64,
        _ function: String,
        _ location: SourceLocation
    ) throws -> Int64 {
        let (difference, overflow) = try milliseconds(end, start, function, location).multipliedReportingOverflow(
            by: 1000
        )
        if overflow {
            throw EvaluationError(message: "\(function): the difference is out of range", location: location)
        }
        return difference
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
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
