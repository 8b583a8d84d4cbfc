import ArgumentParser
import LucidBench
import LucidTensor

/// `lucid bench llava`: load time, peak RSS, image-prompt prefill and decode of a LLaVA-1.5
/// checkpoint (the synthetic 7B shape), compared with transformers measured on the same inputs.
struct LlavaBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llava",
        abstract: "LLaVA load time, peak RSS, image-prompt prefill and decode tokens/s against transformers.",
        discussion: """
        For `model_type: llava` (LLaVA-1.5's CLIP tower or a SigLIP one). scripts/bench_llava_reference.py \
        writes the inputs (input_ids with one placeholder per image feature, 576 on LLaVA-1.5, and \
        pixel_values, in a safetensors file) and times transformers on them; this command replays the \
        same inputs: load (the directory opened plus one read of every weight, so both sides start the \
        timed prefill with resident weights), prefill (vision tower, projector and the language model \
        over the whole prompt), greedy decode with EOS disabled, then the machine's read bandwidth with \
        the same threads, and prints both sides with ratios. `make bench` runs it on the synthetic \
        LLaVA-1.5-7B-shaped checkpoint (scripts/bench.sh); scripts/make_synthetic_siglip_llava.py writes a \
        LLaVA-Interleave-0.5B-shaped one (SigLIP so400m + Qwen2-0.5B).
        """
    )

    @Option(help: "A llava-hf checkpoint directory.")
    var model: String

    @OptionGroup var runtime: ModelRuntimeOptions

    @Option(help: "safetensors with input_ids [1, T] (int64) and pixel_values [1, 3, S, S] (f32), from the reference script.")
    var inputs: String

    @Option(help: "JSON from scripts/bench_llava_reference.py.")
    var reference: String

    @Option(help: "New tokens (default: the reference's).")
    var newTokens: Int?

    @Option(help: "libtorch intra-op threads (default: the reference's).")
    var threads: Int?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if let newTokens, !(2...4096).contains(newTokens) { throw ValidationError("--new-tokens must be in 2…4096 (got \(newTokens))") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1…1024 (got \(threads))") }
    }

    func run() throws {
        let ref = try LlavaBenchmark.Reference.load(path: reference)
        let options = try runtime.loadOptions()
        try ref.check(dtype: options.dtype)
        try ref.check(device: options.device)
        let threadCount = threads ?? ref.threads
        Torch.configureThreads(intraOp: threadCount)
        let report = try LlavaBenchmark.run(directory: model, options: options, inputs: inputs, reference: ref,
                                            newTokens: newTokens ?? ref.newTokens, threads: threadCount)
        print(json ? try report.jsonString() : report.table(model: model))
    }
}
