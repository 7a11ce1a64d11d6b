/// How failed logins slow further attempts down, per client address ("source") and per login
/// e-mail ("account"), instead of locking an account for everyone.
///
/// Each counter allows its free failures, then blocks for base × 2^(failures − free) seconds, at
/// most its cap. The source's cap is long, so one client guessing gets slower and slower; the
/// account's is short, so a stranger failing from elsewhere delays the real manager by at most
/// that long, while the account still limits guesses from many addresses together. Failures older
/// than `forgetAfterSeconds` (outside a block) are forgotten.
public struct LoginThrottleRule: Sendable, Equatable {
    public var sourceFreeFailures = 5
    public var sourceBaseSeconds = 5
    public var sourceCapSeconds = 15 * 60
    public var accountFreeFailures = 10
    public var accountBaseSeconds = 2
    public var accountCapSeconds = 2 * 60
    public var forgetAfterSeconds = 60 * 60

    public init() {}
}
