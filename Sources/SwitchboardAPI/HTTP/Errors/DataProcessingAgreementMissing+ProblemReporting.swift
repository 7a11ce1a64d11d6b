import SwitchboardStore

/// 409 naming the step that unblocks it.
extension DataProcessingAgreementMissing: ProblemReporting {
    public var problem: Problem {
        Problem.conflict(
            "The reseller must accept the current data-processing agreement (POST /v1/dpa/acceptances) before people's data is stored.",
            type: "dpa-required"
        )
    }
}
