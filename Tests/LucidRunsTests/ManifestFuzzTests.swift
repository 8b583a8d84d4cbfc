import Foundation
import Testing
import LucidSupport
import LucidTestSupport
@testable import LucidRuns

/// Iterations of each fuzz property: `LUCID_FUZZ_ITERATIONS` (`make fuzz` raises it), else a small
/// budget that keeps `make test` fast. The streams are fixed unless `LUCID_FUZZ_SEED` moves them (`FuzzBudget`).
let fuzzIterations = FuzzBudget.iterations(default: 300)

/// Seeded mutations of valid text: insertions from a hostile alphabet, deletions, duplications.
struct TextMutator {
    static let fragments = ["[", "]", "{", "}", "&a ", "*a", ": ", "- ", "\n", "\n  ", "  ", "'", "\"", "# ", "|", ">", "!!str ", "!!binary ",
                            "\u{0}", "\u{1B}[2J", "\u{FEFF}", "9223372036854775808", "-9223372036854775809", "1e400", ".nan", ".inf",
                            "-1", "0", "abc", "five", "yes", "~", "null", "?", ",", "\t", "\r", "%YAML 1.1\n", "---\n", "...\n", "<<: *a\n",
                            "é", "猫", "\\u0000", "\\ud800", "\u{202E}"]
    var random: SplitMix64

    mutating func mutate(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = scalars.isEmpty ? 0 : Int.random(in: 0...scalars.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0, 1:
                let fragment = Self.fragments[Int.random(in: 0..<Self.fragments.count, using: &random)]
                scalars.insert(contentsOf: fragment.unicodeScalars, at: position)
            case 2:
                let end = min(scalars.count, position + Int.random(in: 1...12, using: &random))
                if position < end { scalars.removeSubrange(position..<end) }
            default:
                let end = min(scalars.count, position + Int.random(in: 1...40, using: &random))
                if position < end { scalars.insert(contentsOf: scalars[position..<end], at: position) }
            }
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }
}

@Suite("manifest fuzzing")
struct ManifestFuzzTests {
    static let json = #"{"name": "s", "models": ["tiny", {"path": "/m", "name": "q", "defense": "none"}], "dataset": {"path": "d.jsonl", "kind": "pope", "limit": 5}, "methods": ["greedy", {"name": "opera", "beams": 3}], "seeds": [0, 1], "generation": {"max_new_tokens": 8, "pad_to_square": true}}"#

    /// Every mutated manifest either parses into a manifest whose typed fields hold their ranges,
    /// or fails with a `ManifestError` that names the file; nothing traps or hangs.
    @Test func mutatedManifestsParseOrFailNamingTheFile() {
        var mutator = TextMutator(random: FuzzBudget.generator(SplitMix64(state: 20)))
        var parsed = 0, refused = 0
        for round in 0..<fuzzIterations {
            let useJSON = round % 3 == 2
            let text = mutator.mutate(useJSON ? Self.json : HostileManifestTests.valid)
            do {
                let manifest = try RunManifest.parse(text, json: useJSON, file: "fuzz.yaml", baseDirectory: URL(fileURLWithPath: "/tmp"))
                parsed += 1
                #expect(!manifest.models.isEmpty && !manifest.methods.isEmpty && !manifest.seeds.isEmpty)
                #expect(manifest.seeds.allSatisfy { $0 >= 0 })
                #expect(manifest.dataset.limit.map { $0 >= 1 } ?? true)
            } catch {
                refused += 1
                #expect(error.description.hasPrefix("fuzz.yaml"), "\(error)")
            }
        }
        #expect(parsed + refused == fuzzIterations)
        #expect(refused > 0)
    }

    /// Mutated dataset lines load into samples whose typed fields are strings, or fail naming the file.
    @Test func mutatedDatasetsLoadOrFailNamingTheFile() throws {
        let directory = try TemporaryDirectory()
        let valid = #"{"question_id": 1, "image": "a.png", "text": "Is there a cat in the image?", "label": "yes"}"# + "\n"
            + #"{"question_id": 2, "image": "b.png", "text": "Is there a dog in the image?", "label": "no"}"# + "\n"
        var mutator = TextMutator(random: FuzzBudget.generator(SplitMix64(state: 21)))
        for round in 0..<fuzzIterations {
            let url = try directory.write("d\(round % 7).jsonl", mutator.mutate(valid))
            do {
                let dataset = try Dataset.load(DatasetSpec(url: url, kind: .pope))
                for sample in dataset.samples {
                    #expect(sample.fields["image"]?.stringValue?.isEmpty == false)
                    #expect(sample.fields["label"]?.stringValue != nil)
                }
            } catch {
                #expect(error.description.hasPrefix(url.path), "\(error)")
            }
        }
    }

    /// The JSON parser never traps on mutated or deeply nested input.
    @Test func mutatedJSONParsesOrFailsWithALine() {
        var mutator = TextMutator(random: FuzzBudget.generator(SplitMix64(state: 22)))
        for _ in 0..<fuzzIterations {
            let text = mutator.mutate(Self.json)
            if case .failure(let error) = Result(catching: { () throws(JSONParseError) -> JSONValue in try JSONValue.parse(text) }) {
                #expect(error.line >= 1)
            }
        }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(String(repeating: "[", count: 1_000_000)) }
    }
}
