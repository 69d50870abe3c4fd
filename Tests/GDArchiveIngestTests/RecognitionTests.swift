import GDArchiveModel
import GDArchiveIngest
import GDArchiveJSON
import GDArchiveStore
import GDArchiveTestSupport
import Testing

func json(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

@Suite struct RecognitionTests {
    let wire = #"{"schemaVersion":"2.0","id":"f1","accountId":"111122223333","region":"us-east-1"}"#

    func findings(_ items: [ClassifiedRecord]) -> [JSONValue] {
        items.compactMap { if case .finding(let v, _) = $0 { return v } else { return nil } }
    }

    @Test func recognisesEveryForm() throws {
        let f = try json(wire)
        #expect(findings(RecordClassifier.classify(f)) == [f])
        #expect(findings(RecordClassifier.classify(try json("[\(wire),\(wire)]"))) == [f, f])
        #expect(findings(RecordClassifier.classify(try json(#"{"findings":[\#(wire)]}"#))) == [f])
        #expect(findings(RecordClassifier.classify(try json(#"{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":\#(wire)}"#))) == [f])
        #expect(findings(RecordClassifier.classify(try json(#"[{"detail-type":"GuardDuty Finding","detail":\#(wire)},{"detail-type":"GuardDuty Finding","detail":\#(wire)}]"#))) == [f, f])
        let pascal = #"{"SchemaVersion":"2.0","Id":"f1","AccountId":"111122223333","Region":"us-east-1"}"#
        #expect(findings(RecordClassifier.classify(try json(#"{"Findings":[\#(pascal)]}"#))).map(CanonicalJSON.string) == [CanonicalJSON.string(f)])
        #expect(findings(RecordClassifier.classify(try json(pascal))).map(CanonicalJSON.string) == [CanonicalJSON.string(f)])
    }

    @Test func numbersRecordsInsideOneText() throws {
        let items = RecordClassifier.classify(try json(#"{"findings":[\#(wire),\#(wire),\#(wire)]}"#))
        #expect(items.map { if case .finding(_, let i) = $0 { return i } else { return -1 } } == [0, 1, 2])
    }

    @Test func skipsEventsThatAreNotFindings() throws {
        let items = RecordClassifier.classify(try json(#"{"detail-type":"AWS API Call via CloudTrail","source":"aws.guardduty","detail":{"eventName":"CreateSampleFindings"}}"#))
        guard case .skipped(0, let reason)? = items.first, items.count == 1 else { Issue.record("\(items)"); return }
        #expect(reason.contains("\"AWS API Call via CloudTrail\""))
    }

    @Test func aFindingInDetailIsStoredWhateverTheDetailTypeSays() throws {
        let f = try json(wire)
        for detailType in ["null", "\"\"", "42", "{}", "\"GuardDuty Finding (relayed)\""] {
            let items = RecordClassifier.classify(try json(#"{"detail-type":\#(detailType),"source":"aws.guardduty","detail":\#(wire)}"#))
            #expect(findings(items) == [f], "detail-type \(detailType): \(items)")
        }
        // With no finding in detail, a missing or empty detail-type is an error, not a skip.
        for detailType in ["null", "\"\""] {
            let items = RecordClassifier.classify(try json(#"{"detail-type":\#(detailType),"detail":{"eventName":"x"}}"#))
            guard case .rejected(0, "not-a-finding", let message)? = items.first else { Issue.record("\(detailType): \(items)"); continue }
            #expect(message.contains("detail-type"))
        }
    }

    @Test func rejectsScalarsAndNestedArrays() throws {
        for text in ["42", "\"x\"", "null", "[[1]]"] {
            let items = RecordClassifier.classify(try json(text))
            #expect(items.allSatisfy { if case .rejected = $0 { return true } else { return false } }, "\(text)")
        }
    }

    @Test func pascalCaseFollowsTheAPIModelNotLowercasing() throws {
        let pascal = try json(#"""
            {"Id":"x","Resource":{"InstanceDetails":{"ProductCodes":[{"Code":"c1","ProductType":"marketplace"}]},
             "EcsClusterDetails":{"TaskDetails":{"TaskCreatedAt":"2021-12-09T00:45:03.250000+00:00","Version":"3"}},
             "S3BucketDetails":[{"Name":"b","CreatedAt":"2024-01-02T00:00:00+00:00"}]},
             "Service":{"EbsVolumeScanDetails":{"ScanStartedAt":"2021-12-09T00:45:03+00:00"},"AdditionalInfo":{"Value":"{}"},
                        "BrandNewField":{"NestedThing":1}},
             "Tags":{"KeepMe":"as is"}}
            """#)
        let wire = GuardDutyModel.wireForm(ofPascalCaseFinding: pascal)
        #expect(wire[path: "resource.instanceDetails"]?["productCodes"] == .array([.object([
            JSONMember(key: "productCodeId", value: .string("c1")), JSONMember(key: "productCodeType", value: .string("marketplace"))])]))
        #expect(wire[path: "resource.ecsClusterDetails.taskDetails.createdAt"] == .number("1639010703.25"))
        #expect(wire[path: "resource.ecsClusterDetails.taskDetails.version"] == .string("3"))
        #expect(wire[path: "service.ebsVolumeScanDetails.scanStartedAt"] == .number("1639010703"))
        #expect(wire["resource"]?["s3BucketDetails"]?.arrayElements?.first?["createdAt"] == .number("1704153600"))
        #expect(wire[path: "service.brandNewField.nestedThing"] == .number("1"))  // unknown to the model: first letter lowered
        #expect(wire[path: "service.additionalInfo.value"] == .string("{}"))
    }

    @Test func extractsTheIndexedColumns() throws {
        let record = try FindingExtractor.record(from: json(#"""
            {"id":"f","accountId":"1","region":"r","arn":"arn:f","partition":"aws","type":"Recon:EC2/Portscan","title":"t",
             "severity":"8.5","confidence":"7","createdAt":"2025-01-01T00:00:00Z","updatedAt":1.7356896E9,
             "resource":{"resourceType":"Instance"},
             "service":{"count":"4","archived":true,"eventFirstSeen":"2025-01-01T00:00:00.123Z","eventLastSeen":"2025-01-01 01:00:00+00:00",
                        "resourceRole":"TARGET","action":{"actionType":"PORT_PROBE"},"detectorId":"d","featureName":"FlowLogs",
                        "additionalInfo":{"value":"{\"sample\":true}","type":"default"}}}
            """#))
        #expect(record.severity == 8.5)
        #expect(record.severityLabel == "high")
        #expect(record.confidence == 7)
        #expect(record.createdAt == "2025-01-01T00:00:00.000Z")
        #expect(record.updatedAt == "2025-01-01T00:00:00.000Z")
        #expect(record.firstSeen == "2025-01-01T00:00:00.123Z")
        #expect(record.lastSeen == "2025-01-01T01:00:00.000Z")
        #expect(record.count == 4)
        #expect(record.archived == true)
        #expect(record.sample == true)  // from the JSON string additionalInfo.value
        #expect([record.resourceType, record.resourceRole, record.actionType, record.detectorId, record.featureName, record.type, record.arn, record.partition, record.title]
            == ["Instance", "TARGET", "PORT_PROBE", "d", "FlowLogs", "Recon:EC2/Portscan", "arn:f", "aws", "t"])
        #expect(record.hash == SHA256.hash(Array(record.body.utf8)))
    }

    @Test func aFindingWithoutItsIdentityIsRejectedByName() throws {
        let error = #expect(throws: RejectedFinding.self) {
            try FindingExtractor.record(from: json(#"{"schemaVersion":"2.0","region":"r","type":"x"}"#))
        }
        #expect(error?.kind == "missing-field")
        #expect(error?.message.hasPrefix("GuardDuty finding has no id and accountId") == true)
        let other = #expect(throws: RejectedFinding.self) { try FindingExtractor.record(from: json(#"{"hello":"world"}"#)) }
        #expect(other?.kind == "not-a-finding")
    }

    @Test func unknownFieldsSurviveInTheBody() throws {
        let record = try FindingExtractor.record(from: json(#"{"id":"f","accountId":"1","region":"r","futureField":{"added":"2030","n":1.10}}"#))
        #expect(try json(record.body)["futureField"] == .object([JSONMember(key: "added", value: .string("2030")), JSONMember(key: "n", value: .number("1.1"))]))
    }
}

@Suite struct FindingsPageKeyTests {
    @Test(arguments: [
        #"{"findings":[{"id":"a","accountId":"1","region":"r"}],"Findings":[{"Id":"b","AccountId":"1","Region":"r"}]}"#,
        #"{"findings":[{"id":"a","accountId":"1","region":"r"}],"findings":[{"id":"b","accountId":"1","region":"r"}]}"#,
        #"{"Findings":[{"Id":"a","AccountId":"1","Region":"r"}],"Findings":[{"Id":"b","AccountId":"1","Region":"r"}]}"#,
    ])
    func aPageWithBothKeysOrARepeatedKeyLosesNoFinding(page: String) throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("a.sqlite")
        let result = try runGDArchive(["--db", db, "import", try tmp.write("page.json", page + "\n")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("2 records, 2 new findings"), "\(result.stderr)")
    }
}
