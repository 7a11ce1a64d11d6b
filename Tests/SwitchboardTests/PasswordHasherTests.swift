import Foundation
@testable import SwitchboardAPI
import XCTest

final class PasswordHasherTests: XCTestCase {
    /// The decoy made ahead must cost what a real hash at the default cost costs, and be a hash at all.
    func testTheDecoyIsARealHashAtTheDefaultCost() async throws {
        let hasher = PasswordHasher()
        XCTAssertTrue(hasher.decoyHash.hasPrefix("$2b$12$"))
        let matches = try await hasher.verify("switchboard-decoy-password", against: hasher.decoyHash)
        XCTAssertTrue(matches)
    }
}
