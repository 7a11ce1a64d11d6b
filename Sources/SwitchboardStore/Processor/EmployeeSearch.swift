import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

/// How a directory search reads its term.
public enum EmployeeSearch: Sendable {
    case all
    case number(String)
    case extensionPrefix(String)
    case name(String)

    public init(_ term: String?) {
        guard let term = term?.trimmingCharacters(in: .whitespaces), !term.isEmpty else { self = .all; return }
        if term.hasPrefix("+") { self = .number(term); return }
        if term.allSatisfy({ $0.isASCII && $0.isNumber }) { self = .extensionPrefix(term); return }
        self = .name(term)
    }
}
