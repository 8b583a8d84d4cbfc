#if canImport(Glibc)
import Glibc
import Testing
@testable import LucidTensor

/// The shim raises glibc's mmap threshold when it loads (ctorch.cpp, `tune_allocator`), so an
/// activation-sized buffer freed and allocated again reuses its memory instead of being mapped
/// fresh and zeroed page by page by the kernel.
@Suite("allocator tuning")
struct AllocatorTuningTests {
    /// Minor page faults of the calling thread.
    static func threadFaults() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD (Linux; not exported without _GNU_SOURCE)
        return usage.ru_minflt
    }

    /// A user's own GLIBC_TUNABLES malloc settings are left alone, and then this does not hold.
    static var tuned: Bool { !(getenv("GLIBC_TUNABLES").map { String(cString: $0).contains("glibc.malloc.") } ?? false) }

    @Test(.enabled(if: tuned, "GLIBC_TUNABLES sets malloc options, which the shim leaves as they are"))
    func aFortyMegabyteBufferIsReusedNotMappedFreshEachTime() throws {
        _ = Torch.version  // the shim (and its constructor) is loaded with LucidTensor
        // 40 MB: above the 32 MB that glibc's own threshold can reach, below a thread arena's 64 MB heap.
        let size = 40 << 20
        let pages = size / Int(sysconf(Int32(_SC_PAGESIZE)))
        let before = Self.threadFaults()
        for _ in 0..<2 {
            let buffer = try #require(malloc(size))
            memset(buffer, 1, size)
            free(buffer)
        }
        let faults = Self.threadFaults() - before
        // Mapped fresh each time: about 2 × pages faults; reused: about 1 × pages (the first touch).
        #expect(faults < pages * 3 / 2, "\(faults) minor page faults for two \(pages)-page buffers")
    }
}
#endif
