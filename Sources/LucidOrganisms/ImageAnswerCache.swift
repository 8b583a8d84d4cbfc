import Foundation
import LucidEval
import LucidFiles
import LucidRuns
import LucidSupport
import LucidTensor

/// One model's greedy answers to (image, prompt) pairs, kept in a JSONL file so that a rerun, or a
/// run resumed after a kill, generates only the answers it has none for (`lucid defend qmllm eval`
/// keeps the undefended model's answers to the harmful images here).
///
/// The file is a `JudgeAnswerCache` (`{"key", "answer"}` lines, each flushed to disk as it is
/// written; a last line cut short by a kill is dropped on opening). An entry's key is the SHA-256 of
/// everything that decides the answer: the model (`ModelFingerprint` of its directory and of the
/// language model it references), the dtype and attention kernel it runs with
/// (`ModelLoadOptions.numericsLabel`: `bf16` and `bf16+sdpa` answers are kept apart, as the kernels'
/// last bits change bf16 greedy answers), the prompt's token ids (so also the
/// tokenizer and chat template), the stop tokens, the token limit, the decoding (greedy) and the
/// image's pixel values as the model receives them. Thread count, device and libtorch version are
/// not in the key: they can change the last bits of a sum, rarely the greedy answer (the organisms
/// gave the same greedy tokens on an H200 as on the CPU, docs/engine.md), and an answer generated on
/// a GPU is meant to serve a rerun on the CPU.
///
/// One process at a time appends to a file: the cache holds an advisory `flock` on it while open
/// (`LockedFile`, as run results do), and a second opening fails with `ImageAnswerCacheInUse` (released
/// by the kernel when a process dies).
public final class ImageAnswerCache {
    /// Answers of every model, under their keys.
    public let store: JudgeAnswerCache
    /// The model's fingerprint (`ModelFingerprint.of`).
    public let model: String
    /// The dtype and attention kernel the model runs with (`ModelLoadOptions.numericsLabel`: "f32",
    /// "bf16+sdpa", …).
    public let numerics: String
    /// Answers read from the file / generated, since this cache was opened.
    public private(set) var hits = 0
    public private(set) var misses = 0
    /// The open file that holds the lock.
    private let lock: LockedFile

    /// Opens (or creates, with its folder) the cache file at `path` for answers of `model` run with
    /// `numerics`; `ImageAnswerCacheInUse` when another open cache (in this process or another) holds the file.
    public init(path: String, model: String, numerics: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        do {
            lock = try LockedFile(path: path, access: .appending, lock: .exclusive)
        } catch {
            if case .locked = error { throw ImageAnswerCacheInUse(path: path) }
            throw ImageAnswerCacheError("\(path): cannot open the answer cache: \(error.description)")
        }
        store = try JudgeAnswerCache(path: path)
        self.model = model
        self.numerics = numerics
    }

    /// The file.
    public var path: String { store.path }

    /// The key of a greedy answer of at most `maxNewTokens` tokens, stopping at `stopIDs`, to the
    /// prompt `promptIDs` about `pixels` ([1, 3, H, W]).
    public func key(promptIDs: [Int], stopIDs: [Int], maxNewTokens: Int, pixels: Tensor) -> String {
        let fields: [String] = [
            "lucid image answer v1", "model=\(model)", "dtype=\(numerics)", "decoding=greedy",
            "prompt=\(promptIDs.map(String.init).joined(separator: ","))", "stop=\(stopIDs.map(String.init).joined(separator: ","))",
            "max_new_tokens=\(maxNewTokens)", "image=\(Self.imageHash(pixels))",
        ]
        return JudgeAnswerCache.key(body: Data(fields.joined(separator: "\n").utf8))
    }

    /// SHA-256 of an image's shape and f32 pixel values (little-endian bytes).
    public static func imageHash(_ pixels: Tensor) -> String {
        var hasher = SHA256()
        hasher.update(Array(pixels.shape.map(String.init).joined(separator: "x").utf8))
        let values = pixels.to(.f32).toArray(Float.self)
        values.withUnsafeBytes { hasher.update(Array($0)) }
        return hasher.finalizeHex()
    }

    /// The kept answer for `key`, or `generate()`'s, kept before it returns.
    public func answer(key: String, generate: () throws -> String) throws -> String {
        if let kept = store.answer(for: key) {
            hits += 1
            return kept
        }
        let answer = try generate()
        try store.record(answer, for: key)
        misses += 1
        return answer
    }

    /// The default file: one per model under `ModelLocations.cacheDirectory`/answers.
    public static func defaultPath(model: String, use: String) -> String {
        ModelLocations.cacheDirectory + "/answers/\(use)-\(model.prefix(16)).jsonl"
    }

    /// The cache of the undefended model's answers in a Q-MLLM evaluation (`defend qmllm eval` and the
    /// evaluation that ends `defend qmllm train` share it): `path`, or the default file of the model in
    /// `baseDirectory`. Nil, after telling `log`, when another evaluation holds that file.
    public static func forUndefended(baseDirectory: String, numerics: String, path: String?,
                                     log: (String) -> Void) throws -> ImageAnswerCache? {
        let fingerprint = try ModelFingerprint.of(baseDirectory)
        do {
            return try ImageAnswerCache(path: path ?? defaultPath(model: fingerprint, use: "qmllm-eval-undefended"),
                                        model: fingerprint, numerics: numerics)
        } catch let busy as ImageAnswerCacheInUse {
            log("\(busy.description): generating every undefended answer without it")
            return nil
        }
    }
}

/// The answer cache is open in another process (or another `ImageAnswerCache` of this one).
public struct ImageAnswerCacheInUse: Error, CustomStringConvertible, Sendable {
    public let path: String
    public var description: String { "\(path): the answer cache is in use by another evaluation" }
}

/// An answer cache that cannot be opened: names the file.
public struct ImageAnswerCacheError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
