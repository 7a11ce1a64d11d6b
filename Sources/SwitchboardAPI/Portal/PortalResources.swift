internal import Foundation
import SwitchboardPortalResources

/// Where the portal's resource files (templates, texts, style sheet) are.
enum PortalResources {
    static func directory(_ name: String) throws -> URL {
        guard let url = PortalResourceBundle.directory(name) else { throw Missing(name: name) }
        return url
    }

    struct Missing: Error, CustomStringConvertible {
        let name: String
        var description: String { "The portal's resource folder '\(name)' is missing from the build." }
    }
}
