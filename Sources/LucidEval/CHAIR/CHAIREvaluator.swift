import Foundation

/// Scores generated captions with CHAIR (CHAIR_s, CHAIR_i, Recall, Len) exactly as OPERA's
/// `chair.py` does, against a `CHAIRGroundTruth`.
///
/// Typical use:
/// ```swift
/// let english = try NLTKEnglish()                       // Data/nltk + /usr/share/wordnet
/// let parser = CHAIRCaptionParser(english: english, vocabulary: CHAIRVocabulary(variant: .opera))
/// let truth = try CHAIRGroundTruth.objectList(at: gtURL, vocabulary: parser.vocabulary)
/// let report = try CHAIREvaluator(groundTruth: truth, parser: parser).evaluate(captionsAt: captionsURL)
/// print(report.text)                                    // CHAIRs     : 58.8 …
/// ```
public struct CHAIREvaluator: Sendable {
    /// What to do with a caption whose image has no ground truth.
    public enum UnknownImagePolicy: String, Codable, Sendable, CaseIterable {
        /// Throw `EvalError.unknownImage` (the default: such a caption usually means a wrong file).
        case error
        /// Score it against an empty set, as OPERA's `defaultdict` does (every mention is then a
        /// hallucination); counted in `CHAIRWarnings.unknownImages`.
        case treatAsEmpty
        /// Leave it out of every number; counted in `CHAIRWarnings.unknownImages`.
        case skip
    }

    public let groundTruth: CHAIRGroundTruth
    public let parser: CHAIRCaptionParser

    public init(groundTruth: CHAIRGroundTruth, parser: CHAIRCaptionParser) {
        self.groundTruth = groundTruth
        self.parser = parser
    }

    /// Reads a caption file (see `CHAIRCaption.load`) and scores it; per-caption `file` is the
    /// file name without extension.
    public func evaluate(captionsAt url: URL, imageIDKey: String = "image_id", captionKey: String = "caption",
                         unknownImages: UnknownImagePolicy = .error) throws(EvalError) -> CHAIRReport {
        let (captions, blank) = try CHAIRCaption.load(from: url, imageIDKey: imageIDKey, captionKey: captionKey)
        var report = try evaluate(captions, file: url.deletingPathExtension().lastPathComponent, path: url.path, unknownImages: unknownImages)
        report.warnings.blankLines = blank
        return report
    }

    /// Scores captions held in memory; `file` labels the per-caption lines, `path` the errors.
    public func evaluate(_ captions: [CHAIRCaption], file: String = "captions", path: String? = nil,
                         unknownImages: UnknownImagePolicy = .error) throws(EvalError) -> CHAIRReport {
        let path = path ?? file
        var counts = CHAIRCounts()
        var warnings = CHAIRWarnings()
        warnings.groundTruthSynonyms = groundTruth.synonymsMapped
        var results: [CHAIRCaptionResult] = []
        results.reserveCapacity(captions.count)
        for (index, caption) in captions.enumerated() {
            let truth: Set<String>
            if let known = groundTruth.objects(for: caption.imageID) {
                truth = known
            } else {
                switch unknownImages {
                case .error: throw .unknownImage(path: path, line: caption.line, imageID: caption.imageID.key)
                case .treatAsEmpty: truth = []; warnings.unknownImages += 1
                case .skip: warnings.unknownImages += 1; continue
                }
            }
            let mentions = parser.mentions(in: caption.caption)
            if mentions.tokens.isEmpty { warnings.emptyCaptions += 1 }
            var hallucinated: [String] = []
            var recalled = Set<String>()
            for node in mentions.nodeWords {
                if truth.contains(node) { recalled.insert(node) } else { hallucinated.append(node) }
            }
            counts.captions += 1
            counts.mentions += mentions.nodeWords.count
            counts.hallucinatedMentions += hallucinated.count
            counts.hallucinatedCaptions += hallucinated.isEmpty ? 0 : 1
            counts.groundTruthObjects += truth.count
            counts.recalledObjects += recalled.count
            counts.tokens += mentions.tokens.count
            results.append(CHAIRCaptionResult(
                file: file, line: index, imageID: caption.imageID, objectWords: mentions.objectWords,
                mentions: mentions.nodeWords, hallucinated: hallucinated, chairS: hallucinated.isEmpty ? 0 : 1,
                numTokens: mentions.tokens.count, groundTruth: truth.sorted()))
        }
        guard counts.captions > 0 else { throw .emptyInput(path: path) }
        return CHAIRReport(variant: parser.vocabulary.variant, counts: counts, captions: results, warnings: warnings)
    }
}
