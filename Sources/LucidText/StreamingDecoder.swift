/// Incremental detokenizer: push ids one at a time, get back only finished text.
///
/// Multi-byte characters split across byte tokens (GPT-2 byte-level pieces or
/// `<0xNN>` fallback tokens) are held back until complete, the leading space that
/// SentencePiece decoders strip is stripped once, and trailing characters a `Strip`
/// decoder would remove are held until `finish()`. For every id sequence whose byte
/// runs are valid UTF-8, the concatenation of all `push` results plus `finish()` equals
/// `Tokenizer.decode` of the whole sequence. (For an invalid `<0xNN>` run Hugging Face
/// replaces the whole run, bytes already shown included, with one U+FFFD per byte;
/// the stream can only replace the bytes it still holds.)
public struct StreamingDecoder: Sendable {
    /// The tokenizer whose ids are decoded.
    public let tokenizer: Tokenizer
    /// Whether special added tokens are dropped.
    public let skipSpecialTokens: Bool

    private var pending: [UInt8] = []
    private var pendingIsInvalid = false
    private var tokenIndex = 0
    private var leadingStripLeft: Int
    private var leadingDone = false
    private var heldTrailing = String.UnicodeScalarView()

    private let perTokenSteps: [DecoderPipeline.Step]
    private let afterFallbackSteps: [DecoderPipeline.Step]
    private let wholeTextSteps: [DecoderPipeline.Step]
    private let byteLevel: Bool
    private let byteFallback: Bool
    private let joinsWithSpaces: Bool
    private let strip: (content: Unicode.Scalar, start: Int, stop: Int)?

