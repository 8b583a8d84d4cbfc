import Foundation

/// The three yes/no answer parsers in use for POPE, each with its exact rule and quirks.
public enum POPEAnswerParser: String, Codable, Sendable, CaseIterable {
    /// POPE's `evaluate.py` (= LLaVA's `eval_pope.py`): keep the text before the first `.`,
    /// delete `,`, split on single spaces; **no** if a word is exactly `No`, `not` or `no`, else
    /// **yes**. Case-sensitive: `NO`, `Not`, `isn't`, `No!` or `no\n` all read as yes. Any label
    /// other than `no` counts as positive.
    case pope
    /// OPERA's `pope_eval.py` (`recorder`): delete every `.` and `,`, split on single spaces;
    /// **no** if a word is `No`, `not`, `no` or `NO`, or ends with `n't`; else **yes**. Any label
    /// other than `no` counts as positive.
    case opera
    /// VCD's and DAMRO's `eval_pope.py`: answer and label lower-cased and stripped; for label
    /// `yes` the answer is yes iff it contains `yes`; for label `no` it is no iff it contains `no`
    /// (so `not`, `know`, `snow`, `nothing` count as no). The reading depends on the label; any
    /// other label is counted as unknown (it stays in the accuracy denominator).
    case vcd

    /// What a parser makes of one answer.
    public enum Prediction: String, Codable, Sendable {
        case yes, no
        /// VCD only: the label is neither yes nor no, so the answer is not classified.
        case unknownLabel
    }

    /// The predicted class of `answer` to a question labelled `label`.
    public func predict(answer: String, label: String) -> Prediction {
        switch self {
        case .pope:
            var text = answer
            if let period = text.unicodeScalars.firstIndex(of: ".") {
                text = String(String.UnicodeScalarView(text.unicodeScalars[..<period]))
            }
            let words = PythonString.split(PythonString.replace(text, ",", ""), " ")
            return words.contains(where: { ["No", "not", "no"].contains($0) }) ? .no : .yes
        case .opera:
            let text = PythonString.replace(PythonString.replace(answer, ".", ""), ",", "")
            let words = PythonString.split(text, " ")
            let negative = words.contains { ["No", "not", "no", "NO"].contains($0) || PythonString.hasSuffix($0, "n't") }
            return negative ? .no : .yes
        case .vcd:
            let normalisedLabel = PythonString.strip(PythonString.lower(label))
            let text = PythonString.strip(PythonString.lower(answer))
            switch normalisedLabel {
            case "yes": return PythonString.contains(text, "yes") ? .yes : .no
            case "no": return PythonString.contains(text, "no") ? .no : .yes
            default: return .unknownLabel
            }
        }
    }

    /// Whether `label` is the positive class for this parser (`nil`: VCD's unknown label).
    public func isPositive(label: String) -> Bool? {
        switch self {
        case .pope, .opera:
            return label != "no"
        case .vcd:
            switch PythonString.strip(PythonString.lower(label)) {
            case "yes": return true
            case "no": return false
            default: return nil
            }
        }
    }
}
