/// Event times as the dialect reads them: ISO-8601 / RFC 3339 strings, or epoch seconds,
/// milliseconds or microseconds told apart by magnitude.
public enum EventTime {
    /// Milliseconds since the epoch, or nil when the value is not a time.
    public static func milliseconds(from value: SQLValue) -> Int64? {
        switch value {
        case .timestamp(let ms): ms
        case .integer(let number): fromEpoch(Double(number))
        case .double(let number): fromEpoch(number)
        case .string(let text): milliseconds(fromText: text)
        default: nil
        }
    }

    /// Epoch seconds below 1e11 (until the year 5138), milliseconds below 1e14, else microseconds.
    static func fromEpoch(_ number: Double) -> Int64? {
        guard number.isFinite else { return nil }
        let magnitude = abs(number)
        if magnitude < 1e11 { return Int64((number * 1000).rounded()) }
        if magnitude < 1e14 { return Int64(number.rounded()) }
        if magnitude < 1e17 { return Int64((number / 1000).rounded(.down)) }
        return nil
    }

    /// Parses `YYYY-MM-DD[(T| )HH:MM[:SS[.fff…]]][Z|±HH[:MM]]`, or epoch digits.
    public static func milliseconds(fromText text: String) -> Int64? {
        var contiguous = text
        return contiguous.withUTF8 { milliseconds(fromUTF8: $0, text: text) }
    }

    private static func milliseconds(fromUTF8 bytes: UnsafeBufferPointer<UInt8>, text: String) -> Int64? {
        // Epoch digits: a number whose only '-' is a leading sign (a date has '-' after 4 digits).
        if bytes.count < 5 || bytes[4] != UInt8(ascii: "-") {
            if let number = Double(text), bytes.dropFirst().allSatisfy({ $0 != UInt8(ascii: "-") }) {
                return fromEpoch(number)
            }
        }
        var index = 0
        func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + count)] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += count
            return value
        }
        func accept(_ character: Character) -> Bool {
            guard index < bytes.count, bytes[index] == character.asciiValue! else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), accept("-"), let month = digits(2), accept("-"), let day = digits(2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var millisecond = 0
        var offsetMinutes = 0
        if accept("T") || accept("t") || accept(" ") {
            guard let h = digits(2), accept(":"), let m = digits(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if accept(":") {
                guard let s = digits(2), s < 61 else { return nil }
                second = s
                if accept(".") || accept(",") {
                    var scale = 100
                    while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                        millisecond += Int(bytes[index] - UInt8(ascii: "0")) * scale
                        scale /= 10
                        index += 1
                    }
                }
            }
            if accept("Z") || accept("z") {
            } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let h = digits(2) else { return nil }
                _ = accept(":")
                let m = digits(2) ?? 0
                offsetMinutes = sign * (h * 60 + m)
            }
        }
        guard index == bytes.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetMinutes * 60)
        return seconds * 1000 + Int64(millisecond)
    }

    /// `2026-01-01T00:00:00.000Z`.
    public static func iso8601(_ milliseconds: Int64) -> String {
        let (days, remainder) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let dayNumber = remainder < 0 ? days - 1 : days
        let inDay = Int(remainder < 0 ? remainder + 86_400_000 : remainder)
        let (year, month, day) = civilFromDays(Int(dayNumber))
        guard (0...9999).contains(year) else {
            return String(year) + String(iso8601(Self.sameDayIn2000(milliseconds)).dropFirst(4))
        }
        // Written digit by digit into a fixed buffer: this runs for every timestamp printed.
        return String(unsafeUninitializedCapacity: 24) { buffer in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var value = value
                for position in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(inDay / 3_600_000, 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            put(inDay / 60_000 % 60, 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            put(inDay / 1000 % 60, 2, at: 17)
            buffer[19] = UInt8(ascii: ".")
            put(inDay % 1000, 3, at: 20)
            buffer[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// The same time of day and date in the year 2000, for years outside 0...9999 (which keep
    /// their own digits in front).
    private static func sameDayIn2000(_ milliseconds: Int64) -> Int64 {
        let (days, remainder) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let dayNumber = remainder < 0 ? days - 1 : days
        let inDay = remainder < 0 ? remainder + 86_400_000 : remainder
        let (_, month, day) = civilFromDays(Int(dayNumber))
        return Int64(daysFromCivil(year: 2000, month: month, day: day)) * 86_400_000 + inDay
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
