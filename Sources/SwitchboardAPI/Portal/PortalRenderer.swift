internal import Foundation
import Mustache

/// Renders the portal's pages from the Mustache templates in `Templates/` (HTML-escaped by
/// default: `{{value}}` can never inject markup). Loaded once at start; a template that does not
/// parse stops the server from starting rather than failing a manager's request.
struct PortalRenderer: Sendable {
    private let library: MustacheLibrary

    init(directory: URL) throws {
        var library = MustacheLibrary()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".mustache") }
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            try library.register(text, named: String(file.dropLast(".mustache".count)))
        }
        self.library = library
    }

    static func bundled() throws -> PortalRenderer {
        try PortalRenderer(directory: PortalResources.directory("Templates"))
    }

    func render(_ template: String, _ values: [String: Any]) -> String {
        library.render(values, withTemplate: template) ?? ""
    }
}
