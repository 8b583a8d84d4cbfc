import Foundation

/// Q-MLLM's safety mapping from semantic codes to content categories, calibrated on labelled
/// images: D[k][c] = images of category c assigned to code k, P(c|k) = D[k][c] / Σ_c D[k][c],
/// M(k) = argmax_c P(c|k) when that probability exceeds τ, else benign (0). Category 0 is benign;
/// any other category refuses. Codes never seen in calibration are benign.
public struct SafetyCodeMap: Codable, Sendable, Equatable {
    /// Category names; index 0 is "benign".
    public var categories: [String]
    /// Category per code.
    public var codeCategory: [Int]
    /// Calibration counts [code][category].
    public var counts: [[Int]]
    public var threshold: Double

    /// Calibrates from (code, category) observations.
    public init(codebookSize: Int, categories: [String], observations: [(code: Int, category: Int)], threshold: Double = 0.6) throws {
        guard categories.first == "benign" else { throw DefenseError("category 0 must be \"benign\"") }
        guard threshold >= 0, threshold < 1 else { throw DefenseError("τ must be in [0, 1)") }
        var counts = Array(repeating: Array(repeating: 0, count: categories.count), count: codebookSize)
        for (code, category) in observations {
            guard (0..<codebookSize).contains(code) else { throw DefenseError("code \(code) is outside the codebook (0..<\(codebookSize))") }
            guard (0..<categories.count).contains(category) else { throw DefenseError("category \(category) is not one of \(categories.count)") }
            counts[code][category] += 1
        }
        self.categories = categories
        self.counts = counts
        self.threshold = threshold
        codeCategory = counts.map { row in
            let total = row.reduce(0, +)
            guard total > 0, let best = row.indices.max(by: { row[$0] < row[$1] }) else { return 0 }
            return Double(row[best]) / Double(total) > threshold ? best : 0
        }
    }

    /// The category of `code` (0 = benign).
    public func category(of code: Int) -> Int { (0..<codeCategory.count).contains(code) ? codeCategory[code] : 0 }

    /// Whether `code` is mapped to a harmful category.
    public func isHarmful(_ code: Int) -> Bool { category(of: code) != 0 }
}

/// A defence that cannot be built or applied as asked.
public struct DefenseError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
