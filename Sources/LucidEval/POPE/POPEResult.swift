import Foundation
import LucidSupport

/// POPE scores with "yes" as the positive class, as fractions.
///
/// Accuracy = (TP+TN)/N, Precision = TP/(TP+FP), Recall = TP/(TP+FN), F1 = 2PR/(P+R),
/// yes-ratio = answers read as yes / N. N counts every question, including (VCD parser only)
/// those with an unknown label, which are in no cell of the confusion matrix. A ratio whose
/// denominator is zero is null.
public struct POPEResult: Codable, Sendable, Equatable {
    public var parser: POPEAnswerParser
    public var questions: Int
    public var truePositives: Int
    public var falsePositives: Int
    public var trueNegatives: Int
    public var falseNegatives: Int
    public var unknownLabels: Int
    public var accuracy: Double
    @NullWhenAbsent public var precision: Double?
    @NullWhenAbsent public var recall: Double?
    @NullWhenAbsent public var f1: Double?
    public var yesRatio: Double

    enum CodingKeys: String, CodingKey {
        case parser, questions, truePositives = "tp", falsePositives = "fp", trueNegatives = "tn", falseNegatives = "fn"
        case unknownLabels = "unknown_labels", accuracy, precision, recall, f1, yesRatio = "yes_ratio"
    }

    /// Scores from confusion counts (`questions` includes unknown-label questions).
    public init(parser: POPEAnswerParser, truePositives: Int, falsePositives: Int, trueNegatives: Int, falseNegatives: Int, unknownLabels: Int = 0) {
        self.parser = parser
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.trueNegatives = trueNegatives
        self.falseNegatives = falseNegatives
        self.unknownLabels = unknownLabels
        let n = truePositives + falsePositives + trueNegatives + falseNegatives + unknownLabels
        questions = n
        accuracy = n > 0 ? Double(truePositives + trueNegatives) / Double(n) : 0
        let p = truePositives + falsePositives > 0 ? Double(truePositives) / Double(truePositives + falsePositives) : nil
        let r = truePositives + falseNegatives > 0 ? Double(truePositives) / Double(truePositives + falseNegatives) : nil
        precision = p
        recall = r
        if let p, let r, p + r > 0 { f1 = 2 * p * r / (p + r) } else { f1 = nil }
        yesRatio = n > 0 ? Double(truePositives + falsePositives) / Double(n) : 0
    }

    /// The confusion counts, then each score ×100 with one decimal (`n/a` when undefined).
    public var text: String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f", $0 * 100) } ?? "n/a" }
        var lines = [
            "TP\tFP\tTN\tFN",
            "\(truePositives)\t\(falsePositives)\t\(trueNegatives)\t\(falseNegatives)",
            "Accuracy: \(percent(accuracy))",
            "Precision: \(percent(precision))",
            "Recall: \(percent(recall))",
            "F1 score: \(percent(f1))",
            "Yes ratio: \(percent(yesRatio))",
        ]
        if unknownLabels > 0 { lines.append("Unknown labels: \(unknownLabels)") }
        return lines.joined(separator: "\n")
    }
}
