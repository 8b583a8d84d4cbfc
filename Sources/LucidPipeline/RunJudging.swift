import Foundation
import LucidEval
import LucidFiles
import LucidRuns

/// The judge metrics of a run manifest (`judges:`), computed after its generation items.
///
/// Each judge reads the run's results (`RunJudgeInput`), sends its requests to the manifest's endpoint
/// with at most `concurrency` in flight, and keeps its records in `RUN/judges/NAME.jsonl` (written in
/// item order, flushed per item), the judge's answers in `RUN/judges/NAME.jsonl.judge-cache.jsonl`
/// and its summary in `RUN/judges/NAME.summary.json`: a run stopped during judging (a kill, a failed
/// request, a signal) and started again sends only the requests without an answer.
public enum RunJudging {
    /// One judge's outcome.
    public struct Outcome: Sendable, Equatable {
        /// `JudgeSpec.recordName`, e.g. `opera-gpt4v.beam.opera`.
        public var name: String
        /// The records file.
        public var records: String
        /// The summary as one JSON line (`lucid eval strongreject` / `opera-gpt4v`'s standard output).
        public var summary: String
    }

    /// A judging run stopped by SIGINT or SIGTERM (the records before the stop are written).
    public struct Interrupted: Error, CustomStringConvertible {
        public let signal: Int32
        public var description: String { "judging stopped by signal \(signal); rerun to resume" }
    }

    /// Checks what the manifest's judges need from the environment before any item runs: a named API-key
    /// variable must be set (its value is never printed or written).
    public static func validate(_ manifest: RunManifest, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        for (index, judge) in manifest.judges.enumerated() {
            if let name = judge.apiKeyEnvironment, environment[name]?.isEmpty ?? true {
                throw manifest.error(at: "judges[\(index)].api_key_env", "the environment variable \(name) is not set (it should hold the judge's API key)")
            }
        }
    }

    /// The client of `judge`, with its answers kept in `cache`.
    public static func client(_ judge: JudgeSpec, cache: JudgeAnswerCache?,
                              environment: [String: String] = ProcessInfo.processInfo.environment) -> ChatCompletionClient {
        let defaultMaxTokens = judge.metric == .operaGPT4V ? OPERAGPT4VJudge.referenceMaxTokens : 1024
        return ChatCompletionClient(baseURL: judge.endpoint, model: judge.model, apiKey: judge.apiKeyEnvironment.flatMap { environment[$0] },
                                    maxTokens: judge.maxTokens ?? defaultMaxTokens, timeout: judge.timeout, cache: cache)
    }

    /// The manifest's judges after a pass of `lucid run`: they run when the pass left every item with a
    /// result and was not interrupted, in an unsharded run (a sharded run's judges need the merged
    /// results: `lucid eval opera-gpt4v --run DIR` after `lucid run merge`); otherwise `report` says why not.
    /// Returns the outcomes and the exit status the command should end with (that of `summary`, or
    /// `128 + signal` when judging was interrupted).
    public static func afterPass(_ session: RunSession, summary: RunSummary, interruption: InterruptMonitor?,
                                 environment: [String: String] = ProcessInfo.processInfo.environment,
                                 isolation: isolated (any Actor)? = #isolation,
                                 report: (String) -> Void) async throws -> (outcomes: [Outcome], exitCode: Int32) {
        let judges = session.plan.manifest.judges
        guard !judges.isEmpty, summary.exitCode == 0 else { return ([], summary.exitCode) }
        if session.shard != nil {
            report("judges: not run by a shard; after `lucid run merge`, judge the merged run (docs/runs.md)")
            return ([], 0)
        }
        guard summary.remaining == 0 else {
            report("judges: waiting until every item has a result (\(summary.remaining) remaining)")
            return ([], 0)
        }
        var outcomes: [Outcome] = []
        for judge in judges {
            do {
                outcomes.append(try await run(judge, run: session.directory.url, interruption: interruption, environment: environment, report: report))
            } catch let stop as Interrupted {
                report(stop.description)
                return (outcomes, 128 + stop.signal)
            }
        }
        return (outcomes, 0)
    }

    /// Where a judge's files go and where its images come from, when not a manifest judge's defaults
    /// (`lucid eval opera-gpt4v --run` with `--out`, `--image-root`, `--judge-cache`, `--no-judge-cache`).
    public struct Overrides: Sendable, Equatable {
        /// The judge answer cache.
        public enum Cache: Sendable, Equatable {
            /// `RECORDS.judge-cache.jsonl`, beside the records (the default).
            case besideRecords
            /// This file.
            case at(String)
            /// None: every request is sent.
            case none
        }

