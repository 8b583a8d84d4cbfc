import Foundation
import LucidEval
import LucidFiles
import LucidPipeline
import LucidRuns

/// What a judging command reads from a finished `lucid run` directory: its results, its dataset's
/// samples, and where its relative image paths point.
enum RunJudgeInput {
    /// OPERA GPT-4V comparisons of `method1` against `method2` in the run at `run`, and the folder its
    /// relative image paths resolve against (the dataset's folder, or the run's `image_folder`, as
    /// `lucid run` resolved them). A sharded run must be merged first.
    static func operaPairs(run: String, method1: String, method2: String) throws -> (OPERAGPT4VRunPairs, String) {
        let url = URL(fileURLWithPath: run)
        let directory = try RunDirectory.open(url)
        let manifest = directory.metadata.manifest
        guard manifest["dataset"]?["kind"]?.stringValue == DatasetKind.captions.rawValue else {
            throw CLIError("\(run): OPERA's comparison needs a captions run (this run's dataset kind is \(manifest["dataset"]?["kind"]?.stringValue ?? "unknown"))")
        }
        let resultsPath = url.appendingPathComponent(RunDirectory.resultsFileName).path
        guard FileManager.default.fileExists(atPath: resultsPath) else {
            throw CLIError("\(resultsPath): no results; for a sharded run, run `lucid run merge \(run)` first")
        }
        let bytes = try SafeFile.read(resultsPath)
        var records: [ResultRecord] = []
        for (number, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do { records.append(try ResultRecord.parse(line: line)) } catch { throw CLIError("\(resultsPath):\(number + 1): \(error.reason)") }
        }
        let datasetURL = URL(fileURLWithPath: directory.metadata.datasetPath)
        let dataset: Dataset
        do { dataset = try Dataset.load(DatasetSpec(url: datasetURL, kind: .captions)) } catch { throw CLIError(error.description) }
        if dataset.fileHash != directory.metadata.datasetHash {
            throw CLIError("\(datasetURL.path): the dataset changed since the run started; its images may not be the ones the methods described")
        }
        var samples: [String: [String: JSONValue]] = [:]
        for sample in dataset.samples { samples[sample.id] = sample.fields }
        let generation: ManifestGeneration
        do { generation = try ManifestGeneration(manifest["generation"]?.objectValue ?? [:]) } catch { throw CLIError("\(run): \(error)") }
        let base = datasetURL.deletingLastPathComponent()
        let folder = generation.imageFolder.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : base.appendingPathComponent($0) } ?? base
        let pairs = try OPERAGPT4VRunPairs(records: records, samples: samples, method1: method1, method2: method2,
                                           question: generation.prompt ?? "Please describe this image in detail.", source: resultsPath)
        return (pairs, folder.path)
    }

    /// `text` with every character but letters, digits, `.`, `_`, `-` and `@` replaced by `_`, for a file name.
    static func fileComponent(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || "._-@".contains($0) ? $0 : "_" })
    }
}
