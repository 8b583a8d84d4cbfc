import Foundation
import LucidModels
import LucidTensor

/// A Hugging Face processor's outputs for one image, read from a safetensors file under their HF
/// names (what `--pixel-values` takes): `pixel_values`, and where the family has them `image_sizes`
/// (LLaVA-NeXT, LLaVA-OneVision), `image_grid_thw` (Qwen2-VL), `qformer_input_ids` / `qformer_attention_mask`
/// (InstructBLIP). With the processor's expanded `input_ids`, any input can be matched to transformers.
/// LLaVA-OneVision's outputs may hold one sample's several images (`batch_num_images` [1] = N,
/// `pixel_values` [N, tiles, 3, S, S], `image_sizes` [N, 2]), and Qwen2-VL's likewise (`image_grid_thw`
/// [N, 3], each image's patches one after another).
public struct ProcessorOutputs {
    /// Where the tensors came from (named in errors).
    public var path: String
    public var pixelValues: Tensor
    public var imageSizes: [Int]?
    public var imageGridTHW: [Int]?
    public var qformerInputIDs: [Int]?
    public var qformerAttentionMask: [Int]?
    /// LLaVA-OneVision's `batch_num_images`: the images of each sample (one sample is read).
    public var batchNumImages: [Int]?

    /// Largest integer tensor read (sizes, grids, ids): larger ones are refused before reading.
    public static let maximumIntegerCount = 4096
    /// Largest pixel magnitude read (the largest f16): a processor's normalised pixels are a few units,
    /// and even raw 0–255 values stay below it, so a larger one is a broken file, not an image.
    public static let maximumPixelMagnitude = 65504.0

    /// Reads `path`; `pixel_values` is required and must be floating point.
    public static func load(path: String) throws -> ProcessorOutputs {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw ModelOpenError("\(path): not a readable safetensors file (\(error))") }
        guard let entry = file.entry(named: "pixel_values") else {
            throw ModelOpenError("\(path): no tensor named pixel_values (it holds \(file.names.sorted().joined(separator: ", ")))")
        }
        guard [.float32, .float16, .bfloat16, .float64].contains(entry.dtype) else {
            throw ModelOpenError("\(path): pixel_values is \(entry.dtype.rawValue); a floating-point tensor was expected")
        }
        func integers(_ name: String) throws -> [Int]? {
            guard let entry = file.entry(named: name) else { return nil }
            guard entry.elementCount <= maximumIntegerCount else {
                throw ModelOpenError("\(path): \(name) has \(entry.elementCount) values; at most \(maximumIntegerCount) are read")
            }
            guard [.int64, .int32, .int16, .int8, .uint8, .bool].contains(entry.dtype) else {
                throw ModelOpenError("\(path): \(name) is \(entry.dtype.rawValue); an integer tensor was expected")
            }
            return try file.loadTensor(for: entry).to(.i64).toArray(Int.self)
        }
        let pixels = try file.loadTensor(for: entry).to(.f32)
        guard pixels.isAllFinite else { throw ModelOpenError("\(path): pixel_values holds NaN or infinity; a processor's pixels are finite") }
        let largest: Double = pixels.count == 0 ? 0 : pixels.abs().max().item()
        guard largest <= maximumPixelMagnitude else {
            throw ModelOpenError("\(path): pixel_values holds a value of magnitude \(largest); a processor's normalised pixels are a few units (at most \(Int(maximumPixelMagnitude)) is read)")
        }
        return ProcessorOutputs(path: path, pixelValues: pixels, imageSizes: try integers("image_sizes"),
                                imageGridTHW: try integers("image_grid_thw"), qformerInputIDs: try integers("qformer_input_ids"),
                                qformerAttentionMask: try integers("qformer_attention_mask"), batchNumImages: try integers("batch_num_images"))
    }

    /// The model's image tensors for these outputs (one sample: one image, or several where the family
    /// takes them), setting what the family keeps on the
    /// model (LLaVA-NeXT's `originalImageSize`, InstructBLIP's `qformerInstruction`); every shape is
    /// checked against the model first.
    public func images(for model: any VisionLanguageModel) throws -> [Tensor] {
        let shape = pixelValues.shape
        func fail(_ problem: String) -> ModelOpenError { ModelOpenError("\(path): \(problem)") }
        let image: Tensor
        switch model {
        case let next as LlavaNextForConditionalGeneration where shape.count == 5 && shape[0] > 1:
            return try severalImages(for: next)
        case let next as LlavaNextForConditionalGeneration:
            if let batchNumImages, batchNumImages != [1] {
                throw fail("batch_num_images \(batchNumImages) does not match pixel_values \(shape), one image")
            }
            guard let sizes = imageSizes, sizes.count == 2 else {
                throw fail("\(next.config.variant.rawValue) needs image_sizes [1, 2] (the original height and width), got \(imageSizes.map { "\($0.count) values" } ?? "none")")
            }
            guard (1...LlavaNextImageBounds.maximumSide).contains(sizes[0]), (1...LlavaNextImageBounds.maximumSide).contains(sizes[1]) else {
                throw fail("image_sizes \(sizes) must be positive and at most \(LlavaNextImageBounds.maximumSide)")
            }
            guard shape.count == 5 && shape[0] == 1 || shape.count == 4 else {
                throw fail("\(next.config.variant.rawValue) pixel_values must be [1, tiles, 3, S, S] or [tiles, 3, S, S], got \(shape)")
            }
            next.originalImageSize = (sizes[0], sizes[1])
            image = shape.count == 5 ? pixelValues.selected(axis: 0, index: 0) : pixelValues
        case let qwen as Qwen2VLForConditionalGeneration:
            return try qwenImages(for: qwen)
        case let blip as InstructBlipForConditionalGeneration:
            guard shape.count == 4, shape[0] == 1 else { throw fail("InstructBLIP pixel_values must be [1, 3, S, S], got \(shape)") }
            var instruction = qformerInputIDs ?? []
            if let mask = qformerAttentionMask {
                guard mask.count == instruction.count else {
                    throw fail("qformer_attention_mask has \(mask.count) values but qformer_input_ids has \(instruction.count)")
                }
                instruction = zip(instruction, mask).filter { $0.1 != 0 }.map(\.0)
            }
            blip.qformerInstruction = instruction
            image = pixelValues
        default:
            guard shape.count == 4, shape[0] == 1, shape[1] == 3, shape[2] == model.imageSize, shape[3] == model.imageSize else {
                throw fail("pixel_values has shape \(shape); this model takes [1, 3, \(model.imageSize), \(model.imageSize)]")
            }
            image = pixelValues
        }
        do { try model.checkImage(image) } catch { throw fail("\(error)") }
        return [image]
    }
}

