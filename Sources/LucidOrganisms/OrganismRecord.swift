import Foundation
import LucidFiles
import LucidModels
import LucidSupport
import LucidTraining

/// What is recorded next to an organism's weights: how it was made and how it scores.
public struct OrganismRecord: Codable, Sendable, Equatable {
    public var name: String
    public var recipe: OrganismRecipe
    /// `--scale` the recipe ran with (1 = the shipped recipe).
    public var scale: Double
    /// SHA-256 of the training data (world configuration and every scene's text).
    public var dataHash: String
    public var stages: [StageSummary]
    public var trainingSeconds: Double
    /// libtorch intra-op threads and OpenBLAS threads during training.
    public var threads: String
    public var metrics: OrganismMetrics?
    public var command: String

    public init(name: String, recipe: OrganismRecipe, scale: Double, dataHash: String, stages: [StageSummary],
                trainingSeconds: Double, threads: String, metrics: OrganismMetrics?, command: String) {
        self.name = name
        self.recipe = recipe
        self.scale = scale
        self.dataHash = dataHash
        self.stages = stages
        self.trainingSeconds = trainingSeconds
        self.threads = threads
        self.metrics = metrics
        self.command = command
    }

    /// Reads `organism.json` from `directory`.
    public static func load(directory: String) throws -> OrganismRecord {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(OrganismDirectory.recordFile)
        return try JSONDecoder.records().decode(OrganismRecord.self, from: Data(try SafeFile.read(url.path, maxBytes: 16 << 20)))
    }
}

extension OrganismRecord {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case name, recipe, scale, dataHash = "data_hash"
        case stages, trainingSeconds = "training_seconds", threads, metrics
        case command
    }
}
