/// The request field a database column holds, for problems raised by the database itself.
enum ColumnField {
    static func field(_ column: String) -> String {
        switch column {
        case "contact_name": "contact.name"
        case "contact_email": "contact.email"
        case "contact_phone": "contact.phone"
        case "restriction_reason": "reason"
        default: camelCased(column)
        }
    }

    static func camelCased(_ name: String) -> String {
        let parts = name.split(separator: "_")
        guard let head = parts.first else { return name }
        return String(head) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
