/// Splits a normalized text segment into the words the BPE model encodes one by one.
///
/// Mirrors Hugging Face's pre-tokenizer pipeline: each step splits every piece
/// produced by the previous step, and empty pieces are dropped. Byte-level mapping
/// (bytes to GPT-2 scalars) is done by the model, so `byteLevel` here only adds the
/// optional prefix space and applies the GPT-2 split.
struct PreTokenizer: Sendable {
    /// When Metaspace prepends its replacement character.
    enum PrependScheme: Sendable, Equatable {
        case always, first, never
    }

    /// One pre-tokenization step.
    enum Step: Sendable, Equatable {
        /// A regex `Split` with `isolated` behaviour.
        case split(SplitPattern)
        /// `Digits`: every number scalar alone, or runs of them.
        case digits(individual: Bool)
        /// `ByteLevel`: optional prefix space, optional GPT-2 split.
        case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
        /// `Metaspace`: spaces become `replacement`, optional prefix, optional split
        /// before every replacement character.
        case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)
        /// `BertPreTokenizer`: split at whitespace (removed), every punctuation scalar alone.
        case bert
    }

    let steps: [Step]

    /// A piece and whether it starts at offset 0 of the original input
    /// (Metaspace's `first` scheme prepends only there).
    private struct Piece {
        var scalars: [Unicode.Scalar]
        var atOriginalStart: Bool
    }

    /// The words of `scalars`, in order.
    func words(_ scalars: [Unicode.Scalar], atOriginalStart: Bool) -> [[Unicode.Scalar]] {
        guard !scalars.isEmpty else { return [] }
        var pieces = [Piece(scalars: scalars, atOriginalStart: atOriginalStart)]
        for step in steps {
            var next: [Piece] = []
            next.reserveCapacity(pieces.count * 2)
            for piece in pieces {
                apply(step, to: piece, into: &next)
            }
            pieces = next
        }
        return pieces.map(\.scalars)
    }

    private func apply(_ step: Step, to piece: Piece, into output: inout [Piece]) {
        switch step {
        case let .split(pattern):
            emit(piece, pattern.split(piece.scalars), into: &output)
        case let .digits(individual):
            emit(piece, Self.digitRanges(piece.scalars, individual: individual), into: &output)
        case .bert:
            emit(piece, BertNormalization.wordRanges(piece.scalars), into: &output)
        case let .byteLevel(addPrefixSpace, useRegex):
            var piece = piece
            if addPrefixSpace, piece.scalars.first != " " { piece.scalars.insert(" ", at: 0) }
            if useRegex {
                emit(piece, SplitPattern.gpt2.split(piece.scalars), into: &output)
            } else {
                output.append(piece)
            }
        case let .metaspace(replacement, scheme, split):
            var scalars = piece.scalars.map { $0 == " " ? replacement : $0 }
            let prepend: Bool
            switch scheme {
            case .always: prepend = scalars.first != replacement
            case .first: prepend = scalars.first != replacement && piece.atOriginalStart
            case .never: prepend = false
            }
            if prepend { scalars.insert(replacement, at: 0) }
            let piece = Piece(scalars: scalars, atOriginalStart: piece.atOriginalStart)
            if split {
                emit(piece, Self.rangesBefore(replacement, in: scalars), into: &output)
            } else {
                output.append(piece)
            }
        }
    }

    private func emit(_ piece: Piece, _ ranges: [Range<Int>], into output: inout [Piece]) {
        for range in ranges where !range.isEmpty {
            output.append(Piece(scalars: Array(piece.scalars[range]),
                                atOriginalStart: piece.atOriginalStart && range.lowerBound == 0))
        }
    }

    /// `Digits`: isolated number scalars, or contiguous runs of them.
    private static func digitRanges(_ s: [Unicode.Scalar], individual: Bool) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        var index = 0
        while index < s.count {
            guard ScalarClass(s[index]) == .number else {
                index += 1
                continue
            }
            if start < index { ranges.append(start..<index) }
            var end = index + 1
            if !individual {
                while end < s.count, ScalarClass(s[end]) == .number { end += 1 }
            }
            ranges.append(index..<end)
            start = end
            index = end
        }
        if start < s.count { ranges.append(start..<s.count) }
        return ranges
    }

    /// Splits so that every `delimiter` starts a new piece (`MergedWithNext`).
    private static func rangesBefore(_ delimiter: Unicode.Scalar, in s: [Unicode.Scalar]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for index in s.indices where s[index] == delimiter && index > start {
            ranges.append(start..<index)
            start = index
        }
        if start < s.count { ranges.append(start..<s.count) }
        return ranges
    }
}
