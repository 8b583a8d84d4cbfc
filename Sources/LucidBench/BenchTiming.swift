import Foundation
import LucidTensor

/// The best of `rounds` mean seconds per call of `body`, each round calling it for at least
/// `roundSeconds`, after `warmUp` seconds of untimed calls (`bench ops` and `bench linear`).
public func bestMeanSeconds(rounds: Int = 3, warmUp: Double, roundSeconds: Double, _ body: () -> Void) -> Double {
    let warmStart = DispatchTime.now().uptimeNanoseconds
    repeat { body() } while secondsSince(warmStart) < warmUp
    var best = Double.infinity
    for _ in 0..<rounds {
        var (calls, seconds) = (0, 0.0)
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            body()
            calls += 1
            seconds = secondsSince(start)
        } while seconds < roundSeconds
        best = min(best, seconds / Double(calls))
    }
    return best
}

/// Seconds elapsed since `start` (a `DispatchTime` uptime in nanoseconds).
func secondsSince(_ start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

/// A thread setting written `INTRA:BLAS` (libtorch intra-op threads : OpenBLAS threads), each in 1…1024.
public struct ThreadSetting: Sendable, Equatable, CustomStringConvertible {
    public var intraOp: Int
    public var blas: Int

    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a > 0, b > 0, a <= 1024, b <= 1024 else {
            return nil
        }
        intraOp = a
        blas = b
    }

    /// `INTRA:BLAS`.
    public var description: String { "\(intraOp):\(blas)" }

    /// Sets libtorch's and the BLAS's thread counts to this setting.
    public func apply() { Torch.configureThreads(intraOp: intraOp, blas: blas) }
}

/// Reads and decodes a JSON reference written by one of the `scripts/bench_*reference.py` scripts.
func loadReference<T: Decodable>(_ type: T.Type, path: String, script: String) throws(BenchError) -> T {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw .unreadable(path: path, reason: error.localizedDescription)
    }
    do { return try JSONDecoder().decode(T.self, from: data) } catch {
        throw .notReferenceOutput(path: path, script: script, reason: "\(error)")
    }
}

/// Pretty-printed JSON with sorted keys, the shape every `lucid bench … --json` prints.
func sortedJSON(_ object: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
}

/// `x` with `digits` decimals.
func fixed(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
