import Foundation
import Logging
import PostgresNIO
import SwitchboardDomain

public enum TrafficDimension: String, Sendable, CaseIterable {
    case reseller, country, kind

    var column: String {
        switch self {
        case .reseller: "reseller_id"
        case .country: "country"
        case .kind: "kind"
        }
    }
}
