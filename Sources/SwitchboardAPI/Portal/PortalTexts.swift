internal import Foundation
import SwitchboardDomain

/// The portal's words in each language, read once from `Texts/<language>.json` (resource files,
/// so translators change no code). Every language has every key: `PortalTextsTests` checks it.
struct PortalTexts: Sendable {
    private let byLanguage: [PortalLanguage: [String: String]]

    init(directory: URL) throws {
        var byLanguage: [PortalLanguage: [String: String]] = [:]
        for language in PortalLanguage.allCases {
            let data = try Data(contentsOf: directory.appendingPathComponent("\(language.rawValue).json"))
            byLanguage[language] = try JSONDecoder().decode([String: String].self, from: data)
        }
        self.byLanguage = byLanguage
    }

    /// The shipped texts (the module's resources).
    static func bundled() throws -> PortalTexts {
        try PortalTexts(directory: PortalResources.directory("Texts"))
    }

    func texts(_ language: PortalLanguage) -> [String: String] { byLanguage[language] ?? [:] }

    func text(_ key: String, _ language: PortalLanguage) -> String { byLanguage[language]?[key] ?? key }
}
