import Foundation

/// OPERA's GPT-4V-assisted evaluation (Huang et al., CVPR 2024): a vision judge sees the image and
/// two descriptions of it (assistant 1 and assistant 2 — in OPERA's `gpt4v_eval.py`, beam search
/// with 5 beams and OPERA decoding, in that order) and scores each on 1–10 for accuracy (fewer
/// hallucinations) and detailedness.
///
/// The prompt is `GPT_JUDGE_PROMPT` of `gpt4v_eval.py` verbatim (shikiw/OPERA at commit
/// 61426efe4e2e53207f32d9112a86ba5f8364d1d9, MIT licence), kept with its licence and provenance in
/// `Data/rubrics/opera-gpt4v/`; a test pins this copy to that file. The request is OPERA's: one user
/// message of a text part (the filled prompt) followed by an image part (the image as a base64 data
/// URL). The reply is read as `gpt4v_eval.py` reads it (`OPERAGPT4VScores.parse`).
public struct OPERAGPT4VJudge: Sendable {
    public let client: ChatCompletionClient

    public init(client: ChatCompletionClient) { self.client = client }

    /// The most tokens `gpt4v_eval.py` lets the judge answer with (`"max_tokens": 300`).
    public static let referenceMaxTokens = 300

    /// `GPT_JUDGE_PROMPT`, the Python string's value: it starts with a newline, the last line is
    /// `Reason: ` with a trailing space, and the two `{}` are the answers of assistants 1 and 2.
    /// "hallucinationsshould" and "countas" are the original's.
    public static let template = """

        You are required to score the performance of two AI assistants in describing a given image. You should pay extra attention to the hallucination, which refers to the part of descriptions that are inconsistent with the image content, such as claiming the existence of something not present in the image or describing incorrectly in terms of the counts, positions, or colors of objects in the image. Please rate the responses of the assistants on a scale of 1 to 10, where a higher score indicates better performance, according to the following criteria:
        1: Accuracy: whether the response is accurate with respect to the image content. Responses with fewer hallucinationsshould be given higher scores.
        2: Detailedness: whether the response is rich in necessary details. Note that hallucinated descriptions should not countas necessary details.
        Please output the scores for each criterion, containing only two values indicating the scores for Assistant 1 and 2, respectively. The two scores are separated by a space. Following the scores, please provide an explanation of your evaluation, avoiding any potential bias and ensuring that the order in which the responses were presented does not affect your judgment.

        [Assistant 1]
        {}
        [End of Assistant 1]

        [Assistant 2]
        {}
        [End of Assistant 2]

        Output format:
        Accuracy: <Scores of the two answers>
        Reason:

        Detailedness: <Scores of the two answers>
        Reason:\u{20}

        """

    /// The prompt with the two answers in place, as Python's `GPT_JUDGE_PROMPT.format(a1, a2)` gives
    /// it: each `{}` in turn, the answers inserted as they are (braces in them are not fields).
    public static func prompt(assistant1: String, assistant2: String) -> String {
        let pieces = template.components(separatedBy: "{}")
        // The template has exactly two fields (pinned by a test), so there are three pieces.
        guard pieces.count == 3 else { return template }
        return pieces[0] + assistant1 + pieces[1] + assistant2 + pieces[2]
    }

    /// The request `gpt4v_eval.py` sends: one user message, the prompt then the image.
    public static func messages(image: JudgeImage, assistant1: String, assistant2: String) -> [ChatCompletionClient.Message] {
        [.init(role: "user", parts: [.text(prompt(assistant1: assistant1, assistant2: assistant2)), .image(image)])]
    }

    /// The judge's reply to one comparison (a failed request throws).
    public func reply(image: JudgeImage, assistant1: String, assistant2: String) async throws(JudgeError) -> String {
        try await client.complete(Self.messages(image: image, assistant1: assistant1, assistant2: assistant2))
    }

    /// The scores of one comparison; an answer `gpt4v_eval.py` could not read is `.unparsableVerdict`.
    public func judge(image: JudgeImage, assistant1: String, assistant2: String) async throws(JudgeError) -> OPERAGPT4VScores {
        try OPERAGPT4VScores.parse(try await reply(image: image, assistant1: assistant1, assistant2: assistant2))
    }
}
