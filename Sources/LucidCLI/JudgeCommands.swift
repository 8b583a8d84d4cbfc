import ArgumentParser
import Foundation
import LucidFiles
import LucidEval
import LucidText
import LucidPipeline
import LucidRuns

/// Options of the LLM-judge commands: an OpenAI-compatible endpoint, contacted only when asked.
struct JudgeEndpointOptions: ParsableArguments {
    @Option(help: "Base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1.")
    var endpoint: String

    @Option(help: "Judge model name.")
    var judgeModel: String

    @Option(help: "Environment variable holding the API key (never pass keys on the command line).")
    var apiKeyEnv: String = "OPENAI_API_KEY"

    @Option(help: "Most tokens the judge may answer with (1…32768; default 1024, opera-gpt4v 300 as OPERA's gpt4v_eval.py).")
    var judgeMaxTokens: Int?

    @Option(help: "Seconds one judge request may take, connection to answer (1…86400).")
    var judgeTimeout: Double = 120

    @Option(help: "Keep the judge's answers in this JSONL file and reuse them: rerun the same command after a failure or a kill and only the missing answers are requested (eval strongreject and eval opera-gpt4v with --out F keep them in F.judge-cache.jsonl unless told otherwise).")
    var judgeCache: String?

    @Flag(help: "Keep no judge answers: every request is sent.")
    var noJudgeCache = false

    @Option(help: "Most judge requests in flight at once (1…64); records are still written in input order.")
    var judgeConcurrency: Int = JudgeSpec.defaultConcurrency

    func validate() throws {
        if noJudgeCache && judgeCache != nil { throw ValidationError("--judge-cache and --no-judge-cache exclude each other") }
        guard JudgeSpec.concurrencyRange.contains(judgeConcurrency) else { throw ValidationError("--judge-concurrency must be in 1…64, found \(judgeConcurrency)") }
    }

    /// The judge these options describe (endpoint, model, key variable, limits), checked.
    func spec(_ metric: JudgeSpec.Metric, methods: [String] = [], defaultMaxTokens: Int = 1024) throws -> JudgeSpec {
        let judgeMaxTokens = judgeMaxTokens ?? defaultMaxTokens
        guard let url = URL(string: endpoint), url.scheme == "http" || url.scheme == "https" else {
            throw CLIError("--endpoint '\(endpoint)' is not an http(s) URL")
        }
        guard JudgeSpec.maxTokensRange.contains(judgeMaxTokens) else { throw CLIError("--judge-max-tokens must be in 1…32768") }
        guard judgeTimeout.isFinite, JudgeSpec.timeoutRange.contains(judgeTimeout) else { throw CLIError("--judge-timeout must be in 1…86400 seconds") }
        return JudgeSpec(metric: metric, endpoint: url, model: judgeModel, apiKeyEnvironment: apiKeyEnv, concurrency: judgeConcurrency,
                         maxTokens: judgeMaxTokens, timeout: judgeTimeout, methods: methods)
    }