        /// The records file (nil: `RUN/judges/NAME.jsonl`); the summary goes beside it (`NAME.summary.json`).
        public var records: String?
        /// The folder relative image paths resolve against (nil: the dataset's, as `lucid run` resolved them).
        public var imageRoot: String?
        public var cache: Cache

        public init(records: String? = nil, imageRoot: String? = nil, cache: Cache = .besideRecords) {
            self.records = records
            self.imageRoot = imageRoot
            self.cache = cache
        }
    }

    /// The judge answer cache at `path`; `report` says how many answers it already keeps.
    public static func openCache(_ path: String, report: (String) -> Void) throws -> JudgeAnswerCache {
        let cache = try JudgeAnswerCache(path: path)
        if cache.count > 0 { report("judge cache \(path): \(cache.count) answers kept; those requests are not sent again") }
        return cache
    }

    /// Runs `judge` over the finished run at `run`; `report` gets one line per item: `judged` (sent),
    /// `cached` (answered from the judge cache, nothing sent) or `kept` (its record was already written).
    public static func run(_ judge: JudgeSpec, run: URL, overrides: Overrides = Overrides(), interruption: InterruptMonitor? = nil,
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           isolation: isolated (any Actor)? = #isolation,
                           report: (String) -> Void = { _ in }) async throws -> Outcome {
        // What to judge is read and checked (methods, images) before any file is made in RUN/judges/.
        let input = try RunJudgeInput(run: run)
        var pairs: OPERAGPT4VRunPairs?
        var items: [StrongREJECTItem] = []
        let images = JudgeImageInput(root: overrides.imageRoot ?? input.imageFolder)
        switch judge.metric {
        case .operaGPT4V:
            let compared = try input.operaPairs(method1: judge.methods[0], method2: judge.methods[1])
            if compared.unpaired > 0 { report("\(judge.recordName): \(compared.unpaired) (model, seed, sample)s answered by only one of the two methods: not judged") }
            try images.check(compared.items.map { ($0.id, $0.image) }, source: input.resultsPath)
            pairs = compared
        case .strongREJECT:
            items = try input.strongREJECTItems(methods: judge.methods)
        }
        let path = try overrides.records ?? RunJudgeInput.recordsPath(run: run, name: judge.recordName)
        let cache: JudgeAnswerCache?
        switch overrides.cache {
        case .besideRecords: cache = try openCache(path + ".judge-cache.jsonl", report: report)
        case .at(let file): cache = try openCache(file, report: report)
        case .none: cache = nil
        }
        let client = Self.client(judge, cache: cache, environment: environment)
        func stopIfAsked() throws {
            if let signal = interruption?.received { throw Interrupted(signal: signal) }
        }
        func progress(_ index: Int, of count: Int, _ what: String) { report("\(judge.recordName) \(index + 1)/\(count): \(what)") }
        let summary: String
        if let pairs {
            let evaluation = OPERAGPT4VEvaluation(judge: OPERAGPT4VJudge(client: client), log: try JudgeRecordLog(path: path),
                                                  concurrency: judge.concurrency)
            let records = try await evaluation.run(pairs.items, image: { item in
                try stopIfAsked()
                return try images.read(item.image, item: item.id, source: input.resultsPath)
            }) { index, step in
                switch step {
                case .kept: progress(index, of: pairs.items.count, "kept")
                case .cached(let scored): progress(index, of: pairs.items.count, scored ? "cached" : "cached (reply unreadable, recorded)")
                case .judged(let scored): progress(index, of: pairs.items.count, scored ? "judged" : "judged (reply unreadable, recorded)")
                }
            }
            summary = OPERAGPT4VSummary(methods: judge.methods, records: records).jsonLine
        } else {
            let records = try await StrongREJECTJudge(client: client).run(items, log: try JudgeRecordLog(path: path), concurrency: judge.concurrency,
                                                                          before: stopIfAsked) { index, step in
                progress(index, of: items.count, step.word)
            }
            summary = StrongREJECTSummary(records: records).jsonLine
        }
        let stem = path.hasSuffix(".jsonl") ? String(path.dropLast(".jsonl".count)) : path
        try SafeFile.writeAtomically(Array((summary + "\n").utf8), to: stem + ".summary.json")
        return Outcome(name: judge.recordName, records: path, summary: summary)
    }
}
