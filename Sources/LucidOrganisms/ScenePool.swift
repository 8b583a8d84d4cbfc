import Foundation
import LucidModels
import LucidRuns
import LucidSupport
import LucidTensor
import LucidVision
import LucidWorld

/// A fixed set of ShapesWorld scenes prepared for training or evaluation: the scenes, their text,
/// their per-cell labels, and their pixels as the vision tower sees them.
///
/// Pixels go through the same path as inference (render at the world's image size, then the CLIP
/// preprocessor's resize, crop and normalisation), so a model never sees images prepared
/// differently from `lucid generate --image` on an exported PNG.
public final class ScenePool {
    public let world: ShapesWorldConfig
    public let scenes: [Scene]
    public let texts: [SceneText]
    public let labels: [SceneLabels]
    /// Normalised pixel values [N, 3, S, S].
    public let pixels: Tensor
    public let preprocessor: CLIPPreprocessorConfig

    public var count: Int { scenes.count }

    /// Generates and renders `world.count` scenes; `progress` gets (done, total) now and then.
    public init(world: ShapesWorldConfig, imageSize: Int, progress: ((Int, Int) -> Void)? = nil) throws {
        self.world = world
        scenes = try ShapesWorld.generate(world)
        texts = scenes.map { SceneText(scene: $0, config: world) }
        labels = scenes.map(SceneLabels.init(scene:))
        preprocessor = .defaults(imageSize: imageSize)
        let processor = try CLIPPreprocessor(config: preprocessor)
        let plane = 3 * imageSize * imageSize
        var values = [Float](repeating: 0, count: scenes.count * plane)
        let total = scenes.count
        let failure = FailureBox()
        let chunk = 64
        let chunks = (total + chunk - 1) / chunk
        let scenes = self.scenes
        values.withUnsafeMutableBufferPointer { buffer in
            let base = SendablePointer(buffer.baseAddress)
            var done = 0
            var start = 0
            while start < chunks {
                let end = Swift.min(chunks, start + 8)
                let first = start
                DispatchQueue.concurrentPerform(iterations: end - start) { offset in
                    let c = first + offset
                    for index in (c * chunk)..<Swift.min(total, (c + 1) * chunk) {
                        do {
                            let image = try SceneRenderer.render(scenes[index])
                            let prepared = try processor.pixelValues(image)
                            guard prepared.values.count == plane else {
                                failure.set(ImageError.invalidImage(reason: "preprocessed scene has \(prepared.values.count) values, expected \(plane)"))
                                return
                            }
                            prepared.values.withUnsafeBufferPointer { source in
                                base.pointer?.advanced(by: index * plane).update(from: source.baseAddress!, count: plane)
                            }
                        } catch {
                            failure.set(error)
                            return
                        }
                    }
                }
                done = Swift.min(total, end * chunk)
                progress?(done, total)
                start = end
            }
        }
        if let error = failure.error { throw error }
        pixels = Tensor(values, shape: [scenes.count, 3, imageSize, imageSize])
    }

    /// Pixel values [B, 3, S, S] of the scenes at `indices`.
    public func pixels(_ indices: [Int]) -> Tensor {
        pixels.indexSelect(axis: 0, index: Tensor(indices.map(Int64.init), shape: [indices.count]))
    }

    /// SHA-256 over the world configuration, the image size and every scene's text: the data
    /// fingerprint recorded next to trained weights.
    public var dataHash: String {
        let encoder = JSONEncoder.camelCaseKeys()  // the hash of records written before the snake_case keys
        var hasher = SHA256()
        hasher.update(Array((try? encoder.encode(world)) ?? Data()))
        hasher.update(Array("image=\(pixels.size(2))".utf8))
        for text in texts { hasher.update(Array((text.description + "\u{1}" + text.caption).utf8)) }
        return hasher.finalizeHex()
    }
}

/// The first error of a parallel loop.
final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: Error?
    func set(_ error: Error) {
        lock.lock()
        if self.error == nil { self.error = error }
        lock.unlock()
    }
}

/// A raw pointer handed to `concurrentPerform` workers that write disjoint ranges.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>?
    init(_ pointer: UnsafeMutablePointer<Float>?) { self.pointer = pointer }
}

