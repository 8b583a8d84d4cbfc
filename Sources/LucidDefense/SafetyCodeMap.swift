import Foundation
import LucidModels

/// Q-MLLM's safety mapping from semantic codes to content categories, calibrated on labelled
/// images: D[k][c] = images of category c assigned to code k, P(c|k) = D[k][c] / Σ_c D[k][c],
/// M(k) = argmax_c P(c|k) when that probability exceeds τ, else benign (0). Category 0 is benign;
/// any other category refuses. Codes never seen in calibration are benign.
///
/// `reading` says which semantic codes an image is judged by: `.mean`, the released Q-MLLM (one
/// code for the mean of the projected tokens), or `.tokens`, Lucid's deviation (every projected
/// token gets its own code; one harmful code refuses the image; calibration counts every token
/// with its image's category), for scenes where a hazard is one small object among many.
public struct SafetyCodeMap: Codable, Sendable, Equatable {
    /// Which semantic codes an image is judged by.
    public enum Reading: String, Codable, Sendable, CaseIterable {
        /// The released gate: the code of the mean projected token.
        case mean
        /// Lucid's deviation: the code of every projected token; any harmful one refuses.
        case tokens
    }

    /// Category names; index 0 is "benign".
    public var categories: [String]
    /// Category per code.
    public var codeCategory: [Int]
    /// Calibration counts [code][category].
    public var counts: [[Int]]
    public var threshold: Double
    /// How codes were counted and how images are judged (`.mean` when absent from older files).
    public var reading: Reading

    /// Calibrates from (code, category) observations (one per image for `.mean`, one per token for `.tokens`).
    public init(codebookSize: Int, categories: [String], observations: [(code: Int, category: Int)], threshold: Double = 0.6,
                reading: Reading = .mean) throws {
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
        self.reading = reading
        codeCategory = counts.map { row in
            let total = row.reduce(0, +)
            guard total > 0, let best = row.indices.max(by: { row[$0] < row[$1] }) else { return 0 }
            return Double(row[best]) / Double(total) > threshold ? best : 0
        }
    }

    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey { case categories, codeCategory = "code_category", counts, threshold, reading }

    /// Decodes a map; files written before `reading` existed read it as `.mean`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        categories = try c.decode([String].self, forKey: .categories)
        codeCategory = try c.decode([Int].self, forKey: .codeCategory)
        counts = try c.decode([[Int]].self, forKey: .counts)
        threshold = try c.decode(Double.self, forKey: .threshold)
        reading = try c.decodeIfPresent(Reading.self, forKey: .reading) ?? .mean
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
