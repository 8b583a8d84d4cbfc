import Foundation
import LucidSupport

/// The per-caption detail of a CHAIR run, one line of the per-caption JSON Lines output.
///
/// Keys (in this order): `file`, `line` (0-based index of the caption in its file), `image_id`,
/// `object_words`, `mentions` (their node words), `hallucinated` (node words of the mentions
/// absent from the ground truth, repeats kept), `chair_s` (0/1), `num_tokens`; and, only when
/// asked for, `gt_objects` (sorted).
public struct CHAIRCaptionResult: Codable, Sendable, Equatable {
    public var file: String
    public var line: Int
    public var imageID: ImageID
    public var objectWords: [String]
    public var mentions: [String]
    public var hallucinated: [String]
    public var chairS: Int
    public var numTokens: Int
    public var groundTruth: [String]

    public init(file: String, line: Int, imageID: ImageID, objectWords: [String], mentions: [String],
                hallucinated: [String], chairS: Int, numTokens: Int, groundTruth: [String]) {
        self.file = file
        self.line = line
        self.imageID = imageID
        self.objectWords = objectWords
        self.mentions = mentions
        self.hallucinated = hallucinated
        self.chairS = chairS
        self.numTokens = numTokens
        self.groundTruth = groundTruth
    }

    enum CodingKeys: String, CodingKey {
        case file, line, imageID = "image_id", objectWords = "object_words", mentions, hallucinated
        case chairS = "chair_s", numTokens = "num_tokens", groundTruth = "gt_objects"
    }

    /// The JSON line, byte-identical to Python's `json.dumps` of the same dict.
    public func jsonLine(includeGroundTruth: Bool = false) -> String {
        var members: [(String, PythonJSON)] = [
            ("file", .string(file)), ("line", .int(line)), ("image_id", imageID.pythonJSON),
            ("object_words", PythonJSON.strings(objectWords)), ("mentions", PythonJSON.strings(mentions)),
            ("hallucinated", PythonJSON.strings(hallucinated)), ("chair_s", .int(chairS)), ("num_tokens", .int(numTokens)),
        ]
        if includeGroundTruth { members.append(("gt_objects", PythonJSON.strings(groundTruth))) }
        return PythonJSON.object(members).text
    }
}

/// Everything a CHAIR run produced: summary, counts, per-caption detail and warnings.
public struct CHAIRReport: Sendable {
    public var variant: CHAIRVocabulary.Variant
    public var counts: CHAIRCounts
    public var captions: [CHAIRCaptionResult]
    public var warnings: CHAIRWarnings

    public init(variant: CHAIRVocabulary.Variant, counts: CHAIRCounts, captions: [CHAIRCaptionResult], warnings: CHAIRWarnings) {
        self.variant = variant
        self.counts = counts
        self.captions = captions
        self.warnings = warnings
    }

    /// The headline numbers (`{"chair_s", "chair_i", "recall", "len", "captions"}`).
    public var summary: CHAIRSummary { counts.summary }

    /// Mean tokens per caption (= Len × 100).
    public var meanTokens: Double { Double(counts.tokens) / Double(max(counts.captions, 1)) }

    /// OPERA's printout, followed by warning lines when there are any.
    public var text: String {
        ([summary.text] + warnings.lines).joined(separator: "\n")
    }

    /// The per-caption JSON Lines (without a trailing newline per line).
    public func perCaptionLines(includeGroundTruth: Bool = false) -> [String] {
        captions.map { $0.jsonLine(includeGroundTruth: includeGroundTruth) }
    }

    /// Writes the per-caption JSON Lines file.
    public func writePerCaption(to url: URL, includeGroundTruth: Bool = false) throws(EvalError) {
        try JSONLines.write(perCaptionLines(includeGroundTruth: includeGroundTruth), to: url)
    }
}
