import Foundation
import Testing
@testable import LucidTensor

@Suite("Tensor creation and data")
struct TensorCreationTests {
    @Test func zerosOnesFullHaveShapeDtypeAndValues() {
        let z = Tensor.zeros([2, 3])
        #expect(z.shape == [2, 3])
        #expect(z.dtype == .f32)
        #expect(z.toArray(Float.self) == [Float](repeating: 0, count: 6))
        #expect(Tensor.ones([4], dtype: .i64).toArray(Int.self) == [1, 1, 1, 1])
        #expect(Tensor.full([2, 2], 2.5, dtype: .f64).toArray(Double.self) == [2.5, 2.5, 2.5, 2.5])
        #expect(Tensor.scalar(3).shape == [])
        #expect(Tensor.scalar(3).item() == 3)
    }

    @Test func arangeLinspaceEyeMatchDefinitions() {
        #expect(Tensor.arange(5).toArray(Int.self) == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(2, 11, step: 3).toArray(Int.self) == [2, 5, 8])
        #expect(Tensor.arange(5).dtype == .i64)
        expectClose(Tensor.arange(0.0, 1.0, step: 0.25), [0, 0.25, 0.5, 0.75])
        expectClose(Tensor.linspace(-1, 1, steps: 5), [-1, -0.5, 0, 0.5, 1])
        #expect(Tensor.eye(3).toArray(Float.self) == [1, 0, 0, 0, 1, 0, 0, 0, 1])
    }

    @Test func arraysRoundTripForEveryHostType() {
        #expect(Tensor([1.5, -2, 3] as [Float]).toArray(Float.self) == [1.5, -2, 3])
        #expect(Tensor([1.5, -2, 3] as [Double]).dtype == .f64)
        #expect(Tensor([Int.max, Int.min, 0]).toArray(Int.self) == [Int.max, Int.min, 0])
        #expect(Tensor([7, -8] as [Int32]).toArray(Int32.self) == [7, -8])
        #expect(Tensor([7, -8] as [Int16]).dtype == .i16)
        #expect(Tensor([127, -128] as [Int8]).toArray(Int8.self) == [127, -128])
        #expect(Tensor([0, 255] as [UInt8]).toArray(UInt8.self) == [0, 255])
        #expect(Tensor([true, false, true]).toArray(Bool.self) == [true, false, true])
        let m = Tensor([[1, 2, 3], [4, 5, 6]] as [[Float]])
        #expect(m.shape == [2, 3])
        #expect(m[1, 2].floatValue == 6)
        #expect(Tensor([] as [Float]).count == 0)
        #expect(Tensor([] as [Float]).toArray(Float.self) == [])
    }

    @Test func dtypeConversionRoundsLikeIEEE() {
        // 1 + 2^-11 is exactly halfway between two f16 values; round-to-nearest-even gives 1.
        let halfway = Tensor([1 + 1.0 / 2048, 65504, 1e-8, 70000] as [Float])
        #expect(halfway.to(.f16).toArray(Float.self) == [1, 65504, 0, .infinity])
        // bf16 keeps 8 bits of mantissa: 1 + 2^-8 rounds to even (1), 1 + 3·2^-9 rounds up to 1 + 2^-7.
        let b = Tensor([1 + 1.0 / 256, 1 + 3.0 / 512, -3.140625] as [Float]).to(.bf16)
        #expect(b.dtype == .bf16)
        #expect(b.toArray(Float.self) == [1, 1 + 1.0 / 128, -3.140625])
        #expect(Tensor([1.7, -1.7, 0.2] as [Float]).to(.i64).toArray(Int.self) == [1, -1, 0])
        #expect(Tensor([0, 2, -1] as [Float]).to(.bool).toArray(Bool.self) == [false, true, true])
        #expect(Tensor([true, false]).to(.f32).toArray(Float.self) == [1, 0])
        #if !(os(macOS) && arch(x86_64))
        #expect(Tensor([Float16(0.5), Float16(-2)]).toArray(Float.self) == [0.5, -2])
        #endif
    }

    @Test func itemReadsScalars() {
        #expect(Tensor([42]).intValue == 42)
        #expect(Tensor([2.5] as [Float]).floatValue == 2.5)
        #expect(Tensor([true]).boolValue)
    }

