#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An instant read from a log line: whole seconds since 1970-01-01 UTC and a fraction, which keeps
/// the number of digits it was written with so that `.120` stays `.120` in the record.
struct EventTime: Sendable, Equatable {
    var seconds: Int64
    var nanoseconds: Int = 0
    var fractionDigits: Int = 0

    /// The range RFC 3339 can write: years 0000 to 9999.
    static let representable: ClosedRange<Int64> = -62_167_219_200...253_402_300_799

    init?(seconds: Int64, nanoseconds: Int = 0, fractionDigits: Int = 0) {
        guard Self.representable.contains(seconds) else { return nil }
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.fractionDigits = fractionDigits
    }

    /// The instant of a civil date and time at `utcOffset` seconds east of UTC; nil when a part is
    /// out of range (a 60th second, a leap second, is taken as the 59th).
    init?(
        year: Int,
        month: Int,
        day: Int,
        hour: Int,
        minute: Int,
        second: Int,
        nanoseconds: Int = 0,
        fractionDigits: Int = 0,
        utcOffset: Int = 0
    ) {
        guard (0...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= Self.daysIn(month: month, year: year), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second)
        else { return nil }
        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        let local = days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59))
        self.init(seconds: local - Int64(utcOffset), nanoseconds: nanoseconds, fractionDigits: fractionDigits)
    }

    /// A time written without its year (RFC 3164, `Dec 31 23:59:59`), in the latest year that does
    /// not put it more than a day after `now` (a day covers clock skew and a writer's time zone):
    /// a December line read in January belongs to the year before, a January line read a minute
    /// before New Year to the next one, and an October line read in June to last year.
    init?(
        yearInferredFrom now: Int64,
        month: Int,
        day: Int,
        hour: Int,
        minute: Int,
        second: Int,
        nanoseconds: Int = 0,
        fractionDigits: Int = 0,
        utcOffset: Int = 0
    ) {
        let year = Self.civil(fromDays: now.floorDivided(by: 86_400)).year
        for candidate in [year + 1, year, year - 1, year - 2, year - 3, year - 4] {
            guard
                let time = EventTime(
                    year: candidate,
                    month: month,
                    day: day,
                    hour: hour,
                    minute: minute,
                    second: second,
                    nanoseconds: nanoseconds,
                    fractionDigits: fractionDigits,
                    utcOffset: utcOffset
                ), time.seconds <= now + 86_400
            else { continue }
            self = time
            return
        }
        return nil
    }

    /// Seconds since 1970 now, by the wall clock.
    static func currentUnixSeconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }

    /// Appends the time as a quoted RFC 3339 UTC string: `"2024-01-02T03:04:05.123Z"`, written on
    /// the stack (32 bytes at most) and appended at once.
    func appendQuotedRFC3339(to output: inout [UInt8]) {
        let days = seconds.floorDivided(by: 86_400)
        let (year, month, day) = Self.civil(fromDays: days)
        let secondOfDay = Int(seconds - days * 86_400)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { text in
            var end = 0
            func put(_ byte: UInt8) {
                text[end] = byte
                end += 1
            }
            /// The last `count` decimal digits of `value`.
            func digits(_ value: Int, count: Int) {
                var rest = value
                for place in (end..<end + count).reversed() {
                    text[place] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                end += count
            }
            put(UInt8(ascii: "\""))
            digits(year, count: 4)
            put(UInt8(ascii: "-"))
            digits(month, count: 2)
            put(UInt8(ascii: "-"))
            digits(day, count: 2)
            put(UInt8(ascii: "T"))
            digits(secondOfDay / 3600, count: 2)
            put(UInt8(ascii: ":"))
            digits(secondOfDay / 60 % 60, count: 2)
            put(UInt8(ascii: ":"))
            digits(secondOfDay % 60, count: 2)
            if fractionDigits > 0 {
                put(UInt8(ascii: "."))
                var fraction = nanoseconds
                for _ in fractionDigits..<9 { fraction /= 10 }
                digits(fraction, count: fractionDigits)
            }
            put(UInt8(ascii: "Z"))
            put(UInt8(ascii: "\""))
            output.append(contentsOf: UnsafeBufferPointer(rebasing: text[..<end]))
        }
    }

    /// The time as an RFC 3339 UTC string, for tests and messages.
    var rfc3339: String {
        var output: [UInt8] = []
        appendQuotedRFC3339(to: &output)
        return String(decoding: output.dropFirst().dropLast(), as: UTF8.self)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int64 {
        let shiftedYear = Int64(month <= 2 ? year - 1 : year)
        let era = shiftedYear.floorDivided(by: 400)
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = Int64((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
