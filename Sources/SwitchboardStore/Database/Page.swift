import Foundation

/// One page of a keyset-paginated list; `nextCursor` is the last item's key when more may follow.
public struct Page<Item: Sendable, Key: Sendable>: Sendable {
    public let items: [Item]
    public let nextCursor: Key?

    init(fetched: [Item], limit: Int, key: (Item) -> Key) {
        let page = Array(fetched.prefix(limit))
        self.items = page
        self.nextCursor = fetched.count > limit ? page.last.map(key) : nil
    }
}
