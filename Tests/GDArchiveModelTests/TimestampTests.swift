import GDArchiveModel
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2024-05-01", "2024-05-01T00:00:00.000Z"),
        ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.000Z"),
        ("2024-05-01T12:00:00.5Z", "2024-05-01T12:00:00.500Z"),
        ("2016-08-02T02:05:06.000Z", "2016-08-02T02:05:06.000Z"),
        ("2021-12-09T00:45:03.250000+00:00", "2021-12-09T00:45:03.250Z"),
        ("2021-12-09 02:45:03+02:00", "2021-12-09T00:45:03.000Z"),
        ("2024-03-01T00:30:00-0100", "2024-03-01T01:30:00.000Z"),
        ("2024-02-29T23:59:59.999Z", "2024-02-29T23:59:59.999Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59.000Z"),
        ("2000-02-29", "2000-02-29T00:00:00.000Z"),
        ("2024-05-01T12:00:00+14:00", "2024-04-30T22:00:00.000Z"),
    ])
    func parsesAndFormatsInUTC(input: String, expected: String) throws {
        let ms = try #require(Timestamp.parse(input))
        #expect(Timestamp.format(epochMilliseconds: ms) == expected)
    }

    @Test(arguments: ["", "yesterday", "2024-13-01", "2024-05-01T25:00:00Z", "2024-05-01T12:00:00Q", "2024-05-01T12:00:00.Z",
                      "2025-02-30", "2025-02-29T00:00:00Z", "2024-04-31", "2024-05-01T12:00:00+99:99", "2024-05-01T12:00:00+01:60", "2024-05-01T12:00:00-24:00"])
    func rejectsWhatIsNotATimestamp(input: String) {
        #expect(Timestamp.parse(input) == nil)
    }

    @Test func formatsTheEpoch() {
        #expect(Timestamp.format(epochMilliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.format(epochMilliseconds: 1_639_010_703_000) == "2021-12-09T00:45:03.000Z")
    }
}
