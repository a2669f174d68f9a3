/// A `strftime`/`strptime` format string with DuckDB's codes, parsed once: `%Y %m %d %H %M %S`
/// and the rest listed in `Code`. Times are UTC instants in milliseconds, so `%z` writes `+00`,
/// `%Z` writes `UTC`, and `%f`/`%n` write the milliseconds followed by zeros.
struct TimeFormat: Sendable {
    /// A conversion code: the letter after `%`.
    enum Code: Character, Sendable {
        case weekdayShort = "a"
        case weekdayFull = "A"
        case weekdayNumber = "w"
        case isoWeekday = "u"
        case day = "d"
        case monthShort = "b"
        case monthShortAlias = "h"
        case monthFull = "B"
        case month = "m"
        case shortYear = "y"
        case year = "Y"
        case isoYear = "G"
        case hour = "H"
        case hour12 = "I"
        case meridiem = "p"
        case minute = "M"
        case second = "S"
        case microsecond = "f"
        case millisecond = "g"
        case nanosecond = "n"
        case utcOffset = "z"
        case zoneName = "Z"
        case dayOfYear = "j"
        case sundayWeek = "U"
        case mondayWeek = "W"
        case isoWeek = "V"

        /// Codes that may be written `%-x` for no padding.
        static let unpaddable: Set<Code> = [.day, .month, .shortYear, .hour, .hour12, .minute, .second, .dayOfYear]
    }

    /// Text matched or written as it is, or a code; `padded` is false for the `%-d` spellings
    /// (no leading zeros).
    enum Piece: Sendable {
        case literal(String)
        case code(Code, padded: Bool)
    }

    let text: String
    let pieces: [Piece]

    /// Parses `text`; the error says which code is unknown or why the format is unusable.
    init(_ text: String) throws(FormatError) {
        guard !text.isEmpty else { throw FormatError(reason: "the format is empty") }
        self.text = text
        var pieces: [Piece] = []
        var literal = ""
        var characters = text.makeIterator()
        func code(_ code: Code, padded: Bool) {
            if !literal.isEmpty { pieces.append(.literal(literal)) }
            literal = ""
            pieces.append(.code(code, padded: padded))
        }
        while let character = characters.next() {
            guard character == "%" else {
                literal.append(character)
                continue
            }
            guard var next = characters.next() else {
                throw FormatError(reason: "it ends with a lone '%' (write %% for a percent sign)")
            }
            var padded = true
            if next == "-" {
                guard let after = characters.next() else { throw FormatError(reason: "it ends with '%-'") }
                next = after
                padded = false
            }
            switch next {
            case "%" where padded: literal.append("%")
            case "c" where padded: Self.expand("%Y-%m-%d %H:%M:%S", into: &pieces, literal: &literal)
            case "x" where padded: Self.expand("%Y-%m-%d", into: &pieces, literal: &literal)
            case "X" where padded, "T" where padded: Self.expand("%H:%M:%S", into: &pieces, literal: &literal)
            default:
                guard let found = Code(rawValue: next), padded || Code.unpaddable.contains(found) else {
                    throw FormatError(reason: "unknown code %\(padded ? "" : "-")\(next)")
                }
                code(found, padded: padded)
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    private static func expand(_ shorthand: String, into pieces: inout [Piece], literal: inout String) {
        guard let expanded = try? TimeFormat(shorthand) else { return }
        for piece in expanded.pieces {
            switch piece {
            case .literal(let text): literal += text
            case .code:
                if !literal.isEmpty { pieces.append(.literal(literal)) }
                literal = ""
                pieces.append(piece)
            }
        }
    }

    struct FormatError: Error, Sendable {
        var reason: String
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
    static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    // MARK: Formatting

    /// `time` (ms since the epoch, UTC) written with this format.
    func format(_ time: Int64) -> String {
        let fields = CivilTime(time)
        var output = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): output += text
            case .code(let code, let padded): output += fields.text(for: code, padded: padded)
            }
        }
        return output
    }

    // MARK: Parsing

    /// The time `input` describes, or why it does not match. Fields the format leaves out default
    /// to 1900-01-01 00:00:00, as in DuckDB; a whitespace run in the format matches one or more
    /// whitespace characters, and leading and trailing spaces are ignored.
    func parse(_ input: String) -> Result<Int64, ParseFailure> {
        var scanner = TimeTextScanner(Array(input.utf8))
        scanner.skipSpaces()
        var fields = ParsedFields()
        for piece in pieces {
            switch piece {
            case .literal(let text):
                if let failure = scanner.match(literal: Array(text.utf8)) { return .failure(failure) }
            case .code(let code, _):
                if let failure = scanner.read(code, into: &fields) { return .failure(failure) }
            }
        }
        scanner.skipSpaces()
        guard scanner.atEnd else {
            return .failure(ParseFailure(reason: "unexpected text at character \(scanner.characterPosition)"))
        }
        return fields.resolve()
    }

    struct ParseFailure: Error, Sendable {
        var reason: String
    }
}

/// The calendar fields of one UTC instant, as the format codes write them.
private struct CivilTime {
    let year: Int
    let month: Int
    let day: Int
    let dayNumber: Int
    let millisecondOfDay: Int

