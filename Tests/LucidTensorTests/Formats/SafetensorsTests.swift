import Foundation
import Testing
@testable import LucidTensor

/// Writer/reader round trips for single safetensors files.
@Suite struct SafetensorsTests {
    let items: [SafetensorsWriter.Item] = [
        .init(name: "w", dtype: .float32, shape: [2, 3], bytes: [Float](arrayLiteral: 1, 2, 3, 4, 5, -6).flatMap(FormatsBytes.f32)),
        .init(name: "b.half", dtype: .float16, shape: [3], data: Data([0x00, 0x3C, 0x00, 0xC0, 0x00, 0x00])),
        .init(name: "scalar", dtype: .int64, shape: [], bytes: FormatsBytes.bytes(Int64(-7))),
        .init(name: "empty", dtype: .bfloat16, shape: [0, 4], bytes: []),
        .init(name: "mask", dtype: .bool, shape: [5], bytes: [1, 0, 0, 1, 1]),
        .init(name: "ünï \"quoted\"", dtype: .uint16, shape: [1], bytes: [0x34, 0x12]),
    ]

    @Test func roundTrip() throws {
        let directory = try FormatsTemporaryDirectory()
        let path = directory.file("model.safetensors")
        let metadata = ["format": "pt", "note": "line\nbreak \"q\""]
        try SafetensorsWriter.write(items, metadata: metadata, to: path)

        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == metadata)
        #expect(file.names == items.map(\.name), "entries are in header (= write) order")
        #expect(file.dataStart % 8 == 0, "header is padded to a multiple of 8")
        for item in items {
            let entry = try #require(file.entry(named: item.name))
            #expect(entry.dtype == item.dtype)
            #expect(entry.shape == item.shape)
            #expect(entry.byteCount == item.bytes.count)
            #expect(Array(file.data(for: entry)) == item.bytes)
            #expect(Array(try file.data(named: item.name)) == item.bytes)
        }
        #expect(file.entry(named: "scalar")?.elementCount == 1)
        #expect(file.entry(named: "empty")?.elementCount == 0)
        #expect(file.entry(named: "missing") == nil)
        #expect(throws: CheckpointError.tensorNotFound(path: path, name: "missing")) { try file.data(named: "missing") }
        let sum = file.withData(for: try #require(file.entry(named: "w"))) { raw in
            (0 ..< 6).reduce(Float(0)) { $0 + raw.loadUnaligned(fromByteOffset: 4 * $1, as: Float.self) }
        }
        #expect(sum == 9)
    }

    @Test func writtenLayoutIsExact() throws {
        let directory = try FormatsTemporaryDirectory()
        let path = directory.file("one.safetensors")
        try SafetensorsWriter.write([.init(name: "x", dtype: .uint8, shape: [2], bytes: [9, 8])], to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let header = #"{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        #expect(bytes == FormatsBytes.bytes(UInt64(padded.utf8.count)) + Array(padded.utf8) + [9, 8])
    }

    @Test func writeIsAtomicAndReplaces() throws {
        let directory = try FormatsTemporaryDirectory()
        let path = directory.file("model.safetensors")
        try directory.write("old contents", to: "model.safetensors")
        try SafetensorsWriter.write(items, to: path)
        #expect(try SafetensorsFile(path: path).entries.count == items.count)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
    }

    @Test func writerRejectsInconsistentItems() throws {
        let directory = try FormatsTemporaryDirectory()
        let path = directory.file("bad.safetensors")
        #expect(throws: CheckpointError.shapeByteMismatch(path: path, tensor: "a", expected: 8, actual: 4)) {
            try SafetensorsWriter.write([.init(name: "a", dtype: .float32, shape: [2], bytes: [0, 0, 0, 0])], to: path)
        }
        let twice = SafetensorsWriter.Item(name: "a", dtype: .uint8, shape: [1], bytes: [0])
        #expect(throws: CheckpointError.duplicateTensor(path: path, name: "a")) {
            try SafetensorsWriter.write([twice, twice], to: path)
        }
        #expect(throws: CheckpointError.duplicateTensor(path: path, name: "__metadata__")) {
            try SafetensorsWriter.write([.init(name: "__metadata__", dtype: .uint8, shape: [], bytes: [0])], to: path)
        }
        let unwritable = directory.file("no/such/dir.safetensors")
        let error = checkpointError { try SafetensorsWriter.write([], to: unwritable) }
        guard case .cannotWrite(let errorPath, _)? = error else {
            Issue.record("expected cannotWrite, got \(String(describing: error))")
            return
        }
        #expect(errorPath == unwritable)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func dtypeSizes() {
        #expect(SafetensorsDType.allCases.count == 15)
        #expect(SafetensorsDType(rawValue: "BF16")?.byteSize == 2)
        #expect(SafetensorsDType(rawValue: "F64")?.byteSize == 8)
        #expect(SafetensorsDType(rawValue: "F8_E4M3")?.byteSize == 1)
        #expect(SafetensorsDType(rawValue: "f32") == nil)
    }
}
