import Testing
@testable import LucidTensor

@Suite struct MappedFileTests {
    @Test func mapsContents() throws {
        let directory = try FormatsTemporaryDirectory()
        let path = try directory.write([1, 2, 3, 250], to: "small.bin")
        let file = try MappedFile(path: path)
        #expect(file.path == path)
        #expect(file.size == 4)
        #expect(Array(file.bytes) == [1, 2, 3, 250])
    }

    @Test func emptyFileHasEmptyBuffer() throws {
        let directory = try FormatsTemporaryDirectory()
        let file = try MappedFile(path: try directory.write([], to: "empty.bin"))
        #expect(file.size == 0)
        #expect(file.bytes.isEmpty)
    }

    @Test func missingFileAndDirectoryThrow() throws {
        let directory = try FormatsTemporaryDirectory()
        let missing = directory.file("nope.bin")
        #expect(throws: CheckpointError.cannotOpen(path: missing, reason: "No such file or directory")) {
            try MappedFile(path: missing)
        }
        #expect(throws: CheckpointError.cannotOpen(path: directory.path, reason: "it is a directory")) {
            try MappedFile(path: directory.path)
        }
        let error = checkpointError { _ = try MappedFile(path: missing) }
        #expect(error?.description.hasPrefix(missing) == true)
    }
}
