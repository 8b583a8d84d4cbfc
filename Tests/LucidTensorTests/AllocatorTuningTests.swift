#if canImport(Glibc)
import Glibc
import Testing
@testable import LucidTensor

/// The shim raises glibc's mmap threshold when it loads (runtime.cpp, `tune_allocator`), so an
/// activation-sized buffer comes from the heap and is reused, instead of being mapped fresh and
/// zeroed page by page by the kernel each time.
@Suite("allocator tuning")
struct AllocatorTuningTests {
    /// A user's own GLIBC_TUNABLES malloc settings are left alone, and then this does not hold.
    static var tuned: Bool { !(getenv("GLIBC_TUNABLES").map { String(cString: $0).contains("glibc.malloc.") } ?? false) }

    /// glibc maps a chunk above its mmap threshold (at most 32 MB by its own adjustment) on its own,
    /// which the kernel zeroes page by page on first touch and takes back on free; with the shim's
    /// 256 MB threshold a 40 MB buffer comes from the heap. Counted by what glibc reports as mapped
    /// chunks while the buffer is live, not by page faults: those depend on what other threads of the
    /// test run do in the same arena meanwhile (a run under load once saw two fresh mappings).
    @Test(.enabled(if: tuned, "GLIBC_TUNABLES sets malloc options, which the shim leaves as they are"))
    func aFortyMegabyteBufferComesFromTheHeapNotAMappingOfItsOwn() throws {
        _ = Torch.version  // the shim (and its constructor) is loaded with LucidTensor
        // 40 MB: above the 32 MB that glibc's own threshold can reach, below a thread arena's 64 MB heap.
        let size = 40 << 20
        let before = try #require(Torch.mallocMappedBytes, "glibc before 2.33 has no mallinfo2")
        let buffer = try #require(malloc(size))
        memset(buffer, 1, size)
        let grew = (Torch.mallocMappedBytes ?? 0) - before
        free(buffer)
        // Mapped on its own, the buffer alone would add 40 MB (another thread's mapping beside it only adds).
        #expect(grew < size, "mapped chunks grew by \(grew) bytes while a \(size)-byte buffer was live")
    }
}
#endif
