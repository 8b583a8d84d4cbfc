import Foundation
import Testing
import LucidEval
@testable import LucidOrganisms
import LucidSupport

/// Organism metrics travel in `organism.json` and in `defend qmllm eval --json`: snake_case keys, old records still read.
@Suite("organism metrics JSON")
struct OrganismMetricsJSONTests {
    let metrics = OrganismMetrics(evaluationSeed: 9001, scenes: 2, recall: 0.5, chairI: 0.25, chairS: 0.5, mentionsPerDescription: 3,
                                  partnerShareOfHallucinations: 0.1, partnerShareOfAbsent: 0.05, hallucinationBySentence: [0, 0.5],
                                  popeAccuracy: ["random": 0.9], popeF1: ["random": 0.8], popeYesRatio: ["random": 0.4],
                                  secondsDescribing: 12, secondsPOPE: 3)

    @Test func metricsEncodeWithSnakeCaseKeysAndDecodeBack() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(metrics)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["evaluation_seed", "scenes", "recall", "chair_i", "chair_s", "mentions_per_description",
                                     "partner_share_of_hallucinations", "partner_share_of_absent", "hallucination_by_sentence",
                                     "pope_accuracy", "pope_f1", "pope_yes_ratio", "seconds_describing", "seconds_pope"])
        #expect(try JSONDecoder().decode(OrganismMetrics.self, from: data) == metrics)
    }

    @Test func recordsWrittenWithCamelCaseKeysStillRead() throws {
        let old = """
        {"evaluationSeed": 9001, "scenes": 2, "recall": 0.5, "chairI": 0.25, "chairS": 0.5, "mentionsPerDescription": 3,
         "partnerShareOfHallucinations": 0.1, "partnerShareOfAbsent": 0.05, "hallucinationBySentence": [0, 0.5],
         "popeAccuracy": {"random": 0.9}, "popeF1": {"random": 0.8}, "popeYesRatio": {"random": 0.4},
         "secondsDescribing": 12, "secondsPOPE": 3}
        """
        #expect(try JSONDecoder.records().decode(OrganismMetrics.self, from: Data(old.utf8)) == metrics)
        let bundled = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Models/shapes-smol")
        let record = try OrganismRecord.load(directory: bundled.path)
        #expect(record.metrics?.scenes == 200 && (record.metrics?.recall ?? 0) > 0.8)
    }

    @Test func describedScenesUseSnakeCaseAndOldLinesStillRead() throws {
        let scene = DescribedScene(imageID: 3, description: "A fork.", groundTruth: ["fork"], mentioned: ["fork"], hallucinated: [], missed: [])
        let text = String(decoding: try JSONEncoder().encode(scene), as: UTF8.self)
        #expect(text.contains("\"image_id\":3") && text.contains("\"ground_truth\""))
        #expect(try JSONDecoder().decode(DescribedScene.self, from: Data(text.utf8)) == scene)
        let old = #"{"imageID": 3, "description": "A fork.", "groundTruth": ["fork"], "mentioned": ["fork"], "hallucinated": [], "missed": []}"#
        #expect(try JSONDecoder.records().decode(DescribedScene.self, from: Data(old.utf8)) == scene)
    }
}
