/// Byte-pair encoding of single words by merge rank (Hugging Face `models.BPE`).
///
/// A word starts as one symbol per byte (byte-level vocabularies, GPT-2 style) or per
/// Unicode scalar (SentencePiece style, with `<0xNN>` byte fallback and `<unk>`), then
/// the adjacent pair with the lowest merge rank — leftmost on ties — is merged until no
/// ranked pair is left. Results for short words are cached.
final class BPEModel: Sendable {
    /// Whether words are spelled in GPT-2 byte-level scalars.
    let byteLevel: Bool
    private let vocab: [String: Int]
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    private let merges: [UInt64: UInt64]
    /// Byte-level: id of each byte's stand-in scalar, -1 if absent.
    private let byteIDs: [Int32]
    /// Scalar mode: ids of single-scalar tokens.
    private let scalarIDs: [UInt32: Int32]
    /// `<0xNN>` ids when byte fallback is on and all 256 exist.
    private let fallbackIDs: [Int32]?
    private let unknownID: Int32?
    private let fuseUnknown: Bool
    private let ignoreMerges: Bool
    private let cache = WordCache()
    private static let maxCachedWordLength = 64

    init(vocab: [String: Int], merges: [(String, String)], byteLevel: Bool, byteFallback: Bool,
         unknownToken: String?, fuseUnknown: Bool, ignoreMerges: Bool) throws {
        guard !vocab.isEmpty else { throw TokenizerError.emptyVocabulary }
        self.vocab = vocab
        self.byteLevel = byteLevel
        self.fuseUnknown = fuseUnknown
        self.ignoreMerges = ignoreMerges

        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let leftID = vocab[left] else {
                throw TokenizerError.mergeReferencesUnknownToken(index: rank, token: left)
            }
            guard let rightID = vocab[right] else {
                throw TokenizerError.mergeReferencesUnknownToken(index: rank, token: right)
            }
            guard let mergedID = vocab[left + right] else {
                throw TokenizerError.mergeReferencesUnknownToken(index: rank, token: left + right)
            }
            table[Self.pairKey(Int32(leftID), Int32(rightID))] = UInt64(rank) << 32 | UInt64(mergedID)
        }
        self.merges = table

