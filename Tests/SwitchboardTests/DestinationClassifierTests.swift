import Foundation
@testable import SwitchboardDomain
import XCTest

/// The destination classifier: the longest matching prefix wins; unmatched numbers are international.
final class DestinationClassifierTests: XCTestCase {
    func testLongestPrefixWinsAndUnmatchedIsInternational() {
        let classifier = DestinationClassifier(prefixes: [("+45", .home), ("+4590", .premiumRate), ("+459012", .home), ("+88216", .highRisk), ("+0", .highRisk)])
        XCTAssertNil(classifier.classify("+4512345678"))
        XCTAssertEqual(classifier.classify("+4590112233"), .premiumRate)
        XCTAssertNil(classifier.classify("+4590123456"), "a longer home range inside the premium range")
        XCTAssertEqual(classifier.classify("+88216001234"), .highRisk)
        XCTAssertEqual(classifier.classify("+46812345678"), .international)
        XCTAssertEqual(classifier.classify("+4"), .international, "shorter than every prefix")
        XCTAssertEqual(DestinationClassifier(prefixes: []).classify("+4512345678"), .international)
        XCTAssertFalse(DestinationClassifier.isValidPrefix("+0"))
        XCTAssertFalse(DestinationClassifier.isValidPrefix("+123456789012345"))
        XCTAssertTrue(DestinationClassifier.isValidPrefix("+12345678901234"))
    }
}
