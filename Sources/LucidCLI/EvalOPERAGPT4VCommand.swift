import ArgumentParser
import Foundation
import LucidEval
import LucidFiles

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
    @Option(help: "Items JSONL.") var items: String
    @Option(help: "Folder that relative image paths are resolved against (default: the items file's folder).") var imageRoot: String?
    @Option(help: "Per-item records (JSONL), appended as the judge answers; an existing file is resumed.") var out: String
    @Option(name: .customLong("method-1"), help: "Name of method 1 (assistant_1) in the summary.") var method1: String = "assistant_1"
    @Option(name: .customLong("method-2"), help: "Name of method 2 (assistant_2) in the summary.") var method2: String = "assistant_2"
    @OptionGroup var endpoint: JudgeEndpointOptions

    func validate() throws {
        for (flag, name) in [("--method-1", method1), ("--method-2", method2)] where name.isEmpty {
            throw ValidationError("\(flag) is empty")
        }
        if method1 == method2 { throw ValidationError("--method-1 and --method-2 must differ (both '\(method1)')") }
    }

    func run() async throws {
        let list = try OPERAGPT4VItem.parseJSONL(try SafeFile.readText(items), source: items)
        guard !list.isEmpty else { throw CLIError("\(items): no items") }
        let root = imageRoot ?? (items as NSString).deletingLastPathComponent
        if let imageRoot {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: imageRoot, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CLIError("--image-root \(imageRoot): not a folder")
            }
        }
        let images = JudgeImageInput(root: root.isEmpty ? "." : root)
        try images.check(list.map { ($0.id, $0.image) }, source: items)
        let log = try JudgeRecordLog<OPERAGPT4VRecord>(path: out)
        let client = try endpoint.client(defaultCache: out + ".judge-cache.jsonl", defaultMaxTokens: OPERAGPT4VJudge.referenceMaxTokens)
        let evaluation = OPERAGPT4VEvaluation(judge: OPERAGPT4VJudge(client: client), log: log)
        let source = items
        let records: [OPERAGPT4VRecord]
        do {
            records = try await evaluation.run(list, image: { item in try images.read(item.image, item: item.id, source: source) }) { index, progress in
                let what: String
                switch progress {
                case .kept: what = "kept from \(out)"
                case .judged(let scored): what = scored ? "judged" : "judged (reply unreadable, recorded)"
                }
                FileHandle.standardError.write(Data("item \(index + 1)/\(list.count) '\(list[index].id)': \(what)\n".utf8))
            }
        } catch let error as JudgeError {
            throw CLIError("\(error.description) (the items judged so far are in \(out); rerun to resume)")
        } catch let error as FileAccessError {
            throw CLIError(error.description)
        }
        print(OPERAGPT4VSummary(methods: [method1, method2], records: records).jsonLine)
    }
}
