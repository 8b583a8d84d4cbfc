import ArgumentParser
import Foundation
import LucidDefense
import LucidFiles
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidOrganisms
import LucidRuns
import LucidTensor
import LucidText

/// `lucid run`: model × dataset × method × seed grids from a manifest, resumable and shardable.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a manifest (models × dataset × methods × seeds), resumably; merge sharded runs.",
        discussion: """
        See docs/runs.md for the manifest schema, sharding with Slurm or Kubernetes, and resuming; its `judges:` key \
        asks for judge metrics (StrongREJECT, OPERA's GPT-4V comparison) after the items (docs/runs.md, Judges).
        """,
        subcommands: [RunStartCommand.self, RunMergeCommand.self],
        defaultSubcommand: RunStartCommand.self
    )
}

/// `lucid run MANIFEST`: runs (or resumes) every pending work item, one JSONL line per result.
struct RunStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Run or resume a manifest (the default: `lucid run MANIFEST`).",
        discussion: """
        Results are appended to OUTPUT/results.jsonl (or results.shard-i-of-n.jsonl) as each sample finishes; \
        a killed run resumes where it stopped. A resume is refused when the manifest or dataset changed, or when \
        this Lucid would run a model with other engine settings (dtype, device, fused_attention with defaults \
        resolved) than run.json recorded; --force-new starts a fresh directory beside it. Methods: greedy and sample (temperature, top_k, top_p, min_p; both take repetition_penalty with repetition_context prompt|bos|output, presence_penalty, frequency_penalty, min_new_tokens, no_repeat_ngram_size, logit_bias), beam \
        (beams, length_penalty, hypothesis_length; repetition_penalty, repetition_context, min_new_tokens, no_repeat_ngram_size, logit_bias), opera (beams, candidates, scale, threshold, penalty, mode, efficient; the same seven), vcd \
        (alpha, beta, noise_step, temperature …), damro (alpha, beta, outliers, attention, warpers …). The seed \
        seeds sampling and VCD noise. Generation options: max_new_tokens (64), prompt, prompt_suffix, pad_to_square, \
        image_folder (where relative image paths point, e.g. images for a `lucid world generate` directory). \
        Model options: dtype (f32, bf16, f16), device (cpu, cuda, cuda:N, mps) and fused_attention (true, false), \
        as --dtype/--device/--[no-]fused-attention; \
        defense (auto, qmllm, none): a Q-MLLM model's gate is used by default, none removes it; \
        attack ({name: sink|pgd|noise, eps: 8/255, steps: 30, …}): each sample's image is attacked once for that \
        model entry (saved under OUTPUT/adversarial/) and every method and seed sees the adversarial image. \
        Judges (judges: [{metric: strongreject|opera-gpt4v, endpoint, model, api_key_env, methods, …}]) run after \
        every item has a result, into OUTPUT/judges/ (docs/runs.md, Judges).
        """
    )

    @Argument(help: "The manifest (YAML or JSON).")
    var manifest: String

    @Option(help: "Run only shard I of N (0-based), e.g. 3/8.")
    var shard: String?

    @Option(help: "Output directory (default: the manifest's `output`).")
    var output: String?

    @Flag(help: "Start a fresh run directory instead of resuming (never deletes anything).")
    var forceNew = false

    func validate() throws {
        if let shard { do { _ = try ShardSpec(parsing: shard) } catch { throw ValidationError("--shard: \(error)") } }
    }

    func run() async throws {
        let spec = try shard.map { text throws -> ShardSpec in
            do { return try ShardSpec(parsing: text) } catch { throw CLIError("--shard: \(error)") }
        }
        // Option mistakes (dtype, device, defense, attack, method options) and missing images fail before any item runs
        // and before a run directory is made, so the corrected manifest starts cleanly.
        let loaded = try RunManifest.load(from: URL(fileURLWithPath: manifest))
        try ManifestWorker.validate(loaded)
        try RunImages.validate(loaded)
        let engine = try ManifestWorker.engine(of: loaded)
        let session: RunSession
        do {
            session = try RunSession.open(manifest: URL(fileURLWithPath: manifest), output: output.map { URL(fileURLWithPath: $0) },
                                          shard: spec, forceNew: forceNew, engine: engine,
                                          laterEngineKeys: ManifestWorker.laterEngineKeys)
        } catch { throw CLIError("\(error)") }
        for warning in session.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        let worker = ManifestWorker(plan: session.plan, runDirectory: session.directory.url)
        let summary: RunSummary
        var firstFailure: (key: String, problem: String)?
        let interruption = InterruptMonitor()
        do {
            summary = try await session.run(progress: .automatic(label: session.plan.manifest.name), interruption: interruption) { item in
                do { return try worker.run(item) } catch {
                    if firstFailure == nil { firstFailure = (item.key, "\(error)") }
                    throw error
                }
            }
        } catch { throw CLIError("\(error)") }
        print("\(summary.succeeded) done, \(summary.alreadyDone) already done, \(summary.failed) failed, \(summary.remaining) remaining → \(session.directory.url.path)")
        if summary.failed > 0, let firstFailure {
            // The results file holds every error line; the terminal gets the manifest and the first problem.
            FileHandle.standardError.write(Data("\(manifest): \(summary.failed) item(s) failed (their errors are in the results file); first, \(firstFailure.key): \(TerminalText.escaped(firstFailure.problem))\n".utf8))
        }
        let judged = try await RunJudging.afterPass(session, summary: summary, interruption: interruption) { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
        for outcome in judged.outcomes { print("judge \(outcome.name): \(outcome.summary) → \(outcome.records)") }
        if judged.exitCode != 0 { throw ExitCode(judged.exitCode) }
    }
}

/// `lucid run merge DIR`: combines shard files into results.jsonl.
struct RunMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "Merge the shard results of a run directory.")

    @Argument(help: "The run directory.")
    var directory: String

    @Flag(help: "Merge even when items or shards are missing (they are listed).")
    var allowIncomplete = false

    func run() throws {
        let report = try RunMerger.merge(try RunDirectory.open(URL(fileURLWithPath: directory)), allowIncomplete: allowIncomplete)
        print("merged \(report.merged) of \(report.totalItems) items from \(report.shardCount) shard(s)"
              + (report.missing.isEmpty ? "" : "; missing \(report.missing.count)") + (report.failed.isEmpty ? "" : "; failed \(report.failed.count)"))
    }
}
