/// How `--time-format` reads an event time: `rfc3339`, `epoch` (seconds, a fraction allowed),
/// `epoch_ms` (milliseconds), or strptime-like codes such as `%d/%b/%Y:%H:%M:%S %z`. Times without
/// a zone are UTC; a format without a year takes the latest year that does not put the time more than a day ahead of now, as syslog does.
public struct TimeFormat: Sendable, CustomStringConvertible {
    /// The codes `--time-format` understands, for help and error messages.
    public static let codes =
        "%Y %y %m %d %e %j %H %I %p %M %S %f (fraction digits) %z (+hhmm, +hh:mm, Z) %Z (UTC, GMT) "
        + "%b %h %B (month names) %a %A (weekday names, skipped) %s (epoch seconds) %T %F %D %R %% and literal text"

    enum Kind: Sendable {
        case rfc3339
        /// Seconds (`scale` 0) or milliseconds (`scale` 3) since 1970.
        case epoch(scale: Int)
        case pattern([Directive])
    }

    enum Directive: Sendable, Equatable {
        case literal(UInt8)
        case whitespace
        case year, shortYear, month, monthName, weekdayName, day, spacePaddedDay, dayOfYear
        case hour, hour12, meridiem, minute, second, fraction, utcOffset, zoneName, epochSeconds
    }

    public let description: String
    let kind: Kind

    public init(_ text: String) throws(TimeFormatError) {
        description = text
        switch text {
        case "rfc3339": kind = .rfc3339
        case "epoch": kind = .epoch(scale: 0)
        case "epoch_ms": kind = .epoch(scale: 3)
        default: kind = .pattern(try Self.directives(of: text))
        }
    }

    private static func directives(of text: String) throws(TimeFormatError) -> [Directive] {
        var directives: [Directive] = []
        var bytes = text.utf8.makeIterator()
        while let byte = bytes.next() {
            if byte == 0x20 || byte == 0x09 {
                if directives.last != .whitespace { directives.append(.whitespace) }
                continue
            }
            guard byte == UInt8(ascii: "%") else {
                directives.append(.literal(byte))
                continue
            }
            guard let code = bytes.next() else { throw TimeFormatError(text, "ends with a lone %") }
            switch code {
            case UInt8(ascii: "Y"): directives.append(.year)
            case UInt8(ascii: "y"): directives.append(.shortYear)
            case UInt8(ascii: "m"): directives.append(.month)
            case UInt8(ascii: "d"): directives.append(.day)
            case UInt8(ascii: "e"): directives.append(.spacePaddedDay)
            case UInt8(ascii: "j"): directives.append(.dayOfYear)
            case UInt8(ascii: "H"), UInt8(ascii: "k"): directives.append(.hour)
            case UInt8(ascii: "I"), UInt8(ascii: "l"): directives.append(.hour12)
            case UInt8(ascii: "p"): directives.append(.meridiem)
            case UInt8(ascii: "M"): directives.append(.minute)
            case UInt8(ascii: "S"): directives.append(.second)
            case UInt8(ascii: "f"): directives.append(.fraction)
            case UInt8(ascii: "z"): directives.append(.utcOffset)
            case UInt8(ascii: "Z"): directives.append(.zoneName)
            case UInt8(ascii: "b"), UInt8(ascii: "h"), UInt8(ascii: "B"): directives.append(.monthName)
            case UInt8(ascii: "a"), UInt8(ascii: "A"): directives.append(.weekdayName)
            case UInt8(ascii: "s"): directives.append(.epochSeconds)
            case UInt8(ascii: "T"):
                directives += [.hour, .literal(UInt8(ascii: ":")), .minute, .literal(UInt8(ascii: ":")), .second]
            case UInt8(ascii: "R"): directives += [.hour, .literal(UInt8(ascii: ":")), .minute]
            case UInt8(ascii: "F"):
                directives += [.year, .literal(UInt8(ascii: "-")), .month, .literal(UInt8(ascii: "-")), .day]
            case UInt8(ascii: "D"):
                directives += [.month, .literal(UInt8(ascii: "/")), .day, .literal(UInt8(ascii: "/")), .shortYear]
            case UInt8(ascii: "%"): directives.append(.literal(UInt8(ascii: "%")))
            case UInt8(ascii: "n"), UInt8(ascii: "t"):
                if directives.last != .whitespace { directives.append(.whitespace) }
            default:
                throw TimeFormatError(text, "has an unknown code %\(Character(Unicode.Scalar(code)))")
            }
        }
        let hasYear = directives.contains(.year) || directives.contains(.shortYear)
        let hasMonth = directives.contains(.month) || directives.contains(.monthName)
        let hasDay = directives.contains(.day) || directives.contains(.spacePaddedDay)
        guard directives.contains(.epochSeconds) || (hasMonth && hasDay) || (hasYear && directives.contains(.dayOfYear))
        else {
            throw TimeFormatError(text, "names no date: give a month and a day (%m or %b, %d), %Y%j, or %s")
        }
        guard directives.contains(.hour12) == directives.contains(.meridiem) else {
            throw TimeFormatError(text, "needs %I and %p together")
        }
        return directives
    }

