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

    /// snake_case keys (docs/json.md); `init(from:)` also reads the camelCase keys of records written before.
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

extension OrganismMetrics {
    /// The property name as the key of records written before the snake_case vocabulary (`chairI`, `secondsPOPE`).
    struct LegacyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        init(_ key: CodingKeys) {
            switch key {
            case .evaluationSeed: stringValue = "evaluationSeed"
            case .scenes: stringValue = "scenes"
            case .recall: stringValue = "recall"
            case .chairI: stringValue = "chairI"
            case .chairS: stringValue = "chairS"
            case .mentionsPerDescription: stringValue = "mentionsPerDescription"
            case .partnerShareOfHallucinations: stringValue = "partnerShareOfHallucinations"
            case .partnerShareOfAbsent: stringValue = "partnerShareOfAbsent"
            case .hallucinationBySentence: stringValue = "hallucinationBySentence"
            case .popeAccuracy: stringValue = "popeAccuracy"
            case .popeF1: stringValue = "popeF1"
            case .popeYesRatio: stringValue = "popeYesRatio"
            case .secondsDescribing: stringValue = "secondsDescribing"
            case .secondsPOPE: stringValue = "secondsPOPE"
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let old = try decoder.container(keyedBy: LegacyKey.self)
        func value<T: Decodable>(_ key: CodingKeys, _ type: T.Type = T.self) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? old.decode(T.self, forKey: LegacyKey(key))
        }
        self.init(evaluationSeed: try value(.evaluationSeed), scenes: try value(.scenes), recall: try value(.recall), chairI: try value(.chairI),
                  chairS: try value(.chairS), mentionsPerDescription: try value(.mentionsPerDescription),
                  partnerShareOfHallucinations: try value(.partnerShareOfHallucinations), partnerShareOfAbsent: try value(.partnerShareOfAbsent),
                  hallucinationBySentence: try value(.hallucinationBySentence), popeAccuracy: try value(.popeAccuracy), popeF1: try value(.popeF1),
                  popeYesRatio: try value(.popeYesRatio), secondsDescribing: try value(.secondsDescribing), secondsPOPE: try value(.secondsPOPE))
    }
}
