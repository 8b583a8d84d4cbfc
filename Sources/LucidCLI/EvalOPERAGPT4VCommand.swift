import ArgumentParser
import Foundation
import LucidEval
import LucidFiles
import LucidPipeline
import LucidRuns

/// `lucid eval opera-gpt4v`: OPERA's GPT-4V-assisted accuracy / detailedness comparison of two
/// methods' image descriptions, through an OpenAI-compatible vision judge.
struct EvalOPERAGPT4VCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opera-gpt4v",
        abstract: "Compare two methods' image descriptions with OPERA's GPT-4V prompt (accuracy and detailedness, 1–10) through a vision judge.",
        discussion: """
        Input (--items): JSONL with {"id"?, "image", "question"?, "assistant_1", "assistant_2"} per line: the image \
        (PNG or JPEG; a relative path is resolved against --image-root, default the items file's folder) and the \
        descriptions of method 1 and method 2 (OPERA: beam search with 5 beams, then OPERA decoding). The judge sees \
        OPERA's prompt verbatim (Data/rubrics/opera-gpt4v) and the image as a data URL. Output (--out, required): one \
        JSON line per item, written as the judge answers; rerun the same command to resume (judged items are not sent \
        again). Standard output: the mean accuracy and detailedness of each method over the replies that could be \
        read, as OPERA's gpt4v_eval.py reads them.
        """
    )
    @Option(help: "Items JSONL (or --run).") var items: String?
    @Option(help: "A finished `lucid run` directory of a captions dataset: judge --method-1 against --method-2 on every (model, seed, image) both answered.")
    var run: String?
    @Option(help: "Folder that relative image paths are resolved against (default: the items file's folder; with --run, as `lucid run` resolved them).")
    var imageRoot: String?
    @Option(help: "Per-item records (JSONL), appended as the judge answers; an existing file is resumed (with --run, default RUN/judges/opera-gpt4v.M1.M2.jsonl; the summary goes beside it, NAME.summary.json).")
    var out: String?
    @Option(name: .customLong("method-1"), help: "Method 1 (assistant_1): its name in the summary; with --run, a method name or id of the run (e.g. beam).")
    var method1: String?
    @Option(name: .customLong("method-2"), help: "Method 2 (assistant_2), likewise (e.g. opera).")
    var method2: String?
    @OptionGroup var endpoint: JudgeEndpointOptions

    func validate() throws {
        if (items == nil) == (run == nil) { throw ValidationError("give exactly one of --items or --run") }
        if run != nil && (method1 == nil || method2 == nil) { throw ValidationError("--run needs --method-1 and --method-2 (the two methods to compare)") }
        if items != nil && out == nil { throw ValidationError("--items needs --out (the per-item records, which make the run resumable)") }
        for (flag, name) in [("--method-1", method1), ("--method-2", method2)] where name?.isEmpty == true {
            throw ValidationError("\(flag) is empty")
        }
        if let method1, method1 == method2 { throw ValidationError("--method-1 and --method-2 must differ (both '\(method1)')") }
    }

    func run() async throws {
        if let imageRoot {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: imageRoot, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CLIError("--image-root \(imageRoot): not a folder")
            }
        }
        if let run {
            // The records a manifest's `judges: [{metric: opera-gpt4v, methods: [M1, M2]}]` keeps (unless --out), so either resumes the other.
            let judge = try endpoint.spec(.operaGPT4V, methods: [method1 ?? "", method2 ?? ""], defaultMaxTokens: OPERAGPT4VJudge.referenceMaxTokens)
            let cache: RunJudging.Overrides.Cache = endpoint.noJudgeCache ? .none : endpoint.judgeCache.map { .at($0) } ?? .besideRecords
            let outcome = try await RunJudging.run(judge, run: URL(fileURLWithPath: run), overrides: .init(records: out, imageRoot: imageRoot, cache: cache)) {
                FileHandle.standardError.write(Data("\($0)\n".utf8))
            }
            FileHandle.standardError.write(Data("records: \(outcome.records)\n".utf8))
            print(outcome.summary)
            return
        }
        let path = items ?? "", out = self.out ?? ""
        let list = try OPERAGPT4VItem.parseJSONL(try SafeFile.readText(path), source: path)
        guard !list.isEmpty else { throw CLIError("\(path): no items") }
        let folder = imageRoot ?? (path as NSString).deletingLastPathComponent
        let images = JudgeImageInput(root: folder.isEmpty ? "." : folder)
        try images.check(list.map { ($0.id, $0.image) }, source: path)
        let log: JudgeRecordLog<OPERAGPT4VRecord>
        do { log = try JudgeRecordLog(path: out) } catch { throw CLIError("--out " + error.description) }
        let client = try endpoint.client(defaultCache: out + ".judge-cache.jsonl", defaultMaxTokens: OPERAGPT4VJudge.referenceMaxTokens)
        let evaluation = OPERAGPT4VEvaluation(judge: OPERAGPT4VJudge(client: client), log: log, concurrency: endpoint.judgeConcurrency)
        let records: [OPERAGPT4VRecord]
        do {
            records = try await evaluation.run(list, image: { item in try images.read(item.image, item: item.id, source: path) }) { index, progress in
                let what: String
                switch progress {
                case .kept: what = "kept from \(out)"
                case .cached(let scored): what = scored ? "cached" : "cached (reply unreadable, recorded)"
                case .judged(let scored): what = scored ? "judged" : "judged (reply unreadable, recorded)"
                }
                FileHandle.standardError.write(Data("item \(index + 1)/\(list.count) '\(list[index].id)': \(what)\n".utf8))
            }
        } catch let error as JudgeError {
            throw CLIError("\(error.description) (the items judged so far are in \(out); rerun to resume)")
        } catch let error as FileAccessError {
            throw CLIError(error.description)
        }
        print(OPERAGPT4VSummary(methods: [method1 ?? "assistant_1", method2 ?? "assistant_2"], records: records).jsonLine)
    }
}