    init(_ time: Int64) {
        let (days, remainder) = time.quotientAndRemainder(dividingBy: 86_400_000)
        dayNumber = Int(remainder < 0 ? days - 1 : days)
        millisecondOfDay = Int(remainder < 0 ? remainder + 86_400_000 : remainder)
        (year, month, day) = EventTime.civilFromDays(dayNumber)
    }

    var weekday: Int { ((dayNumber + 4) % 7 + 7) % 7 }  // 0 = Sunday; 1970-01-01 was a Thursday
    var dayOfYear: Int { dayNumber - EventTime.daysFromCivil(year: year, month: 1, day: 1) + 1 }
    var hour: Int { millisecondOfDay / 3_600_000 }

    /// ISO 8601 year and week: the week (Monday first) holding this date's Thursday.
    var isoYearAndWeek: (Int, Int) {
        let thursday = dayNumber + 3 - (weekday + 6) % 7
        let (thursdayYear, _, _) = EventTime.civilFromDays(thursday)
        return (thursdayYear, (thursday - EventTime.daysFromCivil(year: thursdayYear, month: 1, day: 1)) / 7 + 1)
    }

    func text(for code: TimeFormat.Code, padded: Bool) -> String {
        func number(_ value: Int, _ width: Int) -> String {
            let digits = String(abs(value))
            let padding = padded ? String(repeating: "0", count: max(0, width - digits.count)) : ""
            return (value < 0 ? "-" : "") + padding + digits
        }
        switch code {
        case .weekdayShort: return String(TimeFormat.weekdayNames[weekday].prefix(3))
        case .weekdayFull: return TimeFormat.weekdayNames[weekday]
        case .weekdayNumber: return String(weekday)
        case .isoWeekday: return String(weekday == 0 ? 7 : weekday)
        case .day: return number(day, 2)
        case .monthShort, .monthShortAlias: return String(TimeFormat.monthNames[month - 1].prefix(3))
        case .monthFull: return TimeFormat.monthNames[month - 1]
        case .month: return number(month, 2)
        case .shortYear: return number(((year % 100) + 100) % 100, 2)
        case .year: return number(year, 4)
        case .isoYear: return number(isoYearAndWeek.0, 4)
        case .hour: return number(hour, 2)
        case .hour12: return number(hour % 12 == 0 ? 12 : hour % 12, 2)
        case .meridiem: return hour < 12 ? "AM" : "PM"
        case .minute: return number(millisecondOfDay / 60_000 % 60, 2)
        case .second: return number(millisecondOfDay / 1000 % 60, 2)
        case .millisecond: return number(millisecondOfDay % 1000, 3)
        case .microsecond: return number(millisecondOfDay % 1000, 3) + "000"
        case .nanosecond: return number(millisecondOfDay % 1000, 3) + "000000"
        case .utcOffset: return "+00"
        case .zoneName: return "UTC"
        case .dayOfYear: return number(dayOfYear, 3)
        case .sundayWeek: return number((dayOfYear + 6 - weekday) / 7, 2)
        case .mondayWeek: return number((dayOfYear + 6 - (weekday + 6) % 7) / 7, 2)
        case .isoWeek: return number(isoYearAndWeek.1, 2)
        }
    }
}

/// What `strptime` has read so far; `resolve` turns it into a time.
private struct ParsedFields {
    var year = 1900
    var month = 1
    var day = 1
    var hour = 0
    var minute = 0
    var second = 0
    var microsecond = 0
    var offsetMinutes = 0
    var afternoon: Bool?
    var dayOfYear: Int?
    var isoYear: Int?
    var isoWeek: Int?
    var sundayWeek: Int?
    var mondayWeek: Int?
    /// 0 = Sunday … 6 = Saturday.
    var weekday: Int?

