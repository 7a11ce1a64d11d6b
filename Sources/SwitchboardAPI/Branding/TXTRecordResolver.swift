/// Looks up DNS TXT records, so a reseller can prove it controls a portal hostname.
///
/// Behind a protocol so tests answer from a table (no network) and production asks the system's
/// nameservers (``DNSTXTResolver``).
package protocol TXTRecordResolver: Sendable {
    /// The text of every TXT record at `name` (each record's strings joined), empty when there are
    /// none or the name does not exist. Throws only when no nameserver answered in time.
    func txtRecords(named name: String) async throws -> [String]
}