extension ProcessorOutputs {
    /// The base tiles [1, 3, S, S] of a LLaVA-OneVision sample's several images (`pixel_values` [N, tiles,
    /// 3, S, S], `batch_num_images` [N] when present, `image_sizes` [N, 2]), as transformers encodes them;
    /// LLaVA-NeXT with several images is refused (`LlavaNextForConditionalGeneration.promptImages`).
    func severalImages(for next: LlavaNextForConditionalGeneration) throws -> [Tensor] {
        let shape = pixelValues.shape
        func fail(_ problem: String) -> ModelOpenError { ModelOpenError("\(path): \(problem)") }
        let count = shape[0]
        if let batchNumImages, batchNumImages != [count] {
            throw fail("batch_num_images \(batchNumImages) does not match pixel_values \(shape): one sample of \(count) images is read")
        }
        guard let sizes = imageSizes, sizes.count == 2 * count else {
            throw fail("\(count) images need image_sizes [\(count), 2], got \(imageSizes.map { "\($0.count) values" } ?? "none")")
        }
        guard sizes.allSatisfy({ (1...LlavaNextImageBounds.maximumSide).contains($0) }) else {
            throw fail("image_sizes \(sizes) must be positive and at most \(LlavaNextImageBounds.maximumSide)")
        }
        let images = (0..<count).map { pixelValues.selected(axis: 0, index: $0) }
        do {
            let prompt = try next.promptImages(images)
            for image in prompt { try next.checkImage(image) }
            return prompt
        } catch { throw fail("\(error)") }
    }
}

extension ProcessorOutputs {
    /// The images [1, C, H, W] of a Qwen2-VL sample: `pixel_values` holds each image's flattened patches
    /// one after another [N1 + N2 + …, C·T·P·P], and `image_grid_thw` [images, 3] their grids, as the
    /// processor gives several images of one prompt.
    func qwenImages(for qwen: Qwen2VLForConditionalGeneration) throws -> [Tensor] {
        func fail(_ problem: String) -> ModelOpenError { ModelOpenError("\(path): \(problem)") }
        guard let grid = imageGridTHW, !grid.isEmpty, grid.count % 3 == 0 else {
            throw fail("\(qwen.familyName) needs image_grid_thw [images, 3], got \(imageGridTHW.map { "\($0.count) values" } ?? "none")")
        }
        let shape = pixelValues.shape
        guard shape.count == 2 else { throw fail("\(qwen.familyName) pixel_values must be flattened patches [N, C·T·P·P], got \(shape)") }
        let grids = stride(from: 0, to: grid.count, by: 3).map { Qwen2VLGrid(t: grid[$0], h: grid[$0 + 1], w: grid[$0 + 2]) }
        // Each grid's patch count, checked before it sizes a slice (the grid is outside data).
        var rows: [Int] = []
        for g in grids {
            guard g.isWithinBounds else {
                throw fail("image_grid_thw (\(g.t), \(g.h), \(g.w)) is out of range: each of t ≤ \(Qwen2VLGrid.maximumFrames), h and w ≤ \(Qwen2VLGrid.maximumSide), positive")
            }
            rows.append(g.patchCount)
        }
        guard rows.reduce(0, +) == shape[0] else {
            throw fail("image_grid_thw \(grids.map { "(\($0.t), \($0.h), \($0.w))" }.joined(separator: ", ")) needs \(rows.reduce(0, +)) patch rows, pixel_values has \(shape[0])")
        }
        var start = 0
        var images: [Tensor] = []
        for (g, count) in zip(grids, rows) {
            let image: Tensor
            do { image = try qwen.image(fromPatches: pixelValues.narrowed(axis: 0, start: start, length: count), grid: g) } catch {
                throw fail(grids.count == 1 ? "\(error)" : "image \(images.count + 1) of \(grids.count): \(error)")
            }
            do { try qwen.checkImage(image) } catch { throw fail("\(error)") }
            images.append(image)
            start += count
        }
        return images
    }
}

/// Bounds on what a `--pixel-values` file may claim about an image.
enum LlavaNextImageBounds {
    /// Largest original side accepted from `image_sizes`.
    static let maximumSide = 1 << 16
}
