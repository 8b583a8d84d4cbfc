/// Options of the generated text (see ``SceneText``).
public struct SceneTextOptions: Codable, Sendable, Equatable, Hashable {
    /// Probability that a description's loosely related tail names an object category that is
    /// **not** in the image (preferably a bias partner of a present object), mirroring the
    /// instruction-data defect that teaches models to hallucinate. 0 keeps tails free of
    /// hallucinated objects.
    public var tailAbsentMentionProbability: Double
    /// Probability that the tail (when it names no absent object) names a present object.
    public var tailPresentMentionProbability: Double
    /// Yes/no existence questions per image: up to this many "yes" and as many "no".
    public var existenceQuestions: Int
    /// When the tail names an absent object and a present object has an absent bias partner,
    /// the probability that the named object is such a partner (as LLaVA's data puts a knife
    /// beside a fork). Higher values teach the co-occurrence hallucination more directly.
    public var tailPartnerPreference: Double
    /// When the tail names no partner (none absent, or the preference coin said no), the
    /// probability that it still names another absent object (of the scene's theme, else any).
    /// Lower values make partners a larger share of the tails' invented objects.
    public var tailOtherAbsentProbability: Double

    /// Options; the defaults are those of ``ShapesWorldConfig``.
    public init(tailAbsentMentionProbability: Double = 0.5, tailPresentMentionProbability: Double = 0.4,
                existenceQuestions: Int = 2, tailPartnerPreference: Double = 0.7, tailOtherAbsentProbability: Double = 1) {
        self.tailAbsentMentionProbability = tailAbsentMentionProbability
        self.tailPresentMentionProbability = tailPresentMentionProbability
        self.existenceQuestions = existenceQuestions
        self.tailPartnerPreference = tailPartnerPreference
        self.tailOtherAbsentProbability = tailOtherAbsentProbability
    }

    /// snake_case keys (docs/json.md).
    private enum CodingKeys: String, CodingKey {
        case tailAbsentMentionProbability = "tail_absent_mention_probability"
        case tailPresentMentionProbability = "tail_present_mention_probability", existenceQuestions = "existence_questions"
        case tailPartnerPreference = "tail_partner_preference", tailOtherAbsentProbability = "tail_other_absent_probability"
    }

    /// The camelCase keys of records written before the snake_case vocabulary (`Models/shapes-smol/organism.json`).
    private enum LegacyKeys: String, CodingKey {
        case tailAbsentMentionProbability, tailPresentMentionProbability, existenceQuestions
        case tailPartnerPreference, tailOtherAbsentProbability
    }

    /// Decodes options (snake_case keys, or the camelCase keys of older records); the partner keys are optional
    /// (records written before they existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.contains(.tailAbsentMentionProbability) else {
            let old = try decoder.container(keyedBy: LegacyKeys.self)
            let defaults = SceneTextOptions()
            self.init(tailAbsentMentionProbability: try old.decode(Double.self, forKey: .tailAbsentMentionProbability),
                      tailPresentMentionProbability: try old.decode(Double.self, forKey: .tailPresentMentionProbability),
                      existenceQuestions: try old.decode(Int.self, forKey: .existenceQuestions),
                      tailPartnerPreference: try old.decodeIfPresent(Double.self, forKey: .tailPartnerPreference)
                          ?? defaults.tailPartnerPreference,
                      tailOtherAbsentProbability: try old.decodeIfPresent(Double.self, forKey: .tailOtherAbsentProbability)
                          ?? defaults.tailOtherAbsentProbability)
            return
        }
        let defaults = SceneTextOptions()
        self.init(tailAbsentMentionProbability: try container.decode(Double.self, forKey: .tailAbsentMentionProbability),
                  tailPresentMentionProbability: try container.decode(Double.self, forKey: .tailPresentMentionProbability),
                  existenceQuestions: try container.decode(Int.self, forKey: .existenceQuestions),
                  tailPartnerPreference: try container.decodeIfPresent(Double.self, forKey: .tailPartnerPreference)
                      ?? defaults.tailPartnerPreference,
                  tailOtherAbsentProbability: try container.decodeIfPresent(Double.self, forKey: .tailOtherAbsentProbability)
                      ?? defaults.tailOtherAbsentProbability)
    }

    /// Throws ``ShapesWorldError/invalidConfig(_:)`` for probabilities outside [0, 1] or a
    /// negative question count.
    public func validate() throws(ShapesWorldError) {
        for (name, value) in [("tail absent-mention", tailAbsentMentionProbability),
                              ("tail present-mention", tailPresentMentionProbability),
                              ("tail partner-preference", tailPartnerPreference),
                              ("tail other-absent", tailOtherAbsentProbability)] {
            guard value.isFinite, (0 ... 1).contains(value) else {
                throw .invalidConfig("\(name) probability \(value) is not in [0, 1]")
            }
        }
        guard existenceQuestions >= 0 else { throw .invalidConfig("existence question count \(existenceQuestions) is negative") }
    }
}
