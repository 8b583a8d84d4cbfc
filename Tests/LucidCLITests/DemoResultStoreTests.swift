import Foundation
import LucidEval
import Testing
@testable import LucidCLI

/// `descriptions.jsonl` of `lucid demo`: a resumed demo finds each (model, image, method) it described,
/// reads the lines of older demos, and loses at most the line a kill cut short.
@Suite("demo descriptions kept between runs")
struct DemoResultStoreTests {
    static func result(model: String, image: Int, method: String) -> DemoResult {
        DemoResult(model: model, method: method,
                   result: DescribedScene(imageID: image, description: "A fork.", groundTruth: ["fork"], mentioned: ["fork"], hallucinated: [], missed: []),
                   tokens: 3, seconds: 0.5, forwardPasses: 4)
    }

    @Test func resultsAreFoundByModelImageAndMethodAfterAKill() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-demo-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("out/descriptions.jsonl")
        let store = try DemoResultStore(url: url)
        try store.append(Self.result(model: "base", image: 1, method: "greedy"))
        // A line of an older demo (camelCase keys), then a line a kill cut short.
        let handle = try #require(FileHandle(forWritingAtPath: url.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((#"{"model":"base","method":"opera","result":{"imageID":2,"description":"A cup.","groundTruth":["cup"],"mentioned":["cup"],"hallucinated":[],"missed":[]},"tokens":3,"seconds":1,"forwardPasses":9}"# + "\n" + #"{"model":"ba"#).utf8))
        try handle.close()

        let resumed = try DemoResultStore(url: url)
        #expect(resumed.result(model: "base", image: 1, method: "greedy") == Self.result(model: "base", image: 1, method: "greedy"))
        #expect(resumed.result(model: "base", image: 2, method: "opera")?.forwardPasses == 9)
        #expect(resumed.result(model: "base", image: 1, method: "opera") == nil && resumed.result(model: "aligned", image: 1, method: "greedy") == nil)
        try resumed.append(Self.result(model: "aligned", image: 1, method: "greedy"))
        let reopened = try DemoResultStore(url: url)
        #expect(reopened.result(model: "aligned", image: 1, method: "greedy") != nil && reopened.result(model: "base", image: 2, method: "opera") != nil)
    }
}