    func resolve() -> Result<Int64, TimeFormat.ParseFailure> {
        func fail(_ reason: String) -> Result<Int64, TimeFormat.ParseFailure> {
            .failure(TimeFormat.ParseFailure(reason: reason))
        }
        var hour = hour
        if let afternoon {
            guard hour <= 12 else { return fail("hour \(hour) cannot have AM or PM") }
            hour = hour % 12 + (afternoon ? 12 : 0)
        }
        let days: Int
        if let isoWeek {
            // ISO week 1 is the week holding 4 January; weeks start on Monday.
            let year = isoYear ?? year
            let fourth = EventTime.daysFromCivil(year: year, month: 1, day: 4)
            let mondayOfWeek1 = fourth - ((fourth + 3) % 7 + 7) % 7
            days = mondayOfWeek1 + (isoWeek - 1) * 7 + ((weekday ?? 1) + 6) % 7
        } else if let week = sundayWeek ?? mondayWeek {
            // Week 1 starts on the year's first Sunday (%U) or Monday (%W); days before it are week 0.
            let first = EventTime.daysFromCivil(year: year, month: 1, day: 1)
            let startWeekday = sundayWeek != nil ? 0 : 1
            let firstWeekday = ((first + 4) % 7 + 7) % 7
            let weekOneStart = first + (startWeekday - firstWeekday + 7) % 7
            days = weekOneStart + (week - 1) * 7 + ((weekday ?? startWeekday) - startWeekday + 7) % 7
        } else if let dayOfYear {
            let length =
                EventTime.daysFromCivil(year: year + 1, month: 1, day: 1)
                - EventTime.daysFromCivil(year: year, month: 1, day: 1)
            guard (1...length).contains(dayOfYear) else {
                return fail("day of year \(dayOfYear) is not in \(year)")
            }
            days = EventTime.daysFromCivil(year: year, month: 1, day: 1) + dayOfYear - 1
        } else {
            guard (1...12).contains(month) else { return fail("month \(month) is not between 1 and 12") }
            guard (1...CalendarFunctions.daysIn(month: month, year: year)).contains(day) else {
                return fail("day \(day) is not in month \(month) of \(year)")
            }
            days = EventTime.daysFromCivil(year: year, month: month, day: day)
        }
        guard hour < 24, minute < 60, second < 60 else {
            return fail("\(hour):\(minute):\(second) is not a time of day")
        }
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetMinutes * 60)
        return .success(seconds * 1000 + Int64(microsecond / 1000))
    }
}

