import Foundation
import Testing
@testable import LucidTensor

@Suite("Checkpoint tensors")
struct CheckpointTensorTests {
    @Test func safetensorsTensorsRoundTripEveryDType() throws {
        let dir = try FormatsTemporaryDirectory()
        let path = dir.file("t.safetensors")
        let f32: [Float] = [1.5, -2, 3.25, 4, 5, 6]
        let i64: [Int64] = [Int64.max, -7]
        let items: [SafetensorsWriter.Item] = [
            .init(name: "a", dtype: .float32, shape: [2, 3], bytes: f32.flatMap { FormatsBytes.f32($0) }),
            .init(name: "h", dtype: .float16, shape: [2], bytes: FormatsBytes.f16(0.5) + FormatsBytes.f16(-1.25)),
            .init(name: "b", dtype: .bfloat16, shape: [1], bytes: FormatsBytes.bytes(UInt16(0x3FC0))),  // 1.5
            .init(name: "i", dtype: .int64, shape: [2], bytes: i64.flatMap { FormatsBytes.bytes($0) }),
            .init(name: "m", dtype: .bool, shape: [3], bytes: [1, 0, 1]),
            .init(name: "u", dtype: .uint8, shape: [2], bytes: [0, 255]),
        ]
        try SafetensorsWriter.write(items, metadata: ["format": "pt"], to: path)
        let file = try SafetensorsFile(path: path)
        let a = try file.loadTensor(named: "a")
        #expect(a.shape == [2, 3] && a.dtype == .f32)
        #expect(a.toArray(Float.self) == f32)
        #expect(try file.loadTensor(named: "h").toArray(Float.self) == [0.5, -1.25])
        #expect(try file.loadTensor(named: "b").toArray(Float.self) == [1.5])
        #expect(try file.loadTensor(named: "i").toArray(Int64.self) == i64)
        #expect(try file.loadTensor(named: "m").toArray(Bool.self) == [true, false, true])
        #expect(try file.loadTensor(named: "u").toArray(UInt8.self) == [0, 255])
        #expect(throws: CheckpointError.self) { try file.loadTensor(named: "nope") }
    }

    @Test func inPlaceWritesToALoadedTensorNeverReachTheFile() throws {
        let dir = try FormatsTemporaryDirectory()
        let path = dir.file("w.safetensors")
        try SafetensorsWriter.write([.init(name: "w", dtype: .float32, shape: [4], bytes: [Float](repeating: 1, count: 4).flatMap { FormatsBytes.f32($0) })],
                                    metadata: [:], to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            let file = try SafetensorsFile(path: path)
            let w = try file.loadTensor(named: "w")
            w.multiplyInPlace(3)
            #expect(w.toArray(Float.self) == [3, 3, 3, 3])
            #expect(try file.loadTensor(named: "w").toArray(Float.self) == [3, 3, 3, 3], "same mapping shares the private copy")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try SafetensorsFile(path: path).loadTensor(named: "w").toArray(Float.self) == [1, 1, 1, 1])
    }

    @Test func tensorsOutliveTheirFileObject() throws {
        let dir = try FormatsTemporaryDirectory()
        let path = dir.file("k.safetensors")
        try SafetensorsWriter.write([.init(name: "k", dtype: .float32, shape: [2], bytes: FormatsBytes.f32(7) + FormatsBytes.f32(8))],
                                    metadata: [:], to: path)
        var tensor: Tensor?
        do { tensor = try SafetensorsCheckpoint(path: path).loadTensor(named: "k") }
        #expect(tensor?.toArray(Float.self) == [7, 8])
    }

    @Test func ggufTensorsAreRowMajorAndDequantised() throws {
        let dir = try FormatsTemporaryDirectory()
        // A 2×3 F32 matrix (ggml dims [3, 2]) and one Q8_0 block of 32 with d = 0.5.
        let matrix: [Float] = [1, 2, 3, 4, 5, 6]
        var q8 = FormatsBytes.f16(0.5)
        q8 += (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
        let bytes = GGUFTestWriter.build(metadata: [("general.architecture", .string("llama"))], tensors: [
            .init(name: "m", ggmlDims: [3, 2], type: .f32, data: matrix.flatMap { FormatsBytes.f32($0) }),
            .init(name: "q", ggmlDims: [32], type: .q8_0, data: q8),
        ])
        let path = try dir.write(bytes, to: "t.gguf")
        let file = try GGUFFile(path: path)
        let m = try file.loadTensor(named: "m")
        #expect(m.shape == [2, 3])
        #expect(m[1, 0].floatValue == 4)
        let q = try file.loadTensor(named: "q")
        #expect(q.dtype == .f32)
        #expect(q.toArray(Float.self) == (0..<32).map { Float($0 - 16) * 0.5 })
        #expect(throws: CheckpointError.self) { try file.loadTensor(named: "absent") }
        // Dequantising released the block's pages; loading again reads them back from the file.
        #expect(try file.loadTensor(named: "q").toArray(Float.self) == q.toArray(Float.self))
        #expect(try file.loadTensor(named: "m").toArray(Float.self) == matrix)
        #expect(file.releasePages(of: "absent") == 0)
    }

    @Test func aReleasedQuantisedTensorOfSeveralPagesLoadsAgainUnchanged() throws {
        let dir = try FormatsTemporaryDirectory()
        // 1024 Q8_0 blocks (34 KiB, several pages): released after the first load, re-read by the second.
        let blocks = 1024
        var q8: [UInt8] = []
        for b in 0..<blocks {
            q8 += FormatsBytes.f16(Float16(b % 7 + 1) / 8)
            q8 += (0..<32).map { UInt8(bitPattern: Int8(($0 * 5 + b) % 255 - 127)) }
        }
        let path = try dir.write(GGUFTestWriter.build(metadata: [("general.architecture", .string("llama"))], tensors: [
            .init(name: "q", ggmlDims: [32 * blocks], type: .q8_0, data: q8),
        ]), to: "big.gguf")
        let file = try GGUFFile(path: path)
        let first = try file.loadTensor(named: "q").toArray(Float.self)
        #expect(file.releasePages(of: "q") > 0)
        #expect(try file.loadTensor(named: "q").toArray(Float.self) == first)
    }
}
