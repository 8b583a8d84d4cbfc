/// One tensor described by a GGUF file.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor name.
    public let name: String
    /// Dimensions in ggml order: `ggmlDims[0]` (ne[0]) varies fastest.
    public let ggmlDims: [Int]
    /// Row-major shape, i.e. `ggmlDims` reversed.
    public let shape: [Int]
    /// The element type.
    public let type: GGMLType
    /// Byte offset relative to the start of the data section.
    public let offset: Int
    /// Number of data bytes.
    public let byteCount: Int

    /// Number of elements (product of the dimensions).
    public var elementCount: Int { ggmlDims.reduce(1, *) }
}

/// A validated, memory-mapped GGUF file (versions 2 and 3, little-endian).
///
/// Opening parses the header, all metadata and all tensor infos, checking
/// every length and count against the bytes that remain before allocating,
/// so hostile files fail fast with a ``CheckpointError``. Tensors must have
/// 1–4 non-zero dimensions, a known ggml type, an innermost dimension that is
/// a multiple of the type's block size, an offset aligned to `alignment`, and
/// data inside the file that overlaps no other tensor. Names must be unique.
public final class GGUFFile: Sendable {
    /// Most dimensions a ggml tensor can have (`GGML_MAX_DIMS`).
    public static let maximumDimensions = 4
    /// The data alignment used when `general.alignment` is absent.
    public static let defaultAlignment = 32

    /// The path the file was opened with.
    public var path: String { file.path }
    /// The format version (2 or 3).
    public let version: UInt32
    /// Metadata key/value pairs in file order, with `metadata[key]` lookup.
    public let metadata: GGUFMetadata
    /// The data alignment in bytes (`general.alignment`, default 32).
    public let alignment: Int
    /// Tensor descriptions in file order.
    public let tensors: [GGUFTensorInfo]
    /// Byte offset of the data section within the file.
    public let dataStart: Int

    let file: MappedFile
    private let tensorIndex: [String: Int]

    /// Maps and validates the GGUF file at `path`; throws ``CheckpointError``.
    public init(path: String) throws {
        let file = try MappedFile(path: path)
        var reader = CheckpointByteReader(file.bytes, path: path)

        let magic = Array(try reader.slice(min(4, reader.remaining), "magic"))
        guard magic == [0x47, 0x47, 0x55, 0x46] else {
            if magic.count < 4, magic == Array([0x47, 0x47, 0x55, 0x46].prefix(magic.count)) {
                throw CheckpointError.truncated(path: path, what: "magic", needed: 4, available: magic.count)
            }
            throw CheckpointError.badMagic(path: path, found: magic)
        }
        let version = try reader.u32("version")
        guard version == 2 || version == 3 else {
            throw CheckpointError.unsupportedVersion(path: path, version: version)
        }
        let tensorCount = try reader.u64("tensor count")
        let kvCount = try reader.u64("metadata count")
        // Each tensor info takes at least 8 (name length) + 4 + 8 + 4 + 8 bytes;
        // each key/value at least 8 (key length) + 4 + 1 bytes.
        let minimumTensorInfo: UInt64 = 32, minimumKeyValue: UInt64 = 13
        let room = UInt64(reader.remaining)
        guard kvCount <= room / minimumKeyValue else {
            throw CheckpointError.tooManyItems(path: path, what: "metadata key/value", count: kvCount)
        }
        guard tensorCount <= (room - kvCount * minimumKeyValue) / minimumTensorInfo else {
            throw CheckpointError.tooManyItems(path: path, what: "tensor", count: tensorCount)
        }

        let metadata = try reader.ggufMetadata(count: Int(kvCount))
        let alignment = try GGUFFile.alignment(from: metadata, path: path)
        guard tensorCount <= UInt64(reader.remaining) / minimumTensorInfo else {
            throw CheckpointError.tooManyItems(path: path, what: "tensor", count: tensorCount)
        }

        var infos: [(info: GGUFTensorInfo, rawOffset: UInt64)] = []
        infos.reserveCapacity(Int(tensorCount))
        var index: [String: Int] = [:]
        for position in 0 ..< Int(tensorCount) {
            let entry = try GGUFFile.readTensorInfo(&reader, position: position)
            guard index.updateValue(position, forKey: entry.info.name) == nil else {
                throw CheckpointError.duplicateTensor(path: path, name: entry.info.name)
            }
            infos.append(entry)
        }

        let (aligned, overflow) = reader.offset.addingReportingOverflow(alignment - 1)
        let dataStart = overflow ? Int.max : aligned / alignment * alignment
        let dataSize = max(0, file.size - dataStart)
        for (info, rawOffset) in infos {
            guard rawOffset % UInt64(alignment) == 0 else {
                throw CheckpointError.unalignedOffset(path: path, tensor: info.name, offset: rawOffset,
                                                      alignment: alignment)
            }
            guard rawOffset <= UInt64(dataSize), UInt64(info.byteCount) <= UInt64(dataSize) - rawOffset else {
                let (end, endOverflow) = rawOffset.addingReportingOverflow(UInt64(info.byteCount))
                throw CheckpointError.offsetsOutOfRange(path: path, tensor: info.name, begin: rawOffset,
                                                        end: endOverflow ? .max : end, dataSize: dataSize)
            }
        }
        let tensors = infos.map(\.info)
        try GGUFFile.checkOverlaps(tensors, path: path)

        self.file = file
        self.version = version
        self.metadata = metadata
        self.alignment = alignment
        self.tensors = tensors
        self.dataStart = dataStart
        self.tensorIndex = index
    }

