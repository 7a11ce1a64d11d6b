import Foundation
import Logging
import NIOSSL
import PostgresNIO

public enum DatabaseTargetError: Error, CustomStringConvertible {
    case invalidURL(String)

    public var description: String {
        switch self {
        case .invalidURL(let message): return message
        }
    }
}
