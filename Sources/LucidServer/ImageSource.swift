import Foundation
import LucidVision

/// Reads the image an `image_url` names: a `data:` URL (base64 PNG or JPEG), or, only when the server
/// was given an image root, a local file inside it (`file://` URL or absolute path; `..` and symlinks
/// are resolved first, so nothing outside the root is read). Remote URLs are refused: the server
/// makes no network requests. Decoding goes through Lucid's codecs with the pixel limit checked from
/// the header, before any pixel memory is allocated.
public struct ImageSource: Sendable {
    /// The image root, symlinks resolved; nil refuses local paths.
    public let root: String?
    public let maxPixels: Int
    public let maxFileBytes: Int

    /// `imageRoot` must be an existing folder.
    public init(imageRoot: String?, maxPixels: Int, maxFileBytes: Int) throws(ServerSetupError) {
        if let imageRoot {
            guard let resolved = Self.realPath(imageRoot) else { throw ServerSetupError("--image-root \(imageRoot): no such folder") }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ServerSetupError("--image-root \(imageRoot) is not a folder")
            }
            root = resolved
        } else {
            root = nil
        }
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }

    /// The decoded image of `image`.
    public func decode(_ image: ChatTurn.ImageURL) throws(APIError) -> RGBImage {
        let url = image.url
        let options = DecodeOptions(maxPixels: maxPixels, maxFileBytes: maxFileBytes)
        do {
            if url.hasPrefix("data:") {
                return try ImageDecoder.decode(data: try Self.dataURLBytes(url, param: image.param), source: image.param, options: options)
            }
            if url.hasPrefix("http://") || url.hasPrefix("https://") {
                throw APIError.invalid("remote image URLs are not fetched (lucid serve makes no network requests): send a data: URL",
                                       param: image.param, code: "remote_image_url")
            }
            let path = try localPath(url, param: image.param)
            return try ImageDecoder.decode(path: path, options: options)
        } catch let error as APIError {
            throw error
        } catch let error as ImageError {
            if case .tooLarge(_, let width, let height, let limit) = error {
                throw APIError(.contentTooLarge, "\(image.param): a \(width)×\(height) image is over the server's limit of \(limit) pixels",
                               param: image.param, code: "image_too_large")
            }
            throw APIError.invalid("\(image.param): \(error.description)", param: image.param, code: "invalid_image")
        } catch {
            throw APIError.invalid("\(image.param): \(error)", param: image.param, code: "invalid_image")
        }
    }

    /// The bytes of a base64 `data:image/png|jpeg;base64,…` URL.
    static func dataURLBytes(_ url: String, param: String) throws(APIError) -> [UInt8] {
        guard let comma = url.firstIndex(of: ",") else { throw .invalid("\(param): a data URL needs a ',' before its payload", param: param, code: "invalid_image") }
        let header = url[url.index(url.startIndex, offsetBy: 5)..<comma].lowercased()
        guard header.hasSuffix(";base64") else { throw .invalid("\(param): only base64 data URLs are read", param: param, code: "invalid_image") }
        let mime = header.dropLast(";base64".count)
        guard ["image/png", "image/jpeg", "image/jpg", ""].contains(String(mime)) else {
            throw .invalid("\(param): '\(mime)' is not an image type lucid reads (PNG or JPEG)", param: param, code: "invalid_image")
        }
        guard let data = Data(base64Encoded: String(url[url.index(after: comma)...])) else {
            throw .invalid("\(param): the data URL's payload is not valid base64", param: param, code: "invalid_base64")
        }
        return [UInt8](data)
    }

    /// The real path of a local image under the root, or a 400.
    func localPath(_ url: String, param: String) throws(APIError) -> String {
        guard let root else {
            throw .invalid("\(param): local image paths are refused; send a data: URL (or start the server with --image-root DIR)",
                           param: param, code: "local_path_refused")
        }
        var path = url
        if url.hasPrefix("file://") {
            guard let parsed = URL(string: url), parsed.isFileURL else { throw .invalid("\(param): not a valid file URL", param: param) }
            path = parsed.path
        }
        guard path.hasPrefix("/") else {
            throw .invalid("\(param): an image URL must be a data: URL, a file:// URL or an absolute path", param: param)
        }
        // Lexically first (no '..' escapes even for missing files), then with symlinks resolved.
        let lexical = (path as NSString).standardizingPath
        guard Self.isInside(lexical, root: root) || Self.realPath(lexical).map({ Self.isInside($0, root: root) }) == true else {
            throw .invalid("\(param): the path is outside the image root", param: param, code: "path_outside_image_root")
        }
        guard let resolved = Self.realPath(lexical) else { throw .invalid("\(param): no such image under the image root", param: param, code: "invalid_image") }
        guard Self.isInside(resolved, root: root) else {
            throw .invalid("\(param): the path is outside the image root", param: param, code: "path_outside_image_root")
        }
        return resolved
    }

    static func isInside(_ path: String, root: String) -> Bool {
        path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// `realpath(3)`: absolute, `..` and symlinks resolved; nil when the file does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
