import Foundation

/// SCAV's linear probe for one layer: P_m(e) = σ(wᵀe + b), "the model regards the input as malicious".
public struct SafetyProbe: Codable, Sendable, Equatable {
    /// Hidden-state index the probe was trained on (Hugging Face: 0 = embeddings, i = output of decoder layer i−1).
    public var hiddenState: Int
    public var weight: [Double]
    public var bias: Double
    public var trainAccuracy: Double
    public var testAccuracy: Double

    public init(hiddenState: Int, weight: [Double], bias: Double, trainAccuracy: Double, testAccuracy: Double) {
        self.hiddenState = hiddenState
        self.weight = weight
        self.bias = bias
        self.trainAccuracy = trainAccuracy
        self.testAccuracy = testAccuracy
    }

    /// wᵀe + b for a feature vector.
    public func logit(_ features: [Double]) -> Double {
        zip(weight, features).reduce(bias) { $0 + $1.0 * $1.1 }
    }

    /// P_m(e).
    public func probability(_ features: [Double]) -> Double { 1 / (1 + Foundation.exp(-logit(features))) }

    public var weightNorm: Double { weight.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}

/// The probes of every layer of one model, as `lucid probe train` writes them (`probes.json`).
public struct SafetyProbeSet: Codable, Sendable, Equatable {
    public var model: String
    /// How prompts were rendered (chat template name) and which position was read.
    public var template: String
    public var feature: String
    /// The image every instruction was paired with (a vision-language model's decoder); nil: text only.
    public var image: String?
    public var maliciousTrain: Int
    public var safeTrain: Int
    public var maliciousTest: Int
    public var safeTest: Int
    public var inverseRegularization: Double
    public var probes: [SafetyProbe]

    public init(model: String, template: String, feature: String = "last token of the templated prompt", image: String? = nil,
                maliciousTrain: Int, safeTrain: Int, maliciousTest: Int, safeTest: Int, inverseRegularization: Double, probes: [SafetyProbe]) {
        self.model = model
        self.template = template
        self.feature = feature
        self.image = image
        self.maliciousTrain = maliciousTrain
        self.safeTrain = safeTrain
        self.maliciousTest = maliciousTest
        self.safeTest = safeTest
        self.inverseRegularization = inverseRegularization
        self.probes = probes
    }

    public static func load(_ url: URL) throws -> SafetyProbeSet {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw AttackError("\(url.path): cannot read the probes") }
        do { return try JSONDecoder().decode(SafetyProbeSet.self, from: data) } catch {
            throw AttackError("\(url.path): not a probe file written by `lucid probe train` (\(error))")
        }
    }

    public func write(_ url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }
}
