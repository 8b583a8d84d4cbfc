import Foundation
import Testing
import LucidSupport
import LucidTestSupport
@testable import LucidTensor

/// Seeded mutations of safetensors and GGUF files: every one opens (and its tensors read within the
/// file) or fails with a `CheckpointError`/`GGMLError`; nothing traps (issue 20). Budget:
/// `LUCID_FUZZ_ITERATIONS` (`make fuzz`), else a small one for `make test`.
@Suite("checkpoint fuzzing")
struct CheckpointFuzzTests {
    static let iterations = FuzzBudget.iterations(default: 150, share: 4)

    static func mutate(_ bytes: [UInt8], within limit: Int, _ random: inout SplitMix64) -> [UInt8] {
        var out = bytes
        switch Int.random(in: 0..<3, using: &random) {
        case 0:
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                out[Int.random(in: 0..<min(limit, out.count), using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
        case 1:
            out = Array(out.prefix(Int.random(in: 0..<out.count, using: &random)))
        default:  // a little-endian 64-bit field set to an extreme value
            let offset = Int.random(in: 0..<max(1, min(limit, out.count) - 8), using: &random)
            let value: UInt64 = [UInt64.max, UInt64(Int64.max), 1 << 40, 0][Int.random(in: 0..<4, using: &random)]
            for k in 0..<8 where offset + k < out.count { out[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
        }
        return out
    }

    @Test func mutatedSafetensorsOpenOrFailWithACheckpointError() throws {
        let directory = try FormatsTemporaryDirectory()
        let valid = directory.file("valid.safetensors")
        try SafetensorsWriter.write([
            .init(name: "a", dtype: .float32, shape: [2, 3], bytes: [UInt8](repeating: 1, count: 24)),
            .init(name: "b.weight", dtype: .float16, shape: [4], bytes: [UInt8](repeating: 2, count: 8)),
        ], metadata: ["format": "pt"], to: valid)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: valid)))
        var random = FuzzBudget.generator(SplitMix64(state: 20))
        var opened = 0
        for round in 0..<Self.iterations {
            let path = try directory.write(Self.mutate(bytes, within: 160, &random), to: "m\(round % 5).safetensors")
            do {
                let file = try SafetensorsFile(path: path)
                for name in file.names { _ = try file.data(named: name).reduce(0 as UInt8, &+) }  // every byte inside the mapping
                opened += 1
            } catch {
                #expect(error is CheckpointError, "\(type(of: error)): \(error)")
            }
        }
        #expect(opened < Self.iterations)
    }

    @Test func mutatedGGUFOpensOrFailsWithATypedError() throws {
        let directory = try FormatsTemporaryDirectory()
        var writer = GGUFTestWriter()
        writer.header(tensorCount: 1, kvCount: 2)
        writer.keyValue("general.architecture", .string("llama"))
        writer.keyValue("llama.block_count", .uint32(2))
        writer.tensorInfo(name: "t", ggmlDims: [4], type: 0, offset: 0)
        while writer.bytes.count % 32 != 0 { writer.u8(0) }
        writer.append([UInt8](repeating: 0x3F, count: 16))
        let bytes = writer.bytes
        var random = FuzzBudget.generator(SplitMix64(state: 21))
        for round in 0..<Self.iterations {
            let path = try directory.write(Self.mutate(bytes, within: bytes.count, &random), to: "m\(round % 5).gguf")
            do { _ = try GGUFFile(path: path) } catch {
                #expect(error is CheckpointError || error is GGMLError, "\(type(of: error)): \(error)")
            }
        }
    }
}
