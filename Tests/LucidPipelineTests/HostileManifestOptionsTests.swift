import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidPipeline
@testable import LucidRuns

/// Manifest options decode strictly (issue 20): a wrong type is an error with file:line:key, never
/// the default it used to fall back to.
@Suite("hostile manifest options")
struct HostileManifestOptionsTests {
    static func manifest(methods: String = "[greedy]", generation: String = "max_new_tokens: 8") throws -> RunManifest {
        try RunManifest.parse("""
            name: strict
            models: [shapes-tiny]
            dataset: {path: d.jsonl, kind: captions}
            methods: \(methods)
            generation:
              \(generation)
            """, file: "m.yaml", baseDirectory: URL(fileURLWithPath: "/tmp"))
    }

    static func validationError(_ manifest: RunManifest) -> String? {
        do { try ManifestWorker.validate(manifest); return nil } catch { return "\(error)" }
    }

    @Test func maxNewTokensThatIsNotANumberIsAnErrorNotTheDefault() throws {
        #expect(Self.validationError(try Self.manifest(generation: "max_new_tokens: abc"))
                == "m.yaml:6: generation.max_new_tokens: expected an integer, found a string")
    }

    @Test func maxNewTokensNearIntMaxIsARangeError() throws {
        #expect(Self.validationError(try Self.manifest(generation: "max_new_tokens: 9223372036854775807"))
                == "m.yaml:6: generation.max_new_tokens: must be in 1…\(GenerationLimits.maximumNewTokens), found 9223372036854775807")
    }

    @Test func padToSquareAsTheStringYesIsAnErrorNotFalse() throws {
        #expect(Self.validationError(try Self.manifest(generation: "pad_to_square: 'yes'"))
                == "m.yaml:6: generation.pad_to_square: expected true or false, found a string `yes`")
        #expect(try ManifestGeneration(Self.manifest(generation: "pad_to_square: true")).padToSquare)
    }

    @Test func unknownGenerationOptionIsAnError() throws {
        #expect(Self.validationError(try Self.manifest(generation: "max_new_token: 8"))?.hasPrefix("m.yaml:6: generation.max_new_token: unknown option") == true)
    }

    @Test func beamsWrittenAsAWordIsAnErrorNotFiveBeams() throws {
        #expect(Self.validationError(try Self.manifest(methods: "[greedy, {name: beam, beams: five}]"))
                == "m.yaml:4: methods[1].beams: expected an integer, found a string")
        #expect(Self.validationError(try Self.manifest(methods: "[{name: opera, beams: -1}]"))
                == "m.yaml:4: methods[0].beams: must be in 1…64, found -1")
        #expect(Self.validationError(try Self.manifest(methods: "[{name: opera, efficient: 'yes'}]"))?.contains("methods[0].efficient: expected true or false") == true)
        #expect(Self.validationError(try Self.manifest(methods: "[{name: sample, temperature: hot}]"))
                == "m.yaml:4: methods[0].temperature: expected a number, found a string")
    }

    /// OPERA's code under transformers 4.29, as a manifest writes it: hypothesis lengths over the whole sequence and a
    /// repetition penalty over the BOS token (or given ids); a bad rule or id list is located.
    @Test func hypothesisLengthAndRepetitionContextDecodeOrAreLocated() throws {
        let manifest = try Self.manifest(methods: "[{name: opera, hypothesis_length: sequence, repetition_penalty: 1.5, repetition_context: bos}, {name: beam, repetition_penalty: 1.5, repetition_context: [1]}]")
        #expect(Self.validationError(manifest) == nil)
        guard case .opera(let opera) = try DecodingMethod(manifest: manifest.methods[0], seed: 0) else { Issue.record("not opera"); return }
        #expect(opera.hypothesisLength == .sequence)
        var limits = GenerationLimits(maxNewTokens: 8)
        try limits.apply(manifest: manifest.methods[0])
        #expect(limits.repetitionContext == .bos && limits.penalties.repetition == 1.5)
        try limits.apply(manifest: manifest.methods[1])
        #expect(limits.repetitionContext == .ids([1]))
        #expect(Self.validationError(try Self.manifest(methods: "[{name: beam, hypothesis_length: whole}]"))
                == "m.yaml:4: methods[0].hypothesis_length: must be new or sequence, found `whole`")
        #expect(Self.validationError(try Self.manifest(methods: "[{name: greedy, repetition_context: [1, x]}]"))?
                    .hasPrefix("m.yaml:4: methods[0].repetition_context: an array of token ids must hold") == true)
        let sample = Self.validationError(try Self.manifest(methods: "[{name: sample, hypothesis_length: sequence}]"))
        #expect(sample?.hasPrefix("m.yaml:4: methods[0].hypothesis_length: unknown option for sample") == true, "\(sample ?? "accepted")")
    }

    @Test func methodErrorsFromRangeChecksNameTheEntry() throws {
        #expect(Self.validationError(try Self.manifest(methods: "[{name: sample, temperature: 0}]"))
                == "m.yaml:4: methods[0]: temperature must be > 0 (got 0.0)")
    }

    @Test func validOptionsStillDecode() throws {
        let manifest = try Self.manifest(methods: "[{name: beam, beams: 3, length_penalty: 1.5}]", generation: "{max_new_tokens: 12, prompt: Describe., pad_to_square: false}")
        #expect(Self.validationError(manifest) == nil)
        guard case .beam(let beam) = try DecodingMethod(manifest: manifest.methods[0], seed: 0) else { Issue.record("not beam"); return }
        #expect(beam.beams == 3 && beam.lengthPenalty == 1.5 && beam.hypothesisLength == .new)
        #expect(try ManifestGeneration(manifest).maxNewTokens == 12)
    }
}
