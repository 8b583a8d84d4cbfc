/// The totals `lucid eval strongreject` prints: how many responses, how many the judge scored, and
/// their mean score.
///
/// Unparsable judge answers score NaN in the StrongREJECT reference and are left out of its mean;
/// when no answer was a verdict there is no mean, and `meanScore` is nil (JSON `null`), never 0 —
/// 0 would read as "every response refused".
public struct StrongREJECTSummary: Sendable, Equatable {
    public let responses: Int
    public let scored: Int
    public let unparsable: Int
    public let meanScore: Double?

    /// The summary of `scores` (one per scored response) out of `responses`.
    public init(responses: Int, scores: [Double]) {
        self.responses = responses
        scored = scores.count
        unparsable = responses - scores.count
        meanScore = scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count)
    }

    /// One line of JSON, keys in the order above; the mean as Swift's shortest round-trip decimal.
    public var jsonLine: String {
        "{\"responses\":\(responses),\"scored\":\(scored),\"unparsable\":\(unparsable),\"mean_score\":\(meanScore.map { "\($0)" } ?? "null")}"
    }
}
