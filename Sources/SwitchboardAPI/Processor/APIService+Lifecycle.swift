import SwitchboardStore

// Pending: replaced by the joiner/mover/leaver implementation.
extension APIService {
    package func offboardEmployee(_ input: Operations.OffboardEmployee.Input) async throws -> Operations.OffboardEmployee.Output { throw Problem.serviceUnavailable("pending") }
    package func getScheduledAnonymisation(_ input: Operations.GetScheduledAnonymisation.Input) async throws -> Operations.GetScheduledAnonymisation.Output { throw Problem.serviceUnavailable("pending") }
    package func cancelScheduledAnonymisation(_ input: Operations.CancelScheduledAnonymisation.Input) async throws -> Operations.CancelScheduledAnonymisation.Output { throw Problem.serviceUnavailable("pending") }
    package func moveToColleague(_ input: Operations.MoveToColleague.Input) async throws -> Operations.MoveToColleague.Output { throw Problem.serviceUnavailable("pending") }
}
