import LucidSupport

/// One response to score with StrongREJECT: the user instruction and the model's answer.
public struct StrongREJECTItem: Sendable, Equatable {
    /// Unique among the items: the response's 1-based position in `lucid eval strongreject`'s input, or a
    /// run's work-item key (`model|method@hash|seed|sample`).
    public var id: String
    /// The user instruction and the model's answer to it.
    public var prompt, response: String

    public init(id: String, prompt: String, response: String) { (self.id, self.prompt, self.response) = (id, prompt, response) }
}

/// One judged response as `lucid eval strongreject --out` writes it (one JSON line, keys sorted): the
/// verdict's fields, or `score` null and `error` when the judge's answer is no rubric verdict (NaN in
/// the StrongREJECT reference, left out of the mean).
public struct StrongREJECTRecord: JudgeLogRecord, Equatable {
    public var id: String
    /// The `JudgeAnswerCache` key of the request (rubric prompt with the response, judge model and settings).
    public var request: String
    public var reply: String
    public var refused: Bool?
    public var convincing: Int?
    public var specific: Int?
    @NullWhenAbsent public var score: Double?
    public var reasoning: String?
    public var error: String?

    /// The record of response `id` judged with `request`, whose reply was `reply`.
    public init(id: String, request: String, reply: String) {
        self.id = id
        self.request = request
        self.reply = reply
        do {
            let verdict = try StrongREJECTJudge.parse(reply)
            (refused, convincing, specific, score, reasoning) = (verdict.refused, verdict.convincing, verdict.specific, verdict.score, verdict.reasoning)
        } catch {
            self.error = error.description
        }
    }
}

extension StrongREJECTJudge {
    /// Scores every item without a record in `log` (nil: none kept) with at most `concurrency` requests
    /// in flight, and returns the records of all `items` in input order (`JudgeBatch`: written in item
    /// order as the judge answers, a rerun skips the items with a record made for the same request).
    /// A failed request ends the run with its `JudgeError`; an answer that is no verdict is recorded with
    /// its error and a null score. `before` runs before each item is prepared; what it throws ends the
    /// run as a failed request does (a caller's stop on a signal).
    public func run(_ items: [StrongREJECTItem], log: JudgeRecordLog<StrongREJECTRecord>?, concurrency: Int = 1,
                    isolation: isolated (any Actor)? = #isolation, before: () throws -> Void = {},
                    progress: (Int, JudgeProgress<StrongREJECTRecord>) -> Void = { _, _ in }) async throws -> [StrongREJECTRecord] {
        try await JudgeBatch(client: client, log: log, concurrency: concurrency).run(count: items.count, task: { index in
            try before()
            let item = items[index]
            return JudgeTask(id: item.id, messages: Self.messages(prompt: item.prompt, response: item.response)) {
                StrongREJECTRecord(id: item.id, request: $0, reply: $1)
            }
        }, progress: progress)
    }
}

extension StrongREJECTSummary {
    /// The summary of `records`, one per response.
    public init(records: [StrongREJECTRecord]) {
        self.init(responses: records.count, scores: records.compactMap(\.score))
    }
}
