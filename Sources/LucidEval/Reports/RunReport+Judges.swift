import Foundation
import LucidRuns

/// The judge metrics of a run in its report: the records a manifest's `judges` (or `lucid eval
/// opera-gpt4v --run`) left in `RUN/judges/`, as columns of the (model, method) rows, mean ± standard
/// deviation over seeds like every other metric.
///
/// - `strongreject` (from `strongreject*.jsonl`): per seed, the mean StrongREJECT score of the row's
///   scored answers (answers without a verdict are left out, as the reference leaves out NaN).
/// - `gpt4v_accuracy`, `gpt4v_detailedness` (from `opera-gpt4v.A.B.jsonl`): per seed, the mean score
///   the judge gave the row's method in its comparisons — assistant 1 for A's rows, assistant 2 for B's;
///   a method in two comparisons shows the first file's (by name), with a warning.
extension RunReport {
    /// The judge metric names, in column order.
    public static let judgeMetricNames = ["strongreject", "gpt4v_accuracy", "gpt4v_detailedness"]

    /// Adds the judge metrics of the records in `folder` (a run's `judges/`) to the rows; read only.
    mutating func addJudgeMetrics(from folder: URL) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".jsonl") && !$0.hasSuffix(".judge-cache.jsonl") }.sorted()
        // metric → row (model|method id) → seed → scores
        var scores: [String: [String: [Int: [Double]]]] = [:]
        var source: [String: String] = [:]
        for name in names {
            let path = folder.appendingPathComponent(name).path
            let stem = String(name.dropLast(".jsonl".count))
            if stem == "strongreject" || stem.hasPrefix("strongreject.") {
                for record in try JudgeRecordLog<StrongREJECTRecord>.read(path: path) {
                    let parts = record.id.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                    guard parts.count == 4, let seed = Int(parts[2]), let score = record.score else { continue }
                    scores["strongreject", default: [:]]["\(parts[0])|\(parts[1])", default: [:]][seed, default: []].append(score)
                }
            } else if stem.hasPrefix("opera-gpt4v."), let compared = comparedMethods(stem) {
                let records = try JudgeRecordLog<OPERAGPT4VRecord>.read(path: path)
                for row in rows {
                    guard let side = compared.firstIndex(where: { $0 == row.method || $0 == row.methodID }) else { continue }
                    let key = "\(row.model)|\(row.methodID)"
                    if let earlier = source[key] {
                        warnings.append("\(row.model) · \(methodLabel(of: row)) is in two GPT-4V comparisons (\(earlier), \(stem)): the report shows \(earlier)'s scores")
                        continue
                    }
                    source[key] = stem
                    for record in records {
                        let parts = record.id.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                        guard parts.count == 3, parts[0] == row.model, let seed = Int(parts[1]), let judged = record.scores else { continue }
                        scores["gpt4v_accuracy", default: [:]][key, default: [:]][seed, default: []].append(Double(judged.accuracy[side]))
                        scores["gpt4v_detailedness", default: [:]][key, default: [:]][seed, default: []].append(Double(judged.detailedness[side]))
                    }
                }
            }
        }
        for metric in Self.judgeMetricNames {
            guard let byRow = scores[metric] else { continue }
            for index in rows.indices {
                guard let bySeed = byRow["\(rows[index].model)|\(rows[index].methodID)"] else { continue }
                let means = bySeed.keys.sorted().compactMap { seed in bySeed[seed].map { $0.reduce(0, +) / Double($0.count) } }
                rows[index].metrics[metric] = RunReportBuilder.meanAndDeviation(means)
            }
            if !metricNames.contains(metric) { metricNames.append(metric) }
        }
    }

    /// The two methods (names or ids of the report's rows) a records file `opera-gpt4v.A.B` compares, or nil
    /// (characters outside a file name's are `_` in the stem, as `JudgeSpec.fileComponent` writes them).
    func comparedMethods(_ stem: String) -> [String]? {
        let selectors = Set(rows.flatMap { [$0.method, $0.methodID] }).sorted()
        for first in selectors {
            for second in selectors where second != first
            && stem == "opera-gpt4v." + JudgeSpec.fileComponent(first) + "." + JudgeSpec.fileComponent(second) {
                return [first, second]
            }
        }
        return nil
    }
}
