import Foundation
import Testing
@testable import LucidVision

/// Paths and manifests of the committed fixtures (Tests/LucidVisionTests/Fixtures, copied as
/// test resources), written by scripts/make_vision_fixtures.py.
enum Fixtures {
    static var root: String {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("test resources are missing the Fixtures folder")
        }
        return url.path
    }

    static func path(_ components: String...) -> String {
        components.reduce(root) { ($0 as NSString).appendingPathComponent($1) }
    }

    static func bytes(_ components: String...) throws -> [UInt8] {
        let path = components.reduce(root) { ($0 as NSString).appendingPathComponent($1) }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func manifest<T: Decodable>(_ type: T.Type, _ folder: String) throws -> T {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(folder, "manifest.json")))
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// A manifest read while building test arguments; an unreadable one yields no cases, and the
    /// suite's `manifestIsComplete` tests fail instead.
    static func cases<T: Decodable, Item>(_ type: T.Type, _ folder: String, _ pick: (T) -> [Item]) -> [Item] {
        (try? manifest(type, folder)).map(pick) ?? []
    }
}

/// codec/manifest.json
struct CodecManifest: Decodable {
    struct PNGCase: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var width: Int
        var height: Int
        var wide_channels: Int
        var pil_mode: String
        var interlaced: Bool
        var testDescription: String { name }
    }

    struct JPEGCase: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var width: Int
        var height: Int
        var pil_mode: String
        var progressive: Bool
        var adobe: Bool
        var testDescription: String { name }
    }

    struct ErrorCase: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var expected: String
        var pil: String
        var testDescription: String { name }
    }

    var png: [PNGCase]
    var jpeg: [JPEGCase]
    var errors: [ErrorCase]
}

/// photos/manifest.json
struct PhotoManifest: Decodable {
    struct Photo: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var width: Int
        var height: Int
        var rgb_fnv1a64: String
        var pixel_0_0: [UInt8]
        var pixel_last: [UInt8]
        var testDescription: String { name }
    }

    var photos: [Photo]
}

/// clip/manifest.json
struct CLIPManifest: Decodable {
    struct Entry: Decodable, Sendable, CustomTestStringConvertible {
        var image: String
        var golden: String?
        var size: Int
        var pad_to_square: Bool
        var shape: [Int]
        var uint8_fnv1a64: String
        var sum: Double
        var sample_indices: [Int]
        var sample_values: [Double]
        var testDescription: String { "\(image) \(size)\(pad_to_square ? " pad" : "")" }
    }

    var mean: [Double]
    var std: [Double]
    var pad_color: [UInt8]
    var entries: [Entry]
}

/// resample/manifest.json
struct ResampleManifest: Decodable {
    struct Entry: Decodable, Sendable, CustomTestStringConvertible {
        var source: String
        var filter: Int
        var width: Int
        var height: Int
        var golden: String
        var testDescription: String { golden }
    }

    var entries: [Entry]
}

/// FNV-1a 64 of `bytes` as 16 lowercase hex digits (the scripts' `fnv1a64`).
func fnv1a64(_ bytes: [UInt8]) -> String {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes {
        hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// Largest absolute difference between two equally long sample arrays (Int.max if they differ in length).
func maxByteDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    guard a.count == b.count else { return Int.max }
    return zip(a, b).reduce(0) { max($0, abs(Int($1.0) - Int($1.1))) }
}

/// Largest absolute difference between two float arrays (infinity if they differ in length).
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0) { max($0, abs(Double($1.0) - Double($1.1))) }
}

/// Which ``ImageError`` case an error is, by the fixture manifests' names.
func errorKind(_ error: any Error) -> String {
    guard let error = error as? ImageError else { return "not an ImageError: \(error)" }
    switch error {
    case .cannotRead: return "cannotRead"
    case .cannotWrite: return "cannotWrite"
    case .empty: return "empty"
    case .unknownFormat: return "unknownFormat"
    case .truncated: return "truncated"
    case .corrupt: return "corrupt"
    case .unsupported: return "unsupported"
    case .tooLarge: return "tooLarge"
    case .invalidConfig: return "invalidConfig"
    case .invalidImage: return "invalidImage"
    case .unsupportedOperation: return "unsupportedOperation"
    case .unusable: return "unusable"
    }
}

/// A scratch directory under the system temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "lucid-vision-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Deterministic pseudo-random numbers for tests (SplitMix64).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

    mutating func bytes(_ count: Int) -> [UInt8] { (0 ..< count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}