    /// Reads one tensor info; the offset is returned raw and checked by the caller.
    private static func readTensorInfo(_ reader: inout CheckpointByteReader,
                                       position: Int) throws -> (info: GGUFTensorInfo, rawOffset: UInt64) {
        let path = reader.path
        let name = try reader.ggufString("name of tensor #\(position)", strict: true)
        let dimensionCount = try reader.u32("dimension count of '\(name)'")
        guard (1 ... UInt32(maximumDimensions)).contains(dimensionCount) else {
            throw CheckpointError.invalidShape(
                path: path, tensor: name, reason: "\(dimensionCount) dimensions (must be 1...\(maximumDimensions))")
        }
        var dims: [Int] = []
        var elements = 1
        for axis in 0 ..< Int(dimensionCount) {
            let raw = try reader.u64("dimension \(axis) of '\(name)'")
            guard raw > 0, let dim = Int(exactly: raw) else {
                throw CheckpointError.invalidShape(path: path, tensor: name, reason: "dimension \(axis) is \(raw)")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else {
                throw CheckpointError.invalidShape(path: path, tensor: name, reason: "element count overflows")
            }
            elements = product
            dims.append(dim)
        }
        let rawType = try reader.u32("type of '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else {
            throw CheckpointError.unknownGGMLType(path: path, tensor: name, type: rawType)
        }
        guard dims[0] % type.blockSize == 0 else {
            throw CheckpointError.invalidShape(
                path: path, tensor: name,
                reason: "innermost dimension \(dims[0]) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        let byteCount: Int
        do {
            byteCount = try type.byteCount(elements: elements)
        } catch {
            throw CheckpointError.invalidShape(path: path, tensor: name, reason: "byte count overflows")
        }
        let offset = try reader.u64("offset of '\(name)'")
        let info = GGUFTensorInfo(name: name, ggmlDims: dims, shape: dims.reversed(), type: type,
                                  offset: Int(truncatingIfNeeded: offset), byteCount: byteCount)
        return (info, offset)
    }

    private static func alignment(from metadata: GGUFMetadata, path: String) throws -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard let raw = value.int else {
            throw CheckpointError.malformedHeader(path: path, reason: "general.alignment is not an integer")
        }
        guard raw > 0, raw & (raw - 1) == 0, raw <= 1 << 30 else {
            throw CheckpointError.invalidAlignment(path: path, alignment: UInt64(bitPattern: Int64(raw)))
        }
        return raw
    }

    private static func checkOverlaps(_ tensors: [GGUFTensorInfo], path: String) throws {
        let sorted = tensors.sorted { ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount) }
        var furthest: GGUFTensorInfo?
        for tensor in sorted {
            if let previous = furthest, tensor.offset < previous.offset + previous.byteCount {
                throw CheckpointError.overlappingTensors(path: path, first: previous.name, second: tensor.name)
            }
            if furthest.map({ tensor.offset + tensor.byteCount > $0.offset + $0.byteCount }) ?? true {
                furthest = tensor
            }
        }
    }

    /// The tensor called `name`, or nil.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The raw bytes of `tensor`, as a view into the mapping (no copy).
    ///
    /// `tensor` must come from this file. The view is valid while this object is alive.
    public func data(for tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let bytes = file.bytes
        let start = dataStart + tensor.offset
        precondition(tensor.offset >= 0 && start + tensor.byteCount <= bytes.count,
                     "tensor does not belong to \(path)")
        return UnsafeRawBufferPointer(rebasing: bytes[start ..< start + tensor.byteCount])
    }

    /// Dequantises `tensor` into `out` (at least `tensor.elementCount` floats).
    ///
    /// Throws `.unsupportedQuantization` for types without a decoder, and
    /// ``GGMLError/bufferTooSmall(what:needed:available:)`` if `out` is too short.
    public func dequantize(_ tensor: GGUFTensorInfo, into out: UnsafeMutableBufferPointer<Float>) throws {
        guard tensor.type.canDequantize else {
            throw CheckpointError.unsupportedQuantization(path: path, tensor: tensor.name, type: tensor.type.name)
        }
        try withExtendedLifetime(self) {
            try GGMLDequantizer.run(tensor.type, data(for: tensor), count: tensor.elementCount, into: out)
        }
    }

    /// Dequantises `tensor` into a new array of `tensor.elementCount` floats (row-major `shape`).
    public func dequantize(_ tensor: GGUFTensorInfo) throws -> [Float] {
        guard tensor.type.canDequantize else {
            throw CheckpointError.unsupportedQuantization(path: path, tensor: tensor.name, type: tensor.type.name)
        }
        return try withExtendedLifetime(self) {
            try GGMLDequantizer.array(tensor.type, data(for: tensor), count: tensor.elementCount)
        }
    }
}
