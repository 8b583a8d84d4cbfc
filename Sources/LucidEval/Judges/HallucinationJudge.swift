import Foundation

/// Sentence-level hallucination judging of an image description by a chat model, against the
/// image's ground-truth annotations (text-only: the judge never sees the image).
///
/// This rubric is Lucid's own (no paper's prompt is reproduced): each numbered sentence is marked
/// `correct`, `hallucinated` (states an object, attribute, count or relation the annotations
/// contradict or do not contain) or `unverifiable` (opinion, mood, generic statement).
public struct HallucinationJudge: Sendable {
    public let client: ChatCompletionClient

    public init(client: ChatCompletionClient) { self.client = client }

    public enum Label: String, Codable, Sendable { case correct, hallucinated, unverifiable }

    /// The verdict on one description.
    public struct Verdict: Codable, Sendable, Equatable {
        public var sentences: [String]
        public var labels: [Label]
        /// Hallucinated sentences ÷ sentences that are not unverifiable (0 when none are verifiable).
        public var hallucinationRate: Double
    }

    /// Splits a description into sentences (., !, ? followed by space or end; newlines).
    public static func sentences(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        let characters = Array(text)
        for (i, c) in characters.enumerated() {
            if c == "\n" {
                if !current.trimmingCharacters(in: .whitespaces).isEmpty { result.append(current.trimmingCharacters(in: .whitespaces)) }
                current = ""
                continue
            }
            current.append(c)
            if ".!?".contains(c), i + 1 == characters.count || characters[i + 1] == " " || characters[i + 1] == "\n" {
                result.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            }
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { result.append(current.trimmingCharacters(in: .whitespaces)) }
        return result
    }

    static func prompt(groundTruth: String, sentences: [String]) -> String {
        var text = """
        You check image descriptions against the image's ground-truth annotations. You cannot see the image; \
        the annotations are the truth.

        Ground-truth annotations:
        \(groundTruth)

        For each numbered sentence of the description, answer on its own line `N: correct`, `N: hallucinated` or \
        `N: unverifiable`. A sentence is hallucinated if it states an object, attribute, count or relation that the \
        annotations contradict or do not contain. Use unverifiable only for opinions, moods or generic statements \
        that name nothing checkable. Output only the numbered lines.

        Description:
        """
        for (i, sentence) in sentences.enumerated() { text += "\n\(i + 1). \(sentence)" }
        return text
    }

    /// Judges one description given its ground truth (e.g. an object list or reference captions).
    public func judge(description: String, groundTruth: String) async throws(JudgeError) -> Verdict {
        let parts = Self.sentences(description)
        if parts.isEmpty { return Verdict(sentences: [], labels: [], hallucinationRate: 0) }
        let answer = try await client.complete([.init(role: "user", content: Self.prompt(groundTruth: groundTruth, sentences: parts))])
        return try Self.parse(answer, sentences: parts)
    }

    /// Reads `N: label` lines; every sentence must get exactly one label.
    public static func parse(_ text: String, sentences: [String]) throws(JudgeError) -> Verdict {
        var labels = [Label?](repeating: nil, count: sentences.count)
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let n = Int(parts[0].trimmingCharacters(in: CharacterSet(charactersIn: " .*"))),
                  n >= 1, n <= sentences.count else { continue }
            let word = parts[1].trimmingCharacters(in: .whitespaces).lowercased().trimmingCharacters(in: CharacterSet(charactersIn: " .*`"))
            guard let label = Label(rawValue: word) else {
                throw .unparsableVerdict(reason: "labels sentence \(n) '\(word)' (expected correct, hallucinated or unverifiable)", text: text)
            }
            labels[n - 1] = label
        }
        guard labels.allSatisfy({ $0 != nil }) else {
            let missing = labels.indices.filter { labels[$0] == nil }.map { String($0 + 1) }.joined(separator: ", ")
            throw .unparsableVerdict(reason: "gives no label for sentence(s) \(missing)", text: text)
        }
        let final = labels.compactMap { $0 }
        let verifiable = final.filter { $0 != .unverifiable }.count
        let hallucinated = final.filter { $0 == .hallucinated }.count
        return Verdict(sentences: sentences, labels: final, hallucinationRate: verifiable == 0 ? 0 : Double(hallucinated) / Double(verifiable))
    }
}
