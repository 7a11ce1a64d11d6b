import SwitchboardDomain

/// A logo that is not a well-formed PNG or JPEG within the limits.
extension LogoImageRefusal: ProblemReporting {
    public var problem: Problem {
        let field = [FieldViolation(field: "logo", rule: rule, message: message)]
        switch self {
        case .unsupportedFormat:
            return Problem(status: .unsupportedMediaType, type: Problem.typeURI("unsupported-media-type"), title: "Unsupported media type",
                           detail: message, errors: field)
        case .tooLarge:
            return Problem(status: .contentTooLarge, type: Problem.typeURI("too-large"), title: "Payload too large", detail: message, errors: field)
        default:
            return Problem.validation(field)
        }
    }
}
