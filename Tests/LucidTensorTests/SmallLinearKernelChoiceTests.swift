import Foundation
import Testing
@testable import LucidTensor

/// The small-linear kernel a test or benchmark chooses belongs to its thread: tests run side by side
/// in one process, and one comparing two runs for exact equality must not see another's choice.
@Suite("small-linear kernel choice")
struct SmallLinearKernelChoiceTests {
    /// The kernel another thread sees while this one runs on `scalar`.
    static func seenElsewhere() -> SmallLinearKernel {
        let seen = LockedBox(SmallLinearKernel.scalar)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            seen.value = SmallLinearKernel.active
            done.signal()
        }
        thread.start()
        done.wait()
        return seen.value
    }

    static func largestDifference(_ a: Tensor, _ b: Tensor) -> Double { (a.to(.f64) - b.to(.f64)).abs().max().item() }

    @Test func aChosenKernelStaysOnTheThreadThatChoseIt() throws {
        let automatic = SmallLinearKernel.active
        try #require(automatic != .scalar, "this CPU runs only the scalar kernel: nothing lower to choose")
        SmallLinearKernel.using(.scalar) { active in
            #expect(active == .scalar && SmallLinearKernel.active == .scalar)
            #expect(Self.seenElsewhere() == automatic)
        }
        #expect(SmallLinearKernel.active == automatic)
    }

    @Test func choicesNestAndRestoreTheOuterOne() {
        SmallLinearKernel.using(.avx2) { outer in
            SmallLinearKernel.using(.scalar) { inner in #expect(inner == .scalar) }
            #expect(SmallLinearKernel.active == outer)
        }
    }

    /// A product large enough to be split with the shim's helper thread runs the caller's kernel on
    /// both halves: each output column is one weight row's dot products, so the split product's right
    /// half must equal that half computed alone on the same kernel, bit for bit. The caller takes the
    /// kernel below the process's (AVX2 under AVX-512, whose 4 × 6 tiles sum in another order; scalar
    /// under AVX2, whose 8-lane accumulators do), so a half computed on the process's kernel would show.
    @Test func aProductSplitWithTheHelperThreadRunsTheCallersKernel() throws {
        let automatic = SmallLinearKernel.active
        try #require(automatic != .scalar, "this CPU runs only the scalar kernel: nothing lower to choose")
        let lower: SmallLinearKernel = automatic.rawValue >= SmallLinearKernel.avx512.rawValue ? .avx2 : .scalar
        let generator = Generator(seed: 23)
        let x = Tensor.randn([8, 512], generator: generator)  // 8 rows: AVX-512 tiles, AVX2 one row at a time
        let w = Tensor.randn([512, 512], generator: generator)  // 8 · 512 · 512 = 2^21: split with the helper
        let right = w.sliced(axis: 0, start: 256, end: 512).contiguous()
        let (split, alone) = SmallLinearKernel.using(lower) { _ in
            withNoGrad { (x.linear(weight: w).sliced(axis: 1, start: 256, end: 512).contiguous(), x.linear(weight: right)) }
        }
        let onTheProcesssKernel = withNoGrad { x.linear(weight: w).sliced(axis: 1, start: 256, end: 512).contiguous() }
        #expect(Self.largestDifference(onTheProcesssKernel, alone) > 0,
                "\(automatic.name) and \(lower.name) agreed bit for bit here, so this test could not tell them apart")
        #expect(Self.largestDifference(split, alone) == 0)
    }
}

/// A value one thread writes and another reads after a semaphore (which orders the two).
private final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
