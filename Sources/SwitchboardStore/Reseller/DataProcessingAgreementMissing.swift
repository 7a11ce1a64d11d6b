/// People's data cannot be stored before the reseller accepts the current data-processing agreement
/// (the policies on processor-scope tables refuse the row).
public struct DataProcessingAgreementMissing: Error, Sendable, Equatable {
    public init() {}
}
