import Foundation
import Testing
@testable import LucidRuns

/// Manifests and datasets from untrusted hands (issue 20): limits enforced before Yams parses,
/// strict types, regular files only.
@Suite("hostile manifests")
struct HostileManifestTests {
    static let base = URL(fileURLWithPath: "/tmp")

    static func parse(_ text: String) throws(ManifestError) -> RunManifest {
        try RunManifest.parse(text, file: "m.yaml", baseDirectory: base)
    }

    static let valid = """
        name: sweep
        models: [tiny]
        dataset: {path: data.jsonl, kind: prompts}
        methods:
          - greedy
          - name: opera
            beams: 3
        seeds: [0, 1]
        generation:
          max_new_tokens: 8
        """

    @Test func deepFlowNestingIsRefusedBeforeParsing() {
        let text = "name: x\nmodels: " + String(repeating: "[", count: 200_000) + "\n"
        #expect { try Self.parse(text) } throws: { ($0 as? ManifestError)?.reason.contains("nesting deeper than") == true }
    }

    @Test func deepBlockNestingIsRefusedBeforeParsing() {
        var text = "name: x\n"
        for level in 0..<500 { text += String(repeating: " ", count: level) + "k\(level):\n" }
        #expect { try Self.parse(text) } throws: { ($0 as? ManifestError)?.reason.contains("nesting deeper than") == true }
        let dashes = "name: x\nmodels:\n" + String(repeating: "- ", count: 100_000) + "x\n"
        #expect { try Self.parse(dashes) } throws: { ($0 as? ManifestError)?.reason.contains("nesting deeper than") == true }
    }

    @Test func billionLaughsIsRefusedWhileExpanding() {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        text += "name: x\n"
        #expect { try Self.parse(text) } throws: { ($0 as? ManifestError)?.reason.contains("values after expanding aliases") == true }
    }

    @Test func aFewAliasesStillWork() throws {
        let text = Self.valid + "\n" + "output: &out runs/x\n"
        #expect(try Self.parse(text).name == "sweep")
        let shared = """
            name: shared
            models: [&m tiny]
            dataset: {path: d.jsonl, kind: prompts}
            methods: [*m]
            """
        #expect(try Self.parse(shared).methods.map(\.name) == ["tiny"])
    }

    @Test func manyAnchorsAreRefused() {
        let text = "name: x\nl: [" + (0..<2_000).map { "&a\($0) v" }.joined(separator: ", ") + "]\n"
        #expect { try Self.parse(text) } throws: { ($0 as? ManifestError)?.reason.contains("anchors and aliases") == true }
    }

    @Test func ordinaryManifestsScanShallow() {
        let scan = YAMLLimits.scan(Self.valid)
        #expect(scan.depth < 16)
        #expect(scan.anchorsAndAliases == 0)
        // Block scalars, quotes and comments with brackets do not count as nesting.
        let tricky = "a: |\n  [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\nb: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['\n# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\nc: \"*x &y\"\n"
        #expect(YAMLLimits.scan(tricky).depth < 8)
        #expect(YAMLLimits.scan(tricky).anchorsAndAliases == 0)
    }

    @Test func oversizedManifestIsRefused() {
        let text = "name: x\n# " + String(repeating: "a", count: YAMLLimits.maxBytes) + "\n"
        #expect { try Self.parse(text) } throws: { ($0 as? ManifestError)?.reason.contains("over the limit") == true }
    }

    @Test func manifestFromAFIFOFailsAtOnceNamingIt() throws {
        let directory = try TemporaryDirectory()
        let fifo = directory.file("m.yaml").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect { try RunManifest.load(from: URL(fileURLWithPath: fifo)) } throws: {
            ($0 as? ManifestError)?.description == "\(fifo): cannot read the manifest: is a named pipe (FIFO), not a regular file"
        }
    }

    @Test func manifestWithInvalidUTF8NamesTheFileNotACocoaError() throws {
        let directory = try TemporaryDirectory()
        let url = directory.file("m.yaml")
        try Data([0x6E, 0x3A, 0x20, 0xFF]).write(to: url)
        #expect { try RunManifest.load(from: url) } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(url.path) && text.contains("not valid UTF-8") && !text.contains("NSCocoaErrorDomain")
        }
    }

    @Test func manifestLocationsPointAtKeysForLaterChecks() throws {
        let manifest = try Self.parse(Self.valid)
        #expect(manifest.locations.error(at: "methods[1].beams", "bad").description == "m.yaml:7: methods[1].beams: bad")
        #expect(manifest.locations.error(at: "generation.max_new_tokens", "bad").description == "m.yaml:10: generation.max_new_tokens: bad")
    }

    /// Checks made after parsing (a model's dtype, a judge's key) name the line of a manifest parsed
    /// from text, flow-style lists included; before, only a manifest read from a file had lines.
    @Test func laterChecksOnAManifestParsedFromTextNameTheLine() throws {
        let text = "name: s\nmodels: [tiny, {path: /m, name: q}]\ndataset: {path: d.jsonl, kind: pope}\nmethods: [greedy]\nseeds: [0]\n"
        let manifest = try RunManifest.parse(text, file: "sweep.yaml", baseDirectory: URL(fileURLWithPath: "/tmp"))
        #expect(manifest.error(at: "models[1].dtype", "bad").description == "sweep.yaml:2: models[1].dtype: bad")
        let unnamed = try RunManifest.parse(text, baseDirectory: URL(fileURLWithPath: "/tmp"))
        #expect(unnamed.error(at: "methods[0]", "bad").description == "<manifest>:4: methods[0]: bad")
    }

    /// A manifest built in code with only its `source` still gets its lines, from that file.
    @Test func laterChecksOnAManifestBuiltInCodeReadItsSourceForTheLine() throws {
        let directory = try TemporaryDirectory()
        let url = try directory.write("m.yaml", Self.valid)
        let loaded = try RunManifest.load(from: url)
        let built = RunManifest(name: loaded.name, models: loaded.models, dataset: loaded.dataset, methods: loaded.methods,
                                seeds: loaded.seeds, output: loaded.output, generation: loaded.generation, source: url)
        #expect(built.error(at: "methods[1].beams", "bad").description == "\(url.path):7: methods[1].beams: bad")
    }

    @Test func datasetImageThatIsNotAStringIsAnErrorNamingTheLine() throws {
        let directory = try TemporaryDirectory()
        let url = try directory.write("d.jsonl", "{\"image\": \"a.png\"}\n{\"image\": 5}\n")
        #expect { try Dataset.load(DatasetSpec(url: url, kind: .captions)) } throws: {
            ($0 as? DatasetError)?.description == "\(url.path):2: `image` must be a non-empty string, found an integer"
        }
        let pope = try directory.write("p.jsonl", "{\"image\": \"a.png\", \"text\": \"Is there a cat?\", \"label\": true}\n")
        #expect(throws: DatasetError.self) { try Dataset.load(DatasetSpec(url: pope, kind: .pope)) }
    }

    @Test func datasetFromAFIFOFailsAtOnce() throws {
        let directory = try TemporaryDirectory()
        let fifo = directory.file("d.jsonl").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect { try Dataset.load(DatasetSpec(url: URL(fileURLWithPath: fifo), kind: .prompts)) } throws: {
            ($0 as? DatasetError)?.reason.contains("named pipe (FIFO)") == true
        }
    }
}
