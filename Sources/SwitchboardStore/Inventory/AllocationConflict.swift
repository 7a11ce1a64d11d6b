/// An allocation names values already allocated (to any reseller: the platform may know).
/// `fields` are the request's paths of those values (`numbers/3`, `iccids/0`).
public struct AllocationConflict: Error, Sendable, Equatable {
    public let fields: [String]

    public init(fields: [String]) {
        self.fields = fields
    }
}
