import LucidModels
import LucidTensor
import LucidVision

extension ModelFamily {
    /// LLaVA-NeXT's and OneVision's image attack: the attack perturbs, and writes, the image resized to fit
    /// its canvas. The processor reads that PNG back onto the same canvas without resizing it (black
    /// around it), cuts the tiles from it and resizes it whole for the first tile; `transform` does the
    /// same with tensor ops (a black pad, crops, and Pillow's resampling as two weight matrices,
    /// `Resampler.weightMatrix`, each pass clipped to [0, 1] as Pillow clips it). The tiles are the
    /// processor's exactly. So is the first tile: its value is Pillow's fixed-point resize of the image as its
    /// PNG stores it (`pillowResize`: 8-bit codes, integer weights, each pass rounded to a byte), while its
    /// gradient is the weight matrices' (a straight-through estimator of the rounding, which has none).
    /// The model's `originalImageSize` becomes the fitted size, as reading the PNG back sets it.
    static func anyresAttackImage(_ processor: LlavaNextImageProcessor, image: RGBImage,
                                  model: LlavaNextForConditionalGeneration) throws -> AttackImage {
        let place = try processor.placement(height: image.height, width: image.width)
        let filter = processor.clip.config.resample
        let fitted = try image.resized(width: place.fitted.width, height: place.fitted.height, filter: filter)
        let again = try processor.placement(height: fitted.height, width: fitted.width)
        guard again == place else {
            throw ModelOpenError("a \(image.width)x\(image.height) image resized to its canvas (\(fitted.width)x\(fitted.height)) is placed "
                                 + "differently when read back, so no PNG would reproduce its attack")
        }
        model.originalImageSize = (fitted.height, fitted.width)
        let (height, width, tile) = (fitted.height, fitted.width, processor.tileSize)
        let side = processor.baseSide
        let rows = Tensor(Resampler.weightMatrix(inSize: height, outSize: side.height, filter: filter), shape: [side.height, height])
        let columns = Tensor(Resampler.weightMatrix(inSize: width, outSize: side.width, filter: filter), shape: [side.width, width])
            .transposed(0, 1)
        let transform = { (x: Tensor) -> Tensor in
            let (dtype, device) = (x.dtype, x.device)
            // Pillow's passes: horizontal, then vertical, each clipped to the 8-bit range (bicubic overshoots).
            let across = x.matmul(columns.to(dtype).to(device)).clamped(min: 0, max: 1)
            let smooth = rows.to(dtype).to(device).matmul(across).clamped(min: 0, max: 1)  // [1, 3, S, S]
            let rounded = pillowResize(x, rows: rows, columns: columns).to(dtype).to(device)
            let base = rounded + (smooth - smooth.detached())
            func black(_ h: Int, _ w: Int) -> Tensor { Tensor.zeros([1, 3, h, w], dtype: dtype, device: device) }
            var canvas = x
            let below = place.canvas.height - place.top - height, right = place.canvas.width - place.left - width
            if place.top > 0 || below > 0 {
                let parts = (place.top > 0 ? [black(place.top, width)] : []) + [canvas] + (below > 0 ? [black(below, width)] : [])
                canvas = Tensor.cat(parts, axis: 2)
            }
            if place.left > 0 || right > 0 {
                let h = place.canvas.height
                let parts = (place.left > 0 ? [black(h, place.left)] : []) + [canvas] + (right > 0 ? [black(h, right)] : [])
                canvas = Tensor.cat(parts, axis: 3)
            }
            var tiles = [base]
            for row in 0..<place.rows {
                for column in 0..<place.columns {
                    tiles.append(canvas.narrowed(axis: 2, start: row * tile, length: tile).narrowed(axis: 3, start: column * tile, length: tile))
                }
            }
            return Tensor.cat(tiles, axis: 0)
        }
        return AttackImage(clean: FloatImage(fitted).tensor(), transform: transform)
    }

    /// Pillow's resize of an image [1, 3, H, W] in [0, 1] as its PNG stores it, in [0, 1], without a gradient:
    /// the 8-bit codes (`round(clamp(v, 0, 1) · 255)`, ties away from zero, as `ImageEncoder` writes them), the
    /// weight matrices' integer weights (`rows`, `columns` times 2^22), and each pass's sum rounded and clamped
    /// to a byte as Pillow's `clip8` does. In f64 on the CPU, where sums of these integers (below 2^53) are exact.
    static func pillowResize(_ x: Tensor, rows: Tensor, columns: Tensor) -> Tensor {
        withNoGrad {
            let unit = Double(1 << Resampler.precisionBits), half = Double(1 << (Resampler.precisionBits - 1))
            let codes = (x.detached().to(.cpu).to(.f64).clamped(min: 0, max: 1) * 255 + 0.5).floor()
            func pass(_ sum: Tensor) -> Tensor { ((sum + half) / unit).floor().clamped(min: 0, max: 255) }
            let across = pass(codes.matmul(columns.to(.f64) * unit))
            return pass((rows.to(.f64) * unit).matmul(across)) / 255
        }
    }
}
