import CTorch

/// A seeded random-number generator for tensor sampling (`randn`, `rand`, `multinomial`, …).
///
/// Two generators with the same seed produce the same streams; the global default generator is
/// used only where no generator is passed. Not safe to share between threads without a lock.
public final class Generator {
    let handle: OpaquePointer

    /// Creates a CPU generator seeded with `seed`.
    public init(seed: UInt64) {
        var out: OpaquePointer?
        let status = lt_generator_new(seed, &out)
        guard status == 0, let handle = out else {
            fatalError("libtorch: cannot create generator: \(String(cString: lt_last_error()))")
        }
        self.handle = handle
    }

    deinit { lt_generator_free(handle) }

    /// The seed the generator was created with or last reset to.
    public var seed: UInt64 { lt_generator_seed(handle) }

    /// Resets the generator to the start of the stream of `seed`.
    public func reseed(_ seed: UInt64) { lt_generator_set_seed(handle, seed) }
}
