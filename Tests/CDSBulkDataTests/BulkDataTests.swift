import CDSBulkData
import CDSJSON
import Foundation
import Testing

@Suite("Bulk Data grouping")
struct BulkDataTests {
    static func key(_ json: String) throws -> ResourceKey {
        ResourceKey.of(try JSONParser().parse(json))
    }

    @Test func patientReferencesByMember() throws {
        #expect(try Self.key(#"{"resourceType":"Patient","id":"p1"}"#) == .resource(patient: "p1", type: "Patient", id: "p1"))
        #expect(
            try Self.key(#"{"resourceType":"Observation","id":"o","subject":{"reference":"Patient/p1"}}"#)
                == .resource(patient: "p1", type: "Observation", id: "o"))
        #expect(
            try Self.key(#"{"resourceType":"AllergyIntolerance","id":"a","patient":{"reference":"Patient/p2"}}"#)
                == .resource(patient: "p2", type: "AllergyIntolerance", id: "a"))
        #expect(
            try Self.key(#"{"resourceType":"Coverage","id":"c","beneficiary":{"reference":"Patient/p3"}}"#)
                == .resource(patient: "p3", type: "Coverage", id: "c"))
        // A subject that is not a patient: the next member that is counts, else no one.
        #expect(
            try Self.key(#"{"resourceType":"Observation","subject":{"reference":"Group/g"},"patient":{"reference":"Patient/p4"}}"#)
                == .resource(patient: "p4", type: "Observation", id: ""))
        guard case .unattached = try Self.key(#"{"resourceType":"Observation","subject":{"reference":"Group/g"}}"#) else {
            Issue.record("a Group subject is no patient")
            return
        }
        guard case .unattached = try Self.key(#"{"resourceType":"Practitioner","id":"dr"}"#) else {
            Issue.record("a Practitioner is no patient's")
            return
        }
        guard case .unattached = try Self.key(#"{"resourceType":"Observation","subject":{"reference":"Patient/has space"}}"#) else {
            Issue.record("not a FHIR id")
            return
        }
        guard case .unattached = try Self.key(#"{"resourceType":"Patient"}"#) else {
            Issue.record("a Patient needs an id")
            return
        }
        guard case .unattached = try Self.key(#"[1]"#) else {
            Issue.record("not a resource")
            return
        }
        guard case .unattached = try Self.key(#"{"resourceType":"Observation","id":"a\u0000b","subject":{"reference":"Patient/p1"}}"#)
        else {
            Issue.record("NUL in id")
            return
        }
    }

    @Test func deletionBundles() throws {
        let line =
            #"{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Observation/o1"}},{"request":{"method":"DELETE","url":"Patient/p9"}}]}"#
        #expect(try Self.key(line) == .deletions(["Observation/o1", "Patient/p9"]))
        // A Bundle that is not all deletions is an ordinary resource (naming no patient).
        guard case .unattached = try Self.key(#"{"resourceType":"Bundle","entry":[{"request":{"method":"PUT","url":"Patient/p9"}}]}"#)
        else {
            Issue.record("not a deletion record")
            return
        }
    }

    @Test func bundleSizeIsTheBundlesLength() throws {
        let lines = [#"{"resourceType":"Patient","id":"p1"}"#, #"{"resourceType":"Observation","subject":{"reference":"Patient/p1"}}"#].map
        { Array($0.utf8) }
        let bytes = BulkEvaluator.bundle(patient: Array("p1".utf8), lines: lines)
        #expect(bytes.count == BulkEvaluator.bundleSize(patient: 2, lines: lines.map(\.count)))
        let bundle = try JSONParser().parse(bytes)
        #expect(bundle["id"] == "p1")
        #expect(bundle["entry"]?.arrayValue?.count == 2)
        #expect(bundle["entry"]?.arrayValue?.first?["resource"]?["resourceType"] == "Patient")
    }

    /// Past the memory budget records go to sorted runs on disk, more runs than are merged
    /// at once included; what comes out is every record, in byte order.
    @Test func externalSortBeyondTheBudgetAndTheFanIn() throws {
        var generator = SystemRandomNumberGenerator()
        let records: [[UInt8]] =
            (0..<70_000).map { i in
                Array("p\(UInt32.random(in: 0...50_000, using: &generator))\u{0}Observation\u{0}\(i)\u{0}{\"n\":\(i)}".utf8)
            } + [[], Array("p".utf8), Array("p".utf8)]
        let sorter = ExternalSorter(budget: 1 << 16, directory: NSTemporaryDirectory(), maxRecordBytes: 1 << 20)
        for r in records { try sorter.add(r) }
        var merged = try sorter.finish()
        var out: [[UInt8]] = []
        while let r = try merged.next() { out.append(r) }
        #expect(sorter.runsWritten > ExternalSorter.maxFanIn)
        #expect(out == records.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test func withinTheBudgetNothingGoesToDisk() throws {
        let sorter = ExternalSorter(budget: 1 << 20, directory: "/nonexistent", maxRecordBytes: 1 << 20)
        for r in ["b", "a", "c", "a"] { try sorter.add(Array(r.utf8)) }
        var merged = try sorter.finish()
        var out: [String] = []
        while let r = try merged.next() { out.append(String(decoding: r, as: UTF8.self)) }
        #expect(out == ["a", "a", "b", "c"])
        #expect(sorter.runsWritten == 0)
    }

    @Test func manifestFileNames() {
        #expect(BulkExport.fileName("https://example.org/output/Observation.000.ndjson?token=x") == "Observation.000.ndjson")
        #expect(BulkExport.fileName("file:///exports/1/Patient.ndjson") == "Patient.ndjson")
        #expect(BulkExport.fileName("https://example.org/..") == nil)
    }
}
