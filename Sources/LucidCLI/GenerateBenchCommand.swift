import ArgumentParser
import LucidBench
import LucidModels
import LucidTensor

/// `lucid bench generate`: decode throughput of a Llama-family model, compared with transformers.
struct GenerateBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Greedy decode tokens/s, prefill tokens/s and peak RSS, with ratios against transformers.",
        discussion: """
        The reference (scripts/bench_generate_reference.py, run by `make bench`) tokenizes a chat \
        prompt, times transformers on the same libtorch, and records the prompt ids; Lucid replays \
        exactly those ids with EOS disabled, so both sides do the same work. Also reports the \
        memory-bandwidth bound: weight bytes read per token ÷ measured copy bandwidth.
        """
    )

    @Option(help: "Model: a GGUF file, a Hugging Face directory or repository id in the local hub cache (org/name[@revision]), a bundled organism, or `smollm2`.")
    var model: String = "smollm2"

    @OptionGroup var runtime: ModelRuntimeOptions

    @Option(help: "JSON from scripts/bench_generate_reference.py (gives the prompt ids and the reference numbers).")
    var reference: String

    @Option(help: "New tokens to generate (default: the reference's).")
    var newTokens: Int?

    @Option(help: "Thread setting INTRA:BLAS (default: the reference's).")
    var threads: String?

    @Option(help: "Repetitions; the best is reported.")
    var repeats: Int = 2

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard repeats >= 1 && repeats <= 100 else { throw ValidationError("--repeats must be in 1…100") }
        if let newTokens, newTokens < 2 { throw ValidationError("--new-tokens must be ≥ 2") }
        if let threads, ThreadSetting(threads) == nil { throw ValidationError("--threads must be INTRA:BLAS, e.g. 1:2") }
    }

    func run() throws {
        let ref = try GenerateBenchmark.Reference.load(path: reference)
        guard let setting = ThreadSetting(threads ?? ref.threads) else { throw BenchError.badThreadSetting(ref.threads) }
        setting.apply()
        let options = try runtime.loadOptions()
        try ref.check(dtype: options.dtype)
        let llm = try LlamaForCausalLM.load(path: ModelPaths.resolve(model), options: options)
        let report = try GenerateBenchmark.run(llm, reference: ref, newTokens: newTokens ?? ref.newTokens, repeats: repeats,
                                               dtype: options.dtype, threads: setting)
        print(json ? try report.jsonString() : report.table(model: model))
    }
}
