import Foundation
import LucidFiles

/// One item a `JudgeBatch` judges: its id in the record log, the request, and how a reply becomes its record.
public struct JudgeTask<Record> {
    public var id: String
    public var messages: [ChatCompletionClient.Message]
    /// The record of the item given its request key (`ChatCompletionClient.PreparedRequest.key`) and the judge's reply.
    public var record: (_ request: String, _ reply: String) -> Record

    public init(id: String, messages: [ChatCompletionClient.Message], record: @escaping (_ request: String, _ reply: String) -> Record) {
        self.id = id
        self.messages = messages
        self.record = record
    }
}

/// What happened to one item of a `JudgeBatch`.
public enum JudgeProgress<Record> {
    /// Judged now: its request was sent.
    case judged(Record)
    /// Judged now from the client's `JudgeAnswerCache`: the answer was kept from an earlier run, nothing was sent.
    case cached(Record)
    /// Its record was already in the log (made for the same request).
    case kept(Record)
}

extension JudgeProgress {
    /// `judged`, `cached` or `kept`, for progress lines.
    public var word: String {
        switch self {
        case .judged: return "judged"
        case .cached: return "cached"
        case .kept: return "kept"
        }
    }
}

/// Judges a list of items with at most `concurrency` requests in flight, resumably: the records go to
/// a `JudgeRecordLog` in **item order** (a reply that arrives before an earlier item's waits for it),
/// each appended and flushed the moment every item before it has its record, so the log is the same
/// bytes whatever the concurrency and a rerun skips exactly the items with a record. Answers also go
/// to the client's `JudgeAnswerCache` as they arrive, so a reply that a kill kept from the log is not
/// paid for again.
///
/// The first failure — a request that fails, an item that cannot be prepared (say, its image), or a
/// record made for another request — stops new requests; those in flight finish (their answers are
/// cached), the records before the failed item are written, and the failure of the earliest item is
/// thrown: the log then holds what a sequential run would have written before stopping.
public struct JudgeBatch<Record: JudgeLogRecord> {
    public let client: ChatCompletionClient
    /// Where records are kept and resumed from (nil: nothing is kept; every item is judged).
    public let log: JudgeRecordLog<Record>?
    /// Most requests in flight (≥ 1).
    public let concurrency: Int

    public init(client: ChatCompletionClient, log: JudgeRecordLog<Record>?, concurrency: Int = 1) {
        self.client = client
        self.log = log
        self.concurrency = max(1, concurrency)
    }

    /// Judges items `0..<count` and returns their records in item order.
    ///
    /// - Parameters:
    ///   - task: prepares item `index` (called in order, once, just before its request is due, so at most
    ///     `concurrency` requests — images included — are held at once); what it throws ends the run.
    ///   - progress: called in item order after each item's record is known.
    public func run(count: Int, isolation: isolated (any Actor)? = #isolation,
                    task: (Int) throws -> JudgeTask<Record>,
                    progress: (Int, JudgeProgress<Record>) -> Void = { _, _ in }) async throws -> [Record] {
        var records = [Record?](repeating: nil, count: count)
        var written = 0
        var replies: [Int: String] = [:]
        var waiting: [Int: (request: String, record: (String, String) -> Record)] = [:]
        var cached: Set<Int> = []
        var failure: (index: Int, error: any Error)?
        let client = self.client

        func fail(_ index: Int, _ error: any Error) {
            if failure.map({ index < $0.index }) ?? true { failure = (index, error) }
        }
        /// Writes the records of the items from `written` on whose replies are in, in order.
        func flush() throws {
            while written < count, failure.map({ written < $0.index }) ?? true {
                if let kept = records[written] {
                    progress(written, .kept(kept))
                } else if let reply = replies.removeValue(forKey: written), let pending = waiting.removeValue(forKey: written) {
                    let record = pending.record(pending.request, reply)
                    try log?.append(record)
                    records[written] = record
                    progress(written, cached.contains(written) ? .cached(record) : .judged(record))
                } else {
                    return
                }
                written += 1
            }
        }

        try await withThrowingTaskGroup(of: (Int, Result<String, JudgeError>).self) { group in
            var inFlight = 0
            func collect() async throws {
                guard let (index, result) = try await group.next() else { return }
                inFlight -= 1
                switch result {
                case .success(let reply): replies[index] = reply
                case .failure(let error): fail(index, error)
                }
                try flush()
            }
            for index in 0..<count {
                if failure != nil { break }
                do {
                    let item = try task(index)
                    let prepared = try client.prepare(item.messages)
                    let request = prepared.key
                    if let kept = try log?.record(for: item.id, request: request) {
                        records[index] = kept
                        try flush()
                        continue
                    }
                    if let answer = client.cache?.answer(for: request) {
                        (replies[index], waiting[index]) = (answer, (request, item.record))
                        cached.insert(index)
                        try flush()
                        continue
                    }
                    while inFlight >= concurrency { try await collect() }
                    if failure != nil { break }
                    waiting[index] = (request, item.record)
                    group.addTask {
                        do throws(JudgeError) { return (index, .success(try await client.complete(prepared))) } catch { return (index, .failure(error)) }
                    }
                    inFlight += 1
                } catch {
                    fail(index, error)
                }
            }
            while inFlight > 0 { try await collect() }
        }
        try flush()
        if let failure { throw failure.error }
        return records.compactMap { $0 }
    }
}
