/// Hallucination and grounding of an organism on held-out ShapesWorld scenes.
///
/// Mentions are read with `ShapesWorldVocabulary` (category nouns, plurals and two-word names),
/// once per category per description. CHAIR_i = hallucinated mentions / mentions; CHAIR_s =
/// descriptions with a hallucination / descriptions; recall = ground-truth categories mentioned /
/// ground-truth categories. (`lucid eval chair --synonyms` gives the NLTK-based CHAIR on the same
/// descriptions; `lucid demo` reports both.)
public struct OrganismMetrics: Codable, Sendable, Equatable {
    public var evaluationSeed: UInt64
    public var scenes: Int
    public var recall: Double
    public var chairI: Double
    public var chairS: Double
    public var mentionsPerDescription: Double
    /// Share of hallucinated mentions that are co-occurrence partners of an object in the scene.
    public var partnerShareOfHallucinations: Double
    /// Share of absent categories that are partners of an object in the scene (the chance level
    /// for the line above).
    public var partnerShareOfAbsent: Double
    /// Hallucinated mentions / mentions in sentence 1, 2, … of the descriptions (index 5 = 6th and later).
    public var hallucinationBySentence: [Double]
    /// POPE accuracy per split (random, popular, adversarial), greedy answers (up to 3 tokens) read as yes/no.
    public var popeAccuracy: [String: Double]
    public var popeF1: [String: Double]
    public var popeYesRatio: [String: Double]
    public var secondsDescribing: Double
    public var secondsPOPE: Double

    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case evaluationSeed = "evaluation_seed", scenes, recall, chairI = "chair_i", chairS = "chair_s"
        case mentionsPerDescription = "mentions_per_description", partnerShareOfHallucinations = "partner_share_of_hallucinations"
        case partnerShareOfAbsent = "partner_share_of_absent", hallucinationBySentence = "hallucination_by_sentence"
        case popeAccuracy = "pope_accuracy", popeF1 = "pope_f1", popeYesRatio = "pope_yes_ratio"
        case secondsDescribing = "seconds_describing", secondsPOPE = "seconds_pope"
    }

    /// Mean POPE accuracy over the splits.
    public var popeMeanAccuracy: Double {
        popeAccuracy.isEmpty ? 0 : popeAccuracy.values.reduce(0, +) / Double(popeAccuracy.count)
    }
}

extension OrganismMetrics {
    /// A few lines for the terminal and the closing notes.
    public var summaryText: String {
        func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
        let pope = ["random", "popular", "adversarial"].compactMap { split in popeAccuracy[split].map { "\(split) \(pct($0))" } }
        return """
        held-out scenes: \(scenes) (world seed \(evaluationSeed))
        recall \(pct(recall)) · CHAIR_i \(pct(chairI)) · CHAIR_s \(pct(chairS)) · \(String(format: "%.2f", mentionsPerDescription)) objects mentioned per description
        hallucinated objects that are co-occurrence partners: \(pct(partnerShareOfHallucinations)) (chance \(pct(partnerShareOfAbsent)))
        hallucination by sentence: \(hallucinationBySentence.map(pct).joined(separator: " "))
        POPE accuracy: \(pope.joined(separator: " · "))
        """
    }
}
