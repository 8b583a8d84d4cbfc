import LucidTensor

/// What an image attack perturbs on a family whose image tensor is more than one processed image
/// (`ModelFamily.attackImage`).
public struct AttackImage {
    /// The image in [0, 1], [1, 3, H, W], as the PNG the attack writes: the processor reads that PNG back
    /// to what `transform` makes of it.
    public var clean: Tensor
    /// The processor's steps after decoding, as tensor ops on an image in [0, 1] (differentiable), up to
    /// normalisation.
    public var transform: (Tensor) -> Tensor

    public init(clean: Tensor, transform: @escaping (Tensor) -> Tensor) {
        self.clean = clean
        self.transform = transform
    }
}
