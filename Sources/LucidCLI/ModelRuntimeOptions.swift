import ArgumentParser
import LucidModels
import LucidPipeline

/// `--dtype` and `--device`, shared by every command that opens a model.
///
/// Parsed and validated into `ModelLoadOptions` before the command runs, so an unknown name, a
/// device this libtorch cannot use, or a dtype the device cannot compute in is a usage error, not a
/// failure after loading.
struct ModelRuntimeOptions: ParsableArguments {
    @Option(help: "Element type of the weights, activations and KV caches: f32 (default), bf16 or f16. Decoder scores, attack losses, probes and metrics stay f32/f64. On CPUs without AVX-512 bf16/f16 prompt and gradient products are computed widened to f32 (6–11× faster, not bit for bit transformers' own; LUCID_WIDENED_PRODUCTS=off keeps libtorch's: docs/engine.md).")
    var dtype: String?

    @Option(help: "Where the model runs: cpu (default), cuda, cuda:N or mps. Models run on cpu and cuda (the CUDA wheel, LUCID_TORCH=cuda); a device this libtorch lacks, and mps (not verified yet), are refused with the reason.")
    var device: String?

    @Flag(inversion: .prefixedNo,
          help: "Run prompts, vision towers and the Q-Former through libtorch's fused attention kernel where no attention is captured, as transformers' default (sdpa) does: long image prompts prefill 2–3× faster in less memory. Default: on in bf16 and f16, off in f32 (the explicit softmax, as transformers' eager attention, which Lucid's f32 results were recorded with).")
    var fusedAttention: Bool?

    /// The validated options (f32 on the CPU when no flag is given).
    func loadOptions() throws(ModelLoadOptionsError) -> ModelLoadOptions {
        var options = try ModelLoadOptions(dtypeName: dtype, deviceName: device)
        options.fusedAttentionSetting = fusedAttention
        return options
    }

    func validate() throws {
        do { _ = try loadOptions() } catch {
            throw ValidationError("\(error.concernsDType ? "--dtype" : "--device"): \(error.description)")
        }
    }
}
