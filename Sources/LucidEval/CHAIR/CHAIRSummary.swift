import Foundation
import LucidSupport

/// CHAIR's headline numbers as fractions, encoded as `{"chair_s", "chair_i", "recall", "len", "captions"}`.
///
/// Definitions (OPERA's `compute_chair`): CHAIR_s = captions with ≥ 1 hallucinated mention ÷
/// captions; CHAIR_i = hallucinated mentions ÷ mentions (repeats counted); Recall = Σ distinct
/// correctly mentioned categories ÷ Σ ground-truth categories (per caption, micro-averaged);
/// Len = 0.01 × mean tokens per caption (OPERA's scale: ×100 gives the mean token count).
/// CHAIR_i is null when no caption mentions any object, Recall when no image has ground-truth
/// objects (Python would divide by zero).
public struct CHAIRSummary: Codable, Sendable, Equatable {
    public var chairS: Double
    @NullWhenAbsent public var chairI: Double?
    @NullWhenAbsent public var recall: Double?
    public var len: Double
    public var captions: Int

    public init(chairS: Double, chairI: Double?, recall: Double?, len: Double, captions: Int) {
        self.chairS = chairS
        self.chairI = chairI
        self.recall = recall
        self.len = len
        self.captions = captions
    }

    enum CodingKeys: String, CodingKey {
        case chairS = "chair_s", chairI = "chair_i", recall, len, captions
    }

    /// OPERA's `print_metrics`: each value ×100 with one decimal, keys padded to 10 columns
    /// (`CHAIRs     : 58.8`); an undefined value prints as `n/a`.
    public var text: String {
        func line(_ key: String, _ value: Double?) -> String {
            let padded = key.padding(toLength: max(10, key.count), withPad: " ", startingAt: 0)
            return "\(padded): " + (value.map { String(format: "%.1f", $0 * 100) } ?? "n/a")
        }
        return [line("CHAIRs", chairS), line("CHAIRi", chairI), line("Recall", recall), line("Len", len)].joined(separator: "\n")
    }
}

/// The integer counts behind a `CHAIRSummary` (the `counts` of Lucid's expected-output files).
public struct CHAIRCounts: Codable, Sendable, Equatable {
    public var captions = 0
    public var hallucinatedCaptions = 0
    public var mentions = 0
    public var hallucinatedMentions = 0
    public var groundTruthObjects = 0
    public var recalledObjects = 0
    public var tokens = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case captions = "num_captions", hallucinatedCaptions = "num_hallucinated_captions"
        case mentions = "num_object_mentions", hallucinatedMentions = "num_hallucinated_mentions"
        case groundTruthObjects = "num_gt_objects", recalledObjects = "num_recalled_gt_objects", tokens = "num_tokens"
    }

    /// The summary these counts give, computed with chair.py's floating-point operations.
    public var summary: CHAIRSummary {
        let n = Double(captions)
        return CHAIRSummary(
            chairS: Double(hallucinatedCaptions) / n,
            chairI: mentions > 0 ? Double(hallucinatedMentions) / Double(mentions) : nil,
            recall: groundTruthObjects > 0 ? Double(recalledObjects) / Double(groundTruthObjects) : nil,
            len: 0.01 * Double(tokens) / n,
            captions: captions)
    }
}

/// Inputs CHAIR accepted but that deserve a look; none changes a number silently.
public struct CHAIRWarnings: Codable, Sendable, Equatable {
    /// Blank lines skipped in the caption file.
    public var blankLines = 0
    /// Captions without any token (scored as OPERA does: no mention, not hallucinated, Len 0).
    public var emptyCaptions = 0
    /// Captions whose image has no ground truth, scored with an empty set (`.treatAsEmpty`,
    /// OPERA's behaviour) or left out (`.skip`).
    public var unknownImages = 0
    /// Ground-truth names that were synonyms, replaced by their category.
    public var groundTruthSynonyms = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case blankLines = "blank_lines", emptyCaptions = "empty_captions"
        case unknownImages = "unknown_images", groundTruthSynonyms = "ground_truth_synonyms"
    }

    /// One line per non-zero counter.
    public var lines: [String] {
        var out: [String] = []
        if blankLines > 0 { out.append("warning: \(blankLines) blank line(s) skipped") }
        if emptyCaptions > 0 { out.append("warning: \(emptyCaptions) empty caption(s) scored as mentioning nothing") }
        if unknownImages > 0 { out.append("warning: \(unknownImages) caption(s) of images without ground truth") }
        if groundTruthSynonyms > 0 { out.append("warning: \(groundTruthSynonyms) ground-truth synonym(s) mapped to their category") }
        return out
    }
}
