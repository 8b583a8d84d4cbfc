/// A size in pixels, height first as transformers writes it (`crop_size`, `image_grid_pinpoints`):
/// CLIP's centre crop (`CLIPPreprocessorConfig.CropSize`) and LLaVA-NeXT's candidate canvases
/// (`LlavaNextImageProcessor.GridPinpoint`).
public struct PixelSize: Sendable, Hashable {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }
}
