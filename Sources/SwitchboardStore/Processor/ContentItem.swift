import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

public struct ContentItem: Sendable, Equatable {
    public var id: UUID
    public var kind: ContentKind
    public var contentType: String
    public var byteSize: Int
    public var callerNumber: String?
    public var durationSeconds: Int?
    public var recordedAt: Date

    public init(id: UUID, kind: ContentKind, contentType: String, byteSize: Int, callerNumber: String?, durationSeconds: Int?, recordedAt: Date) {
        self.id = id
        self.kind = kind
        self.contentType = contentType
        self.byteSize = byteSize
        self.callerNumber = callerNumber
        self.durationSeconds = durationSeconds
        self.recordedAt = recordedAt
    }
}
