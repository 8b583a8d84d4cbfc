import Foundation

/// A thread-safe memo of word → token ids, shared by every encode call on a tokenizer.
///
/// Bounded: when it reaches `capacity` entries it is emptied and refilled, which keeps
/// memory flat on adversarial input while common words stay hot.
final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String: [Int32]] = [:]
    private let capacity: Int

    init(capacity: Int = 65_536) {
        self.capacity = capacity
    }

    func value(for word: String) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return storage[word]
    }

    func store(_ ids: [Int32], for word: String) {
        lock.lock()
        defer { lock.unlock() }
        if storage.count >= capacity { storage.removeAll(keepingCapacity: true) }
        storage[word] = ids
    }
}
