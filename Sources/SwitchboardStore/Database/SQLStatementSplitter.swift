/// Splits a SQL script into statements at top-level semicolons.
///
/// PostgresNIO speaks only the extended protocol, which takes one statement per message, so a
/// migration file is run statement by statement inside its transaction. Semicolons inside
/// quotes, quoted identifiers, dollar-quoted bodies and comments do not split.
public enum SQLStatementSplitter {
    public static func split(_ script: String) -> [String] {
        let characters = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let statement = String(current).trimmingWhitespace()
            if !statement.isEmpty, !isOnlyComments(statement) { statements.append(statement) }
            current = String.UnicodeScalarView()
        }

        while index < characters.count {
            let character = characters[index]
            let next: Unicode.Scalar? = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case "-" where next == "-":
                while index < characters.count, characters[index] != "\n" {
                    current.append(characters[index]); index += 1
                }
                continue
            case "/" where next == "*":
                var depth = 0
                repeat {
                    if characters[index] == "/", index + 1 < characters.count, characters[index + 1] == "*" {
                        depth += 1; current.append("/"); current.append("*"); index += 2; continue
                    }
                    if characters[index] == "*", index + 1 < characters.count, characters[index + 1] == "/" {
                        depth -= 1; current.append("*"); current.append("/"); index += 2; continue
                    }
                    current.append(characters[index]); index += 1
                } while depth > 0 && index < characters.count
                continue
            case "'", "\"":
                current.append(character); index += 1
                while index < characters.count {
                    current.append(characters[index])
                    if characters[index] == character {
                        // A doubled quote is an escaped quote, not the end.
                        if index + 1 < characters.count, characters[index + 1] == character {
                            current.append(characters[index + 1]); index += 2; continue
                        }
                        index += 1; break
                    }
                    index += 1
                }
                continue
            case "$":
                if let tag = dollarTag(in: characters, at: index) {
                    for scalar in tag { current.append(scalar) }
                    index += tag.count
                    while index < characters.count {
                        if characters[index] == "$", characters[index...].starts(with: tag) {
                            for scalar in tag { current.append(scalar) }
                            index += tag.count
                            break
                        }
                        current.append(characters[index]); index += 1
                    }
                    continue
                }
            case ";":
                flush(); index += 1
                continue
            default:
                break
            }
            current.append(character); index += 1
        }
        flush()
        return statements
    }

    /// `$$` or `$tag$` starting at `index`, if one does.
    private static func dollarTag(in characters: [Unicode.Scalar], at index: Int) -> [Unicode.Scalar]? {
        var end = index + 1
        while end < characters.count, characters[end] == "_" || characters[end].properties.isAlphabetic || (end > index + 1 && ("0"..."9").contains(characters[end])) {
            end += 1
        }
        guard end < characters.count, characters[end] == "$" else { return nil }
        return Array(characters[index...end])
    }

    private static func isOnlyComments(_ statement: String) -> Bool {
        statement.split(separator: "\n").allSatisfy { $0.trimmingWhitespace().isEmpty || $0.trimmingWhitespace().hasPrefix("--") }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars.drop { $0.properties.isWhitespace }
        var trimmed = String(String.UnicodeScalarView(scalars))
        while let last = trimmed.unicodeScalars.last, last.properties.isWhitespace { trimmed.unicodeScalars.removeLast() }
        return trimmed
    }
}