        byteIDs = ByteLevelMapping.scalarForByte.map { scalar in
            vocab[String(scalar)].map(Int32.init) ?? -1
        }
        var singles: [UInt32: Int32] = [:]
        if !byteLevel {
            for (token, id) in vocab {
                var scalars = token.unicodeScalars.makeIterator()
                if let first = scalars.next(), scalars.next() == nil { singles[first.value] = Int32(id) }
            }
        }
        scalarIDs = singles
        if byteFallback {
            let ids = (0..<256).map { vocab[Self.byteTokenName(UInt8($0))].map(Int32.init) ?? -1 }
            fallbackIDs = ids
        } else {
            fallbackIDs = nil
        }
        if let unknownToken {
            guard let id = vocab[unknownToken] else {
                throw TokenizerError.invalidField(field: "model.unk_token",
                                                  reason: "'\(unknownToken)' is not in the vocabulary")
            }
            unknownID = Int32(id)
        } else {
            unknownID = nil
        }
    }

    /// The `<0xNN>` spelling of a byte token.
    static func byteTokenName(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }

    /// Appends the ids of one pre-tokenized word.
    func encode(word: [Unicode.Scalar], into output: inout [Int]) {
        guard !word.isEmpty else { return }
        let cacheable = word.count <= Self.maxCachedWordLength
        let key = String(String.UnicodeScalarView(word))
        if cacheable, let hit = cache.value(for: key) {
            output.append(contentsOf: hit.lazy.map(Int.init))
            return
        }
        if ignoreMerges {
            let spelled = byteLevel ? ByteLevelMapping.encode(key.utf8) : key
            if let id = vocab[spelled] {
                output.append(id)
                return
            }
        }
        let ids = merge(initialSymbols(word, utf8: key.utf8))
        if cacheable { cache.store(ids, for: key) }
        output.append(contentsOf: ids.lazy.map(Int.init))
    }

    /// `merge_word`'s symbol construction, including its unknown-token fusing quirks.
    private func initialSymbols(_ word: [Unicode.Scalar], utf8: String.UTF8View) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        var pendingUnknown = false

        func add(known id: Int32) {
            if pendingUnknown, let unknownID { symbols.append(unknownID) }
            pendingUnknown = false
            symbols.append(id)
        }
        func addMissing(_ utf8: [UInt8]) {
            if let fallbackIDs, utf8.allSatisfy({ fallbackIDs[Int($0)] >= 0 }) {
                symbols.append(contentsOf: utf8.map { fallbackIDs[Int($0)] })
                return
            }
            guard let unknownID else { return }
            if pendingUnknown, !fuseUnknown { symbols.append(unknownID) }
            pendingUnknown = true
        }

        if byteLevel {
            for byte in utf8 {
                let id = byteIDs[Int(byte)]
                if id >= 0 {
                    add(known: id)
                } else {
                    addMissing(Array(String(ByteLevelMapping.scalarForByte[Int(byte)]).utf8))
                }
            }
        } else {
            for scalar in word {
                if let id = scalarIDs[scalar.value] {
                    add(known: id)
                } else {
                    addMissing(Array(String(scalar).utf8))
                }
            }
        }
        if pendingUnknown, let unknownID { symbols.append(unknownID) }
        return symbols
    }

    /// `Word::merge_all` without dropout: lowest rank first, then leftmost.
    private func merge(_ initial: [Int32]) -> [Int32] {
        let count = initial.count
        guard count > 1 else { return initial }
        var ids = initial
        var previous = (0..<count).map { Int32($0) - 1 }
        var next = (0..<count).map { $0 + 1 < count ? Int32($0 + 1) : -1 }
        var removed = [Bool](repeating: false, count: count)
        var queue = MergeQueue()
        for index in 0..<(count - 1) {
            if let entry = merges[Self.pairKey(ids[index], ids[index + 1])] {
                queue.push(rank: UInt32(entry >> 32), position: UInt32(index), mergedID: Int32(truncatingIfNeeded: entry))
            }
        }
        while let top = queue.pop() {
            let position = Int(top.position)
            guard !removed[position], next[position] >= 0 else { continue }
            let right = Int(next[position])
            guard let entry = merges[Self.pairKey(ids[position], ids[right])],
                  Int32(truncatingIfNeeded: entry) == top.mergedID else { continue }
            ids[position] = top.mergedID
            removed[right] = true
            next[position] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(position) }
            if previous[position] >= 0 {
                let left = Int(previous[position])
                if let entry = merges[Self.pairKey(ids[left], ids[position])] {
                    queue.push(rank: UInt32(entry >> 32), position: UInt32(left), mergedID: Int32(truncatingIfNeeded: entry))
                }
            }
            if next[position] >= 0 {
                let after = Int(next[position])
                if let entry = merges[Self.pairKey(ids[position], ids[after])] {
                    queue.push(rank: UInt32(entry >> 32), position: UInt32(position), mergedID: Int32(truncatingIfNeeded: entry))
                }
            }
        }
        var result: [Int32] = []
        result.reserveCapacity(count)
        for index in 0..<count where !removed[index] { result.append(ids[index]) }
        return result
    }

    private static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }
}

/// Min-heap of pending merges ordered by (rank, position).
private struct MergeQueue {
    struct Entry {
        var order: UInt64
        var mergedID: Int32
        var position: UInt32 { UInt32(truncatingIfNeeded: order) }
    }

    private var heap: [Entry] = []

    mutating func push(rank: UInt32, position: UInt32, mergedID: Int32) {
        heap.append(Entry(order: UInt64(rank) << 32 | UInt64(position), mergedID: mergedID))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].order < heap[parent].order else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return top }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var smallest = left
            if left + 1 < heap.count, heap[left + 1].order < heap[left].order { smallest = left + 1 }
            guard heap[smallest].order < heap[parent].order else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
