import GDArchiveIngest
import GDArchiveJSON
import Testing

/// When two bodies of a finding are one version: their projections through GuardDuty's API
/// model agree. Each case is a place where the S3 export's body and the CLI's differ without
/// the finding having changed, or where they differ because it did.
@Suite struct ProjectionTests {
    static func key(_ text: String) throws -> [UInt8] {
        try #require(GuardDutyModel.formKey(ofCanonicalBody: CanonicalJSON.string(JSONParser.parse(Array(text.utf8))))).projection
    }

    static let base = #"{"id":"f1","accountId":"1","region":"r","updatedAt":"2025-01-01T00:00:00.000Z","severity":5,"service":{"count":2,"archived":false,"eventFirstSeen":"2025-01-01T00:00:00.000Z"}}"#

    @Test(arguments: [
        // (the other form, why it is the same version)
        (#"{"id":"f1","accountId":"1","region":"r","updatedAt":"2025-01-01T00:00:00.000Z","severity":5.0,"service":{"count":2,"archived":false,"eventFirstSeen":"2025-01-01T00:00:00.000Z"}}"#, "5.0 and 5 are one number"),
        (#"{"id":"f1","accountId":"1","region":"r","updatedAt":"2025-01-01T00:00:00.000Z","severity":5,"service":{"count":2,"archived":false,"eventFirstSeen":"2025-01-01T00:00:00.000Z","evidence":null}}"#, "a null member is dropped"),
        (#"{"id":"f1","accountId":"1","region":"r","updatedAt":"2025-01-01T00:00:00.000Z","severity":5,"service":{"count":2,"archived":false,"eventFirstSeen":"2025-01-01T00:00:00.000Z","unmodelled":{"x":1}}}"#, "a member the model lacks is dropped"),
        (#"{"id":"f1","accountId":"1","region":"r","updatedAt":"2025-01-01T00:00:00.000Z","severity":5,"service":{"count":2,"archived":false,"eventFirstSeen":"2025-01-01T00:00:00.000Z"},"futureTopLevel":true}"#, "a top-level member the model lacks is dropped"),
    ])
    func sameVersion(other: String, why: String) throws {
        #expect(try Self.key(Self.base) == Self.key(other), Comment(rawValue: why))
    }

    @Test(arguments: [
        (#"{"id":"f1","accountId":"1","region":"r","updatedAt":"2025-01-01T00:00:00.000Z","severity":5,"service":{"count":3,"archived":false,"eventFirstSeen":"2025-01-01T00:00:00.000Z"}}"#, "the count grew"),
        (#"{"id":"f1","accountId":"1","region":"r","updatedAt":"2025-01-01T00:00:00.000Z","severity":5,"service":{"count":2,"archived":true,"eventFirstSeen":"2025-01-01T00:00:00.000Z"}}"#, "it was archived"),
        (#"{"id":"f1","accountId":"1","region":"r","updatedAt":"2025-01-01T00:00:00.000Z","severity":8,"service":{"count":2,"archived":false,"eventFirstSeen":"2025-01-01T00:00:00.000Z"}}"#, "the severity changed"),
        (#"{"id":"f1","accountId":"1","region":"r","updatedAt":"2025-01-01T00:00:00.000Z","severity":5,"title":"new","service":{"count":2,"archived":false,"eventFirstSeen":"2025-01-01T00:00:00.000Z"}}"#, "a modelled member appeared"),
    ])
    func anotherVersion(other: String, why: String) throws {
        #expect(try Self.key(Self.base) != Self.key(other), Comment(rawValue: why))
    }

    @Test func timestampMembersAreInstantsWhetherEpochOrISO() throws {
        // Runtime Monitoring's modifiedAt: an ISO string on the wire, epoch seconds in a CLI form.
        let iso = #"{"id":"f","service":{"runtimeDetails":{"context":{"modifiedAt":"2024-10-07T18:45:30Z"}}}}"#
        let epoch = #"{"id":"f","service":{"runtimeDetails":{"context":{"modifiedAt":1728326730}}}}"#
        let exponent = #"{"id":"f","service":{"runtimeDetails":{"context":{"modifiedAt":1.72832673E9}}}}"#
        let later = #"{"id":"f","service":{"runtimeDetails":{"context":{"modifiedAt":"2024-10-07T18:45:31Z"}}}}"#
        #expect(try Self.key(iso) == Self.key(epoch))
        #expect(try Self.key(iso) == Self.key(exponent))
        #expect(try Self.key(iso) != Self.key(later))
    }

    @Test func membersWithoutAJSONNameAreReadUnderTheirPascalCaseName() throws {
        // The model gives RdsLoginAttemptAction.LoginAttributes no locationName: the CLI reads
        // (and so keeps) only "LoginAttributes"; the export's camelCase copy is not carried.
        let export = #"{"id":"f","service":{"action":{"rdsLoginAttemptAction":{"loginAttributes":[{"user":"admin"}]}}}}"#
        let cli = #"{"id":"f","service":{"action":{"rdsLoginAttemptAction":{}}}}"#
        let pascal = #"{"id":"f","service":{"action":{"rdsLoginAttemptAction":{"LoginAttributes":[{"user":"admin"}]}}}}"#
        #expect(try Self.key(export) == Self.key(cli))
        #expect(try Self.key(pascal) != Self.key(cli))
        // The PascalCase CLI form of it converts back to that key, not to loginAttributes.
        let converted = GuardDutyModel.wireForm(ofPascalCaseFinding: try JSONParser.parse(Array(
            #"{"Id":"f","Service":{"Action":{"RdsLoginAttemptAction":{"LoginAttributes":[{"User":"admin"}]}}}}"#.utf8)))
        #expect(CanonicalJSON.string(converted) == #"{"id":"f","service":{"action":{"rdsLoginAttemptAction":{"LoginAttributes":[{"user":"admin"}]}}}}"#)
    }

    @Test func theRicherFormHasMoreValues() throws {
        let export = try #require(GuardDutyModel.formKey(ofCanonicalBody: #"{"id":"f","service":{"evidence":null,"count":1}}"#))
        let cli = try #require(GuardDutyModel.formKey(ofCanonicalBody: #"{"id":"f","service":{"count":1}}"#))
        #expect(export.projection == cli.projection)
        #expect(export.richness > cli.richness)
    }
}
