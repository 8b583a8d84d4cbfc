import Foundation
import Testing
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// The Llama-family runtime in bf16 and f16 against transformers in the same dtype (fixtures:
/// scripts/make_bf16_fixtures.py [--dtype f16], the `llama/*/model` checkpoints loaded with
/// `dtype=torch.bfloat16` / `torch.float16`).
///
/// Tolerances, on logits of magnitude up to ~7:
/// - bf16: max-abs 0.0625, two bf16 steps (ulp 2⁻⁵ on [4, 8)), which leaves room for a different
///   rounding order inside fused libtorch kernels. It is well below what separates bf16 from f32 on
///   these models (transformers' own bf16 logits differ from its f32 ones by 0.12–0.24), so a runtime
///   that silently computed in f32 (or rounded activations at other points than transformers) fails.
///   On the build machine (torch 2.13.0+cpu, AVX2 kernels) the logits were bit-identical; on an
///   AVX-512 machine the regenerated reference moved by one step (0.0156) on one model.
/// - f16: max-abs 0.008, two f16 steps (ulp 2⁻⁸ on [4, 8)); f16 carries 3 more mantissa bits than
///   bf16, so it is held 8× tighter, and it must still be closer than the f32 runtime is. Since the
///   explicit path multiplies the scores by `head_dim ** -0.5` as transformers does (it divided by √d,
///   which moved one f16 score in a thousand by a step), every f16 case is bit-identical on the
///   AVX-512 build machine too (docs/engine.md).
/// Greedy tokens must be identical in both.
///
/// Each dtype runs twice: the explicit softmax against transformers' eager attention (Fixtures/DTYPE/),
/// and fused attention (`fusedAttention`, the default in bf16/f16 through the registry: prompts through
/// libtorch's `scaled_dot_product_attention`, decoding steps explicit) against transformers with sdpa
/// attention, its default, for prompts and eager steps (Fixtures/DTYPE/sdpa/, `make_bf16_fixtures.py
/// --attention sdpa`). On the build machine both are bit-identical, cached steps
/// included; each path is 0.08–0.48 (bf16) from the other's reference, so a test of one cannot pass on
/// the other.
///
/// The products run on libtorch's own kernels (`ReducedPrecisionProducts.computed(widened: false)`), and
/// CPUs without AVX-512 compare with Fixtures/avx2/ (the same goldens made with ATen's AVX2 kernels): there
/// every prompt is bit-identical (bf16 sdpa `llama31-rope` was 0.0625 off until prompts' bf16 RMSNorm took the ATen
/// ops, session 44), and the cached test's bf16 sdpa `llama31-rope` one step off (its 8-token prefill's norms take the
/// fused pass of decoding's few rows). The long prompt also runs widened.
@Suite("Reduced-precision conformance with transformers")
struct ReducedPrecisionConformanceTests {
    /// A reduced dtype and the attention path compared with the transformers reference of the same kind.
    struct Precision: Sendable, CustomTestStringConvertible {
        let dtype: DType
        let fused: Bool
        var testDescription: String { "\(dtype)\(fused ? " fused/sdpa" : " explicit/eager")" }
        /// The fixture folder below Fixtures/: the committed references were made with ATen's AVX-512
        /// kernels, avx2/ holds the same made with its AVX2 ones (sdpa and masked bf16 batches differ).
        var folder: String {
            (Torch.cpuCapability == "AVX512" ? "" : "avx2/") + (dtype == .bf16 ? "bf16" : "f16") + (fused ? "/sdpa" : "")
        }
    }

    /// A precision with the products computed by libtorch's own kernels or widened (`ReducedPrecisionProducts`).
    struct Products: Sendable, CustomTestStringConvertible {
        let precision: Precision
        let widened: Bool
        var testDescription: String { precision.testDescription + (widened ? " widened" : "") }
    }

    static let dtypes: [DType] = [.bf16, .f16]
    static let precisions = [false, true].flatMap { fused in dtypes.map { Precision(dtype: $0, fused: fused) } }
    static let products = [false, true].flatMap { widened in precisions.map { Products(precision: $0, widened: widened) } }

