import Foundation
import LucidTensor

/// The up-front memory check of the loaders: a model whose weights, in the dtype they will be held
/// in, need more memory than the device they go to has available is refused before anything is
/// loaded, with a message that says so, instead of being killed part-way (13B in bf16 is ~26 GB;
/// 24 GiB machines and 24 GB GPUs are common). On a CUDA device that is the GPU's free memory: the
/// weights pass through host memory one tensor at a time (mapped file pages, released once copied).
///
/// Weight bytes are counted from the checkpoint's headers (safetensors shard headers, GGUF tensor
/// infos): floating-point tensors at the target dtype's size, others as stored. Activations and KV
/// caches come on top; the check is a floor, not a promise that generation fits.
public enum MemoryBudget {
    /// Bytes the process can still use: Linux's `MemAvailable`, capped by a cgroup v2 `memory.max`
    /// (less `memory.current`) where one is set; the physical memory on other systems.
    public static func available() -> Int? {
        #if os(Linux)
        var best = meminfoAvailable()
        if let limit = cgroupRemaining() { best = best.map { Swift.min($0, limit) } ?? limit }
        return best
        #else
        return Int(clamping: ProcessInfo.processInfo.physicalMemory)
        #endif
    }

    /// Bytes the weights may take on `device`: the GPU's free memory for `cuda:N` (nil when it
    /// cannot be read), `available()` for the CPU and for MPS (which shares the host's memory).
    public static func available(on device: Device) -> Int? {
        switch device {
        case .cuda(let index): return Torch.cudaMemory(index: index)?.free
        case .cpu, .mps: return available()
        }
    }

    /// Bytes of the checkpoint's tensors once held in `dtype`.
    public static func weightBytes(_ checkpoint: SafetensorsCheckpoint, dtype: DType) -> Int {
        var total = 0
        for file in checkpoint.files {
            for entry in file.entries {
                let size = isFloatingPoint(entry.dtype) ? dtype.byteSize : entry.dtype.byteSize
                total = total.addingSaturating(entry.elementCount.multipliedSaturating(by: size))
            }
        }
        return total
    }

    /// Bytes of a GGUF file's tensors once dequantised into `dtype` (every GGUF tensor loads as floating point).
    public static func weightBytes(_ gguf: GGUFFile, dtype: DType) -> Int {
        gguf.tensors.reduce(0) { $0.addingSaturating($1.elementCount.multipliedSaturating(by: dtype.byteSize)) }
    }

    /// Throws `ModelLoadError.insufficientMemory` when `bytes` exceed `options.memoryLimit`, or the
    /// memory available on `options.device` when that is nil (no check when it cannot be read).
    public static func check(_ bytes: Int, path: String, options: ModelLoadOptions) throws(ModelLoadError) {
        guard let limit = options.memoryLimit ?? available(on: options.device) else { return }
        guard bytes > limit else { return }
        throw .insufficientMemory(path: path, needed: bytes, available: limit, dtype: options.dtype, device: options.device)
    }

    static func isFloatingPoint(_ type: SafetensorsDType) -> Bool {
        switch type {
        case .float16, .bfloat16, .float32, .float64, .float8E4M3, .float8E5M2: return true
        default: return false
        }
    }

    /// `1.23 GB` (decimal, as checkpoint sizes are usually quoted) and `(1.15 GiB)`.
    static func describe(_ bytes: Int) -> String {
        String(format: "%.2f GB (%.2f GiB)", Double(bytes) / 1e9, Double(bytes) / 1_073_741_824)
    }

    #if os(Linux)
    static func meminfoAvailable() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes.multipliedSaturating(by: 1024)
        }
        return nil
    }

    static func cgroupRemaining() -> Int? {
        func number(_ path: String) -> Int? {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))  // "max" → nil: no limit
        }
        guard let limit = number("/sys/fs/cgroup/memory.max") else { return nil }
        return Swift.max(0, limit - (number("/sys/fs/cgroup/memory.current") ?? 0))
    }
    #endif
}

extension Int {
    func addingSaturating(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }

    func multipliedSaturating(by other: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : product
    }
}
