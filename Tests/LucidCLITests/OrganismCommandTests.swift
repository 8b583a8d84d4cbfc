import Foundation
import Testing
@testable import LucidCLI
@testable import LucidVision

/// `lucid train`, `lucid demo` and the attack commands as a user runs them.
@Suite("organism and attack commands", .serialized)
struct OrganismCommandTests {
    func temporary(_ label: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lucid-\(label)-\(UUID().uuidString)").path
    }

    @Test func trainRefusesUnknownRecipesAndBadScales() throws {
        let unknown = try LucidProcess.run(["train", "shapes-huge"])
        #expect(unknown.status != 0)
        #expect(unknown.err.contains("shapes-tiny") && unknown.err.contains("smol-aligned"))
        let scale = try LucidProcess.run(["train", "shapes-tiny", "--scale", "0"])
        #expect(scale.status != 0)
        #expect(scale.err.contains("--scale"))
    }

    @Test func demoDescribesMarksAndResumes() throws {
        let out = temporary("demo")
        let first = try LucidProcess.run(["demo", "--model", "shapes-tiny", "--scenes", "2", "--out", out, "--no-pope", "--max-new-tokens", "40"])
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out.contains("greedy: recall"))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("<img") && html.contains("mark class=\"ok\""))
        let lines = try String(contentsOfFile: out + "/descriptions.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let again = try LucidProcess.run(["demo", "--model", "shapes-tiny", "--scenes", "2", "--out", out, "--no-pope", "--max-new-tokens", "40"])
        #expect(again.status == 0)
        #expect(try String(contentsOfFile: out + "/descriptions.jsonl", encoding: .utf8).split(separator: "\n").count == 2)
        #expect(!again.err.contains("greedy scene"))  // nothing generated again
    }

    @Test func demoRefusesUnknownMethods() throws {
        let result = try LucidProcess.run(["demo", "--model", "shapes-tiny", "--methods", "greedy,magic", "--out", temporary("x")])
        #expect(result.status != 0)
        #expect(result.err.contains("magic"))
    }

    @Test func generateDescribesAnImageWithTheBundledTinyModel() throws {
        let world = temporary("world")
        #expect(try LucidProcess.run(["world", "generate", "--seed", "5", "--count", "1", "--out", world]).status == 0)
        let result = try LucidProcess.run(["generate", "--model", "shapes-tiny", "--image", world + "/images/1.png",
                                           "--prompt", "Describe this image in detail.", "--json", "--max-new-tokens", "30"])
        #expect(result.status == 0, "\(result.err)")
        let text = try LucidProcess.json(result.out)["text"] as? String ?? ""
        #expect(text.contains("object") || text.contains("image"))
    }

    @Test func noiseBaselineWritesAnImageInsideTheBudget() throws {
        let world = temporary("world")
        #expect(try LucidProcess.run(["world", "generate", "--seed", "6", "--count", "1", "--out", world]).status == 0)
        let out = temporary("noise") + ".png"
        let result = try LucidProcess.run(["attack", "pgd", "--model", "shapes-tiny", "--image", world + "/images/1.png", "--noise",
                                           "--eps", "4/255", "--out", out, "--json", "--max-new-tokens", "8"])
        #expect(result.status == 0, "\(result.err)")
        let linf = try LucidProcess.json(result.out)["linf"] as? Double ?? 1
        #expect(linf <= 4.0 / 255 + 1e-6 && linf > 0)
        #expect(FileManager.default.fileExists(atPath: out))
    }

    @Test func attackOptionsAreValidated() throws {
        let eps = try LucidProcess.run(["attack", "sink", "--image", "x.png", "--out", "y.png", "--eps", "eight"])
        #expect(eps.status != 0)
        let scav = try LucidProcess.run(["attack", "scav", "--probes", "/nonexistent/probes.json", "--prompt", "hi"])
        #expect(scav.status != 0)
        let both = try LucidProcess.run(["attack", "scav", "--probes", "p.json"])
        #expect(both.err.contains("--prompt"))
    }
}
