import Foundation
import Testing
@testable import LucidRuns

@Suite("Manifests")
struct ManifestTests {
    let base = URL(fileURLWithPath: "/experiments")

    let yaml = """
        name: pope-sweep
        models:
          - llava-1.5-7b
          - path: /models/qwen2-vl/
            name: qwen
            dtype: bf16
        dataset:
          path: data/pope.jsonl
          kind: pope
          limit: 500
        methods:
          - name: greedy
          - name: opera
            beams: 5
            scale_factor: 50.0
            enabled: true
        seeds: [0, 1]
        output: runs/pope
        generation:
          max_new_tokens: 64
        """

    @Test func yamlAndJSONWithTheSameContentGiveTheSameManifestAndHash() throws {
        let fromYAML = try RunManifest.parse(yaml, file: "m.yaml", baseDirectory: base)
        let json = """
            {"name": "pope-sweep", "models": ["llava-1.5-7b", {"path": "/models/qwen2-vl/", "name": "qwen", "dtype": "bf16"}],
             "dataset": {"path": "data/pope.jsonl", "kind": "pope", "limit": 500},
             "methods": [{"name": "greedy"}, {"name": "opera", "beams": 5, "scale_factor": 50.0, "enabled": true}],
             "seeds": [0, 1], "output": "runs/pope", "generation": {"max_new_tokens": 64}}
            """
        let fromJSON = try RunManifest.parse(json, json: true, file: "m.json", baseDirectory: base)
        #expect(fromYAML == fromJSON)
        #expect(fromYAML.hash == fromJSON.hash)
        #expect(fromYAML.models == [ModelSpec(label: "llava-1.5-7b", path: "llava-1.5-7b"),
                                    ModelSpec(label: "qwen", path: "/models/qwen2-vl/", options: ["dtype": "bf16"])])
        #expect(fromYAML.methods[1].options == ["beams": 5, "scale_factor": 50.0, "enabled": true])
        #expect(fromYAML.dataset == DatasetSpec(url: URL(fileURLWithPath: "/experiments/data/pope.jsonl"), kind: .pope, limit: 500))
        #expect(fromYAML.output.path == "/experiments/runs/pope")
        #expect(fromYAML.generation == ["max_new_tokens": 64])
    }

    /// A 1 MiB unknown key is no near miss: refused without building a 1-million-row edit-distance table.
    @Test func aHugeUnknownKeyIsRefusedWithoutASuggestion() {
        let key = String(repeating: "s", count: 1 << 20)
        #expect(KeySuggestion.closest(to: key, among: ["seeds", "name"]) == nil)
        #expect(KeySuggestion.closest(to: "sedes", among: ["seeds", "name"]) == "seeds")
        let huge = yaml.replacingOccurrences(of: "seeds: [0, 1]", with: "\(key): [0, 1]")
        #expect(throws: ManifestError.self) { try RunManifest.parse(huge, file: "m.yaml", baseDirectory: base) }
    }

    @Test func unknownKeysAreErrorsNamingFileLineAndANearMiss() {
        let typo = yaml.replacingOccurrences(of: "seeds: [0, 1]", with: "seed: [0, 1]")
        #expect(throws: ManifestError(file: "m.yaml", line: 17, keyPath: "seed",
                                      reason: "unknown key (did you mean `seeds`?); known keys: `name`, `models`, `dataset`, `methods`, `seeds`, `output`, `generation`, `judges`")) {
            try RunManifest.parse(typo, file: "m.yaml", baseDirectory: base)
        }
        let datasetTypo = yaml.replacingOccurrences(of: "limit: 500", with: "limt: 500")
        do {
            _ = try RunManifest.parse(datasetTypo, file: "m.yaml", baseDirectory: base)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("m.yaml:10: dataset.limt: unknown key (did you mean `limit`?)"))
        }
    }

    @Test func valueErrorsNameTheKeyPath() {
        func message(_ text: String) -> String? {
            do { _ = try RunManifest.parse(text, file: "m.yaml", baseDirectory: base) } catch { return error.description }
            return nil
        }
        #expect(message(yaml.replacingOccurrences(of: "kind: pope", with: "kind: popee"))
            == "m.yaml:9: dataset.kind: unknown kind `popee` (did you mean `pope`?); known kinds: captions, pope, prompts")
        #expect(message(yaml.replacingOccurrences(of: "- name: greedy", with: "- nmae: greedy"))
            == "m.yaml:12: methods[0]: missing key `name` (found `nmae`: did you mean `name`?)")
        #expect(message(yaml.replacingOccurrences(of: "limit: 500", with: "limit: many"))
            == "m.yaml:10: dataset.limit: expected an integer, found a string")
        #expect(message(yaml.replacingOccurrences(of: "seeds: [0, 1]", with: "seeds: [0, 0]"))
            == "m.yaml:17: seeds[1]: seed 0 appears twice")
        #expect(message(yaml.replacingOccurrences(of: "name: qwen", with: "name: llava-1.5-7b"))?
            .contains("models[1]: model name `llava-1.5-7b` is already used by models[0]") == true)
        #expect(message(yaml + "\nname: again")?.contains("duplicate key") == true)
        #expect(message("name: x\nmodels: [a]\ndataset: {path: d, kind: pope}") == "m.yaml: missing key `methods`")
        #expect(message("name: [x") != nil)
    }

    @Test func yamlBooleansFollowTheCoreSchemaAndInfinityIsRefused() throws {
        let text = yaml.replacingOccurrences(of: "enabled: true", with: "enabled: no\n    quoted: \"7\"\n    nothing: null")
        let manifest = try RunManifest.parse(text, file: "m.yaml", baseDirectory: base)
        #expect(manifest.methods[1].options["enabled"] == "no")
        #expect(manifest.methods[1].options["quoted"] == "7")
        #expect(manifest.methods[1].options["nothing"] == .null)
        #expect(throws: ManifestError.self) {
            try RunManifest.parse(yaml.replacingOccurrences(of: "50.0", with: ".inf"), file: "m.yaml", baseDirectory: base)
        }
    }

    @Test func theHashIgnoresWhereThingsAreButNotWhatTheyAre() throws {
        let manifest = try RunManifest.parse(yaml, file: "m.yaml", baseDirectory: base)
        let moved = try RunManifest.parse(yaml.replacingOccurrences(of: "runs/pope", with: "/scratch/pope")
            .replacingOccurrences(of: "data/pope.jsonl", with: "/tmp/node-local/pope.jsonl"), file: "m.yaml", baseDirectory: URL(fileURLWithPath: "/elsewhere"))
        #expect(moved.hash == manifest.hash)
        let retuned = try RunManifest.parse(yaml.replacingOccurrences(of: "beams: 5", with: "beams: 6"), file: "m.yaml", baseDirectory: base)
        #expect(retuned.hash != manifest.hash)
        #expect(retuned.methods[1].id != manifest.methods[1].id)
        #expect(retuned.methods[0].id == manifest.methods[0].id)
        let limited = try RunManifest.parse(yaml.replacingOccurrences(of: "limit: 500", with: "limit: 10"), file: "m.yaml", baseDirectory: base)
        #expect(limited.hash != manifest.hash)
    }

    @Test func loadingAFileResolvesRelativePathsAgainstItsFolder() throws {
        let directory = try TemporaryDirectory()
        let url = try directory.write("configs/sweep.yaml", yaml)
        let manifest = try RunManifest.load(from: url)
        #expect(manifest.dataset.url.path == directory.url.appendingPathComponent("configs/data/pope.jsonl").standardizedFileURL.path)
        #expect(manifest.output.path == directory.url.appendingPathComponent("configs/runs/pope").standardizedFileURL.path)
        #expect(manifest.source == url)
        let defaulted = try RunManifest.parse(yaml.replacingOccurrences(of: "output: runs/pope", with: ""), file: "m.yaml", baseDirectory: base)
        #expect(defaulted.output.path == "/experiments/runs/pope-sweep")
    }

    @Test func expansionIsModelsThenMethodsThenSeedsThenSamplesWithStableKeys() throws {
        let fixture = try RunFixture(samples: 3)
        let plan = try fixture.plan()
        #expect(plan.items.count == 2 * 2 * 2 * 3)
        #expect(plan.items.map(\.index) == Array(0..<24))
        let greedy = plan.manifest.methods[0].id
        let opera = plan.manifest.methods[1].id
        #expect(opera.hasPrefix("opera@") && opera.count == "opera@".count + 8)
        #expect(plan.items.prefix(4).map(\.key) == ["tiny-a|\(greedy)|0|p0", "tiny-a|\(greedy)|0|p1", "tiny-a|\(greedy)|0|p2", "tiny-a|\(greedy)|1|p0"])
        #expect(plan.items[6].key == "tiny-a|\(opera)|0|p0")
        #expect(plan.items[12].key == "tiny-b|\(greedy)|0|p0")
        #expect(Set(plan.items.map(\.key)).count == 24)
        #expect(Set(plan.items.map(\.inputHash)).count == 24)
        #expect(try fixture.plan().items == plan.items, "expansion is deterministic")
    }
}
