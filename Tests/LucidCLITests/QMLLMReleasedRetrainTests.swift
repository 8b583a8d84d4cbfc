import Foundation
import LucidTensor
import LucidTestSupport
import Testing
@testable import LucidCLI

/// The released Q-MLLM variant is unchanged by the paper variant beside it: retrained from its recipe
/// (`lucid defend qmllm train --recipe released`, no `--variant`), it gives exactly the weights main's code gave.
@Suite("Q-MLLM released variant: retraining", .serialized)
struct QMLLMReleasedRetrainTests {
    /// Written by main at 896284b (before the paper variant) with
    /// `LUCID_THREADS=1 lucid defend qmllm train --base shapes-tiny --scale 0.03` (the released recipe, then the
    /// default; `--recipe released` since session 17): its `qmllm/qmllm.safetensors`,
    /// and the `multi_modal_projector.*` tensors of its `model.safetensors` (f16, as stored). One thread,
    /// because libtorch's reductions sum in another order with more threads (the bytes then differ).
    ///
    /// The bytes also depend on the CPU: libtorch and MKL pick kernels by vendor and instruction set, and
    /// on an AMD EPYC without AVX-512 the same code (main at 16887c5, itself equal to 896284b on the
    /// machines that ran CI until then) trains other bits. So each CPU family has its fixture:
    /// `qmllm-released-tiny` (the CI machines until session 15, which were not of that family; used for Intel and for
    /// AMD with AVX-512: session 24 rebuilt main at 896284b on an AMD EPYC with AVX-512 and avx512_bf16, family 26,
    /// and its training, same command, gave these tensors bit for bit) and `qmllm-released-tiny-amd-avx2`
    /// (written by main at 16887c5 on an AMD EPYC without AVX-512, same command), and
    /// `qmllm-released-tiny-intel-avx512fp16` (session 49: main at 896284b, rebuilt on an Intel Xeon of family 6,
    /// model 207, with AVX-512 FP16 and BF16, same command; the head trained the same bits there, and neither gave the
    /// other two fixtures'). The flags of the Intel machines that wrote the first fixture were not recorded; an Intel
    /// CPU without AVX-512 FP16 still reads it. Elsewhere the comparison is skipped, and says so.
    static func fixture() -> (url: URL, family: String)? {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let cpu = CPUDescription.current
        if cpu.isIntel, cpu.flags.contains("avx512_fp16") {
            return (fixtures.appendingPathComponent("qmllm-released-tiny-intel-avx512fp16"), "Intel with AVX-512 FP16")
        }
        if cpu.isIntel { return (fixtures.appendingPathComponent("qmllm-released-tiny"), "Intel") }
        if cpu.isAMD, cpu.flags.contains("avx2"), !cpu.flags.contains("avx512f") {
            return (fixtures.appendingPathComponent("qmllm-released-tiny-amd-avx2"), "AMD without AVX-512")
        }
        if cpu.isAMD, cpu.flags.contains("avx512f"), cpu.flags.contains("avx512_bf16") {
            return (fixtures.appendingPathComponent("qmllm-released-tiny"), "AMD with AVX-512 and avx512_bf16")
        }
        return nil
    }

    @Test func releasedVariantRetrainsTheWeightsMainTrained() throws {
        guard let (fixture, family) = Self.fixture() else {
            print("QMLLMReleasedRetrainTests: skipped: no fixture for this CPU family (the trained bits depend on it; see the fixture's doc)")
            return
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-qmllm-released-\(UUID().uuidString)").path
        let work = out + "-work"
        defer { for path in [out, work, out + "-cache"] { try? FileManager.default.removeItem(atPath: path) } }
        let train = try LucidProcess.run(["defend", "qmllm", "train", "--recipe", "released", "--base", "shapes-tiny", "--scale", "0.03", "--out", out, "--work", work],
                                         environment: ["LUCID_THREADS": "1", "LUCID_CACHE": out + "-cache"])
        #expect(train.status == 0, "\(train.err)")
        #expect(train.err.contains("qmllm 9/9") && train.err.contains("released variant"), "\(train.err)")
        for (file, prefix, reference) in [("qmllm/qmllm.safetensors", "", "qmllm.safetensors"),
                                          ("model.safetensors", "multi_modal_projector.", "projector.safetensors")] {
            let trained = try SafetensorsFile(path: out + "/" + file)
            let golden = try SafetensorsFile(path: fixture.appendingPathComponent(reference).path)
            let names = trained.names.filter { $0.hasPrefix(prefix) }.sorted()
            #expect(!names.isEmpty && names == golden.names.sorted(), "\(file): \(names) vs \(golden.names.sorted())")
            for name in names {
                let a = try trained.loadTensor(named: name), b = try golden.loadTensor(named: name)
                #expect(a.dtype == b.dtype && a.shape == b.shape, "\(name)")
                guard a.dtype == b.dtype, a.shape == b.shape else { continue }
                #expect(a.toArray(Float.self) == b.toArray(Float.self), "\(name) (\(family) fixture): max |Δ| \(a.maxAbsDifference(b))")
            }
        }
    }
}
