/// What a reseller publishes to prove it controls a hostname.
enum BrandHostnameVerification {
    /// The TXT record's text: a neutral label (it is public in DNS, and names neither the
    /// platform nor this product) and the hostname's own random token.
    static func recordValue(token: String) -> String { "portal-verification=" + token }
}
