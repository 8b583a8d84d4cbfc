import Foundation

/// What judges and reports read from a finished `lucid run` directory: its results (`results.jsonl`,
/// through `ResultFile`, the one results reader) and its dataset's samples. A sharded run must be merged first.
///
/// Every failure is a `RunError` naming the file (and line): `.noResults`, `.malformedLine`, `.io`, and,
/// from `samples()`, `.datasetSamples`.
public struct RunResults: Sendable {
    /// The run directory.
    public let directory: RunDirectory
    /// `results.jsonl`, parsed.
    public let file: ResultFile
    /// The dataset kind the run's manifest declares (`prompts` when it declares none).
    public let kind: String

    /// The samples of the run's dataset, and why they may not be the ones the run answered.
    public struct Samples: Sendable {
        /// Sample fields by sample id (empty when the dataset cannot be read).
        public let fields: [String: [String: JSONValue]]
        /// The dataset file the samples come from.
        public let url: URL
        /// Why `fields` may not be the samples the run answered: the dataset is unreadable now, or its
        /// content changed since the run started (`RunError.datasetSamples`); nil when they are.
        public let problem: RunError?
    }

    /// Opens the run at `url` and reads its `results.jsonl`.
    public static func read(run url: URL) throws(RunError) -> RunResults {
        let directory = try RunDirectory.open(url)
        let path = url.appendingPathComponent(RunDirectory.resultsFileName).path
        guard FileManager.default.fileExists(atPath: path) else { throw RunError.noResults(directory: url.path, path: path) }
        let kind = directory.metadata.manifest["dataset"]?["kind"]?.stringValue ?? DatasetKind.prompts.rawValue
        return RunResults(directory: directory, file: try ResultFile.read(path: path), kind: kind)
    }

    /// The results in file (run) order.
    public var records: [ResultRecord] { file.records }
    /// `results.jsonl`'s path, for messages.
    public var path: String { file.path }

    /// Reads the run's dataset (never throws: a problem is in `Samples.problem`, for the caller to refuse or warn).
    public func samples() -> Samples {
        let url = URL(fileURLWithPath: directory.metadata.datasetPath)
        guard let datasetKind = DatasetKind(rawValue: kind) else {
            return Samples(fields: [:], url: url, problem: .datasetSamples(dataset: url.path, reason: "unknown dataset kind `\(kind)`: sample fields are unavailable"))
        }
        let dataset: Dataset
        do { dataset = try Dataset.load(DatasetSpec(url: url, kind: datasetKind)) } catch {
            return Samples(fields: [:], url: url, problem: .datasetSamples(dataset: url.path, reason: "not readable (\(error)): sample fields are unavailable"))
        }
        var fields: [String: [String: JSONValue]] = [:]
        for sample in dataset.samples { fields[sample.id] = sample.fields }
        let changed = dataset.fileHash == directory.metadata.datasetHash ? nil
            : RunError.datasetSamples(dataset: url.path, reason: "the dataset changed since the run started; its samples may not be the ones the methods answered")
        return Samples(fields: fields, url: url, problem: changed)
    }
}
