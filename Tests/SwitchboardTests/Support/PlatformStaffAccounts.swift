import Foundation
import HummingbirdTesting

/// Platform staff for tests: created with the bootstrap key and signed in, as the platform would.
enum PlatformStaffAccounts {
    struct Person: Sendable {
        let id: String
        let email: String
        let token: String
    }

    static let password = "staff password for tests 1"

    static func make(_ client: some TestClientProtocol, _ name: String, duties: [String]) async throws -> Person {
        let email = "\(name.lowercased().replacingOccurrences(of: " ", with: "."))-\(UUID().uuidString.prefix(8).lowercased())@platform.example"
        let duties = duties.map { "\"\($0)\"" }.joined(separator: ",")
        let created = try await client.call(.post, "/v1/platform/staff", token: World.bootstrapToken,
                                            json: #"{"email":"\#(email)","fullName":"\#(name)","password":"\#(password)","duties":[\#(duties)]}"#)
        guard created.status == .created else { throw TestFailure("staff not created: \(created.status) \(created.body)") }
        let session = try await client.call(.post, "/v1/platform/sessions", json: #"{"email":"\#(email)","password":"\#(password)"}"#)
        guard session.status == .created else { throw TestFailure("staff not signed in: \(session.status) \(session.body)") }
        return Person(id: try created.string("id"), email: email, token: try session.string("token"))
    }
}
