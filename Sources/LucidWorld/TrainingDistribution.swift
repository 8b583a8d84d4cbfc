/// The render size Lucid's bundled organisms were trained on, and a warning for sizes off it.
extension ShapesWorldConfig {
    /// Side in pixels of the scenes every bundled organism (`shapes-tiny`, `shapes-smol`, `shapes-smol-q`)
    /// was trained and evaluated on: ShapesWorld's default render, resized by the model's preprocessor.
    public static let organismTrainingImageSize = 224

    /// A one-line warning when ``imageSize`` is not the bundled organisms' render size, else nil.
    ///
    /// Scenes rendered at another size and then resized by a model's preprocessor do not look like the
    /// training scenes (thinner strokes, other aliasing): a bundled organism answers them worse — at 96 px
    /// `shapes-smol`'s clean CHAIR_i was 27% against ~9% at 224 px (docs/attacks.md).
    public var trainingDistributionWarning: String? {
        guard imageSize != Self.organismTrainingImageSize else { return nil }
        return "warning: --image-size \(imageSize) is off the bundled organisms' training distribution "
            + "(\(Self.organismTrainingImageSize)-px renders, resized by the model's preprocessor); "
            + "shapes-tiny/shapes-smol/shapes-smol-q answer such scenes worse (docs/organisms.md). "
            + "Use \(Self.organismTrainingImageSize) unless you train a model on this size."
    }
}
