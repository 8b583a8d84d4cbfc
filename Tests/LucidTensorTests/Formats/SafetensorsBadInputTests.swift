import Testing
@testable import LucidTensor

/// Hostile or damaged safetensors files must fail with the specific typed error.
@Suite struct SafetensorsBadInputTests {
    let directory: FormatsTemporaryDirectory

    init() throws { directory = try FormatsTemporaryDirectory() }

    /// A file image: u64 header length (or `length`), the header text, then `data`.
    func image(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        FormatsBytes.bytes(length ?? UInt64(header.utf8.count)) + Array(header.utf8) + data
    }

    /// Writes `bytes`, opens them, and returns the error (nil if opening succeeded).
    func openError(_ bytes: [UInt8], name: String = "bad.safetensors") throws -> (path: String, error: CheckpointError?) {
        let path = try directory.write(bytes, to: name)
        return (path, checkpointError { _ = try SafetensorsFile(path: path) })
    }

    func expectMalformed(_ bytes: [UInt8], mentioning fragment: String,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (path, error) = try openError(bytes)
        guard case .malformedHeader(let errorPath, let reason)? = error else {
            Issue.record("expected malformedHeader, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(errorPath == path, sourceLocation: sourceLocation)
        #expect(reason.contains(fragment), "reason: \(reason)", sourceLocation: sourceLocation)
        #expect(error?.description.hasPrefix(path) == true, sourceLocation: sourceLocation)
    }

    let oneTensor = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#

    @Test func truncatedAtEveryStage() throws {
        let full = image(oneTensor, data: [UInt8](repeating: 7, count: 16))
        let headerLength = UInt64(oneTensor.utf8.count)
        #expect(try openError(full).error == nil)
        for cut in [0, 3, 7] {
            let (path, error) = try openError(Array(full.prefix(cut)))
            #expect(error == .truncated(path: path, what: "header length", needed: 8, available: cut))
        }
        for cut in [8, 20, 8 + Int(headerLength) - 1] {
            let (path, error) = try openError(Array(full.prefix(cut)))
            #expect(error == .truncated(path: path, what: "JSON header", needed: headerLength, available: cut - 8))
        }
        for dataBytes in [0, 5, 15] {
            let (path, error) = try openError(Array(full.prefix(8 + Int(headerLength) + dataBytes)))
            #expect(error == .offsetsOutOfRange(path: path, tensor: "a", begin: 0, end: 16, dataSize: dataBytes))
        }
    }

    @Test func headerLengthBeyondFileOrLimit() throws {
        var (path, error) = try openError(image("{}", length: 1000))
        #expect(error == .truncated(path: path, what: "JSON header", needed: 1000, available: 2))
        let huge = image("{}", length: 1 << 60)
        (path, error) = try openError(huge)
        #expect(error == .headerTooLarge(path: path, claimed: 1 << 60, fileSize: huge.count))
        (path, error) = try openError(image("{}", length: 100_000_001))
        #expect(error == .headerTooLarge(path: path, claimed: 100_000_001, fileSize: 10))
        (path, error) = try openError(image("{}", length: .max))
        #expect(error == .headerTooLarge(path: path, claimed: .max, fileSize: 10))
    }

    @Test func overlappingAndOutOfRangeOffsets() throws {
        let overlapping = #"{"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        var (path, error) = try openError(image(overlapping, data: .init(repeating: 0, count: 12)))
        #expect(error == .overlappingTensors(path: path, first: "a", second: "b"))

        let contained = #"{"big":{"dtype":"U8","shape":[10],"data_offsets":[0,10]},"small":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}}"#
        (path, error) = try openError(image(contained, data: .init(repeating: 0, count: 10)))
        #expect(error == .overlappingTensors(path: path, first: "big", second: "small"))

        let emptyInside = #"{"big":{"dtype":"U8","shape":[10],"data_offsets":[0,10]},"none":{"dtype":"U8","shape":[0],"data_offsets":[4,4]}}"#
        #expect(try openError(image(emptyInside, data: .init(repeating: 0, count: 10))).error == nil)

        let past = #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}}"#
        (path, error) = try openError(image(past, data: .init(repeating: 0, count: 10)))
        #expect(error == .offsetsOutOfRange(path: path, tensor: "a", begin: 8, end: 12, dataSize: 10))

        let reversed = #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[6,2]}}"#
        (path, error) = try openError(image(reversed, data: .init(repeating: 0, count: 10)))
        #expect(error == .offsetsOutOfRange(path: path, tensor: "a", begin: 6, end: 2, dataSize: 10))

        let enormous = #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[18446744073709551612,18446744073709551615]}}"#
        (path, error) = try openError(image(enormous))
        #expect(error == .offsetsOutOfRange(path: path, tensor: "a", begin: .max - 3, end: .max, dataSize: 0))
    }

    @Test func dtypeAndShapeProblems() throws {
        let unknown = #"{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#
        var (path, error) = try openError(image(unknown, data: .init(repeating: 0, count: 16)))
        #expect(error == .unknownDType(path: path, tensor: "a", dtype: "F128"))

        let mismatch = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        (path, error) = try openError(image(mismatch, data: .init(repeating: 0, count: 8)))
        #expect(error == .shapeByteMismatch(path: path, tensor: "a", expected: 12, actual: 8))

        let overflow = #"{"a":{"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,0]}}"#
        (path, error) = try openError(image(overflow))
        #expect(error == .invalidShape(path: path, tensor: "a", reason: "element count overflows"))

        let byteOverflow = #"{"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}}"#
        (path, error) = try openError(image(byteOverflow))
        #expect(error == .invalidShape(path: path, tensor: "a", reason: "byte count overflows"))

        for dim in ["-1", "1.5", "\"2\"", "null"] {
            let header = #"{"a":{"dtype":"U8","shape":[DIM],"data_offsets":[0,0]}}"#.replacingOccurrences(of: "DIM", with: dim)
            (path, error) = try openError(image(header))
            guard case .invalidShape(path, "a", let reason)? = error else {
                Issue.record("dim \(dim): got \(String(describing: error))")
                continue
            }
            #expect(reason.contains("not a non-negative integer"))
        }

        let fp8 = #"{"a":{"dtype":"F8_E5M2","shape":[2],"data_offsets":[0,2]}}"#
        #expect(try openError(image(fp8, data: [1, 2])).error == nil)
    }

    @Test func invalidOrNonObjectJSON() throws {
        try expectMalformed(image(#"{"a": "#), mentioning: "invalid JSON")
        try expectMalformed(image("{\"a\":1} trailing"), mentioning: "invalid JSON")
        try expectMalformed(image(""), mentioning: "invalid JSON")
        try expectMalformed(FormatsBytes.bytes(UInt64(4)) + [0x7B, 0x22, 0xFF, 0x7D], mentioning: "invalid JSON")
        try expectMalformed(image("[1, 2]"), mentioning: "header is a JSON array")
        try expectMalformed(image("42"), mentioning: "header is a JSON number")
        try expectMalformed(image(#"{"a": 1}"#), mentioning: "entry 'a' is a JSON number")
        try expectMalformed(image(#"{"a": {"shape": [1], "data_offsets": [0, 1]}}"#), mentioning: "no string 'dtype'")
        try expectMalformed(image(#"{"a": {"dtype": "U8", "data_offsets": [0, 1]}}"#), mentioning: "no array 'shape'")
        try expectMalformed(image(#"{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0]}}"#), mentioning: "data_offsets")
        try expectMalformed(image(#"{"a": {"dtype": "U8", "shape": [1], "data_offsets": [-1, 0]}}"#), mentioning: "data_offsets")
        try expectMalformed(image(#"{"__metadata__": {"k": 1}}"#), mentioning: "__metadata__ value for 'k'")
        try expectMalformed(image(#"{"__metadata__": []}"#), mentioning: "__metadata__ is a JSON array")
        try expectMalformed(image(String(repeating: "[", count: 10_000)), mentioning: "nesting deeper")
    }

    @Test func duplicateNamesAndKeys() throws {
        let twice = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#
        var (path, error) = try openError(image(twice, data: [0, 0]))
        #expect(error == .duplicateTensor(path: path, name: "a"))
        (path, error) = try openError(image(#"{"__metadata__":{"k":"1","k":"2"}}"#))
        #expect(error == .duplicateKey(path: path, key: "k"))
    }

    @Test func paddedHeaderAndEmptyHeaderAreAccepted() throws {
        let (path, error) = try openError(image("{}      "))
        #expect(error == nil)
        let file = try SafetensorsFile(path: path)
        #expect(file.entries.isEmpty && file.metadata.isEmpty && file.dataStart == 16)
    }
}
