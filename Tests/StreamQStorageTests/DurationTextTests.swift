import StreamQStorage
import Testing

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("90s", .seconds(90)), ("30m", .seconds(1800)),
        ("24h", .seconds(86_400)), ("7d", .seconds(604_800)), (" 7d", .seconds(604_800)), ("0s", .zero),
    ])
    func readsACountAndAUnit(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "7", "d", "7w", "-1s", "1.5h", "7 d", "99999999999999999d"])
    func refusesAnythingElse(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func formatsInTheLargestExactUnitAndReadsBack() {
        for (duration, text) in [
            (Duration.milliseconds(1500), "1500ms"), (.seconds(90), "90s"), (.seconds(7200), "2h"),
            (.seconds(604_800), "7d"), (.zero, "0ms"),
        ] {
            #expect(DurationText.format(duration) == text)
            #expect(DurationText.parse(text) == duration)
        }
    }
}
