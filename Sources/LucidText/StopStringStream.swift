/// Streams generated text so that no stop string, nor anything after one, is ever sent.
///
/// Text arrives in pieces (a token's decoded text). `push` returns what can be sent now: everything
/// before the first stop string, less the last (longest stop − 1) Unicode scalars, where one may yet
/// begin. `finish` returns the rest: cut before the first stop string when the generation ended at one
/// (OpenAI's `stop`: the text ends before the stop), whole otherwise. The pieces returned join to
/// `text`, whatever the chunking. Stop strings match on Unicode scalars; only the unsent tail is
/// searched, so a reply costs time linear in its length. Empty stop strings are ignored.
public struct StopStringStream: Sendable {
    public let stops: [String]
    /// The text so far; after `finish(stopped: true)`, cut before the first stop string.
    public private(set) var text = ""
    /// The UTF-8 length of what was returned (an offset, since indices do not outlive appends).
    private var sentUTF8 = 0
    private let holdBack: Int

    public init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
        holdBack = max(0, (self.stops.map(\.unicodeScalars.count).max() ?? 0) - 1)
    }

    /// Appends `piece`; returns the text no stop string can claim any more (possibly empty).
    public mutating func push(_ piece: String) -> String {
        text += piece
        let sent = sentEnd
        let scalars = text.unicodeScalars
        var safe = scalars.index(scalars.endIndex, offsetBy: -holdBack, limitedBy: sent) ?? sent
        if let stop = firstStop(after: sent) { safe = min(safe, stop) }
        return send(from: sent, upTo: safe)
    }

    /// Appends `piece` (a streaming decoder's tail) and returns all that is left to send: up to the
    /// first stop string when `stopped` (the generation ended at one), else everything.
    public mutating func finish(_ piece: String = "", stopped: Bool) -> String {
        text += piece
        let sent = sentEnd
        if stopped, let stop = firstStop(after: sent) { text = String(text.unicodeScalars[..<stop]) }
        return send(from: sent, upTo: text.endIndex)
    }

    /// `text` cut before the first of `stops` (whole when none occurs): what the stream sends in all when the generation stopped.
    public static func cut(_ text: String, before stops: [String]) -> String {
        var stream = StopStringStream(stops: stops)
        return stream.finish(text, stopped: true)
    }

    private var sentEnd: String.Index { text.utf8.index(text.utf8.startIndex, offsetBy: sentUTF8) }

    /// Where the first stop string in the unsent text begins (none begins earlier: its start would have been held back).
    private func firstStop(after sent: String.Index) -> String.Index? {
        let unsent = text.unicodeScalars[sent...]
        return stops.compactMap { unsent.firstRange(of: $0.unicodeScalars)?.lowerBound }.min()
    }

    private mutating func send(from start: String.Index, upTo end: String.Index) -> String {
        guard end > start else { return "" }
        sentUTF8 = text.utf8.distance(from: text.utf8.startIndex, to: end)
        return String(text.unicodeScalars[start..<end])
    }
}
