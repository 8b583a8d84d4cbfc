import Testing
@testable import LucidTensor

@Suite("Autograd behaviour")
struct AutogradTests {
    @Test func backwardAccumulatesUntilZeroed() {
        let x = Tensor([1.0, 2.0, 3.0])
        x.requiresGrad = true
        #expect(x.isLeaf)
        #expect(x.grad == nil)
        (x * x).sum().backward()
        #expect(x.grad?.toArray(Double.self) == [2, 4, 6])
        (x * 3).sum().backward()
        #expect(x.grad?.toArray(Double.self) == [5, 7, 9])
        x.zeroGrad()
        #expect(x.grad == nil)
        x.sum().backward()
        #expect(x.grad?.toArray(Double.self) == [1, 1, 1])
    }

    @Test func nonScalarBackwardTakesAGradient() {
        let x = Tensor([1.0, 2.0])
        x.requiresGrad = true
        let y = x * x
        y.backward(gradient: Tensor([1.0, 10.0]), retainGraph: true)
        #expect(x.grad?.toArray(Double.self) == [2, 40])
        y.sum().backward()
        #expect(x.grad?.toArray(Double.self) == [4, 44])
    }

    @Test func noGradBlocksRecordingAndRestoresTheMode() {
        let x = Tensor([1.0])
        x.requiresGrad = true
        #expect(Torch.isGradEnabled)
        let y = withNoGrad { x * 2 }
        #expect(!y.requiresGrad)
        #expect(Torch.isGradEnabled)
        #expect((x * 2).requiresGrad)
        let nested = withNoGrad { withGradMode(enabled: true) { x * 2 } }
        #expect(nested.requiresGrad)
        #expect(!x.detached().requiresGrad)
        #expect(!(x * 2).isLeaf)
    }

    @Test func gradientsOfDoesNotTouchGradFields() {
        let x = Tensor([1.0, 2.0])
        let unused = Tensor([5.0])
        x.requiresGrad = true
        unused.requiresGrad = true
        let loss = (x * x * x).sum()
        let grads = Tensor.gradients(of: [loss], withRespectTo: [x, unused])
        #expect(grads[0]?.toArray(Double.self) == [3, 12])
        #expect(grads[1] == nil)
        #expect(x.grad == nil)
    }

    @Test func inPlaceUpdateUnderNoGradActsLikeAnOptimiserStep() {
        let w = Tensor([1.0, -1.0])
        w.requiresGrad = true
        for _ in 0..<50 {
            let loss = ((w - Tensor([3.0, 2.0])).square()).sum()
            loss.backward()
            withNoGrad {
                if let g = w.grad { w.addInPlace(g, alpha: -0.1) }
            }
            w.zeroGrad()
        }
        expectClose(w.detached(), [3, 2], atol: 1e-4)
    }

    @Test func signedGradientStepStaysInTheBox() {
        // One PGD step in [0, 1] pixel space: x' = clamp(x + ε·sign(∇), 0, 1).
        let x = Tensor([0.0, 0.5, 0.99])
        x.requiresGrad = true
        (x * Tensor([1.0, -1.0, 1.0])).sum().backward()
        let step = withNoGrad { (x + (x.grad ?? x.zerosLike()).sign() * 0.05).clamped(min: 0, max: 1) }
        expectClose(step, [0.05, 0.45, 1])
    }
}

@Suite("Programmer errors trap with libtorch's message")
struct TrapTests {
    @Test func shapeMismatchTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([2, 3]))
        }
    }

    @Test func badReshapeTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([2, 3]).reshaped(4, 2)
        }
    }
}
