import Foundation

/// One page of a keyset-paginated list; `nextCursor` is the last id when more may follow.
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let nextCursor: UUID?

    init(fetched: [Item], limit: Int, id: (Item) -> UUID) {
        let page = Array(fetched.prefix(limit))
        self.items = page
        self.nextCursor = fetched.count > limit ? page.last.map(id) : nil
    }
}

import struct Foundation.UUID