    /// A decoder at the start of a sequence.
    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
        let steps = tokenizer.decoder.steps
        joinsWithSpaces = steps.isEmpty
        byteLevel = steps.contains(.byteLevel)
        byteFallback = steps.contains(.byteFallback)
        // Steps before the first fusing step act per token; after it, on the whole text.
        let fuseIndex = steps.firstIndex { $0 == .fuse || $0 == .byteLevel } ?? steps.count
        let fallbackIndex = steps.firstIndex(of: .byteFallback) ?? fuseIndex
        perTokenSteps = Array(steps[..<min(fallbackIndex, fuseIndex)])
        afterFallbackSteps = fallbackIndex < fuseIndex ? Array(steps[(fallbackIndex + 1)..<fuseIndex]) : []
        let tail = fuseIndex < steps.count ? Array(steps[(fuseIndex + 1)...]) : []
        wholeTextSteps = tail.filter { if case .strip = $0 { return false } else { return true } }
        var found: (Unicode.Scalar, Int, Int)?
        for case let .strip(content, start, stop) in tail { found = (content, start, stop) }
        strip = found.map { (content: $0.0, start: $0.1, stop: $0.2) }
        leadingStripLeft = found?.1 ?? 0
    }

    /// Feeds one id and returns the text it completes (often empty while bytes are pending).
    ///
    /// - Throws: `TokenizerError.tokenIDOutOfRange` for an id outside the vocabulary.
    public mutating func push(_ id: Int) throws -> String {
        let token = try tokenizer.tokenString(id)
        if skipSpecialTokens, tokenizer.isSpecial(id) { return "" }
        defer { tokenIndex += 1 }
        if joinsWithSpaces {
            return finishing(tokenIndex == 0 ? token : " " + token)
        }
        switch piece(of: token, index: tokenIndex) {
        case .bytes(let bytes):
            pending += bytes
            var output = ""
            let consumed = UTF8Repair.append(pending, from: 0, to: &output)
            pending.removeFirst(consumed)
            return finishing(output)
        case .fallbackByte(let byte):
            return finishing(appendFallbackByte(byte))
        case .text(let text):
            return finishing(flushFallbackRun() + text)
        }
    }

    /// The bytes token `id` adds to a text it does not begin, as OpenAI's `logprobs` `bytes` give a
    /// token: a byte-level or byte-fallback token's own bytes (possibly part of a character), else its
    /// text after the per-token decoder steps. Joined over a sequence's tokens after the first, they
    /// are the UTF-8 of what `push` returns for them, before the whole-text steps (a trailing strip).
    /// Special tokens count as text here, whatever `skipSpecialTokens` says.
    ///
    /// - Throws: `TokenizerError.tokenIDOutOfRange` for an id outside the vocabulary.
    public func bytes(of id: Int) throws -> [UInt8] {
        let token = try tokenizer.tokenString(id)
        if joinsWithSpaces { return Array((" " + token).utf8) }
        switch piece(of: token, index: 1) {
        case .bytes(let bytes): return bytes
        case .fallbackByte(let byte): return [byte]
        case .text(let text): return Array(text.utf8)
        }
    }

    /// What one token contributes, after the per-token decoder steps (`index`: its place in the sequence).
    private enum Piece {
        /// A byte-level token's bytes.
        case bytes([UInt8])
        /// A byte-fallback token (`<0xAB>`).
        case fallbackByte(UInt8)
        /// Text, after the steps that follow byte fallback.
        case text(String)
    }

    private func piece(of token: String, index: Int) -> Piece {
        var text = token
        for step in perTokenSteps { text = DecoderPipeline.applyPerToken(step, to: text, index: index) }
        if byteLevel { return .bytes(ByteLevelMapping.decode(text)) }
        if byteFallback, let byte = DecoderPipeline.fallbackByte(text) { return .fallbackByte(byte) }
        for step in afterFallbackSteps { text = DecoderPipeline.applyPerToken(step, to: text, index: index) }
        return .text(text)
    }

    /// Ends the sequence: releases held bytes (as U+FFFD) and held trailing text, then resets.
    public mutating func finish() -> String {
        var output = ""
        if byteLevel {
            if !pending.isEmpty { output = "\u{FFFD}" }
            pending.removeAll()
        } else {
            output = flushFallbackRun()
        }
        var text = finishing(output)
        if let strip {
            var held = heldTrailing
            var dropped = 0
            while dropped < strip.stop, held.last == strip.content {
                held.removeLast()
                dropped += 1
            }
            text += String(held)
        }
        self = StreamingDecoder(tokenizer: tokenizer, skipSpecialTokens: skipSpecialTokens)
        return text
    }

    private mutating func appendFallbackByte(_ byte: UInt8) -> String {
        pending.append(byte)
        guard !pendingIsInvalid else { return "" }
        var output = ""
        var index = 0
        scan: while index < pending.count {
            switch UTF8Repair.step(pending, at: index) {
            case let .valid(length):
                output += String(decoding: pending[index..<index + length], as: UTF8.self)
                index += length
            case .invalid:
                pendingIsInvalid = true
                break scan
            case .incomplete:
                break scan
            }
        }
        pending.removeFirst(index)
        return output
    }

    private mutating func flushFallbackRun() -> String {
        defer {
            pending.removeAll()
            pendingIsInvalid = false
        }
        return String(repeating: "\u{FFFD}", count: pending.count)
    }

    /// Applies the whole-text steps (Strip after Fuse, replacements) to newly finished text.
    private mutating func finishing(_ chunk: String) -> String {
        guard !chunk.isEmpty else { return "" }
        var text = chunk
        for step in wholeTextSteps {
            text = DecoderPipeline.applyPerToken(step, to: text, index: 1)
        }
        guard let strip else { return text }
        var scalars = Substring(text).unicodeScalars
        while !leadingDone, let first = scalars.first {
            if leadingStripLeft > 0, first == strip.content {
                scalars.removeFirst()
                leadingStripLeft -= 1
            } else {
                leadingDone = true
            }
        }
        guard strip.stop > 0 else { return String(scalars) }
        var combined = heldTrailing
        combined.append(contentsOf: scalars)
        var cut = combined.endIndex
        while cut > combined.startIndex, combined[combined.index(before: cut)] == strip.content {
            cut = combined.index(before: cut)
        }
        heldTrailing = String.UnicodeScalarView(combined[cut...])
        return String(String.UnicodeScalarView(combined[..<cut]))
    }
}
