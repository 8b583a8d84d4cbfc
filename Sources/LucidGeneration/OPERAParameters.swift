import LucidTensor

/// OPERA (Huang et al., CVPR 2024): beam search whose candidates are re-ranked by an over-trust
/// penalty on the last layer's attention, with retrospection (rollback) when a "summary token"
/// keeps attracting the attention. Defaults are the official code's; paper variants are options.
public struct OPERAParameters: Sendable, Equatable {
    /// How the column product becomes a penalty.
    public enum PenaltyMode: String, Sendable {
        /// The official code's fp16 arithmetic: a product above 65504 overflows to +∞ (the candidate
        /// is excluded); below, the penalty is 1e-7·product (pitfall 1.10.1).
        case official
        /// A smooth f32 penalty 1e-7·product, as the paper's formula.
        case smooth
    }

    /// How the rollback count is compared with the threshold.
    public enum ThresholdComparison: String, Sendable {
        /// count > r (official code).
        case greater
        /// count ≥ r (paper).
        case atLeast
    }

    public var beams = 5
    /// N_can: candidates per beam (top of the raw logits), each looked ahead one step.
    public var candidates = 5
    /// σ, scaling the attention so aggregation patterns exceed 1.
    public var scale = 50.0
    /// r, the rollback threshold.
    public var threshold = 15
    /// α, the penalty weight; 0 turns the penalty off (in the official code, 0 times an fp16-overflowed penalty is
    /// NaN and the scores become NaN; Lucid leaves the candidates' logits as they are).
    public var penaltyWeight = 1.0
    /// β, rollbacks allowed per position (nil = `candidates`, as the official code ties them).
    public var maxRollbacksPerPosition: Int?
    /// A fixed local window of the last k response tokens (nil = the whole response, official).
    public var window: Int?
    public var penaltyMode = PenaltyMode.official
    public var thresholdComparison = ThresholdComparison.greater
    /// The official code's first-tokens rule: for the first N response tokens the penalty is minus
    /// the candidate's attention mass on the image (a bonus). 0 disables it.
    public var imageBonusTokens = 10
    /// Rollback only to summary locations at or after this response index (official: 10).
    public var minimumSummaryLocation = 10
    public var lengthPenalty = 1.0
    public var earlyStopping = EarlyStopping.heuristic
    /// What a hypothesis's length counts: the new tokens (as Lucid's beam search, the default) or, as the official
    /// code's transformers 4.29 does, the whole sequence (`HypothesisLength.sequence`).
    public var hypothesisLength = HypothesisLength.new

    public init() {}

    /// The README's "efficient" setting: one candidate, r = 25.
    public static var efficient: OPERAParameters {
        var p = OPERAParameters()
        p.candidates = 1
        p.threshold = 25
        return p
    }

    var rollbackLimit: Int { maxRollbacksPerPosition ?? candidates }

    public func validate() throws(GenerationError) {
        guard beams >= 1 && beams <= 64 else { throw .invalidOption("OPERA beams must be in 1…64") }
        guard candidates >= 1 else { throw .invalidOption("OPERA candidates must be ≥ 1") }
        guard scale > 0, scale.isFinite else { throw .invalidOption("OPERA scale σ must be > 0") }
        guard threshold >= 1 else { throw .invalidOption("OPERA threshold r must be ≥ 1") }
        guard penaltyWeight >= 0, penaltyWeight.isFinite else { throw .invalidOption("OPERA penalty weight must be ≥ 0") }
        if let window, window < 1 { throw .invalidOption("OPERA window must be ≥ 1") }
    }
}

/// The pure parts of OPERA, testable on hand-built matrices.
public enum OPERAMechanics {
    /// Column scores of a local attention window [n, n] (rows = response tokens incl. the candidate,
    /// already row-normalised over all keys and scaled by σ): score_j = ∏_{i ≥ j} a[i, j], then the
    /// penalty form. Returns (max penalty, argmax column).
    public static func columnPenalty(_ local: [[Double]], mode: OPERAParameters.PenaltyMode) -> (penalty: Double, column: Int) {
        let n = local.count
        var best = (penalty: -Double.infinity, column: 0)
        for j in 0..<n {
            var product = 1.0
            var overflow = false
            for i in j..<n {
                product *= local[i][j]
                if mode == .official && product > 65504 { overflow = true }
            }
            let penalty = overflow ? Double.infinity : 1e-7 * product
            if penalty > best.penalty { best = (penalty, j) }
        }
        return best
    }

    /// The most frequent value (ties: the smallest, as torch.mode).
    public static func mode(_ values: [Int]) -> Int {
        var counts: [Int: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        return counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key ?? 0
    }

    /// Whether to roll back: every beam's history holds the global summary location s more than
    /// (or at least) r times, and s is late enough. Returns s when triggered.
    public static func rollbackLocation(histories: [[Int]], threshold: Int, comparison: OPERAParameters.ThresholdComparison,
                                        minimumLocation: Int) -> Int? {
        guard !histories.isEmpty, histories.allSatisfy({ !$0.isEmpty }) else { return nil }
        let s = mode(histories.map { mode($0) })
        guard s >= minimumLocation else { return nil }
        for history in histories {
            let count = history.filter { $0 == s }.count
            let passes = comparison == .greater ? count > threshold : count >= threshold
            if !passes { return nil }
        }
        return s
    }
}
