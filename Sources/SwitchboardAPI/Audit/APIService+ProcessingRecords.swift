internal import Foundation
internal import OpenAPIRuntime
import SwitchboardDomain
import SwitchboardStore

/// The record of processing the platform performs for a reseller (GDPR Art. 30(2)), generated from
/// the system's own declarations: ``ProcessingActivity``, ``RetentionPolicy`` and the register.
extension APIService {
    package func getProcessingRecords(_ input: Operations.GetProcessingRecords.Input) async throws -> Operations.GetProcessingRecords.Output {
        let (reseller, voicemailDays, register) = try await transaction { principal, connection in
            guard let resellerID = principal.resellerID,
                  let reseller = try await ResellerRepository(connection, logger: logger).get(resellerID) else { throw Problem.notFound("No such reseller.") }
            let days = try await RetentionRunRepository(connection, logger: logger).voicemailRetentionDays(of: resellerID)
            return (reseller, days, try await SubProcessorRepository(connection, logger: logger).list())
        }
        let rules = RetentionPolicy.rules(for: .reseller, voicemailDays: voicemailDays)
        let records = Components.Schemas.ProcessingRecords(
            controller: .init(resellerId: reseller.id.apiString, name: reseller.name),
            processor: "The platform operating Switchboard, processing on the reseller's documented instructions (the accepted DPA)",
            generatedAt: Date(),
            activities: ProcessingActivity.onBehalfOfResellers.map { activity in
                .init(name: activity.name, purpose: activity.purpose, dataCategories: activity.dataClasses.map(\.rawValue),
                      dataSubjects: activity.dataSubjects,
                      retention: rules.filter { activity.retentionRules.contains($0.name) }.map(\.sentence))
            },
            subProcessors: register.map(Components.Schemas.SubProcessor.init),
            transfers: register.filter { $0.engagedUntil == nil && !Self.isWithinEEA($0.transferBasis) }
                .map { "\($0.name) (\($0.location)): \($0.transferBasis)" },
            retention: rules.map { .init($0) },
            securityMeasures: ProcessingActivity.securityMeasures
        )
        let wantsPage = input.query.format == .html
            || (input.query.format == nil && input.headers.accept.sortedByQuality().first?.contentType == .html)
        if wantsPage {
            return .ok(.init(body: .html(HTTPBody(ProcessingRecordsPage.render(records)))))
        }
        return .ok(.init(body: .json(records)))
    }

    /// A transfer basis that says no transfer leaves the EEA.
    static func isWithinEEA(_ basis: String) -> Bool {
        let text = basis.lowercased()
        return text.hasPrefix("none") || text.contains("eea") && !text.contains("scc")
    }
}
