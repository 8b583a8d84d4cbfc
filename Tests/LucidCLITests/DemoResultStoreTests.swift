import Foundation
import LucidEval
import Testing
@testable import LucidCLI

/// `descriptions.jsonl` of `lucid demo`: a resumed demo finds each (model, settings, image, method) it
/// described, never reuses a description made with other settings or by an older demo that kept none,
/// and loses at most the line a kill cut short.
@Suite("demo descriptions kept between runs")
struct DemoResultStoreTests {
    static let settings = DemoSettings(run: DemoMethod(name: "greedy", seed: nil), worldSeed: 2026, prompt: "Describe.",
                                       maxNewTokens: 120, defense: "auto", beams: 5, temperature: 1)

    static func result(model: String, image: Int, method: String, settings: DemoSettings? = settings) -> DemoResult {
        DemoResult(model: model, method: method, settings: settings,
                   result: DescribedScene(imageID: image, description: "A fork.", groundTruth: ["fork"], mentioned: ["fork"], hallucinated: [], missed: []),
                   tokens: 3, seconds: 0.5, forwardPasses: 4)
    }

    @Test func resultsAreFoundByModelSettingsImageAndMethodAfterAKill() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-demo-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("out/descriptions.jsonl")
        let store = try DemoResultStore(url: url)
        try store.append(Self.result(model: "base", image: 1, method: "greedy"))
        // A line of an older demo (camelCase keys, no settings), then a line a kill cut short.
        let handle = try #require(FileHandle(forWritingAtPath: url.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((#"{"model":"base","method":"opera","result":{"imageID":2,"description":"A cup.","groundTruth":["cup"],"mentioned":["cup"],"hallucinated":[],"missed":[]},"tokens":3,"seconds":1,"forwardPasses":9}"# + "\n" + #"{"model":"ba"#).utf8))
        try handle.close()

        let resumed = try DemoResultStore(url: url)
        let settings = Self.settings
        #expect(resumed.result(model: "base", settings: settings, image: 1, method: "greedy") == Self.result(model: "base", image: 1, method: "greedy"))
        // The older line is read, but only under "no settings": a demo never reuses it.
        #expect(resumed.result(model: "base", settings: nil, image: 2, method: "opera")?.forwardPasses == 9)
        #expect(resumed.result(model: "base", settings: settings, image: 2, method: "opera") == nil)
        #expect(resumed.result(model: "base", settings: settings, image: 1, method: "opera") == nil
                && resumed.result(model: "aligned", settings: settings, image: 1, method: "greedy") == nil)
        try resumed.append(Self.result(model: "aligned", image: 1, method: "greedy"))
        let reopened = try DemoResultStore(url: url)
        #expect(reopened.result(model: "aligned", settings: settings, image: 1, method: "greedy") != nil)
    }

    @Test func everyOptionThatChangesADescriptionChangesTheKeyAndOnlyForTheMethodsThatReadIt() {
        func settings(_ name: String, seed: UInt64 = 2026, prompt: String = "Describe.", tokens: Int = 120, defense: String = "auto",
                      beams: Int = 5, temperature: Double = 1) -> String {
            DemoSettings(run: DemoMethod(name: name, seed: DemoMethod.sampled(name) ? 0 : nil), worldSeed: seed, prompt: prompt,
                         maxNewTokens: tokens, defense: defense, beams: beams, temperature: temperature).key
        }
        let greedy = settings("greedy")
        #expect(Set([greedy, settings("greedy", seed: 7), settings("greedy", prompt: "Describe"), settings("greedy", tokens: 40),
                     settings("greedy", defense: "none")]).count == 5)
        // Beams matter to beam search and OPERA only, the temperature to sampled methods only.
        #expect(settings("greedy", beams: 3) == greedy && settings("greedy", temperature: 0.5) == greedy && settings("damro", beams: 3) == greedy)
        #expect(settings("beam", beams: 3) != settings("beam") && settings("opera", beams: 3) != settings("opera"))
        #expect(settings("sample", temperature: 0.5) != settings("sample") && settings("vcd-sample", temperature: 0.5) != settings("vcd-sample"))
        #expect(settings("beam", temperature: 0.5) == settings("beam"))
        // A prompt cannot pose as other fields.
        #expect(settings("greedy", prompt: "a\";max=1") != settings("greedy", prompt: "a", tokens: 1))
    }
}