    /// The instant `value` (a JSON string's content or a JSON number's digits) stands for.
    func parse(_ value: ArraySlice<UInt8>, now: Int64) throws(LineParseError) -> EventTime {
        var cursor = LineCursor(value)
        let time: EventTime
        switch kind {
        case .rfc3339: time = try cursor.rfc3339()
        case .epoch(let scale): time = try Self.epoch(&cursor, scale: scale)
        case .pattern(let directives): time = try Self.pattern(directives, &cursor, now: now)
        }
        cursor.skipSpaces()
        guard cursor.isAtEnd else { throw cursor.error("unexpected text after the time") }
        return time
    }

    private static func epoch(_ cursor: inout LineCursor, scale: Int) throws(LineParseError) -> EventTime {
        let negative = cursor.skip(UInt8(ascii: "-"))
        guard let whole = cursor.number(maxDigits: 18) else { throw cursor.error("expected a number") }
        var fraction = (nanoseconds: 0, digits: 0)
        if cursor.skip(UInt8(ascii: ".")) {
            guard let value = cursor.fraction() else { throw cursor.error("expected digits of a fraction") }
            fraction = value
        }
        var unit: Int64 = 1
        for _ in 0..<scale { unit *= 10 }
        var seconds = Int64(whole) / unit
        // Milliseconds keep their digits below the second: 1700000000123 is .123 with 3 digits.
        var nanoseconds = Int(Int64(whole) % unit) * (1_000_000_000 / Int(unit)) + fraction.nanoseconds / Int(unit)
        let digits = min(9, scale + fraction.digits)
        if negative {
            seconds = -seconds
            if nanoseconds > 0 {
                seconds -= 1
                nanoseconds = 1_000_000_000 - nanoseconds
            }
        }
        guard let time = EventTime(seconds: seconds, nanoseconds: nanoseconds, fractionDigits: digits) else {
            throw cursor.error("epoch out of range")
        }
        return time
    }

