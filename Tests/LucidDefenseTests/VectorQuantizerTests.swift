import Foundation
import Testing
@testable import LucidDefense
@testable import LucidNN
@testable import LucidTensor

@Suite("vector quantiser")
struct VectorQuantizerTests {
    func quantizer(_ distance: VectorQuantizer.Distance, ema: Double? = nil) -> VectorQuantizer {
        VectorQuantizer(count: 6, dimension: 4, distance: distance, emaDecay: ema, generator: Generator(seed: 1))
    }

    @Test func nearestCodeMatchesBruteForceForBothDistances() {
        let x = Tensor.randn([20, 4], generator: Generator(seed: 2))
        for distance in VectorQuantizer.Distance.allCases {
            let vq = quantizer(distance)
            let codes = vq.codebook.value.toArray(Float.self)
            let rows = x.toArray(Float.self)
            var expected: [Int] = []
            for i in 0..<20 {
                let v = Array(rows[(i * 4)..<(i * 4 + 4)])
                let scores = (0..<6).map { k -> Float in
                    let c = Array(codes[(k * 4)..<(k * 4 + 4)])
                    switch distance {
                    case .l2: return -zip(v, c).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                    case .cosine:
                        let dot = zip(v, c).reduce(0) { $0 + $1.0 * $1.1 }
                        return dot / (v.reduce(0) { $0 + $1 * $1 }.squareRoot() * c.reduce(0) { $0 + $1 * $1 }.squareRoot())
                    }
                }
                expected.append(scores.indices.max { scores[$0] < scores[$1] } ?? 0)
            }
            #expect(vq.nearest(x) == expected, "\(distance)")
        }
    }

    @Test func straightThroughPassesTheGradientAndBlockedStopsIt() throws {
        let vq = quantizer(.l2)
        let x = Tensor.randn([5, 4], generator: Generator(seed: 3))
        x.requiresGrad = true
        let through = vq.quantize(x, gradient: .straightThrough)
        let gradient = try #require(Tensor.gradients(of: [(through.quantized * 3).sum()], withRespectTo: [x]).first ?? nil)
        #expect(gradient.maxAbsDifference(Tensor.full([5, 4], 3.0)) < 1e-6)
        // Forward value is the code itself.
        let codes = vq.codebook.value.indexSelect(axis: 0, index: Tensor(through.indices.map(Int64.init), shape: [5]))
        #expect(through.quantized.detached().maxAbsDifference(codes) < 1e-6)
        let blocked = vq.quantize(x, gradient: .blocked)
        #expect(!blocked.quantized.requiresGrad)
    }

    @Test func lossesAreTheVQVAETerms() {
        let vq = quantizer(.l2)
        let x = Tensor.randn([8, 4], generator: Generator(seed: 4))
        let out = vq.quantize(x)
        let codes = vq.codebook.value.indexSelect(axis: 0, index: Tensor(out.indices.map(Int64.init), shape: [8]))
        let mse = (x - codes).square().mean().item()
        #expect(abs(out.codebookLoss.item() - mse) < 1e-6)
        #expect(abs(out.commitmentLoss.item() - 0.25 * mse) < 1e-6)
    }

