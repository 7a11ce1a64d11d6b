/// What a stored item of a person's content is.
public enum ContentKind: String, Sendable, Equatable, CaseIterable {
    case voicemail
    case greeting
    case recording
    case picture
}
