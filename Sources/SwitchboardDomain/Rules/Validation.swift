import Foundation

/// One broken rule on one field, e.g. `email` / `format`.
public struct FieldViolation: Sendable, Equatable, Codable {
    public let field: String
    public let rule: String
    public let message: String
    /// For line-oriented bodies (NDJSON batches): the 1-based line the field is on.
    public let line: Int?

    public init(field: String, rule: String, message: String, line: Int? = nil) {
        self.field = field
        self.rule = rule
        self.message = message
        self.line = line
    }
}

/// Every rule an input broke, so a client fixes them all in one round.
public struct ValidationFailure: Error, Sendable, Equatable {
    public let violations: [FieldViolation]
}

/// Collects violations while checking an input; `finish()` throws if there were any.
public struct Validator: Sendable {
    private var violations: [FieldViolation] = []

    public init() {}

    /// A human-readable text (names, reasons): trimmed, then checked by ``TextRule``, the rule the
    /// database's CHECK constraints apply too.
    public mutating func text(_ value: String?, field: String, required: Bool = true, maxLength: Int = 200) -> String? {
        guard let value else {
            if required { violations.append(.init(field: field, rule: "required", message: "is required")) }
            return nil
        }
        switch TextRule.normalised(value, maxLength: maxLength) {
        case .success(let trimmed):
            return trimmed
        case .failure(.empty):
            violations.append(.init(field: field, rule: "minLength", message: "must not be empty"))
        case .failure(.tooLong(let maxLength)):
            violations.append(.init(field: field, rule: "maxLength", message: "must be at most \(maxLength) characters (Unicode code points)"))
        case .failure(.forbiddenCharacter):
            violations.append(.init(field: field, rule: "format", message: "must not contain control characters or bidirectional overrides"))
        }
        return nil
    }

    public mutating func email(_ value: String?, field: String, required: Bool = true) -> String? {
        guard let raw = text(value, field: field, required: required, maxLength: 254) else { return nil }
        guard let address = EmailAddress(raw) else {
            violations.append(.init(field: field, rule: "format", message: "must be an e-mail address"))
            return nil
        }
        return address.value
    }

    /// Danish company registration number: exactly 8 digits.
    public mutating func cvr(_ value: String?, field: String) -> String? {
        guard let value else { return nil }
        guard value.count == 8, value.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            violations.append(.init(field: field, rule: "format", message: "must be 8 digits (a CVR number)"))
            return nil
        }
        return value
    }

    /// An international phone number in E.164 form (`+` and 8–15 digits).
    public mutating func phone(_ value: String?, field: String) -> String? {
        guard let value else { return nil }
        guard E164.isValid(value) else {
            violations.append(.init(field: field, rule: "format", message: "must be an E.164 number such as +4512345678"))
            return nil
        }
        return value
    }

    /// An extension (local number): digits only, within the customer's configured length.
    public mutating func extensionNumber(_ value: String?, field: String, lengths: ClosedRange<Int>) -> String? {
        guard let value else {
            add(.init(field: field, rule: "required", message: "is required"))
            return nil
        }
        guard !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            add(.init(field: field, rule: "format", message: "must contain digits only"))
            return nil
        }
        guard lengths.contains(value.count) else {
            add(.init(field: field, rule: "length", message: "must be \(lengths.lowerBound)–\(lengths.upperBound) digits for this customer"))
            return nil
        }
        return value
    }

    /// A SIM card's ICCID: 19–20 digits whose last is a valid Luhn check digit.
    public mutating func iccid(_ value: String, field: String) -> String? {
        guard (19...20).contains(value.count), value.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            add(.init(field: field, rule: "format", message: "must be 19–20 digits"))
            return nil
        }
        guard Luhn.isValid(value) else {
            add(.init(field: field, rule: "checkDigit", message: "has a wrong check digit (Luhn)"))
            return nil
        }
        return value
    }

    public mutating func password(_ value: String, field: String) {
        if value.count < 12 {
            violations.append(.init(field: field, rule: "minLength", message: "must be at least 12 characters"))
        } else if value.utf8.count > 72 {
            // bcrypt reads only the first 72 bytes; a longer password would silently be truncated.
            violations.append(.init(field: field, rule: "maxLength", message: "must be at most 72 bytes"))
        }
    }

    public mutating func add(_ violation: FieldViolation) {
        violations.append(violation)
    }

    public func finish() throws {
        if !violations.isEmpty { throw ValidationFailure(violations: violations) }
    }
}

/// The Luhn (mod 10) check used by ICCIDs.
/// International numbers as the schema stores them: `+`, a non-zero digit, 8–15 digits in all.
public enum E164 {
    public static func isValid(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard utf8.first == UInt8(ascii: "+"), (9...16).contains(utf8.count) else { return false }
        let digits = utf8.dropFirst()
        return digits.first != UInt8(ascii: "0") && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

public enum Luhn {
    public static func isValid(_ digits: String) -> Bool {
        var sum = 0
        for (index, character) in digits.reversed().enumerated() {
            guard let digit = character.wholeNumberValue else { return false }
            if index % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return !digits.isEmpty && sum % 10 == 0
    }

    /// The digit that makes `payload + digit` valid.
    public static func checkDigit(for payload: String) -> Int {
        (0...9).first { isValid(payload + String($0)) } ?? 0
    }
}

/// The non-identifying name an employee gets when anonymised.
public enum Pseudonym {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let suffix = String(UInt16.random(in: 0...UInt16.max, using: &generator), radix: 16, uppercase: true)
        return "Former employee " + String(repeating: "0", count: 4 - suffix.count) + suffix
    }
}

/// A syntactically plausible e-mail address, lower-cased (logins compare case-insensitively).
public struct EmailAddress: Sendable, Equatable {
    public let value: String

    public init?(_ raw: String) {
        let value = raw.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64,
              parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !parts[1].contains(".."),
              value.unicodeScalars.allSatisfy({ $0.isASCII && !$0.properties.isWhitespace && $0.value > 0x20 }),
              parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." })
        else { return nil }
        self.value = value
    }
}
