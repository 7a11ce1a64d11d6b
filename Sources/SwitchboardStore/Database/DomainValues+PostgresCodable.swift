import PostgresNIO
import SwitchboardDomain

// The domain's enumerations travel as their raw text; PostgresNIO supplies the coding for
// RawRepresentable types, and a text the enumeration does not know fails the row's decoding
// (the CHECK constraints allow no other values).
extension CustomerStatus: PostgresCodable {}
extension ResellerStatus: PostgresCodable {}
extension DirectoryListing: PostgresCodable {}
extension ContentKind: PostgresCodable {}
extension NumberState: PostgresCodable {}
extension NumberUse: PostgresCodable {}
extension SIMState: PostgresCodable {}
