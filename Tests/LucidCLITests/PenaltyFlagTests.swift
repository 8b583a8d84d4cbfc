import Foundation
import Testing

/// `lucid generate --repetition-penalty / --presence-penalty / --frequency-penalty` decode what transformers decodes
/// with those penalties (the cases of Tests/LucidModelsTests/Fixtures/llama/penalties.json), and bad values or a
/// method that applies none are refused before the model loads.
@Suite("penalty flags", .serialized)
struct PenaltyFlagTests {
    static var llamaFixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("LucidModelsTests/Fixtures/llama")
    }

    @Test func generateWithPenaltyFlagsMatchesTransformers() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.llamaFixtures.appendingPathComponent("penalties.json"))) as? [String: Any])
        let cases = try #require(document["cases"] as? [[String: Any]]).filter { $0["configuration"] as? String == "llama-mha" }
        try #require(cases.count >= 3)
        for item in cases {
            let prompt = (item["prompt"] as? [Int] ?? []).map(String.init).joined(separator: ",")
            let expected = try #require(item["tokens"] as? [Int])
            let flags = ["--repetition-penalty", "--presence-penalty", "--frequency-penalty"]
            let values = ["repetition", "presence", "frequency"].map { "\(item[$0] as? Double ?? .nan)" }
            let result = try LucidProcess.run(["generate", "--model", Self.llamaFixtures.appendingPathComponent("llama-mha/model").path,
                                               "--input-ids", prompt, "--max-new-tokens", "\(expected.count)", "--json"]
                                              + zip(flags, values).flatMap { [$0, $1] })
            #expect(result.status == 0, "\(result.err)")
            #expect(try LucidProcess.json(result.out)["token_ids"] as? [Int] == expected, "\(values)")
        }
    }

    @Test func badPenaltiesAndMethodsThatApplyNoneAreRefused() throws {
        let refused: [([String], String)] = [
            (["--repetition-penalty", "0"], "repetition penalty must be in"),
            (["--presence-penalty", "-2.5"], "presence penalty must be in"),
            (["--frequency-penalty", "nan"], "frequency penalty must be in"),
            (["--presence-penalty", "0.5", "--beams", "2"], "decoding beam applies no repetition, presence or frequency penalty"),
            (["--repetition-penalty", "1.2", "--decoding", "opera"], "decoding opera applies no"),
        ]
        for (flags, message) in refused {
            let result = try LucidProcess.run(["generate", "--prompt", "hi", "--model", "/nonexistent"] + flags)
            #expect(result.status != 0 && result.err.contains(message), "\(flags): \(result.err)")
        }
    }
}
