/// A read position in a line for the hand-written scanners: each step looks at or consumes bytes,
/// and failures name the byte where the line stopped making sense.
struct LineCursor {
    let line: ArraySlice<UInt8>
    var index: Int

    init(_ line: ArraySlice<UInt8>) {
        self.line = line
        self.index = line.startIndex
    }

    var isAtEnd: Bool { index >= line.endIndex }
    var peek: UInt8? { index < line.endIndex ? line[index] : nil }
    var rest: ArraySlice<UInt8> { line[index...] }

    func error(_ message: String) -> LineParseError {
        LineParseError(message, at: index - line.startIndex)
    }

    /// Consumes `byte` if it is next.
    mutating func skip(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(LineParseError) {
        guard skip(byte) else { throw error("expected \(what)") }
    }

    mutating func skipSpaces() {
        while peek == 0x20 { index += 1 }
    }

    /// The bytes up to the next space (or the end), which may be empty.
    mutating func token() -> ArraySlice<UInt8> {
        let start = index
        while let byte = peek, byte != 0x20 { index += 1 }
        return line[start..<index]
    }

    /// The bytes up to `byte`, consuming `byte` too; nil (and nothing consumed) when it never comes.
    mutating func upTo(_ byte: UInt8) -> ArraySlice<UInt8>? {
        guard let end = line[index...].firstIndex(of: byte) else { return nil }
        defer { index = end + 1 }
        return line[index..<end]
    }

    /// A number of `minDigits` to `maxDigits` decimal digits, or nil with nothing consumed.
    mutating func number(minDigits: Int = 1, maxDigits: Int) -> Int? {
        var value = 0
        var count = 0
        while count < maxDigits, let byte = peek, byte &- 0x30 < 10 {
            value = value * 10 + Int(byte &- 0x30)
            index += 1
            count += 1
        }
        guard count >= minDigits else {
            index -= count
            return nil
        }
        return value
    }

    /// A fraction of a second after its `.` or `,`: up to nine digits are kept, more are read and
    /// dropped. Returns the nanoseconds and the digits kept.
    mutating func fraction() -> (nanoseconds: Int, digits: Int)? {
        var nanoseconds = 0
        var digits = 0
        while let byte = peek, byte &- 0x30 < 10 {
            if digits < 9 {
                nanoseconds = nanoseconds * 10 + Int(byte &- 0x30)
                digits += 1
            }
            index += 1
        }
        guard digits > 0 else { return nil }
        for _ in digits..<9 { nanoseconds *= 10 }
        return (nanoseconds, digits)
    }

    /// A month written as its English abbreviation (`Jan`, any case), also spelt out in full
    /// when `fullNames` allows it (`January`); nil with nothing consumed for anything else.
    mutating func monthName(fullNames: Bool = false) -> Int? {
        guard index + 3 <= line.endIndex else { return nil }
        let key =
            (UInt32(line[index] | 0x20) << 16) | (UInt32(line[index + 1] | 0x20) << 8) | UInt32(line[index + 2] | 0x20)
        guard let month = Self.months.firstIndex(of: key) else { return nil }
        index += 3
        if fullNames {
            let tail = Self.monthTails[month]
            if line[index...].count >= tail.count,
                zip(line[index..<index + tail.count], tail).allSatisfy({ $0 | 0x20 == $1 })
            {
                index += tail.count
            }
        }
        return month + 1
    }

    /// A weekday's English abbreviation (`Tue`, any case), also spelt out in full when allowed.
    mutating func weekdayName(fullNames: Bool = false) -> Bool {
        guard index + 3 <= line.endIndex else { return false }
        let key =
            (UInt32(line[index] | 0x20) << 16) | (UInt32(line[index + 1] | 0x20) << 8) | UInt32(line[index + 2] | 0x20)
        guard let weekday = Self.weekdays.firstIndex(of: key) else { return false }
        index += 3
        if fullNames {
            let tail = Self.weekdayTails[weekday]
            if line[index...].count >= tail.count,
                zip(line[index..<index + tail.count], tail).allSatisfy({ $0 | 0x20 == $1 })
            {
                index += tail.count
            }
        }
        return true
    }

    /// A UTC offset: `Z`, `+hh:mm`, `+hhmm` or `+hh`; in seconds east of UTC.
    mutating func utcOffset() -> Int? {
        let start = index
        if skip(UInt8(ascii: "Z")) || skip(UInt8(ascii: "z")) { return 0 }
        let sign: Int
        if skip(UInt8(ascii: "+")) {
            sign = 1
        } else if skip(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let hours = number(minDigits: 2, maxDigits: 2), hours <= 23 else {
            index = start
            return nil
        }
        let colon = skip(UInt8(ascii: ":"))
        var minutes = 0
        if let value = number(minDigits: 2, maxDigits: 2), value <= 59 {
            minutes = value
        } else if colon {
            index = start
            return nil
        }
        return sign * (hours * 3600 + minutes * 60)
    }

    /// An RFC 3339 timestamp (`2024-01-02T03:04:05.123+01:00`; a space or a lowercase `t` also
    /// separate the date from the time).
    mutating func rfc3339() throws(LineParseError) -> EventTime {
        guard let year = number(minDigits: 4, maxDigits: 4), skip(UInt8(ascii: "-")),
            let month = number(minDigits: 2, maxDigits: 2), skip(UInt8(ascii: "-")),
            let day = number(minDigits: 2, maxDigits: 2)
        else { throw error("expected an RFC 3339 date") }
        guard skip(UInt8(ascii: "T")) || skip(UInt8(ascii: "t")) || skip(0x20),
            let hour = number(minDigits: 2, maxDigits: 2), skip(UInt8(ascii: ":")),
            let minute = number(minDigits: 2, maxDigits: 2), skip(UInt8(ascii: ":")),
            let second = number(minDigits: 2, maxDigits: 2)
        else { throw error("expected an RFC 3339 time") }
        var fraction = (nanoseconds: 0, digits: 0)
        if skip(UInt8(ascii: ".")) || skip(UInt8(ascii: ",")) {
            guard let value = self.fraction() else { throw error("expected digits of a fraction") }
            fraction = value
        }
        guard let offset = utcOffset() else { throw error("expected a UTC offset (Z or +hh:mm)") }
        guard
            let time = EventTime(
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
        else { throw error("date or time out of range") }
        return time
    }

    private static func key(_ name: StaticString) -> UInt32 {
        let bytes = UnsafeBufferPointer(start: name.utf8Start, count: 3)
        return (UInt32(bytes[0]) << 16) | (UInt32(bytes[1]) << 8) | UInt32(bytes[2])
    }

    private static let months: [UInt32] = [
        key("jan"), key("feb"), key("mar"), key("apr"), key("may"), key("jun"),
        key("jul"), key("aug"), key("sep"), key("oct"), key("nov"), key("dec"),
    ]
    private static let monthTails: [[UInt8]] = [
        "uary", "ruary", "ch", "il", "", "e", "y", "ust", "tember", "ober", "ember", "ember",
    ].map { Array($0.utf8) }
    private static let weekdays: [UInt32] = [
        key("mon"), key("tue"), key("wed"), key("thu"), key("fri"), key("sat"), key("sun"),
    ]
    private static let weekdayTails: [[UInt8]] = ["day", "sday", "nesday", "rsday", "day", "urday", "day"].map {
        Array($0.utf8)
    }
}
