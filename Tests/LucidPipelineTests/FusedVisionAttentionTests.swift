import Foundation
import LucidNN
import Testing
@testable import LucidModels
@testable import LucidPipeline
@testable import LucidTensor

/// The vision towers' and the Q-Former's fused attention (`FusedAttentionModule`, on with
/// `ModelLoadOptions.fusedAttention`): in bf16 and f16 `FamilyReducedPrecisionTests` pins it to
/// transformers' sdpa bit for bit; here, f32 against the eager goldens, the fallback where
/// probabilities are captured, and the pixel gradient the attacks follow.
@Suite("fused attention in the vision towers and the Q-Former", .serialized)
struct FusedVisionAttentionTests {
    typealias Families = FamilyReducedPrecisionTests

    /// Every attention of `model` that can fuse, and whether all of them do.
    static func fusedModules(_ model: any VisionLanguageModel) throws -> (count: Int, settings: Set<Bool>) {
        let module = try #require(model as? any Module)
        return (module.namedModules().filter { $0.module is any FusedAttentionModule }.count, module.fusedAttentionSettings)
    }

    @Test(arguments: Families.families)
    func everyFamilyWithFusedTowersMatchesItsF32GoldenWithinTheConformanceTolerance(_ family: Families.Case) throws {
        let golden = try SafetensorsFile(path: Families.fixtures.appendingPathComponent("\(family.directory)/golden.safetensors").path)
        let expected = try golden.loadTensor(named: family.prefix + "logits")
        let (outputs, ids) = try Families.inputs(family)
        let (model, image) = try Families.open(family, .f32, fused: true, outputs)
        let fused = try Self.fusedModules(model)
        #expect(fused.settings == [true] && fused.count > 1, "\(family.directory): \(fused)")  // the decoder and more
        let logits = try Families.logits(model, ids: ids, image: image)
        #expect(logits.shape == expected.shape)
        guard logits.shape == expected.shape else { return }
        let difference: Double = (logits.to(.f64) - expected.to(.f64)).abs().max().item()
        #expect(difference <= 1e-4, "\(family.directory): max-abs \(difference)")
    }

    /// A layer whose probabilities are captured runs the explicit softmax, as transformers falls back
    /// to eager attention for `output_attentions`: with every tower and decoder layer captured, a fused
    /// bf16 model gives the explicit model's logits bit for bit (uncaptured, 0.1–0.3 away) and every
    /// layer's probabilities. InstructBLIP is left out: its Q-Former captures nothing, so it fuses anyway.
    @Test(arguments: Families.families.filter { $0.directory != "instructblip" })
    func aCapturedTowerLayerRunsExplicitlyAndKeepsItsProbabilities(_ family: Families.Case) throws {
        let (outputs, ids) = try Families.inputs(family)
        var options = ForwardOptions.logitsOnly
        options.visionAttentionLayers = .all
        options.attentionLayers = .all
        func run(fused: Bool) throws -> (logits: Tensor, attentions: Int) {
            let (model, image) = try Families.open(family, .bf16, fused: fused, outputs)
            let trace = try withNoGrad { () throws(PromptError) -> ForwardTrace in
                try model.forward(ids: ids, images: [image], cache: nil, options: options)
            }
            return (try #require(trace.logits), trace.visionAttentions.count)
        }
        let (fused, explicit) = (try run(fused: true), try run(fused: false))
        #expect(fused.attentions > 0 && fused.attentions == explicit.attentions, "\(family.directory): \(fused.attentions) vs \(explicit.attentions)")
        let difference: Double = (fused.logits.to(.f64) - explicit.logits.to(.f64)).abs().max().item()
        #expect(difference == 0, "\(family.directory): max-abs \(difference)")

        let (model, image) = try Families.open(family, .bf16, fused: true, outputs)
        let uncaptured = try Families.logits(model, ids: ids, image: image)
        #expect((uncaptured.to(.f64) - explicit.logits.to(.f64)).abs().max().item() > 0,
                "\(family.directory): without captures the fused towers should give transformers' sdpa values, not eager's")
    }

    /// The attacks differentiate through the tower: the fused kernel's backward gives the explicit
    /// softmax's pixel gradient (f32, relative to the gradient's largest entry).
    @Test(arguments: Families.families.filter { ["llava/llava-a", "llava-siglip", "qwen2-vl", "instructblip"].contains($0.directory) })
    func theFusedTowersPixelGradientIsTheExplicitOnes(_ family: Families.Case) throws {
        let (outputs, _) = try Families.inputs(family)
        func gradient(fused: Bool) throws -> Tensor {
            let (model, image) = try Families.open(family, .f32, fused: fused, outputs)
            let pixels = image.detached()
            pixels.requiresGrad = true
            let features = model.imageFeatures(pixels, options: ForwardOptions(), trace: ForwardTrace())
            return try #require(Tensor.gradients(of: [features.square().sum()], withRespectTo: [pixels]).first ?? nil)
        }
        let (fused, explicit) = (try gradient(fused: true), try gradient(fused: false))
        let scale: Double = explicit.abs().max().item()
        let difference: Double = (fused.to(.f64) - explicit.to(.f64)).abs().max().item()
        #expect(scale > 0 && difference <= 1e-4 * scale, "\(family.directory): max-abs \(difference) of \(scale)")
    }
}
