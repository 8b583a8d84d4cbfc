import Foundation
import LucidText

extension ModelWorker {
    /// Per-row state of a generation: its job, text so far and what has been sent.
    final class RowState {
        let job: GenerationJob
        var decoder: StreamingDecoder
        /// The decoded text so far, held back from a stop string.
        var stream: StopStringStream
        /// Splits what is sent into reasoning and answer (a reasoning template, split); nil sends it whole.
        var splitter: ReasoningSplitter?
        /// What was sent as reasoning and as answer, when split.
        var reasoning = ""
        var answer = ""
        let promptTokens: Int
        let gateChecked: Bool
        let batched: Bool
        let queueSeconds: Double
        /// A completion's echoed prompt (its log-probabilities come with the result).
        let echo: EchoedPrompt?
        /// Every token's log-probabilities, as the batch reported them with the token (the result's, spelled:
        /// a batched row pushes each of its tokens), and those whose text has not been sent yet (held back, or none).
        var logprobs: [TokenLogprobEntry] = []
        var unsentLogprobs: [TokenLogprobEntry] = []
        var firstToken = true

        init(job: GenerationJob, tokenizer: Tokenizer, promptTokens: Int, gateChecked: Bool, batched: Bool, queueSeconds: Double,
             splitsReasoning: Bool, echo: EchoedPrompt?) {
            self.job = job
            self.echo = echo
            decoder = tokenizer.streamingDecoder(skipSpecialTokens: true)
            splitter = splitsReasoning ? ReasoningSplitter() : nil
            stream = StopStringStream(stops: job.settings.stop)
            self.promptTokens = promptTokens
            self.gateChecked = gateChecked
            self.batched = batched
            self.queueSeconds = queueSeconds
        }

        /// Appends a token's text and sends what no stop string can still claim (`StopStringStream`), with the
        /// log-probabilities of the tokens since the last piece sent.
        func push(_ token: Int, logprobs: TokenLogprobEntry? = nil, metrics: ServerMetrics) {
            if firstToken {
                firstToken = false
                metrics.timeToFirstToken.record(ServerMetrics.duration(nanoseconds: DispatchTime.now().uptimeNanoseconds &- job.admitted))
            }
            if let logprobs {
                self.logprobs.append(logprobs)
                unsentLogprobs.append(logprobs)
            }
            send(stream.push((try? decoder.push(token)) ?? ""))
        }

        /// The final answer (cut before the first stop string when the generation stopped at one) and
        /// reasoning, with what was not yet sent sent.
        func finish(stopped: Bool) -> (answer: String, reasoning: String?) {
            send(stream.finish(decoder.finish(), stopped: stopped))
            guard var splitter else { return (stream.text, nil) }
            release(splitter.finish())
            self.splitter = splitter
            return (answer, reasoning)
        }

        /// Sends `piece` whole, or through the splitter as reasoning and answer.
        private func send(_ piece: String) {
            guard !piece.isEmpty else { return }
            guard var splitter else {
                job.continuation.yield(.delta(piece, logprobs: takeUnsent()))
                return
            }
            release(splitter.push(piece))
            self.splitter = splitter
        }

        private func release(_ piece: ReasoningSplitter.Piece) {
            if !piece.reasoning.isEmpty { job.continuation.yield(.reasoning(piece.reasoning, logprobs: takeUnsent())) }
            if !piece.answer.isEmpty { job.continuation.yield(.delta(piece.answer, logprobs: takeUnsent())) }
            reasoning += piece.reasoning
            answer += piece.answer
        }

        /// The unsent log-probabilities, now going out with a piece.
        private func takeUnsent() -> [TokenLogprobEntry] {
            defer { unsentLogprobs = [] }
            return unsentLogprobs
        }
    }
}
