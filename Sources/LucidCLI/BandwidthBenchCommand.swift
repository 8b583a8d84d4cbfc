import ArgumentParser
import LucidBench
import LucidTensor

/// `lucid bench bandwidth`: the machine's memory read bandwidth, the limit of batch-1 decoding.
struct BandwidthBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bandwidth",
        abstract: "Memory read bandwidth (GB/s) with the thread counts decoding uses: the decode-speed limit.",
        discussion: """
        Streams an f32 buffer much larger than the caches through libtorch's sum (a pure read) once \
        per pass and reports the best and median of --repeats passes for each thread count. A decoded \
        token reads every weight once, so bandwidth ÷ weight bytes per token is the most tokens/s a \
        batch-1 decoder can reach; `lucid bench generate` and `lucid bench llava` measure it again in \
        their own process and print decode as a share of it.
        """
    )

    @Option(help: "Intra-op thread counts to measure (default: 1 and the cores of this machine).")
    var threads: [Int] = []

    @Option(help: "Buffer size in MiB (64…16384); it must dwarf the last-level cache.")
    var megabytes: Int = MemoryBandwidth.defaultBytes >> 20

    @Option(help: "Timed passes per thread count (1…100); the best is the limit.")
    var repeats: Int = 10

    @Flag(help: "Print JSON.")
    var json = false

    static let megabyteRange = 64...16384

    func validate() throws {
        guard Self.megabyteRange.contains(megabytes) else {
            throw ValidationError("--megabytes must be in \(Self.megabyteRange.lowerBound)…\(Self.megabyteRange.upperBound) (got \(megabytes))")
        }
        guard (1...100).contains(repeats) else { throw ValidationError("--repeats must be in 1…100 (got \(repeats))") }
        if let bad = threads.first(where: { !(1...1024).contains($0) }) {
            throw ValidationError("--threads must be in 1…1024 (got \(bad))")
        }
    }

    /// The thread counts measured: the given ones, else 1 and the core count (once if equal).
    var threadCounts: [Int] {
        if !threads.isEmpty { return threads }
        return Array(Set([1, ProcessInfoCores.count])).sorted()
    }

    func run() throws {
        let results = MemoryBandwidth.measureRead(threadCounts: threadCounts, bytes: megabytes << 20, repeats: repeats)
        print(json ? try MemoryBandwidth.json(results) : MemoryBandwidth.table(results))
    }
}
