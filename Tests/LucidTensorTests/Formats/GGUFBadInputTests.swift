import Testing
@testable import LucidTensor

/// Hostile or damaged GGUF files must fail fast with the specific typed error.
@Suite struct GGUFBadInputTests {
    let directory: FormatsTemporaryDirectory

    init() throws { directory = try FormatsTemporaryDirectory() }

    func openError(_ bytes: [UInt8]) throws -> (path: String, error: CheckpointError?) {
        let path = try directory.write(bytes, to: "bad.gguf")
        return (path, checkpointError { _ = try GGUFFile(path: path) })
    }

    /// A file with no metadata and the given tensor infos, padded and followed by `dataBytes` zeros.
    func tensorImage(_ infos: [(name: String, dims: [UInt64], type: UInt32, offset: UInt64)],
                     dataBytes: Int) -> [UInt8] {
        var writer = GGUFTestWriter()
        writer.header(tensorCount: UInt64(infos.count), kvCount: 0)
        for info in infos { writer.tensorInfo(name: info.name, ggmlDims: info.dims, type: info.type, offset: info.offset) }
        writer.pad(to: 32)
        writer.append([UInt8](repeating: 0, count: dataBytes))
        return writer.bytes
    }

    func metadataImage(_ build: (inout GGUFTestWriter) -> Void, kvCount: UInt64 = 1) -> [UInt8] {
        var writer = GGUFTestWriter()
        writer.header(tensorCount: 0, kvCount: kvCount)
        build(&writer)
        return writer.bytes
    }

    @Test func magicAndVersion() throws {
        var (path, error) = try openError(Array("GGML".utf8) + FormatsBytes.bytes(UInt32(3)) + [UInt8](repeating: 0, count: 16))
        #expect(error == .badMagic(path: path, found: [0x47, 0x47, 0x4D, 0x4C]))
        (path, error) = try openError([0x00])
        #expect(error == .badMagic(path: path, found: [0x00]))
        (path, error) = try openError(Array("GG".utf8))
        #expect(error == .truncated(path: path, what: "magic", needed: 4, available: 2))
        (path, error) = try openError([])
        #expect(error == .truncated(path: path, what: "magic", needed: 4, available: 0))
        for version: UInt32 in [0, 1, 4, .max] {
            var writer = GGUFTestWriter()
            writer.header(version: version, tensorCount: 0, kvCount: 0)
            (path, error) = try openError(writer.bytes)
            #expect(error == .unsupportedVersion(path: path, version: version))
        }
    }

    @Test func everyTruncationFailsCleanly() throws {
        let spec = GGUFTestWriter.TensorSpec(name: "w", ggmlDims: [32], type: .q8_0, data: [UInt8](repeating: 1, count: 34))
        let full = GGUFTestWriter.build(metadata: [("k", .string("value")), ("a", .array(.uint16, [.uint16(1), .uint16(2)]))],
                                        tensors: [spec])
        #expect(try openError(full).error == nil)
        for cut in 0 ..< full.count {
            let (path, error) = try openError(Array(full.prefix(cut)))
            switch error {
            case .truncated(path, _, _, _)?, .stringTooLong(path, _, _)?, .tooManyItems(path, _, _)?:
                break
            case .offsetsOutOfRange(path, "w", 0, 34, _)?:
                #expect(cut > full.count - 34 - 32, "cut \(cut)")
            default:
                Issue.record("cut at \(cut): unexpected \(String(describing: error))")
            }
        }
        var (path, error) = try openError(Array(full.prefix(6)))
        #expect(error == .truncated(path: path, what: "version", needed: 4, available: 2))
        (path, error) = try openError(Array(full.prefix(full.count - 1)))
        #expect(error == .offsetsOutOfRange(path: path, tensor: "w", begin: 0, end: 34, dataSize: 33))
    }

    @Test func absurdLengthsAndCounts() throws {
        var (path, error) = try openError(metadataImage { $0.u64(1 << 60); $0.append(Array("sixteen byte key".utf8)) })
        #expect(error == .stringTooLong(path: path, claimed: 1 << 60, remaining: 16))

        (path, error) = try openError(metadataImage {
            $0.string("s"); $0.u32(GGUFValueType.string.rawValue); $0.u64(.max)
        })
        #expect(error == .stringTooLong(path: path, claimed: .max, remaining: 0))

        var writer = GGUFTestWriter()
        writer.header(tensorCount: 1 << 40, kvCount: 0)
        (path, error) = try openError(writer.bytes + [UInt8](repeating: 0, count: 64))
        #expect(error == .tooManyItems(path: path, what: "tensor", count: 1 << 40))

        writer = GGUFTestWriter()
        writer.header(tensorCount: 0, kvCount: .max)
        (path, error) = try openError(writer.bytes)
        #expect(error == .tooManyItems(path: path, what: "metadata key/value", count: .max))

        (path, error) = try openError(metadataImage {
            $0.string("big"); $0.u32(GGUFValueType.array.rawValue); $0.u32(GGUFValueType.uint8.rawValue); $0.u64(1 << 60)
        })
        #expect(error == .tooManyItems(path: path, what: "array 'big' element", count: 1 << 60))

        (path, error) = try openError(metadataImage {
            $0.string("big"); $0.u32(GGUFValueType.array.rawValue); $0.u32(GGUFValueType.array.rawValue); $0.u64(100)
            $0.append([UInt8](repeating: 0, count: 100))
        })
        #expect(error == .tooManyItems(path: path, what: "array 'big' element", count: 100))
    }

