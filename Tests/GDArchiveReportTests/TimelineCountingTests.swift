import Foundation
@testable import GDArchiveReport
import Testing

/// The pieces a timeline counts with, against the obvious slow versions.
@Suite struct TimelineCountingTests {
    @Test func distinctIntegersCountsLikeASet() {
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 11, 12, 13, 1_000, 50_000] {
            var distinct = DistinctIntegers()
            var reference = Set<Int64>()
            for _ in 0..<size {
                // Few values, so many repeat; the extremes (Int64.min marks an empty slot) included.
                let value: Int64 = switch Int.random(in: 0..<10, using: &generator) {
                case 0: .min
                case 1: .max
                default: Int64.random(in: -(Int64(size) / 2)...(Int64(size) / 2), using: &generator) &* 0x1_0000_0001
                }
                distinct.insert(value)
                reference.insert(value)
            }
            #expect(distinct.count == reference.count, "size \(size)")
        }
    }

    @Test func bucketFinderAgreesWithABinarySearchOverStrings() {
        let boundaries = ["2025-01-06T00:00:00.000Z", "2025-01-13T00:00:00.000Z", "2025-01-20T00:00:00.000Z", "2025-01-27T00:00:00.000Z"]
        func reference(_ t: String) -> Int? {
            guard t >= boundaries[0], t < boundaries[boundaries.count - 1] else { return nil }
            return boundaries.indices.dropLast().last { boundaries[$0] <= t }
        }
        var times = ["2025-01-06T00:00:00.000Z", "2025-01-12T23:59:59.999Z", "2025-01-13T00:00:00.000Z", "2025-01-26T23:59:59.999Z",
                     "2025-01-27T00:00:00.000Z", "2025-01-05T23:59:59.999Z", "2030-01-01T00:00:00.000Z",
                     // Other lengths take the byte-wise path: a prefix sorts first.
                     "2025-01-13", "2025-01-13T00:00:00.000Z0", "2025-01-20T00:00:00Z", "", "2025-01-06T00:00:00.000"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let day = Int.random(in: 1...31, using: &generator), hour = Int.random(in: 0...23, using: &generator)
            times.append(String(format: "2025-01-%02dT%02d:00:00.000Z", day, hour))
        }
        // In order (the hint's case) and shuffled.
        for order in [times, times.sorted(), times.shuffled(using: &generator)] {
            var finder = BucketFinder(boundaries: boundaries)
            for t in order {
                let found = Array(t.utf8).withUnsafeBufferPointer { finder.bucket(of: $0) }
                #expect(found == reference(t), "\(t)")
            }
        }
    }
}
