import Foundation
import LucidEval
import LucidRuns

/// What a judge reads from a finished `lucid run` directory: its results, its dataset's samples, and
/// where its relative image paths point (the dataset's folder, or its `image_folder`, as `lucid run`
/// resolved them). A sharded run must be merged first.
public struct RunJudgeInput {
    public let directory: RunDirectory
    /// The results in run order (`results.jsonl`).
    public let records: [ResultRecord]
    /// Sample fields by sample id.
    public let samples: [String: [String: JSONValue]]
    public let generation: ManifestGeneration
    /// The folder relative image paths resolve against.
    public let imageFolder: String
    /// `results.jsonl`'s path, for messages.
    public let resultsPath: String
    /// The run's dataset kind (`RunResults.kind`).
    public let kind: String

    /// Reads the run at `run` (`RunResults`); refuses a run without `results.jsonl` and a dataset that is
    /// unreadable or changed since the run started (`RunError`).
    public init(run: URL) throws {
        let results = try RunResults.read(run: run)
        directory = results.directory
        resultsPath = results.path
        records = results.records
        kind = results.kind
        let dataset = results.samples()
        if let problem = dataset.problem { throw problem }
        samples = dataset.fields
        do { generation = try ManifestGeneration(directory.metadata.manifest["generation"]?.objectValue ?? [:]) } catch { throw RunSpecError("\(run.path): \(error)") }
        imageFolder = RunImages(dataset: dataset.url, imageFolder: generation.imageFolder).folder.path
    }


    /// OPERA GPT-4V comparisons of `method1` against `method2` (names or ids) of a captions run.
    public func operaPairs(method1: String, method2: String) throws -> OPERAGPT4VRunPairs {
        guard kind == DatasetKind.captions.rawValue else {
            throw RunSpecError("\(directory.url.path): OPERA's comparison needs a captions run (this run's dataset kind is \(kind))")
        }
        return try OPERAGPT4VRunPairs(records: records, samples: samples, method1: method1, method2: method2,
                                      question: generation.prompt ?? "Please describe this image in detail.", source: resultsPath)
    }

    /// The StrongREJECT items of a prompts run: every successful answer of `methods` (names or ids;
    /// empty: all), in run order, with the sample's `prompt` as the instruction (without `prompt_suffix`:
    /// the rubric judges the answer to the request, as StrongREJECT's forbidden prompts). Ids are item keys.
    public func strongREJECTItems(methods: [String]) throws -> [StrongREJECTItem] {
        guard kind == DatasetKind.prompts.rawValue else {
            throw RunSpecError("\(directory.url.path): StrongREJECT needs a prompts run (this run's dataset kind is \(kind))")
        }
        for selector in methods where !records.contains(where: { $0.method == selector || $0.methodID == selector }) {
            let known = Set(records.map(\.methodID)).sorted().joined(separator: ", ")
            throw RunSpecError("\(resultsPath): no results of method '\(selector)' (the run has \(known))")
        }
        return records.compactMap { record in
            guard let text = record.result?["text"]?.stringValue,
                  methods.isEmpty || methods.contains(record.method) || methods.contains(record.methodID) else { return nil }
            return StrongREJECTItem(id: record.key, prompt: samples[record.sampleID]?["prompt"]?.stringValue ?? "", response: text)
        }
    }

    /// Where a judge's records go in the run directory: `RUN/judges/NAME.jsonl` (the folder is made).
    public static func recordsPath(run: URL, name: String) throws -> String {
        let folder = run.appendingPathComponent("judges")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(name + ".jsonl").path
    }
}
