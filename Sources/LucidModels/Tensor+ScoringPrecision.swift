import LucidTensor

extension Tensor {
    /// This tensor widened to f32 when it is bf16 or f16 (a differentiable cast); f32 and f64 as they are.
    ///
    /// For scores, losses and selections computed from a half-precision model's activations, which
    /// must not round like them (docs/engine.md, "Precision").
    public var widenedForScoring: Tensor { dtype == .bf16 || dtype == .f16 ? to(.f32) : self }
}
