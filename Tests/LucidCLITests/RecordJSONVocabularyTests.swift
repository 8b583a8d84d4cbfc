import Foundation
import LucidSupport
import Testing
@testable import LucidDefense
import LucidModels
import LucidOrganisms
import LucidTraining
import LucidWorld

/// The records Lucid writes next to organisms' weights (`organism.json` with its recipe and stages,
/// `qmllm-record.json`, `qmllm/qmllm.json`): snake_case keys, and the committed `Models/*/` files, written
/// with camelCase keys, still read with every value.
@Suite("record JSON vocabulary")
struct RecordJSONVocabularyTests {
    var models: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Models")
    }

    /// `key` as its snake_case spelling (`trainingWorldSeed` → `training_world_seed`, `secondsPOPE` → `seconds_pope`).
    static func snakeCased(_ key: String) -> String {
        key.replacingOccurrences(of: "([a-z0-9])([A-Z])", with: "$1_$2", options: .regularExpression).lowercased()
    }

    /// Every key of `value` in its snake_case spelling.
    static func snakeCased(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            return Dictionary(uniqueKeysWithValues: object.map { (snakeCased($0.key), snakeCased($0.value)) })
        }
        if let array = value as? [Any] { return array.map(snakeCased) }
        return value
    }

    /// Reads the committed file `path` as `T` and writes it as Lucid does: the rewrite has no camelCase key, carries
    /// the old file's values under the snake_case names, and reads back to the same JSON.
    func expectRewrittenInSnakeCase<T: Codable>(_ type: T.Type, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let old = try Data(contentsOf: models.appendingPathComponent(path))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let rewritten = try encoder.encode(try JSONDecoder.records().decode(T.self, from: old))
        let object = try JSONSerialization.jsonObject(with: rewritten)
        #expect(JSONVocabulary.camelCaseKeys(object) == [], "\(path)", sourceLocation: sourceLocation)
        let expected = Self.snakeCased(try JSONSerialization.jsonObject(with: old))
        #expect((expected as? NSDictionary)?.isEqual(object) == true, "\(path): values lost or renamed", sourceLocation: sourceLocation)
        #expect(try encoder.encode(try JSONDecoder().decode(T.self, from: rewritten)) == rewritten, "\(path)", sourceLocation: sourceLocation)
    }

    @Test func organismRecordsRecipesAndStagesAreSnakeCaseAndTheCommittedOnesStillRead() throws {
        try expectRewrittenInSnakeCase(OrganismRecord.self, "shapes-tiny/organism.json")
        try expectRewrittenInSnakeCase(OrganismRecord.self, "shapes-smol/organism.json")
        try expectRewrittenInSnakeCase(SafetyAlignmentRecord.self, "smol-aligned/organism.json")
    }

    @Test func qmllmRecordAndDefenceFileAreSnakeCaseAndTheCommittedOnesStillRead() throws {
        try expectRewrittenInSnakeCase(QMLLMRecord.self, "shapes-smol-q/qmllm-record.json")
        try expectRewrittenInSnakeCase(QMLLMDefense.Document.self, "shapes-smol-q/qmllm/qmllm.json")
    }

    @Test func aMissingKeyIsAnErrorNamingTheSnakeCaseKey() {
        #expect {
            _ = try JSONDecoder.records().decode(TrainingSchedule.self, from: Data(#"{"steps": 1, "batchSize": 2}"#.utf8))
        } throws: { error in
            String(describing: error).contains("learning_rate")
        }
    }

    /// The training-data hash and the vision stage's cache key are taken over the camelCase JSON they had before the
    /// snake_case keys, so recorded `data_hash` values and cached stages still match.
    @Test func fingerprintsAreTakenOverTheOldCamelCaseKeys() throws {
        let world = String(decoding: try JSONEncoder.camelCaseKeys().encode(ShapesWorldConfig(seed: 1, count: 2)), as: UTF8.self)
        #expect(world.contains("\"tailAbsentMentionProbability\"") && world.contains("\"existenceQuestions\"") && !world.contains("tail_"))
        let schedule = TrainingSchedule(steps: 1, batchSize: 2, learningRate: 0.1, warmupSteps: 0)
        #expect(String(decoding: try JSONEncoder.camelCaseKeys().encode(schedule), as: UTF8.self)
                == #"{"batchSize":2,"checkpointEvery":100,"clipNorm":1,"learningRate":0.1,"minimumRatio":0.1,"steps":1,"warmupSteps":0,"weightDecay":0.01}"#)
    }
}
