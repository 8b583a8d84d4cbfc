import Foundation
import LucidVision
@testable import LucidWorld

/// Shared helpers of the LucidWorld tests.
enum TestSupport {
    /// A fresh empty directory under the system's temporary directory.
    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("lucid-world-tests-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The lines of a JSON Lines file parsed as objects.
    static func jsonLines(_ url: URL) throws -> [[String: Any]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("line is not a JSON object: \(line)")
            }
            return object
        }
    }

    /// A JSON file parsed as an object.
    static func jsonObject(_ url: URL) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw TestFailure("\(url.lastPathComponent) is not a JSON object")
        }
        return object
    }

    /// Fraction of pixels whose largest channel difference exceeds `threshold`, among pixels
    /// where either image differs from `background` by more than `threshold`.
    static func foregroundDifference(_ a: RGBImage, _ b: RGBImage, background: RGBColor, threshold: Int = 40) -> Double {
        var union = 0
        var differing = 0
        for y in 0 ..< a.height {
            for x in 0 ..< a.width {
                guard let pa = a.pixel(x: x, y: y), let pb = b.pixel(x: x, y: y) else { continue }
                let aIsForeground = distance(pa, background) > threshold
                let bIsForeground = distance(pb, background) > threshold
                guard aIsForeground || bIsForeground else { continue }
                union += 1
                if distance(pa, pb) > threshold { differing += 1 }
            }
        }
        return union == 0 ? 0 : Double(differing) / Double(union)
    }

    /// The largest channel difference between two colours.
    static func distance(_ a: RGBColor, _ b: RGBColor) -> Int {
        max(abs(Int(a.red) - Int(b.red)), abs(Int(a.green) - Int(b.green)), abs(Int(a.blue) - Int(b.blue)))
    }

    /// A small world used by several tests.
    static func smallConfig(seed: UInt64 = 11, count: Int = 40, size: Int = 64) -> ShapesWorldConfig {
        ShapesWorldConfig(seed: seed, count: count, imageSize: size)
    }
}

/// A test-setup failure with a message.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