    private static func pattern(
        _ directives: [Directive],
        _ cursor: inout LineCursor,
        now: Int64
    ) throws(LineParseError) -> EventTime {
        var year: Int?
        var month: Int?
        var day: Int?
        var dayOfYear: Int?
        var (hour, minute, second) = (0, 0, 0)
        var isAfternoon: Bool?
        var fraction = (nanoseconds: 0, digits: 0)
        var offset = 0
        var epoch: Int64?
        func number(_ cursor: inout LineCursor, _ digits: Int, _ what: String) throws(LineParseError) -> Int {
            guard let value = cursor.number(maxDigits: digits) else { throw cursor.error("expected \(what)") }
            return value
        }
        for directive in directives {
            switch directive {
            case .literal(let byte):
                guard cursor.skip(byte) else { throw cursor.error("expected '\(Character(Unicode.Scalar(byte)))'") }
            case .whitespace:
                while cursor.peek == 0x20 || cursor.peek == 0x09 { cursor.index += 1 }
            case .year:
                let negative = cursor.skip(UInt8(ascii: "-"))
                year = try number(&cursor, 4, "a year") * (negative ? -1 : 1)
            case .shortYear:
                let value = try number(&cursor, 2, "a two-digit year")
                year = value < 69 ? 2000 + value : 1900 + value
            case .month: month = try number(&cursor, 2, "a month")
            case .monthName:
                guard let value = cursor.monthName(fullNames: true) else { throw cursor.error("expected a month name") }
                month = value
            case .weekdayName:
                guard cursor.weekdayName(fullNames: true) else { throw cursor.error("expected a weekday name") }
            case .day: day = try number(&cursor, 2, "a day")
            case .spacePaddedDay:
                cursor.skipSpaces()
                day = try number(&cursor, 2, "a day")
            case .dayOfYear: dayOfYear = try number(&cursor, 3, "a day of the year")
            case .hour: hour = try number(&cursor, 2, "an hour")
            case .hour12:
                hour = try number(&cursor, 2, "an hour")
                guard (1...12).contains(hour) else { throw cursor.error("hour out of range") }
            case .meridiem:
                let letter = (cursor.peek ?? 0) | 0x20
                guard letter == UInt8(ascii: "a") || letter == UInt8(ascii: "p") else {
                    throw cursor.error("expected AM or PM")
                }
                cursor.index += 1
                guard ((cursor.peek ?? 0) | 0x20) == UInt8(ascii: "m") else { throw cursor.error("expected AM or PM") }
                cursor.index += 1
                isAfternoon = letter == UInt8(ascii: "p")
            case .minute: minute = try number(&cursor, 2, "minutes")
            case .second: second = try number(&cursor, 2, "seconds")
            case .fraction:
                guard let value = cursor.fraction() else { throw cursor.error("expected digits of a fraction") }
                fraction = value
            case .utcOffset:
                guard let value = cursor.utcOffset() else { throw cursor.error("expected a UTC offset (+hhmm or Z)") }
                offset = value
            case .zoneName:
                let name = cursor.token()
                guard name.elementsEqual("UTC".utf8) || name.elementsEqual("GMT".utf8) || name.elementsEqual("Z".utf8)
                else { throw cursor.error("expected UTC or GMT") }
            case .epochSeconds:
                let negative = cursor.skip(UInt8(ascii: "-"))
                epoch = Int64(try number(&cursor, 18, "epoch seconds")) * (negative ? -1 : 1)
            }
        }
        if let isAfternoon { hour = hour % 12 + (isAfternoon ? 12 : 0) }
        if let epoch {
            guard
                let time = EventTime(seconds: epoch, nanoseconds: fraction.nanoseconds, fractionDigits: fraction.digits)
            else { throw cursor.error("epoch out of range") }
            return time
        }
        if let dayOfYear, let year, month == nil {
            guard (1...(EventTime.daysIn(month: 2, year: year) == 29 ? 366 : 365)).contains(dayOfYear) else {
                throw cursor.error("day of the year out of range")
            }
            let days = EventTime.daysSinceEpoch(year: year, month: 1, day: 1) + Int64(dayOfYear - 1)
            let date = EventTime.civil(fromDays: days)
            month = date.month
            day = date.day
        }
        guard let month, let day else { throw cursor.error("no date") }
        let time: EventTime?
        if let year {
            time = EventTime(
                year: year,
                month: month,
                day: day,
                hour: hour,
                minute: minute,
                second: second,
                nanoseconds: fraction.nanoseconds,
                fractionDigits: fraction.digits,
                utcOffset: offset
            )
        } else {
            time = EventTime(
                yearInferredFrom: now,
                month: month,
                day: day,
                hour: hour,
                minute: minute,
                second: second,
                nanoseconds: fraction.nanoseconds,
                fractionDigits: fraction.digits,
                utcOffset: offset
            )
        }
        guard let time else { throw cursor.error("date or time out of range") }
        return time
    }
}

/// A `--time-format` that cannot be used, and why.
public struct TimeFormatError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ format: String, _ problem: String) {
        description = "time format '\(format)' \(problem)"
    }
}
