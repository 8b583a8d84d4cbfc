import Foundation
import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidTensor

/// The whole training path on a tiny from-scratch Llama: init, forward, masked loss, backward, AdamW.
@Suite("Training a tiny Llama")
struct TrainingSmokeTests {
    @Test func aTinyLlamaMemorisesASequenceDeterministically() throws {
        func train(seed: UInt64) throws -> [Double] {
            let config = LlamaConfig(vocabSize: 32, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4,
                                     numKeyValueHeads: 2, rmsNormEps: 1e-6, tieWordEmbeddings: true)
            let model = try LlamaForCausalLM(config)
            model.initializeForTraining(generator: Generator(seed: seed))
            model.setTrainable(true)
            let optimizer = AdamW(model.trainableParameters(), learningRate: 3e-3, weightDecay: 0)
            let ids = Tensor([1, 5, 9, 2, 7, 7, 3, 11, 4, 8], shape: [1, 10])
            // Mask the first three labels (the "prompt"): only the answer tokens are learned.
            let labels = Tensor([-100, -100, -100, 2, 7, 7, 3, 11, 4, 8], shape: [1, 10])
            var losses: [Double] = []
            for _ in 0..<60 {
                let logits = try #require(model.forward(tokens: ids, cache: nil, options: .logitsOnly).logits)
                let loss = Training.causalLanguageModelLoss(logits: logits, labels: labels)
                losses.append(loss.item())
                loss.backward()
                Training.clipGradientNorm(model.trainableParameters(), maxNorm: 1)
                optimizer.update()
                optimizer.zeroGradients()
            }
            return losses
        }
        let losses = try train(seed: 1)
        #expect(losses[0] > 2.5, "starts near ln(32) = 3.47")
        #expect(losses[59] < 0.1, "memorised: final loss \(losses[59])")
        #expect(try train(seed: 1) == losses, "same seed, same losses")
    }

    @Test func initialisationFollowsHuggingFace() throws {
        let model = try LlamaForCausalLM(LlamaConfig(vocabSize: 64, hiddenSize: 64, intermediateSize: 128, numHiddenLayers: 1, numAttentionHeads: 4))
        model.initializeForTraining(std: 0.02, generator: Generator(seed: 3))
        let q = model.model.layers[0].selfAttn.qProj.weight.value
        #expect(Swift.abs(q.standardDeviation().item() - 0.02) < 0.002)
        #expect(model.model.norm.weight.value.toArray(Float.self).allSatisfy { $0 == 1 })
        #expect(model.model.layers[0].inputLayernorm.weight.value.toArray(Float.self).allSatisfy { $0 == 1 })
    }
}