    /// The judge client; answers are kept in `--judge-cache`, else in `defaultCache`, unless
    /// `--no-judge-cache`; the answer limit is `--judge-max-tokens`, else `defaultMaxTokens`.
    func client(defaultCache: String? = nil, defaultMaxTokens: Int = 1024) throws -> ChatCompletionClient {
        // A spec's metric only picks the default answer limit, which is always given here.
        let judge = try spec(.strongREJECT, defaultMaxTokens: defaultMaxTokens)
        var cache: JudgeAnswerCache?
        if !noJudgeCache, let path = judgeCache ?? defaultCache {
            cache = try RunJudging.openCache(path) { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
        }
        return RunJudging.client(judge, cache: cache)
    }
}

/// `lucid eval strongreject`: StrongREJECT rubric scores from an LLM judge.
struct EvalStrongREJECTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strongreject",
        abstract: "Score jailbreak responses with the StrongREJECT rubric through an OpenAI-compatible judge.",
        discussion: "Input: JSONL with {\"prompt\", \"response\"}. Output (--out): one JSON line per response, appended as the judge answers (in input order); rerun the same command to resume (responses with a line are not sent again). Then the mean score over the responses whose judge answer was a verdict (the others score null, as NaN in the reference)."
    )
    @Option(help: "Responses JSONL (or --run).") var responses: String?
    @Option(help: "With --responses: keep (judge each response as given) or split (judge a reasoning model's answer, after its first </think>; a run's answers are split already).")
    var reasoning = ReasoningMode.keep
    @Option(help: "A finished `lucid run` directory of a prompts dataset (merge a sharded run first): score its answers; records, judge cache and summary in RUN/judges/ (as a manifest's strongreject judge).")
    var run: String?
    @Option(name: .customLong("method"), help: "With --run: score only this method's answers (a name or id; repeat for more; default all).")
    var methods: [String] = []
    @OptionGroup var endpoint: JudgeEndpointOptions
    @Option(help: "Per-response verdicts (JSONL), appended as the judge answers; an existing file is resumed (with --run, default RUN/judges/NAME.jsonl as a manifest's judge keeps them; the summary goes beside it, NAME.summary.json).")
    var out: String?

    func validate() throws {
        if (responses == nil) == (run == nil) { throw ValidationError("give exactly one of --responses or --run") }
        if run == nil && !methods.isEmpty { throw ValidationError("--method selects answers of a run: use it with --run") }
        if run != nil && reasoning == .split { throw ValidationError("--reasoning split is for --responses: a run's answers are split as it ran") }
    }

    func run() async throws {
        if let run {
            // The records a manifest's `judges: [{metric: strongreject}]` keeps (unless --out), so either resumes the other.
            let judge = try endpoint.spec(.strongREJECT, methods: methods)
            let cache: RunJudging.Overrides.Cache = endpoint.noJudgeCache ? .none : endpoint.judgeCache.map { .at($0) } ?? .besideRecords
            let outcome = try await RunJudging.run(judge, run: URL(fileURLWithPath: run), overrides: .init(records: out, cache: cache)) {
                FileHandle.standardError.write(Data("\($0)\n".utf8))
            }
            FileHandle.standardError.write(Data("records: \(outcome.records)\n".utf8))
            print(outcome.summary)
            return
        }
        let items = try StrongREJECTItem.read(responsesAt: URL(fileURLWithPath: responses ?? ""), reasoning: reasoning)
        let judge = StrongREJECTJudge(client: try endpoint.client(defaultCache: out.map { $0 + ".judge-cache.jsonl" }))
        // As the StrongREJECT reference does, an answer that is not a rubric verdict scores NaN (here null, left
        // out of the mean); a failed request ends the run, the responses before it keep their lines.
        let records = try await judge.run(items, log: try out.map { path throws in try Self.recordLog(path) },
                                          concurrency: endpoint.judgeConcurrency, progress: { index, step in
            if case .kept = step { return }
            FileHandle.standardError.write(Data("\(step.word) \(index + 1)/\(items.count)\n".utf8))
        })
        print(StrongREJECTSummary(records: records).jsonLine)
    }

    /// The per-item records at `--out`; an unusable path names the flag.
    static func recordLog(_ path: String) throws -> JudgeRecordLog<StrongREJECTRecord> {
        do { return try JudgeRecordLog(path: path) } catch { throw CLIError("--out \(error.description)") }
    }
}

/// `lucid eval hallucination-judge`: sentence-level hallucination labels from an LLM judge.
struct EvalHallucinationJudgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hallucination-judge",
        abstract: "Label each sentence of image descriptions correct / hallucinated / unverifiable against annotations.",
        discussion: "Input: JSONL with {\"description\", \"ground_truth\"} (e.g. an object list or reference captions as text)."
    )
    @Option(help: "Descriptions JSONL.") var descriptions: String
    @OptionGroup var endpoint: JudgeEndpointOptions

    func run() async throws {
        let rows = try JudgeInputFile.rows(at: URL(fileURLWithPath: descriptions), fields: ["description", "ground_truth"])
        let judge = HallucinationJudge(client: try endpoint.client())
        var rates: [Double] = []
        for (i, row) in rows.enumerated() {
            do {
                let verdict = try await judge.judge(description: row["description"] ?? "", groundTruth: row["ground_truth"] ?? "")
                rates.append(verdict.hallucinationRate)
                try printJSON(verdict)
            } catch { throw CLIError("description \(i + 1): \(error)") }
        }
        let mean = rates.isEmpty ? "none" : String(format: "%.4f", rates.reduce(0, +) / Double(rates.count))
        FileHandle.standardError.write(Data("mean hallucination rate \(mean) over \(rates.count) descriptions\n".utf8))
    }
}
