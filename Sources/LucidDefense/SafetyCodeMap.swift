import Foundation
import LucidModels

/// Q-MLLM's safety mapping from semantic codes to content categories, calibrated on labelled
/// images: D[k][c] = images of category c assigned to code k, P(c|k) = D[k][c] / Σ_c D[k][c],
/// M(k) = argmax_c P(c|k) when that probability exceeds τ, else benign (0). Category 0 is benign;
/// any other category refuses. Codes never seen in calibration are benign.
///
/// `reading` says which semantic codes an image is judged by: `.mean`, the released Q-MLLM (one
/// code for the mean of the projected tokens), or `.tokens`, Lucid's deviation (every projected
/// token gets its own code; one harmful code refuses the image), for scenes where a hazard is one
/// small object among many. `tokenLabels` says what a token counted as in calibration: its image's
/// category (`.image`, as the paper maps whole images) or, for `.tokens` only, the category of the
/// hazard its patch shows (`.cells`, Lucid's deviation; docs/defense.md).
public struct SafetyCodeMap: Codable, Sendable, Equatable {
    /// Which semantic codes an image is judged by.
    public enum Reading: String, Codable, Sendable, CaseIterable {
        /// The released gate: the code of the mean projected token.
        case mean
        /// Lucid's deviation: the code of every projected token; any harmful one refuses.
        case tokens
    }

    /// What each calibration observation of the token reading counted as.
    public enum TokenLabels: String, Codable, Sendable, CaseIterable {
        /// Every code the gate reads counts with its image's category (the paper's image-level mapping).
        case image
        /// Each token's code counts with the category of the hazard its patch shows, else benign
        /// (Lucid's deviation; token reading only).
        case cells
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
    /// How the calibration labelled tokens (`.image` when absent from the file; written only for `.cells`).
    public var tokenLabels: TokenLabels {
        get { storedTokenLabels ?? .image }
        set { storedTokenLabels = newValue == .image ? nil : newValue }
    }
    /// nil for `.image`, so that maps labelled by image encode without the key, as before it existed.
    private var storedTokenLabels: TokenLabels?
    /// How the semantic codebook was re-fitted for the token gate before this calibration
    /// (`QMLLMTokenCodebook`; nil: the codebook is the trainer's, and the key is absent).
    public var codebookFit: CodebookFit?

    /// Calibrates from (code, category) observations (one per image for `.mean`, one per token for
    /// `.tokens`, categorised as `tokenLabels` says).
    public init(codebookSize: Int, categories: [String], observations: [(code: Int, category: Int)], threshold: Double = 0.6,
                reading: Reading = .mean, tokenLabels: TokenLabels = .image) throws {
        guard categories.first == "benign" else { throw DefenseError("category 0 must be \"benign\"") }
        guard threshold >= 0, threshold < 1 else { throw DefenseError("τ must be in [0, 1)") }
        try Self.check(reading: reading, tokenLabels: tokenLabels)
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
        storedTokenLabels = tokenLabels == .image ? nil : tokenLabels
        codeCategory = counts.map { row in
            let total = row.reduce(0, +)
            guard total > 0, let best = row.indices.max(by: { row[$0] < row[$1] }) else { return 0 }
            return Double(row[best]) / Double(total) > threshold ? best : 0
        }
    }

    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey { case categories, codeCategory = "code_category", counts, threshold, reading, storedTokenLabels = "token_labels", codebookFit = "codebook_fit" }

    /// Cell labels name the patch each token shows, so they exist only for the token reading.
    static func check(reading: Reading, tokenLabels: TokenLabels) throws(DefenseError) {
        if tokenLabels == .cells && reading != .tokens {
            throw DefenseError("token labels by cell need the token reading (--gate tokens): the \(reading.rawValue) reading judges an image by one code, which no cell owns")
        }
    }

    /// Decodes a map; files written before `reading` existed read it as `.mean`, files without
    /// `token_labels` as `.image`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        categories = try c.decode([String].self, forKey: .categories)
        codeCategory = try c.decode([Int].self, forKey: .codeCategory)
        counts = try c.decode([[Int]].self, forKey: .counts)
        threshold = try c.decode(Double.self, forKey: .threshold)
        reading = try c.decodeIfPresent(Reading.self, forKey: .reading) ?? .mean
        let tokenLabels = try c.decodeIfPresent(TokenLabels.self, forKey: .storedTokenLabels) ?? .image
        try Self.check(reading: reading, tokenLabels: tokenLabels)
        storedTokenLabels = tokenLabels == .image ? nil : tokenLabels
        codebookFit = try c.decodeIfPresent(CodebookFit.self, forKey: .codebookFit)
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