/// Reads `strptime` input byte by byte (the codes and literals are ASCII; other text must match exactly).
private struct TimeTextScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    /// 1-based, counting characters rather than bytes.
    var characterPosition: Int { String(decoding: bytes[..<index], as: UTF8.self).count + 1 }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    mutating func skipSpaces() {
        while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
    }

    mutating func match(literal: [UInt8]) -> TimeFormat.ParseFailure? {
        var position = 0
        while position < literal.count {
            if Self.isSpace(literal[position]) {
                guard index < bytes.count, Self.isSpace(bytes[index]) else { return failure("expected a space") }
                skipSpaces()
                while position < literal.count, Self.isSpace(literal[position]) { position += 1 }
                continue
            }
            guard index < bytes.count, bytes[index] == literal[position] else {
                return failure("expected '\(String(decoding: literal[position...], as: UTF8.self))'")
            }
            index += 1
            position += 1
        }
        return nil
    }

    private func failure(_ reason: String) -> TimeFormat.ParseFailure {
        TimeFormat.ParseFailure(reason: "\(reason) at character \(characterPosition)")
    }

    /// One to `maxDigits` digits, with the count read.
    private mutating func number(maxDigits: Int) -> (value: Int, digits: Int)? {
        var value = 0
        var digits = 0
        while digits < maxDigits, index < bytes.count, (0x30...0x39).contains(bytes[index]) {
            value = value * 10 + Int(bytes[index] - 0x30)
            digits += 1
            index += 1
        }
        return digits == 0 ? nil : (value, digits)
    }

    /// The index in `names` of the name at the cursor (ASCII case-insensitive), taking the longest.
    private mutating func name(in names: [String]) -> Int? {
        var best: (index: Int, length: Int)?
        for (position, name) in names.enumerated() {
            let candidate = Array(name.utf8)
            guard index + candidate.count <= bytes.count, candidate.count > best?.length ?? 0 else { continue }
            let matches = zip(candidate, bytes[index...]).allSatisfy { Self.lowercase($0) == Self.lowercase($1) }
            if matches { best = (position, candidate.count) }
        }
        guard let best else { return nil }
        index += best.length
        return best.index
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte + 0x20 : byte }

    mutating func read(_ code: TimeFormat.Code, into fields: inout ParsedFields) -> TimeFormat.ParseFailure? {
        func integer(_ maxDigits: Int, _ range: ClosedRange<Int>) -> Int? {
            guard let (value, _) = number(maxDigits: maxDigits), range.contains(value) else { return nil }
            return value
        }
        let start = self
        let what: String
        switch code {
        case .weekdayShort, .weekdayFull:
            what = "a weekday name"
            let names = TimeFormat.weekdayNames.map { code == .weekdayShort ? String($0.prefix(3)) : $0 }
            if let found = name(in: names) {
                fields.weekday = found
                return nil
            }
        case .monthShort, .monthShortAlias, .monthFull:
            what = "a month name"
            let names = TimeFormat.monthNames.map { code == .monthFull ? $0 : String($0.prefix(3)) }
            if let found = name(in: names) {
                fields.month = found + 1
                return nil
            }
        case .meridiem:
            what = "AM or PM"
            if let found = name(in: ["AM", "PM"]) {
                fields.afternoon = found == 1
                return nil
            }
        case .weekdayNumber, .isoWeekday:
            what = code == .weekdayNumber ? "a weekday number 0-6" : "a weekday number 1-7"
            if let value = integer(1, code == .weekdayNumber ? 0...6 : 1...7) {
                fields.weekday = value % 7
                return nil
            }
        case .day:
            what = "a day 1-31"
            if let value = integer(2, 1...31) {
                fields.day = value
                return nil
            }
        case .month:
            what = "a month 1-12"
            if let value = integer(2, 1...12) {
                fields.month = value
                return nil
            }
        case .shortYear:
            what = "a two-digit year"
            if let value = integer(2, 0...99) {
                fields.year = value < 69 ? 2000 + value : 1900 + value  // as DuckDB and POSIX
                return nil
            }
        case .year, .isoYear:
            what = "a year"
            if let value = integer(4, 0...9999) {
                if code == .year { fields.year = value } else { fields.isoYear = value }
                return nil
            }
        case .hour:
            what = "an hour 0-23"
            if let value = integer(2, 0...23) {
                fields.hour = value
                return nil
            }
        case .hour12:
            what = "an hour 1-12"
            if let value = integer(2, 1...12) {
                fields.hour = value
                return nil
            }
        case .minute:
            what = "a minute 0-59"
            if let value = integer(2, 0...59) {
                fields.minute = value
                return nil
            }
        case .second:
            what = "a second 0-59"
            if let value = integer(2, 0...59) {
                fields.second = value
                return nil
            }
        case .millisecond, .microsecond, .nanosecond:
            let maxDigits = code == .millisecond ? 3 : code == .microsecond ? 6 : 9
            what = "up to \(maxDigits) digits of a fraction"
            if let (value, digits) = number(maxDigits: maxDigits) {
                var (scaled, scale) = (value, digits)  // to microseconds
                while scale < 6 { (scaled, scale) = (scaled * 10, scale + 1) }
                while scale > 6 { (scaled, scale) = (scaled / 10, scale - 1) }
                fields.microsecond = scaled
                return nil
            }
        case .utcOffset:
            what = "a UTC offset such as +0200 or -05:30"
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                if let hours = fixedDigits(2) {
                    let colon = index < bytes.count && bytes[index] == UInt8(ascii: ":")
                    if colon { index += 1 }
                    let minutes = fixedDigits(2)
                    if !(colon && minutes == nil) {
                        fields.offsetMinutes = sign * (hours * 60 + (minutes ?? 0))
                        return nil
                    }
                }
            }
        case .zoneName:
            what = "a time zone name (only UTC and GMT are known)"
            let nameStart = index
            while index < bytes.count, !Self.isSpace(bytes[index]) { index += 1 }
            let zone = String(decoding: bytes[nameStart..<index], as: UTF8.self)
            if ["utc", "gmt", "z"].contains(zone.lowercased()) { return nil }
        case .dayOfYear:
            what = "a day of the year 1-366"
            if let value = integer(3, 1...366) {
                fields.dayOfYear = value
                return nil
            }
        case .sundayWeek, .mondayWeek, .isoWeek:
            what = "a week number"
            if let value = integer(2, code == .isoWeek ? 1...53 : 0...53) {
                switch code {
                case .sundayWeek: fields.sundayWeek = value
                case .mondayWeek: fields.mondayWeek = value
                default: fields.isoWeek = value
                }
                return nil
            }
        }
        self = start
        return failure("expected \(what) for %\(code.rawValue)")
    }

    /// Exactly `count` digits.
    private mutating func fixedDigits(_ count: Int) -> Int? {
        guard index + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<(index + count)] {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        index += count
        return value
    }
}