    @Test func seededGeneratorsReproduceStreams() {
        let a = Tensor.randn([100], generator: Generator(seed: 1234)).toArray(Float.self)
        let b = Tensor.randn([100], generator: Generator(seed: 1234)).toArray(Float.self)
        let c = Tensor.randn([100], generator: Generator(seed: 1235)).toArray(Float.self)
        #expect(a == b)
        #expect(a != c)
        let g = Generator(seed: 9)
        let first = Tensor.rand([10], generator: g).toArray(Float.self)
        let second = Tensor.rand([10], generator: g).toArray(Float.self)
        #expect(first != second)
        g.reseed(9)
        #expect(Tensor.rand([10], generator: g).toArray(Float.self) == first)
        #expect(g.seed == 9)
    }

    @Test func randomDistributionsHaveTheirMoments() {
        let n = Tensor.randn([200_000], dtype: .f64, generator: Generator(seed: 5))
        #expect(Swift.abs(n.mean().item()) < 0.01)
        #expect(Swift.abs(n.standardDeviation().item() - 1) < 0.01)
        let u = Tensor.rand([200_000], dtype: .f64, generator: Generator(seed: 6))
        #expect(Swift.abs(u.mean().item() - 0.5) < 0.005)
        #expect(u.min().item() >= 0 && u.max().item() < 1)
        let ints = Tensor.randint(3, 7, [10_000], generator: Generator(seed: 7)).toArray(Int.self)
        #expect(Set(ints) == [3, 4, 5, 6])
        #expect(Tensor.randperm(10, generator: Generator(seed: 8)).sorted().values.toArray(Int.self) == Array(0..<10))
    }

    @Test func fromBytesChecksTheByteCount() throws {
        let values: [Float] = [1, 2, 3, 4]
        let t = try values.withUnsafeBytes { try Tensor.fromBytes($0, shape: [2, 2], dtype: .f32) }
        #expect(t.toArray(Float.self) == values)
        #expect(throws: TorchError.self) {
            try values.withUnsafeBytes { try Tensor.fromBytes($0, shape: [3, 2], dtype: .f32) }
        }
        #expect(throws: TorchError.self) {
            try values.withUnsafeBytes { try Tensor.fromBytes($0, shape: [1 << 40, 1 << 40], dtype: .f32) }
        }
        #expect(throws: TorchError.self) {
            try values.withUnsafeBytes { try Tensor.fromBytes($0, shape: [-4], dtype: .u8) }
        }
    }

    final class Storage {
        var released: (() -> Void)?
        let pointer: UnsafeMutablePointer<Float>
        init(count: Int) {
            pointer = .allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
        }
        deinit {
            pointer.deallocate()
            released?()
        }
    }

    @Test func borrowingSharesMemoryAndReleasesTheOwner() {
        final class Flag: @unchecked Sendable { var value = false }
        let flag = Flag()
        do {
            let storage = Storage(count: 4)
            storage.released = { flag.value = true }
            let t = Tensor.borrowing(UnsafeMutableRawPointer(storage.pointer), shape: [4], dtype: .f32, owner: storage)
            storage.pointer[2] = 7
            #expect(t.toArray(Float.self) == [0, 0, 7, 0])
            t.fill(1.5)
            #expect(storage.pointer[0] == 1.5)
            withExtendedLifetime(t) { #expect(!flag.value) }
        }
        #expect(flag.value)
    }

    @Test func describesShapeDtypeAndValues() {
        let text = Tensor([1, 2] as [Float]).description
        #expect(text.contains("shape: [2]"))
        #expect(text.contains("f32"))
        #expect(text.contains("2"))
    }

    @Test func runtimeReportsVersionAndThreads() {
        #expect(Torch.version.hasPrefix("2."))
        let before = Torch.threads
        Torch.threads = 1
        #expect(Torch.threads == 1)
        Torch.threads = before
        #expect(!Torch.blasLibrary.isEmpty)
    }

    /// The dynamic loader found the libtorch the shim was compiled against (the torch wheel's,
    /// symlinked next to the binary), not a system libtorch such as Debian's 1.13.
    @Test func loadedLibtorchIsTheOneCompiledAgainst() {
        #expect(Torch.runtimeVersion == Torch.version, "loaded \(Torch.libraryPath)")
        #expect(!Torch.libraryPath.hasPrefix("/usr/"), "loaded \(Torch.libraryPath)")
        #expect(Torch.libraryPath.hasSuffix("libtorch_cpu.so"))
    }

    @Test func dtypeAndDeviceNamesParse() {
        #expect(DType(name: "float16") == .f16)
        #expect(DType(name: "bf16") == .bf16)
        #expect(DType(name: "complex") == nil)
        #expect(Device(name: "cuda:1") == .cuda(1))
        #expect(Device(name: "tpu") == nil)
        #expect(DType.allCases.allSatisfy { DType(name: $0.description) == $0 })
    }
}
