import Foundation
import LucidEval
import LucidFiles
import LucidVision

/// The images a vision judge sees, read through Lucid's validated image reading: a regular file under
/// a size cap, PNG or JPEG by its leading bytes, decoded once with the pixel limit checked from the
/// header (a file that is not a whole image fails here, naming the item, not at the judge). The
/// file's bytes are then sent unchanged as a data URL.
public struct JudgeImageInput: Sendable {
    /// Relative image paths are resolved against this folder.
    public let root: String

    public init(root: String) { self.root = root }
    /// Files larger than this are refused before they are read (they travel base64 in a request body).
    public static let maxFileBytes = 20 << 20
    /// Images whose header declares more pixels are refused before decoding.
    public static let maxPixels = DecodeOptions.defaultMaxPixels

    /// The path of `image` as the item names it.
    public func path(_ image: String) -> String {
        image.hasPrefix("/") ? image : (root as NSString).appendingPathComponent(image)
    }

    /// Checks every item's image before any request is sent (file, size cap, format and header, pixel
    /// limit), so a bad path late in the list fails at once instead of after the judge was paid for
    /// the items before it. Sending still validates each image fully (`read`).
    public func check(_ images: [(item: String, image: String)], source: String) throws {
        for (item, image) in images {
            let path = path(image)
            do {
                let info = try ImageDecoder.info(path: path, options: DecodeOptions(maxPixels: Self.maxPixels, maxFileBytes: Self.maxFileBytes))
                guard info.pixelCount <= Self.maxPixels else {
                    throw RunSpecError("\(path): a \(info.width)×\(info.height) image is over the limit of \(Self.maxPixels) pixels")
                }
            } catch {
                throw RunSpecError("\(source): item '\(item)': image \(error)")
            }
        }
    }

    /// The validated image of an item; errors name the items file, the item and the path.
    public func read(_ image: String, item: String, source: String) throws -> JudgeImage {
        let path = path(image)
        do {
            let bytes = try SafeFile.read(path, maxBytes: Self.maxFileBytes)
            _ = try ImageDecoder.decode(data: bytes, source: path, options: DecodeOptions(maxPixels: Self.maxPixels, maxFileBytes: Self.maxFileBytes))
            guard let format = ImageFormat.detect(bytes) else { throw RunSpecError("\(path): not a PNG or JPEG file") }
            return JudgeImage(bytes: bytes, mediaType: format == .png ? .png : .jpeg, source: path)
        } catch let error as FileAccessError {
            throw RunSpecError("\(source): item '\(item)': image \(error.description)")
        } catch {
            throw RunSpecError("\(source): item '\(item)': image \(error)")
        }
    }
}
