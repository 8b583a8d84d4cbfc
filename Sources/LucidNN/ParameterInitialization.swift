import LucidTensor

/// Building modules without initialising their parameters, for loaders that replace every one.
///
/// Inside `withPlaceholders`, layers get placeholder parameters: the right shape over a single
/// shared zero element (no memory in proportion to the shape, no random numbers drawn), marked
/// `Parameter.isPlaceholder` until a real tensor is assigned. `Module.load` refuses to leave a
/// placeholder in place, so a model opened this way either holds every weight of its checkpoint
/// or fails to load. Without it, opening a 7B model would first allocate and fill 7B random
/// parameters, only to discard them.
public enum ParameterInitialization {
    @TaskLocal static var placeholders = false

    /// Runs `body` (typically a model's initialiser) with placeholder parameters.
    public static func withPlaceholders<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = $placeholders.withValue(true) {
            do throws(E) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Whether parameters created now are placeholders.
    public static var isDeferring: Bool { placeholders }

    /// `make()`, or a placeholder of `shape` inside `withPlaceholders`.
    public static func tensor(_ shape: [Int], _ make: () -> Tensor) -> Tensor {
        guard placeholders else { return make() }
        return Tensor.zeros([1]).expanded(shape)
    }
}
