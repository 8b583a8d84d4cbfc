import Foundation
import LucidEval
import LucidFiles
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

    /// Reads the run at `run`; refuses a run without `results.jsonl` and a dataset changed since the run started.
    public init(run: URL) throws {
        directory = try RunDirectory.open(run)
        resultsPath = run.appendingPathComponent(RunDirectory.resultsFileName).path
        guard FileManager.default.fileExists(atPath: resultsPath) else {
            throw RunSpecError("\(resultsPath): no results; for a sharded run, run `lucid run merge \(run.path)` first")
        }
        var records: [ResultRecord] = []
        for (number, line) in try SafeFile.read(resultsPath).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            do { records.append(try ResultRecord.parse(line: line)) } catch { throw RunSpecError("\(resultsPath):\(number + 1): \(error.reason)") }
        }
        self.records = records
        let manifest = directory.metadata.manifest
        let kind = manifest["dataset"]?["kind"]?.stringValue.flatMap(DatasetKind.init(rawValue:)) ?? .prompts
        let datasetURL = URL(fileURLWithPath: directory.metadata.datasetPath)
        let dataset = try Dataset.load(DatasetSpec(url: datasetURL, kind: kind))
        if dataset.fileHash != directory.metadata.datasetHash {
            throw RunSpecError("\(datasetURL.path): the dataset changed since the run started; its samples may not be the ones the methods answered")
        }
        var samples: [String: [String: JSONValue]] = [:]
        for sample in dataset.samples { samples[sample.id] = sample.fields }
        self.samples = samples
        do { generation = try ManifestGeneration(manifest["generation"]?.objectValue ?? [:]) } catch { throw RunSpecError("\(run.path): \(error)") }
        let base = datasetURL.deletingLastPathComponent()
        imageFolder = (generation.imageFolder.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : base.appendingPathComponent($0) } ?? base).path
    }

    /// The run's dataset kind.
    public var kind: String { directory.metadata.manifest["dataset"]?["kind"]?.stringValue ?? "unknown" }

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
