/// Whether a person appears in directory enquiries and the company's phone book.
public enum DirectoryListing: String, Sendable, Equatable, CaseIterable {
    case listed
    case unlisted
}
