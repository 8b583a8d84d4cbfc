import Foundation
import Testing
import LucidEval

/// `DemoPage`: `lucid demo`'s HTML report, with the world's vocabulary given as a word → category lookup.
@Suite("demo page")
struct DemoPageTests {
    /// A two-category vocabulary with a plural and a synonym.
    let lookup: (String) -> String? = { ["fork": "fork", "forks": "fork", "knife": "knife", "blade": "knife"][$0.lowercased()] }

    @Test func objectWordsAreMarkedGroundedOrHallucinatedAndTheRestEscaped() {
        let result = DescribedScene(imageID: 1, description: "Two Forks <b> & a blade.", groundTruth: ["fork"],
                                    mentioned: ["fork", "knife"], hallucinated: ["knife"], missed: [])
        #expect(DemoPage.marked(result, category: lookup)
                == "Two <mark class=\"ok\">Forks</mark> &lt;b&gt; &amp; a <mark class=\"h\">blade</mark>.")
    }

    @Test func thePageHasAMetricsRowPerMethodAndEachSceneOnce() {
        let scene = { (method: String, text: String) in
            DemoPage.Row(method: method, result: DescribedScene(imageID: 7, description: text, groundTruth: ["fork", "knife"],
                                                                 mentioned: ["fork"], hallucinated: [], missed: ["knife"]))
        }
        let summary = DemoPage.MethodSummary(method: "greedy", recall: 0.5, chairI: 0.25, chairS: 0.125, nltkCHAIRi: nil, nltkCHAIRs: nil,
                                             tokensPerSecond: 12.34, meanTokens: 9, forwardPassesPerToken: 1)
        let page = DemoPage(title: "demo <1>", subtitle: "seed 3", summaries: [summary], pope: [("random", 0.75, 8)],
                            images: [7: Data([1, 2, 3])], rows: [scene("greedy", "A fork."), scene("beam", "One fork.")],
                            objectCategory: lookup)
        let html = page.html()
        #expect(html.contains("<title>demo &lt;1&gt;</title>"))
        #expect(html.contains("<tr><td>greedy</td><td>50.0%</td><td>25.0%</td><td>12.5%</td><td>–</td><td>–</td><td>9</td><td>12.3</td><td>1.00</td></tr>"))
        #expect(html.contains("<tr><td>random</td><td>75.0%</td><td>8</td></tr>"))
        #expect(html.components(separatedBy: "<div class=\"scene\">").count == 2, "one block for the one scene")
        #expect(html.contains("src=\"data:image/png;base64,\(Data([1, 2, 3]).base64EncodedString())\""))
        #expect(html.contains("<span class=\"method\">beam</span>: One <mark class=\"ok\">fork</mark>."))
        #expect(html.components(separatedBy: "(missed: knife)").count == 3, "each method's missed objects")
    }
}
