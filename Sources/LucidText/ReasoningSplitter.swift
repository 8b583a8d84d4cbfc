/// Splits a reasoning model's output into its reasoning and its answer, whole or as it streams.
///
/// DeepSeek-R1's distills and Qwen3 with thinking on write their reasoning first and close it with
/// `</think>` (R1's generation prompt opens the block, Qwen3 writes `<think>` itself). The rule is that of
/// vLLM's `deepseek_r1` and `qwen3` reasoning parsers (`vllm/reasoning/basic_parsers.py`,
/// `qwen3_reasoning_parser.py`):
/// - a `<think>` that opens the output is dropped;
/// - what comes before the first `</think>` is the reasoning, and what comes after it is the answer;
/// - an output with no `</think>` is all reasoning and has no answer (the model ran out of tokens
///   while it was still reasoning).
///
/// Two deviations, both so that a streamed split equals the whole one:
/// - `<think>` counts only at the start of the output, after any whitespace. vLLM's whole-output parser
///   drops everything up to a `<think>` found anywhere; its streaming parser does not.
/// - The whitespace that opens each part and the whitespace that closes the reasoning are dropped (the
///   templates write `\n` after `<think>` and `\n\n` after `</think>`). The answer's trailing whitespace
///   is kept, as in a reply without reasoning.
///
/// Markers are matched on Unicode scalars, so a marker split across pushed pieces is still found: the
/// splitter holds back a tail that could begin one.
public struct ReasoningSplitter: Sendable {
    /// What a push or `finish()` releases: more reasoning, more answer, or both (reasoning first).
    public struct Piece: Sendable, Equatable {
        public var reasoning: String
        public var answer: String

        public init(reasoning: String = "", answer: String = "") {
            self.reasoning = reasoning
            self.answer = answer
        }
    }

    enum Phase: Sendable { case opening, reasoning, answer }

    static let openMarker = Array("<think>".unicodeScalars)
    static let closeMarker = Array("</think>".unicodeScalars)

    private var phase = Phase.opening
    /// Text received and not yet released.
    private var pending: [Unicode.Scalar] = []
    /// Whether the current part has released text (its leading whitespace is then behind it).
    private var partStarted = false

    /// A splitter at the start of an output.
    public init() {}

    /// Takes the next piece of output and releases what no marker or closing whitespace can still claim.
    public mutating func push(_ text: String) -> Piece {
        pending.append(contentsOf: text.unicodeScalars)
        var piece = Piece()
        while true {
            switch phase {
            case .opening:
                let start = pending.firstIndex { !$0.properties.isWhitespace } ?? pending.endIndex
                pending.removeFirst(start)
                if pending.starts(with: Self.openMarker) {
                    pending.removeFirst(Self.openMarker.count)
                } else if pending.isEmpty || Self.openMarker.starts(with: pending) {
                    return piece
                }
                phase = .reasoning
            case .reasoning:
                dropLeadingWhitespaceOnce()
                if let close = Self.firstIndex(of: Self.closeMarker, in: pending) {
                    piece.reasoning += Self.string(Self.trimmingTrailingWhitespace(pending[..<close]))
                    pending.removeFirst(close + Self.closeMarker.count)
                    phase = .answer
                    partStarted = false
                    continue
                }
                var cut = pending.count - Self.markerPrefixLength(endingAt: pending)
                while cut > 0, pending[cut - 1].properties.isWhitespace { cut -= 1 }
                piece.reasoning += Self.string(pending[..<cut])
                pending.removeFirst(cut)
                return piece
            case .answer:
                dropLeadingWhitespaceOnce()
                piece.answer += Self.string(pending[...])
                pending.removeAll()
                return piece
            }
        }
    }

    /// Releases what was held back at the end of the output: an unfinished marker is text of its part,
    /// and the reasoning's closing whitespace is dropped.
    public mutating func finish() -> Piece {
        defer { pending.removeAll() }
        switch phase {
        case .opening, .reasoning:
            if phase == .reasoning { dropLeadingWhitespaceOnce() }
            return Piece(reasoning: Self.string(Self.trimmingTrailingWhitespace(pending[...])))
        case .answer:
            dropLeadingWhitespaceOnce()
            return Piece(answer: Self.string(pending[...]))
        }
    }

    /// The reasoning and answer of a whole output.
    public static func split(_ output: String) -> Piece {
        var splitter = ReasoningSplitter()
        let first = splitter.push(output)
        let last = splitter.finish()
        return Piece(reasoning: first.reasoning + last.reasoning, answer: first.answer + last.answer)
    }

    private mutating func dropLeadingWhitespaceOnce() {
        guard !partStarted else { return }
        let start = pending.firstIndex { !$0.properties.isWhitespace } ?? pending.endIndex
        pending.removeFirst(start)
        partStarted = !pending.isEmpty
    }

    /// The length of the longest tail of `text` that is a proper prefix of `</think>`.
    static func markerPrefixLength(endingAt text: [Unicode.Scalar]) -> Int {
        for length in stride(from: min(closeMarker.count - 1, text.count), to: 0, by: -1)
        where text[(text.count - length)...].elementsEqual(closeMarker[..<length]) {
            return length
        }
        return 0
    }

    static func firstIndex(of marker: [Unicode.Scalar], in text: [Unicode.Scalar]) -> Int? {
        guard text.count >= marker.count else { return nil }
        return (0...(text.count - marker.count)).first { text[$0..<($0 + marker.count)].elementsEqual(marker) }
    }

    static func trimmingTrailingWhitespace(_ text: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        var end = text.endIndex
        while end > text.startIndex, text[end - 1].properties.isWhitespace { end -= 1 }
        return text[..<end]
    }

    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
