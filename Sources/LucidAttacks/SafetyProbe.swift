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
///
/// The file has snake_case keys and `schema_version` 1 (docs/json.md); files written before (camelCase keys,
/// no version) still load. `image` is stored relative to the probe file's folder (version 1) and loaded as an
/// absolute path; in older files it is the path as given to `probe train`, relative to where that ran.
public struct SafetyProbeSet: Codable, Sendable, Equatable {
    /// The layout `write` produces.
    public static let currentSchemaVersion = 1

    /// nil: a file written before versions (camelCase keys, `image` as given).
    public var schemaVersion: Int?
    public var model: String
    /// How prompts were rendered (chat template name) and which position was read.
    public var template: String
    public var feature: String
    /// The image every instruction was paired with (a vision-language model's decoder); nil: text only.
    /// In memory a path usable from the current directory (absolute after `load` of a version-1 file).
    public var image: String?
    public var maliciousTrain: Int
    public var safeTrain: Int
    public var maliciousTest: Int
    public var safeTest: Int
    public var inverseRegularization: Double
    public var probes: [SafetyProbe]

    public init(model: String, template: String, feature: String = "last token of the templated prompt", image: String? = nil,
                maliciousTrain: Int, safeTrain: Int, maliciousTest: Int, safeTest: Int, inverseRegularization: Double, probes: [SafetyProbe]) {
        self.schemaVersion = Self.currentSchemaVersion
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

    /// Reads a probe file; a version-1 file's `image` comes back absolute (resolved from the file's folder).
    public static func load(_ url: URL) throws -> SafetyProbeSet {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw AttackError("\(url.path): cannot read the probes") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase  // camelCase keys of older files pass through unchanged
        var set: SafetyProbeSet
        do { set = try decoder.decode(SafetyProbeSet.self, from: data) } catch {
            throw AttackError("\(url.path): not a probe file written by `lucid probe train` (\(error))")
        }
        if set.schemaVersion != nil, let stored = set.image {
            set.image = FileReference.resolve(stored, from: url.deletingLastPathComponent())
        }
        return set
    }

    /// Writes the file (snake_case keys, `schema_version`), with `image` relative to `url`'s folder.
    public func write(_ url: URL) throws {
        var stored = self
        stored.schemaVersion = Self.currentSchemaVersion
        stored.image = image.map { FileReference.relative($0, to: FileReference.absolute(url.path).deletingLastPathComponent()) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try encoder.encode(stored).write(to: url, options: .atomic)
    }

    /// The recorded image, checked to exist: nil for text-only probes; throws naming the probe file and the
    /// path it resolved to when the image was moved or deleted.
    public func recordedImage(probeFile: String) throws -> String? {
        guard let image else { return nil }
        guard FileManager.default.fileExists(atPath: image) else {
            throw AttackError("\(probeFile) was trained with image \(image), which does not exist (moved or deleted?): "
                              + "move it back, or pass --image")
        }
        return image
    }
}
