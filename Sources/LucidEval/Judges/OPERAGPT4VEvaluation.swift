import LucidFiles

/// Runs OPERA's GPT-4V-assisted comparison over a list of items, resumably: each judged item is a
/// line of the record log the moment the judge answers, and a rerun skips the items the log has a
/// record for (after checking the record was made for the same request).
public struct OPERAGPT4VEvaluation {
    public let judge: OPERAGPT4VJudge
    public let log: JudgeRecordLog<OPERAGPT4VRecord>

    public init(judge: OPERAGPT4VJudge, log: JudgeRecordLog<OPERAGPT4VRecord>) {
        self.judge = judge
        self.log = log
    }

    /// What happened to one item.
    public enum Progress: Sendable, Equatable {
        /// Judged now (`scored`: the reply was read).
        case judged(scored: Bool)
        /// Its record was already in the log.
        case kept
    }

    /// Judges every item without a record and returns the records of all `items`, in input order.
    ///
    /// - Parameters:
    ///   - image: reads an item's image (validated by the caller); its errors end the run.
    ///   - progress: called after each item with its 0-based index.
    /// A failed request ends the run with its `JudgeError` (the items judged so far keep their
    /// records); a reply that cannot be read is recorded with an error and null scores.
    public func run(_ items: [OPERAGPT4VItem], image: (OPERAGPT4VItem) throws -> JudgeImage,
                    progress: (Int, Progress) -> Void = { _, _ in }) async throws -> [OPERAGPT4VRecord] {
        var records: [OPERAGPT4VRecord] = []
        for (index, item) in items.enumerated() {
            let picture = try image(item)
            let messages = OPERAGPT4VJudge.messages(image: picture, assistant1: item.assistant1, assistant2: item.assistant2)
            let request = try judge.client.cacheKey(messages)
            if let kept = try log.record(for: item.id, request: request) {
                records.append(kept)
                progress(index, .kept)
                continue
            }
            let reply = try await judge.client.complete(messages)
            let record = OPERAGPT4VRecord(item: item, image: picture, request: request, reply: reply)
            try log.append(record)
            records.append(record)
            progress(index, .judged(scored: record.scores != nil))
        }
        return records
    }
}
