import SwitchboardDomain

/// 413 the moment a staff CSV passes its row or byte limit; the rest of the body is not read.
extension StaffCSVLimitExceeded: ProblemReporting {
    public var problem: Problem {
        Problem(status: .contentTooLarge, type: Problem.typeURI("too-large"), title: "Payload too large", detail: description + " Nothing was imported.")
    }
}
