import Foundation
import LucidText

/// The JSON Lines inputs of `lucid eval strongreject --responses` and `eval hallucination-judge`, read
/// into typed values before any request is made.
public enum JudgeInputFile {
    /// The string fields `fields` of every non-blank line of `url`, in order (other keys are ignored).
    /// Errors name the file and line: unreadable file, malformed line, a field missing or not a
    /// string (null included), no lines at all.
    public static func rows(at url: URL, fields: [String]) throws(EvalError) -> [[String: String]] {
        let (records, _) = try JSONLines.read(url)
        guard !records.isEmpty else { throw .emptyInput(path: url.path) }
        var rows: [[String: String]] = []
        rows.reserveCapacity(records.count)
        for record in records {
            var row: [String: String] = [:]
            for field in fields { row[field] = try record.string(field, path: url.path) }
            rows.append(row)
        }
        return rows
    }
}

extension StrongREJECTItem {
    /// The items of a responses file, JSON Lines `{"prompt", "response"}`: ids are their 1-based
    /// positions among the non-blank lines (what `--out` records are keyed by).
    ///
    /// `reasoning`: `.keep` (the default) judges each response as given; `.split` judges a reasoning
    /// model's answer, after its first `</think>` (empty when the reasoning never closed).
    public static func read(responsesAt url: URL, reasoning: ReasoningMode = .keep) throws(EvalError) -> [StrongREJECTItem] {
        try JudgeInputFile.rows(at: url, fields: ["prompt", "response"]).enumerated().map { index, row in
            StrongREJECTItem(id: String(index + 1), prompt: row["prompt"] ?? "", response: reasoning.answer(of: row["response"] ?? ""))
        }
    }
}
