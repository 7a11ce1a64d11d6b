import SwitchboardStore

// Pending: replaced by the CSV import/export implementation.
extension APIService {
    package func importEmployees(_ input: Operations.ImportEmployees.Input) async throws -> Operations.ImportEmployees.Output { throw Problem.serviceUnavailable("pending") }
    package func exportEmployeesCsv(_ input: Operations.ExportEmployeesCsv.Input) async throws -> Operations.ExportEmployeesCsv.Output { throw Problem.serviceUnavailable("pending") }
}