    @Test func badMetadataValues() throws {
        var (path, error) = try openError(metadataImage { $0.string("k"); $0.u32(13); $0.u8(0) })
        #expect(error == .unknownValueType(path: path, key: "k", type: 13))

        (path, error) = try openError(metadataImage({ $0.keyValue("k", .uint8(1)); $0.keyValue("k", .uint8(2)) }, kvCount: 2))
        #expect(error == .duplicateKey(path: path, key: "k"))

        (path, error) = try openError(metadataImage { $0.string("flag"); $0.u32(GGUFValueType.bool.rawValue); $0.u8(2) })
        #expect(error == .malformedHeader(path: path, reason: "boolean 'flag' has byte value 2"))

        (path, error) = try openError(metadataImage { $0.u64(2); $0.append([0xC3, 0x28]); $0.u32(0); $0.u8(0) })
        #expect(error == .invalidUTF8(path: path, what: "metadata key #0"))

        var nested = GGUFValue.array(.uint8, [])
        for _ in 0 ..< 16 { nested = .array(.array, [nested]) }
        (path, error) = try openError(metadataImage { $0.keyValue("deep", nested) })
        #expect(error == .malformedHeader(path: path, reason: "arrays in 'deep' are nested deeper than 16"))
    }

    @Test func badAlignment() throws {
        for (value, expected) in [(GGUFValue.uint32(3), UInt64(3)), (.uint32(0), 0), (.int32(-8), UInt64(bitPattern: -8))] {
            let (path, error) = try openError(metadataImage { $0.keyValue("general.alignment", value) })
            #expect(error == .invalidAlignment(path: path, alignment: expected))
        }
        let (path, error) = try openError(metadataImage { $0.keyValue("general.alignment", .string("32")) })
        #expect(error == .malformedHeader(path: path, reason: "general.alignment is not an integer"))
    }

    @Test func badDimensions() throws {
        var (path, error) = try openError(tensorImage([("t", [], 0, 0)], dataBytes: 0))
        #expect(error == .invalidShape(path: path, tensor: "t", reason: "0 dimensions (must be 1...4)"))
        (path, error) = try openError(tensorImage([("t", [1, 1, 1, 1, 1], 0, 0)], dataBytes: 4))
        #expect(error == .invalidShape(path: path, tensor: "t", reason: "5 dimensions (must be 1...4)"))
        (path, error) = try openError(tensorImage([("t", [4, 0], 0, 0)], dataBytes: 16))
        #expect(error == .invalidShape(path: path, tensor: "t", reason: "dimension 1 is 0"))
        (path, error) = try openError(tensorImage([("t", [1 << 32, 1 << 32], 0, 0)], dataBytes: 0))
        #expect(error == .invalidShape(path: path, tensor: "t", reason: "element count overflows"))
        (path, error) = try openError(tensorImage([("t", [1 << 62], 0, 0)], dataBytes: 0))
        #expect(error == .invalidShape(path: path, tensor: "t", reason: "byte count overflows"))
        (path, error) = try openError(tensorImage([("t", [33], GGMLType.q4_0.rawValue, 0)], dataBytes: 64))
        #expect(error == .invalidShape(path: path, tensor: "t",
                                       reason: "innermost dimension 33 is not a multiple of the Q4_0 block size 32"))
        var writer = GGUFTestWriter()
        writer.header(tensorCount: 1, kvCount: 0)
        writer.string("t")
        writer.u32(.max)
        (path, error) = try openError(writer.bytes + [UInt8](repeating: 0, count: 64))
        #expect(error == .invalidShape(path: path, tensor: "t", reason: "4294967295 dimensions (must be 1...4)"))
    }

    @Test func badTypesOffsetsAndNames() throws {
        for type: UInt32 in [4, 31, 40, 9999] {
            let (path, error) = try openError(tensorImage([("t", [4], type, 0)], dataBytes: 64))
            #expect(error == .unknownGGMLType(path: path, tensor: "t", type: type))
        }
        var (path, error) = try openError(tensorImage([("t", [4], 0, 4)], dataBytes: 64))
        #expect(error == .unalignedOffset(path: path, tensor: "t", offset: 4, alignment: 32))
        (path, error) = try openError(tensorImage([("t", [16], 0, 32)], dataBytes: 64))
        #expect(error == .offsetsOutOfRange(path: path, tensor: "t", begin: 32, end: 96, dataSize: 64))
        (path, error) = try openError(tensorImage([("t", [4], 0, UInt64.max - 31)], dataBytes: 64))
        #expect(error == .offsetsOutOfRange(path: path, tensor: "t", begin: .max - 31, end: .max - 15, dataSize: 64))
        (path, error) = try openError(tensorImage([("t", [64], 0, UInt64.max - 31)], dataBytes: 64))
        #expect(error == .offsetsOutOfRange(path: path, tensor: "t", begin: .max - 31, end: .max, dataSize: 64))
        (path, error) = try openError(tensorImage([("a", [16], 0, 0), ("b", [4], 0, 32)], dataBytes: 96))
        #expect(error == .overlappingTensors(path: path, first: "a", second: "b"))
        (path, error) = try openError(tensorImage([("a", [4], 0, 0), ("a", [4], 0, 32)], dataBytes: 64))
        #expect(error == .duplicateTensor(path: path, name: "a"))
    }
}
