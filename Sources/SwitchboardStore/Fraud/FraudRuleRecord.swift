import Foundation
import SwitchboardDomain

/// A rule with its default setting and every reseller's override.
package struct FraudRuleRecord: Sendable, Equatable {
    package struct Override: Sendable, Equatable {
        package let resellerID: UUID
        package let setting: FraudRuleSetting
    }

    package let rule: FraudRule
    package let setting: FraudRuleSetting
    package var overrides: [Override]
}
