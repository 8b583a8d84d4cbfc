import LucidFiles

/// Runs OPERA's GPT-4V-assisted comparison over a list of items, resumably: each judged item is a
/// line of the record log the moment it and every item before it are judged, and a rerun skips the
/// items the log has a record for (after checking the record was made for the same request).
/// Up to `concurrency` requests are in flight (`JudgeBatch`); the log is the same whatever the concurrency.
public struct OPERAGPT4VEvaluation {
    public let judge: OPERAGPT4VJudge
    public let log: JudgeRecordLog<OPERAGPT4VRecord>
    /// Most judge requests in flight at once.
    public let concurrency: Int

    public init(judge: OPERAGPT4VJudge, log: JudgeRecordLog<OPERAGPT4VRecord>, concurrency: Int = 1) {
        self.judge = judge
        self.log = log
        self.concurrency = concurrency
    }

    /// What happened to one item.
    public enum Progress: Sendable, Equatable {
        /// Judged now (`scored`: the reply was read).
        case judged(scored: Bool)
        /// Judged now from the judge cache, nothing sent (`scored`: the reply was read).
        case cached(scored: Bool)
        /// Its record was already in the log.
        case kept
    }

    /// Judges every item without a record and returns the records of all `items`, in input order.
    ///
    /// - Parameters:
    ///   - image: reads an item's image (validated by the caller); its errors end the run.
    ///   - progress: called after each item with its 0-based index, in item order.
    /// A failed request ends the run with its `JudgeError` (the items before it keep their records); a
    /// reply that cannot be read is recorded with an error and null scores.
    public func run(_ items: [OPERAGPT4VItem], isolation: isolated (any Actor)? = #isolation,
                    image: (OPERAGPT4VItem) throws -> JudgeImage,
                    progress: (Int, Progress) -> Void = { _, _ in }) async throws -> [OPERAGPT4VRecord] {
        try await JudgeBatch(client: judge.client, log: log, concurrency: concurrency).run(count: items.count, task: { index in
            let item = items[index]
            let picture = try image(item)
            let sha256 = picture.sha256
            return JudgeTask(id: item.id, messages: OPERAGPT4VJudge.messages(image: picture, assistant1: item.assistant1, assistant2: item.assistant2)) {
                OPERAGPT4VRecord(item: item, imageSHA256: sha256, request: $0, reply: $1)
            }
        }, progress: { index, step in
            switch step {
            case .kept: progress(index, .kept)
            case .judged(let record): progress(index, .judged(scored: record.scores != nil))
            case .cached(let record): progress(index, .cached(scored: record.scores != nil))
            }
        })
    }
}
