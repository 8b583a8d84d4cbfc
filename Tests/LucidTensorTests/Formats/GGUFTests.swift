import Testing
@testable import LucidTensor

/// Well-formed synthetic GGUF files read back through `GGUFFile`.
@Suite struct GGUFTests {
    let directory: FormatsTemporaryDirectory

    init() throws { directory = try FormatsTemporaryDirectory() }

    let metadata: [(String, GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("u8", .uint8(255)), ("i8", .int8(-128)), ("u16", .uint16(65535)), ("i16", .int16(-32768)),
        ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)), ("f32", .float32(1.5)),
        ("yes", .bool(true)), ("no", .bool(false)), ("empty string", .string("")), ("unicode", .string("héllo ✓ 😀")),
        ("u64", .uint64(.max)), ("i64", .int64(.min)), ("f64", .float64(-2.0e300)),
        ("tokens", .array(.string, [.string("<s>"), .string(""), .string("Ġthe")])),
        ("scores", .array(.float32, [.float32(0), .float32(-1.25)])),
        ("flags", .array(.bool, [.bool(true), .bool(false)])),
        ("empty", .array(.uint64, [])),
        ("nested", .array(.array, [.array(.int32, [.int32(1), .int32(-2)]), .array(.int32, []),
                                    .array(.array, [.array(.string, [.string("deep")])])])),
    ]

    @Test(arguments: [UInt32(2), 3])
    func metadataOfEveryTypeRoundTrips(version: UInt32) throws {
        let path = try directory.write(GGUFTestWriter.build(version: version, metadata: metadata, tensors: []),
                                       to: "meta.gguf")
        let file = try GGUFFile(path: path)
        #expect(file.version == version)
        #expect(file.tensors.isEmpty)
        #expect(file.alignment == 32)
        #expect(file.metadata.keys == metadata.map(\.0))
        #expect(file.metadata.count == metadata.count)
        for (key, value) in metadata {
            #expect(file.metadata[key] == value, "\(key)")
        }
        #expect(file.metadata[3].key == "u16")
        #expect(file.metadata["absent"] == nil)
    }

    @Test func valueAccessors() {
        #expect(GGUFValue.uint8(7).int == 7)
        #expect(GGUFValue.int64(-5).int == -5)
        #expect(GGUFValue.uint64(.max).int == nil)
        #expect(GGUFValue.uint32(3).double == 3)
        #expect(GGUFValue.float32(0.5).double == 0.5)
        #expect(GGUFValue.float32(0.5).int == nil)
        #expect(GGUFValue.string("x").string == "x" && GGUFValue.string("x").int == nil)
        #expect(GGUFValue.bool(true).bool == true && GGUFValue.uint8(1).bool == nil)
        let strings = GGUFValue.array(.string, [.string("a"), .string("b")])
        #expect(strings.stringArray == ["a", "b"] && strings.array?.count == 2)
        #expect(GGUFValue.array(.int32, [.int32(1)]).stringArray == nil)
        #expect(GGUFValue.array(.array, []).type == .array)
    }

    func tensorSpecs() -> [GGUFTestWriter.TensorSpec] {
        let f32: [Float] = [1, 2, 3, 4, 5, 6]
        let q8 = (0 ..< 2).flatMap { block in FormatsBytes.f16(Float16(block + 1)) + (0 ..< 32).map { UInt8($0) } }
        return [
            .init(name: "f32", ggmlDims: [3, 2], type: .f32, data: f32.flatMap(FormatsBytes.f32)),
            .init(name: "f16", ggmlDims: [5], type: .f16, data: [Float16](arrayLiteral: 1, -2, 0.5, 8, 0).flatMap(FormatsBytes.f16)),
            .init(name: "q8", ggmlDims: [32, 2], type: .q8_0, data: q8),
            .init(name: "q4k", ggmlDims: [256], type: .q4_K, data: [UInt8](repeating: 0x11, count: 144)),
            .init(name: "i32.4d", ggmlDims: [5, 1, 1, 2], type: .i32, data: (0 ..< 10).flatMap { FormatsBytes.bytes(Int32($0)) }),
            .init(name: "q8k", ggmlDims: [256], type: .q8_K, data: [UInt8](repeating: 0, count: 292)),
        ]
    }

    @Test(arguments: [32, 64, 1])
    func tensorsRoundTrip(alignment: Int) throws {
        let specs = tensorSpecs()
        let image = GGUFTestWriter.build(metadata: [("general.name", .string("tiny"))], tensors: specs, alignment: alignment)
        let path = try directory.write(image, to: "tensors.gguf")
        let file = try GGUFFile(path: path)
        #expect(file.alignment == alignment)
        #expect(file.dataStart % alignment == 0)
        #expect(file.tensors.map(\.name) == specs.map(\.name))
        for spec in specs {
            let info = try #require(file.tensor(named: spec.name))
            #expect(info.ggmlDims == spec.ggmlDims)
            #expect(info.shape == spec.ggmlDims.reversed())
            #expect(info.type == spec.type)
            #expect(info.offset % alignment == 0)
            #expect(info.byteCount == spec.data.count)
            #expect(Array(file.data(for: info)) == spec.data)
        }
        let f32 = try #require(file.tensor(named: "f32"))
        #expect(f32.shape == [2, 3] && f32.elementCount == 6)
        #expect(try file.dequantize(f32) == [1, 2, 3, 4, 5, 6])
        #expect(try file.dequantize(try #require(file.tensor(named: "f16"))) == [1, -2, 0.5, 8, 0])
        let q8 = try file.dequantize(try #require(file.tensor(named: "q8")))
        #expect(q8[33] == 2 && q8[63] == 62)
        #expect(try file.dequantize(try #require(file.tensor(named: "i32.4d"))) == (0 ..< 10).map(Float.init))
        var out = [Float](repeating: .nan, count: 256)
        try out.withUnsafeMutableBufferPointer { try file.dequantize(try #require(file.tensor(named: "q4k")), into: $0) }
        #expect(out.allSatisfy { $0.isFinite })
        #expect(throws: CheckpointError.unsupportedQuantization(path: path, tensor: "q8k", type: "Q8_K")) {
            try file.dequantize(try #require(file.tensor(named: "q8k")))
        }
    }

    @Test func headerOnlyFile() throws {
        var writer = GGUFTestWriter()
        writer.header(tensorCount: 0, kvCount: 0)
        let file = try GGUFFile(path: try directory.write(writer.bytes, to: "bare.gguf"))
        #expect(file.tensors.isEmpty && file.metadata.isEmpty && file.version == 3)
    }
}
