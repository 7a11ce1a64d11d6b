import Foundation

/// The managers' portal's resource files: Mustache templates (`Templates/`), the Danish and
/// English texts (`Texts/`) and the style sheet (`Assets/`). A module of their own, so the
/// bundle accessor SwiftPM generates stays out of the modules that control their imports.
public enum PortalResourceBundle {
    /// The folder `name` inside the bundle; nil when the build lacks it.
    public static func directory(_ name: String) -> URL? {
        Bundle.module.url(forResource: name, withExtension: nil)
    }
}
