import SwitchboardDomain

/// 422 naming every field and rule the input broke.
extension ValidationFailure: ProblemReporting {
    public var problem: Problem { Problem.validation(violations) }
}
