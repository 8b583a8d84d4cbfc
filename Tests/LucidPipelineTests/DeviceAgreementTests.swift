import Foundation
import Testing
@testable import LucidPipeline
import LucidTensor

/// `DeviceAgreement`: the same model on the CPU and on a device, compared check by check. On the CPU
/// against itself every check must agree exactly; on a CUDA device (when present) within tolerance.
@Suite("device agreement")
struct DeviceAgreementTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LucidModelsTests/Fixtures")

    static func path(_ relative: String) -> String { fixtures.appendingPathComponent(relative).path }

    @Test func aVisionLanguageModelAgreesWithItselfOnEveryCheck() throws {
        let rows = try DeviceAgreement.compare(model: Self.path("llava/llava-a/model"),
                                               options: DeviceAgreement.Options(device: .cpu, newTokens: 4))
        #expect(rows.map(\.check) == ["logits", "pixel gradient", "greedy", "sample", "beam", "opera", "vcd", "damro"])
        for row in rows {
            #expect(row.agree, "\(DeviceAgreement.describe(row))")
            #expect(row.note == nil)
            if let difference = row.relativeDifference { #expect(difference == 0) }
            if let tokens = row.cpuTokens { #expect(tokens.count == 4 && tokens == row.deviceTokens) }
        }
    }

    @Test func aMethodTheFamilyCannotRunIsReportedNotFailed() throws {
        // Qwen2-VL's tower has no [CLS] token, so DAMRO fails alike on both sides.
        let rows = try DeviceAgreement.compare(model: Self.path("qwen2-vl/model"), options: DeviceAgreement.Options(device: .cpu, newTokens: 2))
        let damro = try #require(rows.first { $0.check == "damro" })
        #expect(damro.agree && damro.cpuTokens == nil)
        #expect(damro.note?.contains("not run on either") == true)
    }

    @Test func aTextModelSkipsTheImageChecks() throws {
        let rows = try DeviceAgreement.compare(model: Self.path("llama/llama-gqa/model"), options: DeviceAgreement.Options(device: .cpu, newTokens: 3))
        #expect(rows.map(\.check) == ["logits", "greedy", "sample", "beam", "opera"])
        #expect(rows.allSatisfy { $0.agree })
    }

    @Test func aQMLLMOrganismIsComparedAsItsAttacksSeeIt() throws {
        let rows = try DeviceAgreement.compare(model: "shapes-smol-q", options: DeviceAgreement.Options(device: .cpu, newTokens: 3))
        #expect(rows.map(\.check) == ["logits", "pixel gradient", "Q-MLLM gate", "greedy", "sample", "beam", "opera", "vcd", "damro"])
        for row in rows {
            #expect(row.agree, "\(DeviceAgreement.describe(row))")
            if let difference = row.relativeDifference { #expect(difference == 0) }
            // The decoders run with the gate set aside, so a refused random image still gives tokens.
            if let tokens = row.cpuTokens { #expect(tokens.count == 3 && tokens == row.deviceTokens) }
        }
        #expect(rows[1].note?.contains("BPDA") == true)
    }

    @Test func aPixelPathWithoutGradientIsAnErrorNotACrash() throws {
        // The Q-MLLM quantiser's released backward is blocked: no gradient reaches the pixels.
        let opened = try ModelRegistry.standard.open("shapes-smol-q")
        let defense = try #require(opened.defense)
        #expect(defense.backward == .blocked)
        let vision = try #require(opened.vision)
        let (ids, images) = try DeviceAgreement.prompt(for: opened, options: DeviceAgreement.Options(device: .cpu))
        #expect(images.count == 1 && ids.contains(vision.imagePlaceholderID))
        #expect(throws: ModelOpenError.self) {
            _ = try DeviceAgreement.gradientRow(cpu: opened.model, other: opened.model, ids: ids, pixels: images[0], tolerance: 1e-3)
        }
        let row = try DeviceAgreement.withStraightThrough([defense]) {
            try DeviceAgreement.gradientRow(cpu: opened.model, other: opened.model, ids: ids, pixels: images[0], tolerance: 1e-3)
        }
        #expect(row.agree && defense.backward == .blocked)
    }

    @Test func outOfRangeCountsAreRefusedBeforeAnythingOpens() {
        #expect(throws: (any Error).self) {
            _ = try DeviceAgreement.compare(model: "/no/such/model", options: DeviceAgreement.Options(device: .cpu, promptLength: 0))
        }
        #expect(throws: (any Error).self) {
            _ = try DeviceAgreement.compare(model: "/no/such/model", options: DeviceAgreement.Options(device: .cpu, newTokens: 1000))
        }
    }

    /// The model runtime on CUDA: weights, masks, positions, caches and every decoder there, against the CPU.
    @Test(.enabled(if: Torch.unavailability(of: .cuda(0)) == nil, "needs a CUDA device, and this libtorch sees none"),
          arguments: ["llava/llava-a/model", "llama/llama-gqa/model", "llava-next/model", "llava-onevision/model", "qwen2-vl/model", "qwen2.5-vl/model", "instructblip/model"])
    func everyFamilyAgreesOnCUDA(_ fixture: String) throws {
        for dtype in [DType.f32, .bf16] {
            let rows = try DeviceAgreement.compare(model: Self.path(fixture),
                                                   options: DeviceAgreement.Options(device: .cuda(0), dtype: dtype, newTokens: 4))
            for row in rows where row.relativeDifference != nil {
                #expect(row.agree, "\(fixture) \(dtype): \(DeviceAgreement.describe(row))")
            }
            // Token rows can flip on near-ties of random tiny models; none may fail on one side only.
            #expect(!rows.contains { $0.note?.contains("only") == true }, "\(rows.map(DeviceAgreement.describe))")
        }
    }
}