    static func tolerance(_ dtype: DType) -> Double { dtype == .bf16 ? 0.0625 : 0.008 }

    func open(_ name: String, _ precision: Precision) throws -> LlamaForCausalLM {
        let model = try LlamaForCausalLM.load(path: Fixtures.path("llama", name, "model"), options: ModelLoadOptions(dtype: precision.dtype))
        model.fusedAttention = precision.fused
        return model
    }

    func golden(_ name: String, _ precision: Precision) throws -> SafetensorsFile {
        try SafetensorsFile(path: Fixtures.path(precision.folder, name + ".safetensors"))
    }

    @Test(arguments: precisions, LlamaConformanceTests.configurations)
    func logitsMatchTransformersInTheSameDType(_ precision: Precision, _ name: String) throws {
        let dtype = precision.dtype
        let model = try open(name, precision)
        #expect(model.namedParameters().allSatisfy { $0.parameter.value.dtype == dtype })
        let ids = try Fixtures.golden(Fixtures.path("llama", name)).loadTensor(named: "input_ids")
        let logits = try #require(ReducedPrecisionProducts.computed(widened: false) {
            withNoGrad { model.forward(tokens: ids, cache: nil, options: .logitsOnly).logits }
        })
        #expect(logits.dtype == dtype)
        let expected = try golden(name, precision).loadTensor(named: "logits")
        expectMatches(logits, expected, tolerance: Self.tolerance(dtype), "\(name) \(precision.testDescription) logits")
        // The same model in f32 is farther from transformers' reduced-precision logits than the runtime in that
        // dtype is: a runtime that silently computed in f32 fails.
        let f32 = try LlamaForCausalLM.load(path: Fixtures.path("llama", name, "model"))
        let f32Logits = try #require(withNoGrad { f32.forward(tokens: ids, cache: nil, options: .logitsOnly).logits })
        #expect(maxAbs(f32Logits, expected) > Self.tolerance(dtype))
        #expect(maxAbs(f32Logits, expected) > 2 * maxAbs(logits, expected), "\(name) \(precision.testDescription)")
    }

    /// The model's logits for a fixture's prompt `ids` (of `shape`, with the padding mask `mask`), checked
    /// to be in the precision's dtype; the reference of the same kind and that of the other attention
    /// path, both under `key`.
    func logits(_ name: String, _ precision: Precision, ids idsKey: String, shape: [Int], mask maskKey: String? = nil,
                reference key: String, widened: Bool = false) throws -> (logits: Tensor, expected: Tensor, other: Tensor) {
        let model = try open(name, precision)
        let fixture = try golden(name, precision)
        let ids = try fixture.loadTensor(named: idsKey)
        #expect(ids.shape == shape)
        var options = ForwardOptions.logitsOnly
        options.paddingMask = try maskKey.map { try fixture.loadTensor(named: $0).to(.bool) }
        let logits = try #require(ReducedPrecisionProducts.computed(widened: widened) {
            withNoGrad { model.forward(tokens: ids, cache: nil, options: options).logits }
        })
        #expect(logits.dtype == precision.dtype)
        let other = try golden(name, Precision(dtype: precision.dtype, fused: !precision.fused)).loadTensor(named: key)
        return (logits, try fixture.loadTensor(named: key), other)
    }

    /// 48 positions, enough rows for the shim's widened products (`ReducedPrecisionProducts`, the default on CPUs
    /// without AVX-512), run both ways on any CPU: transformers' logits of the same prompt pin libtorch's own
    /// products and the widened ones, which stay within the same two steps of the dtype on these models.
    @Test(arguments: products, LlamaConformanceTests.configurations)
    func aLongPromptMatchesTransformersInTheSameDType(_ products: Products, _ name: String) throws {
        let (precision, dtype) = (products.precision, products.precision.dtype)
        let (logits, expected, other) = try logits(name, precision, ids: "long_input_ids", shape: [1, 48], reference: "long_logits",
                                                   widened: products.widened)
        let label = "\(name) \(products.testDescription)"
        expectMatches(logits, expected, tolerance: Self.tolerance(dtype), "\(label) long-prompt logits")
        let f32 = try LlamaForCausalLM.load(path: Fixtures.path("llama", name, "model"))
        let ids = try golden(name, precision).loadTensor(named: "long_input_ids")
        let f32Logits = try #require(withNoGrad { f32.forward(tokens: ids, cache: nil, options: .logitsOnly).logits })
        #expect(maxAbs(f32Logits, expected) > 2 * maxAbs(logits, expected), "\(label)")
        // The other attention path's reference is out of reach: the two tests pin different code.
        #expect(maxAbs(logits, other) > Self.tolerance(dtype), "\(label) is as close to the other path's reference")
    }

    /// A left-padded batch of two rows (40 positions; the second row's first 15 are padding), as DAMRO
    /// runs one: explicit against eager's additive mask, fused against sdpa's boolean
    /// mask (libtorch's masked kernel, whose bits differ from the causal kernel's on the same rows).
    /// Every position is compared, the padding rows included.
    @Test(arguments: precisions, LlamaConformanceTests.configurations)
    func aLeftPaddedBatchMatchesTransformersInTheSameDType(_ precision: Precision, _ name: String) throws {
        let dtype = precision.dtype
        let (logits, expected, other) = try logits(name, precision, ids: "padded_input_ids", shape: [2, 40],
                                                   mask: "padded_attention_mask", reference: "padded_logits")
        expectMatches(logits, expected, tolerance: Self.tolerance(dtype), "\(name) \(precision.testDescription) padded-batch logits")
        #expect(maxAbs(logits, other) > Self.tolerance(dtype), "\(name) \(precision.testDescription) is as close to the other path's reference")
    }

    @Test(arguments: precisions, LlamaConformanceTests.configurations)
    func cachedDecodingKeepsTheDTypeAndMatches(_ precision: Precision, _ name: String) throws {
        let dtype = precision.dtype
        let model = try open(name, precision)
        let ids = try Fixtures.golden(Fixtures.path("llama", name)).loadTensor(named: "input_ids")
        let (logits, _) = cachedDecodeLogits(model, ids: ids)
        #expect(logits.dtype == dtype)
        let expected = try golden(name, precision).loadTensor(named: "cached_logits")
        expectMatches(logits, expected, tolerance: Self.tolerance(dtype), "\(name) \(precision.testDescription) cached logits")
    }

    @Test(arguments: precisions, LlamaConformanceTests.configurations)
    func greedyTokensMatchTransformersInTheSameDType(_ precision: Precision, _ name: String) throws {
        let model = try open(name, precision)
        let prompt = Array(try Fixtures.golden(Fixtures.path("llama", name)).loadTensor(named: "input_ids").toArray(Int.self).prefix(6))
        let result = try GenerationDriver(model: model).generate(.tokens(prompt), strategy: .greedy,
                                                                 limits: GenerationLimits(maxNewTokens: 10))
        #expect(result.tokens == (try golden(name, precision).loadTensor(named: "greedy").toArray(Int.self)))
    }

    @Test func optionsParseAndRefuseWhatCannotRun() throws {
        #expect(try ModelLoadOptions(dtypeName: "bfloat16", deviceName: nil) == ModelLoadOptions(dtype: .bf16))
        #expect(try ModelLoadOptions(dtypeName: nil, deviceName: "cpu") == .standard)
        #expect(throws: ModelLoadOptionsError.unknownDType("fp8")) { try ModelLoadOptions(dtypeName: "fp8", deviceName: nil) }
        #expect(throws: ModelLoadOptionsError.unsupportedDType(.i64)) { try ModelLoadOptions(dtypeName: "i64", deviceName: nil) }
        #expect(throws: ModelLoadOptionsError.unknownDevice("tpu")) { try ModelLoadOptions(dtypeName: nil, deviceName: "tpu") }
        #expect(throws: ModelLoadOptionsError.self) { try ModelLoadOptions(dtypeName: nil, deviceName: "cuda:7") }
        #expect(throws: ModelLoadOptionsError.self) {
            try LlamaForCausalLM.load(path: Fixtures.path("llama", "qwen2", "model"), options: ModelLoadOptions(dtype: .i8))
        }
    }
}
