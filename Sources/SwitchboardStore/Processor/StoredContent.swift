import Foundation
import PostgresNIO
import SwitchboardDomain

/// One content item as the main database holds it.
public struct StoredContent: Sendable {
    public var id: UUID
    public var owner: UUID
    public var contentType: String
    public var kind: ContentKind
    /// Sealed with the owner's data key when `sealed`; else stored before sealing existed.
    public var data: ByteBuffer
    public var sealed: Bool
}
