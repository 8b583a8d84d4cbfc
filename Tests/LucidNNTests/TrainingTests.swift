import Foundation
import Testing
@testable import LucidNN
@testable import LucidTensor

/// AdamW, the warm-up + cosine schedule, gradient clipping and cross-entropy against PyTorch /
/// transformers (fixture: scripts/make_optim_fixtures.py). Tolerance 1e-6 (f32).
@Suite("Training utilities")
struct TrainingTests {
    func fixture() throws -> SafetensorsFile {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { throw OptimizerError("fixtures missing") }
        return try SafetensorsFile(path: url.appendingPathComponent("optim.safetensors").path)
    }

    @Test func adamWWithScheduleAndClippingMatchesPyTorch() throws {
        let golden = try fixture()
        let w = Parameter(try golden.loadTensor(named: "w0").clone())
        let b = Parameter(try golden.loadTensor(named: "b0").clone())
        w.value.requiresGrad = true
        b.value.requiresGrad = true
        let parameters = [(name: "w", parameter: w), (name: "b", parameter: b)]
        let optimizer = AdamW(parameters, learningRate: 0.05, beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.1)
        let schedule = WarmupCosineSchedule(warmupSteps: 2, totalSteps: 6)
        for step in 0..<6 {
            optimizer.learningRate = 0.05 * schedule.multiplier(at: step)
            #expect(Swift.abs(optimizer.learningRate - (try golden.loadTensor(named: "lr\(step)").item())) < 1e-8, "lr at step \(step) (stored as f32)")
            // Set the recorded gradients as if backward had produced them.
            (w.value * (try golden.loadTensor(named: "gw\(step)"))).sum().backward()
            (b.value * (try golden.loadTensor(named: "gb\(step)"))).sum().backward()
            let norm = Training.clipGradientNorm(parameters, maxNorm: 2)
            #expect(Swift.abs(norm - (try golden.loadTensor(named: "norm\(step)").item())) < 1e-4, "norm at step \(step)")
            optimizer.update()
            optimizer.zeroGradients()
            #expect(w.value.detached().maxAbsDifference(try golden.loadTensor(named: "w\(step + 1)")) < 1e-6, "w after step \(step)")
            #expect(b.value.detached().maxAbsDifference(try golden.loadTensor(named: "b\(step + 1)")) < 1e-6, "b after step \(step)")
        }
        #expect(optimizer.step == 6)
    }

    @Test func optimiserStateRoundTrips() throws {
        let w = Parameter(Tensor.randn([3], generator: Generator(seed: 1)))
        w.value.requiresGrad = true
        let a = AdamW([(name: "w", parameter: w)], learningRate: 0.1)
        (w.value * w.value).sum().backward()
        a.update()
        let saved = a.stateDictionary()
        let w2 = Parameter(w.value.detached().clone())
        w2.value.requiresGrad = true
        let b = AdamW([(name: "w", parameter: w2)], learningRate: 0.1)
        try b.load(tensors: saved.tensors, step: saved.step)
        a.zeroGradients()
        for (optimizer, p) in [(a, w), (b, w2)] {
            (p.value * p.value).sum().backward()
            optimizer.update()
        }
        #expect(w.value.detached().maxAbsDifference(w2.value.detached()) == 0, "a resumed optimiser continues identically")
        #expect(throws: OptimizerError.self) { try b.load(tensors: ["w.exp_avg": Tensor.zeros([4])], step: 1) }
    }

    @Test func crossEntropyIgnoresMaskedTargetsAsPyTorch() throws {
        let golden = try fixture()
        let loss = Training.crossEntropy(try golden.loadTensor(named: "ce_logits"), try golden.loadTensor(named: "ce_targets"))
        #expect(Swift.abs(loss.item() - (try golden.loadTensor(named: "ce_loss").item())) < 1e-6)
        let allIgnored = Training.crossEntropy(Tensor.randn([2, 3]), Tensor([-100, -100]))
        #expect(allIgnored.item() == 0)
        gradCheckCrossEntropy()
    }

    func gradCheckCrossEntropy() {
        let logits = Tensor.randn([3, 4], dtype: .f64, generator: Generator(seed: 2))
        logits.requiresGrad = true
        let targets = Tensor([1, -100, 3])
        Training.crossEntropy(logits, targets).backward()
        let analytic = logits.grad?.toArray(Double.self) ?? []
        var numeric: [Double] = []
        let base = logits.detached().toArray(Double.self)
        for i in base.indices {
            var plus = base, minus = base
            plus[i] += 1e-6
            minus[i] -= 1e-6
            let fp = Training.crossEntropy(Tensor(plus, shape: [3, 4]), targets).item()
            let fm = Training.crossEntropy(Tensor(minus, shape: [3, 4]), targets).item()
            numeric.append((fp - fm) / 2e-6)
        }
        #expect(zip(analytic, numeric).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
    }

    @Test func scheduleWarmsUpThenDecaysToTheFloor() {
        let s = WarmupCosineSchedule(warmupSteps: 10, totalSteps: 110, minimumRatio: 0.1)
        #expect(s.multiplier(at: 0) == 0 && s.multiplier(at: 5) == 0.5 && s.multiplier(at: 10) == 1)
        #expect(Swift.abs(s.multiplier(at: 60) - 0.55) < 1e-12)
        #expect(Swift.abs(s.multiplier(at: 110) - 0.1) < 1e-12 && Swift.abs(s.multiplier(at: 500) - 0.1) < 1e-12)
    }

    @Test func causalLossShiftsLabelsByOne() {
        // Logits that put all mass on token (position + 1) predict labels shifted by one perfectly.
        var values = [Float](repeating: -50, count: 4 * 5)
        for t in 0..<4 { values[t * 5 + (t + 1)] = 50 }
        let logits = Tensor(values, shape: [1, 4, 5])
        let loss = Training.causalLanguageModelLoss(logits: logits, labels: Tensor([0, 1, 2, 3], shape: [1, 4]))
        #expect(loss.item() < 1e-6)
    }
}