    @Test func emaMovesCodesToTheMeanOfTheirInputs() {
        let vq = quantizer(.l2, ema: 0)
        let x = Tensor.randn([30, 4], generator: Generator(seed: 5))
        let indices = vq.nearest(x)
        vq.updateEMA(x, indices: indices)
        let rows = x.toArray(Float.self)
        for k in Set(indices) {
            let members = indices.enumerated().filter { $0.element == k }.map(\.offset)
            let mean = (0..<4).map { d in members.reduce(Float(0)) { $0 + rows[$1 * 4 + d] } / Float(members.count) }
            let code = Array(vq.codebook.value.toArray(Float.self)[(k * 4)..<(k * 4 + 4)])
            for (a, b) in zip(mean, code) { #expect(abs(a - b) < 1e-3) }
        }
    }

    @Test func deadCodesRestartFromInputsDeterministically() {
        let x = Tensor.randn([10, 4], generator: Generator(seed: 6))
        let a = quantizer(.l2), b = quantizer(.l2)
        let used = [0, 0, 1, 1, 1, 0, 0, 1, 0, 1]
        let restartedA = a.restartDeadCodes(x, indices: used, generator: Generator(seed: 7))
        _ = b.restartDeadCodes(x, indices: used, generator: Generator(seed: 7))
        #expect(restartedA == [2, 3, 4, 5])
        #expect(a.codebook.value.maxAbsDifference(b.codebook.value) == 0)
        // A restarted code equals one of the inputs.
        let code = Array(a.codebook.value.toArray(Float.self)[8..<12])
        let rows = x.toArray(Float.self)
        #expect((0..<10).contains { i in zip(code, rows[(i * 4)..<(i * 4 + 4)]).allSatisfy { $0.0 == $0.1 } })
    }

    /// A defence moved to a GPU moves its codebook only; EMA updates and restarts follow it there
    /// (their state and the batch's one-hot were built on the host) and match the same steps on the CPU.
    @Test(.enabled(if: Torch.unavailability(of: .cuda(0)) == nil, "needs a CUDA device, and this libtorch sees none"))
    func emaTrainingFollowsTheCodebookToItsDevice() throws {
        let x = Tensor.randn([30, 4], generator: Generator(seed: 5))
        let onHost = quantizer(.l2, ema: 0.5), onDevice = quantizer(.l2, ema: 0.5)
        onDevice.codebook.value = onDevice.codebook.value.to(.cuda(0))
        for vq in [onHost, onDevice] {
            let input = x.to(vq.codebook.value.device)
            vq.updateEMA(input, indices: vq.nearest(input))
            vq.restartDeadCodes(input, indices: [0, 1, 0, 1], generator: Generator(seed: 7))
            vq.updateEMA(input, indices: vq.nearest(input))
        }
        #expect(onDevice.codebook.value.device == .cuda(0))
        #expect(onHost.codebook.value.maxAbsDifference(onDevice.codebook.value.to(.cpu)) < 1e-5)
    }
}

@Suite("safety code map")
struct SafetyCodeMapTests {
    @Test func codesMapToTheirDominantCategoryOnlyAboveTau() throws {
        let observations: [(code: Int, category: Int)] = [
            (0, 1), (0, 1), (0, 1), (0, 0),   // 75% weapon → weapon
            (1, 2), (1, 0), (1, 0),           // 33% drug → benign
            (2, 0), (2, 0),                   // benign
            (3, 2), (3, 2), (3, 1),           // 67% drug → drug at τ 0.6, benign at τ 0.7
        ]
        let map = try SafetyCodeMap(codebookSize: 5, categories: ["benign", "weapon", "drug"], observations: observations, threshold: 0.6)
        #expect(map.codeCategory == [1, 0, 0, 2, 0])
        #expect(map.isHarmful(0) && !map.isHarmful(4) && !map.isHarmful(99))
        let strict = try SafetyCodeMap(codebookSize: 5, categories: ["benign", "weapon", "drug"], observations: observations, threshold: 0.7)
        #expect(strict.codeCategory == [1, 0, 0, 0, 0])
    }

    @Test func badCalibrationInputIsRefused() {
        #expect(throws: DefenseError.self) { _ = try SafetyCodeMap(codebookSize: 2, categories: ["weapon"], observations: []) }
        #expect(throws: DefenseError.self) { _ = try SafetyCodeMap(codebookSize: 2, categories: ["benign", "x"], observations: [(5, 1)]) }
        #expect(throws: DefenseError.self) { _ = try SafetyCodeMap(codebookSize: 2, categories: ["benign", "x"], observations: [(0, 3)]) }
    }
}
