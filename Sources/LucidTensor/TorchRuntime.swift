import CTorch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide settings and facts of the libtorch runtime.
///
/// Thread counts matter on small machines: libtorch's OpenMP pool and OpenBLAS's own pool can
/// oversubscribe the cores. `configureThreads` sets both deliberately.
public enum Torch {
    /// The libtorch version Lucid was compiled against, e.g. `2.13.0`.
    public static var version: String { String(cString: lt_torch_version()) }

    /// The version the libtorch loaded at run time reports about itself (from its build summary);
    /// equal to `version` unless the dynamic loader found another libtorch.
    public static var runtimeVersion: String { String(cString: lt_torch_runtime_version()) }

    /// The file the loaded `libtorch_cpu` was mapped from (symlinks resolved).
    public static var libraryPath: String { String(cString: lt_torch_library()) }

    /// libtorch's build summary (`at::show_config()`): compiler, BLAS, oneDNN, OpenMP, CPU capability.
    public static var buildConfiguration: String { String(cString: lt_torch_config()) }

    /// The vector instruction set ATen's CPU kernels dispatch to: `AVX512`, `AVX2` or `DEFAULT` on
    /// x86-64 (as `torch.backends.cpu.get_cpu_capability()` says; `ATEN_CPU_CAPABILITY` lowers it).
    /// Fused attention's bf16/f16 results differ between `AVX512` and `AVX2`.
    public static var cpuCapability: String { String(cString: lt_aten_cpu_capability()) }

    /// Whether a CUDA device can be used.
    public static var cudaAvailable: Bool { lt_cuda_is_available() }

    /// Number of CUDA devices (0 without CUDA).
    public static var cudaDeviceCount: Int { Int(lt_cuda_device_count()) }

    /// Free and total bytes of CUDA device `index` (`cudaMemGetInfo`: memory this process's caching
    /// allocator holds counts as used); nil without CUDA, for an absent index, or when the runtime fails.
    public static func cudaMemory(index: Int) -> (free: Int, total: Int)? {
        guard let index32 = Int32(exactly: index) else { return nil }
        var free: Int64 = 0
        var total: Int64 = 0
        guard lt_cuda_memory(index32, &free, &total) else { return nil }
        return (Int(free), Int(total))
    }

    /// The devices tensors can be placed on here: the CPU, each CUDA device, MPS.
    public static var availableDevices: [Device] {
        [.cpu] + (cudaAvailable ? (0..<cudaDeviceCount).map { Device.cuda($0) } : []) + (mpsAvailable ? [.mps] : [])
    }

    /// Whether this libtorch has a CUDA backend: a CUDA wheel's libtorch_cuda.so, found beside
    /// libtorch_cpu.so and loaded with the CUDA libraries it needs. True without a GPU too.
    public static var cudaBackendLoaded: Bool { lt_cuda_backend_loaded() }

    /// Why a CUDA wheel's libtorch_cuda.so failed to load (the loader's message: a missing nvidia-*
    /// library), or nil when it loaded or there is none.
    public static var cudaBackendLoadError: String? {
        let message = String(cString: lt_cuda_backend_error())
        return message.isEmpty ? nil : message
    }

    /// Bytes in chunks the C library's malloc serves with a mapping of their own (glibc's
    /// `mallinfo2().hblkhd`), process-wide; nil where that is not known. The shim keeps buffers up to
    /// 256 MB out of them (its allocator tuning, docs/engine.md).
    static var mallocMappedBytes: Int? {
        let bytes = lt_malloc_mapped_bytes()
        return bytes < 0 ? nil : Int(bytes)
    }

    /// Whether Apple's MPS device can be used (a macOS libtorch on a Mac with Metal).
    public static var mpsAvailable: Bool { lt_mps_is_available() }

    /// Whether this libtorch can place tensors on `device` at all: compiled in, present, and the
    /// CUDA index below the device count; nil when it can, else why not.
    public static func unavailability(of device: Device) -> String? {
        switch device {
        case .cpu: return nil
        case .cuda(let index):
            guard cudaAvailable else {
                if let loadError = cudaBackendLoadError {
                    return "this libtorch (\(version), \(libraryPath)) has a CUDA backend that failed to load: \(loadError); "
                        + "put the CUDA libraries it needs (the nvidia-* wheels' lib folders) on LD_LIBRARY_PATH"
                }
                if cudaBackendLoaded {
                    return "this libtorch (\(version), \(libraryPath)) has its CUDA backend but sees no CUDA device: "
                        + "no NVIDIA GPU here, or no driver for it (check `nvidia-smi`)"
                }
                return "this libtorch (\(version), \(libraryPath)) was built without CUDA; "
                    + "install the CUDA wheel with `LUCID_TORCH=cuda scripts/setup.sh` on a machine with a GPU"
            }
            guard index < cudaDeviceCount else { return "only \(cudaDeviceCount) CUDA device(s) present (cuda:0…cuda:\(cudaDeviceCount - 1))" }
            return nil
        case .mps:
            return mpsAvailable ? nil : "this libtorch (\(version)) has no MPS device (MPS needs the macOS arm64 wheel on Apple silicon)"
        }
    }

    /// Runs a tiny matmul, softmax and sum in `dtype` on `device` and copies the result back, so a
    /// device that cannot compute in a dtype is found before a model is loaded: nil when it can,
    /// else libtorch's message. Check `unavailability(of:)` first (a probe of an absent device
    /// only reports libtorch's own error).
    public static func probe(dtype: DType, on device: Device) -> String? {
        let (dev, index) = device.code
        guard lt_probe_device(dtype.rawValue, dev, index) != 0 else { return nil }
        return String(cString: lt_last_error())
    }

    /// libtorch's intra-op thread count.
    public static var threads: Int {
        get { Int(lt_get_num_threads()) }
        set { lt_set_num_threads(Int32(max(1, newValue))) }
    }

    /// OpenBLAS's own thread count, or nil when the BLAS in use is not OpenBLAS.
    public static var blasThreads: Int? {
        let count = lt_get_blas_threads()
        return count < 0 ? nil : Int(count)
    }

    /// `blasThreads` as printed in version lines, logs and records: the count, or "n/a".
    public static var blasThreadsDescription: String { blasThreads.map(String.init) ?? "n/a" }

    /// Sets OpenBLAS's thread count; returns false when the BLAS in use is not OpenBLAS.
    @discardableResult
    public static func setBLASThreads(_ count: Int) -> Bool { lt_set_blas_threads(Int32(max(1, count))) }

    /// The BLAS libtorch's matmul uses: the shared library that provides `sgemm_`, or, when none
    /// is exported (the torch wheel links MKL into libtorch_cpu), libtorch's own `BLAS_INFO`.
    public static var blasLibrary: String {
        let exported = String(cString: lt_blas_library())
        guard exported == "unknown" else { return exported }
        let config = buildConfiguration
        guard let start = config.range(of: "BLAS_INFO=")?.upperBound else { return exported }
        let name = config[start...].prefix { $0 != "," && $0 != " " && $0 != "\n" }
        return name.isEmpty ? exported : "\(name) (inside libtorch_cpu)"
    }

    /// Sets libtorch's intra-op threads and OpenBLAS's threads together.
    ///
    /// `blas` defaults to `intraOp`: libtorch calls BLAS from the calling thread, outside its own
    /// OpenMP regions, so the two pools take turns. `make bench` measures the alternatives.
    public static func configureThreads(intraOp: Int, blas: Int? = nil) {
        threads = intraOp
        setBLASThreads(blas ?? intraOp)
    }

    /// Seeds libtorch's global default generator (used when no `Generator` is passed).
    public static func manualSeed(_ seed: UInt64) { lt_manual_seed(seed) }

    /// Whether autograd records operations on this thread.
    public static var isGradEnabled: Bool { lt_is_grad_enabled() }

    /// Turns autograd recording on or off for this thread (prefer `withNoGrad` where a closure fits).
    public static func setGradEnabled(_ enabled: Bool) { _ = lt_set_grad_enabled(enabled) }
}

/// Runs `body` with autograd recording disabled on this thread, restoring the previous mode after.
public func withNoGrad<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    try withGradMode(enabled: false, body)
}

/// Runs `body` with autograd recording set to `enabled` on this thread, restoring the previous mode after.
public func withGradMode<R, E: Error>(enabled: Bool, _ body: () throws(E) -> R) throws(E) -> R {
    let previous = lt_set_grad_enabled(enabled)
    defer { _ = lt_set_grad_enabled(previous) }
    return try body()
}

/// Lucid's thread policy: defaults chosen for small machines, overridable from the environment.
public struct ThreadPolicy: Sendable, Equatable {
    /// libtorch intra-op (OpenMP) threads.
    public var intraOp: Int
    /// OpenBLAS threads (used only when the process's BLAS is OpenBLAS).
    public var blas: Int

    /// The default for the BLAS in use.
    ///
    /// The torch wheel's libtorch (Lucid's engine) runs its BLAS (MKL) and oneDNN inside its own
    /// OpenMP pool, so there is one pool and it gets one thread per core. With OpenBLAS (a
    /// libtorch built against it, such as Debian's) two pools would oversubscribe the cores: then
    /// one OpenMP thread and one OpenBLAS thread per core, so no OpenMP worker spins while
    /// OpenBLAS runs.
    public static func defaultPolicy(cores: Int = ProcessInfoCores.count,
                                     openBLAS: Bool = Torch.blasThreads != nil) -> ThreadPolicy {
        openBLAS ? ThreadPolicy(intraOp: 1, blas: max(1, cores)) : ThreadPolicy(intraOp: max(1, cores), blas: max(1, cores))
    }

    /// The default for a server (`lucid serve`): one core fewer for the model, so the HTTP side (SwiftNIO's
    /// event loops, the streams' tasks) runs beside the decoding threads instead of preempting one of
    /// them in every parallel region. On 2 cores one model thread served shapes-smol at 0.0454 s/token
    /// streamed against 0.0611–0.0626 with two, and 8 clients at 124.6 against 116.5 tok/s (docs/serve.md).
    public static func servingPolicy(cores: Int = ProcessInfoCores.count, openBLAS: Bool = Torch.blasThreads != nil) -> ThreadPolicy {
        let model = max(1, cores - 1)
        return openBLAS ? ThreadPolicy(intraOp: 1, blas: model) : ThreadPolicy(intraOp: model, blas: model)
    }

    /// Intra-op threads that training runs with unless `LUCID_THREADS` says otherwise.
    ///
    /// Float sums depend on how libtorch splits work among its threads, so the same recipe trained
    /// with another count gives other weights (session 18: a run begun with 1 thread and resumed with
    /// 2 ended 33% apart in relative L2 from a 2-thread run). A fixed count, the one the bundled models
    /// were trained with, makes retraining reproduce them on any machine; on a bigger one,
    /// `LUCID_THREADS=N` trains faster but not bit-identically.
    public static let trainingThreads = 2

    /// The policy for training: `trainingThreads` intra-op threads (one, with OpenBLAS's pool
    /// `trainingThreads` wide, where the BLAS is OpenBLAS).
    public static func trainingPolicy(openBLAS: Bool = Torch.blasThreads != nil) -> ThreadPolicy {
        openBLAS ? ThreadPolicy(intraOp: 1, blas: trainingThreads) : ThreadPolicy(intraOp: trainingThreads, blas: trainingThreads)
    }

    /// Reads `LUCID_THREADS` and `LUCID_BLAS_THREADS` over `base` (the default policy unless given);
    /// throws on malformed values.
    public static func fromEnvironment(_ environment: [String: String], base: ThreadPolicy? = nil) throws(ThreadPolicyError) -> ThreadPolicy {
        var policy = base ?? defaultPolicy()
        if let text = environment["LUCID_THREADS"] {
            guard let n = Int(text), n > 0, n <= 4096 else { throw ThreadPolicyError(variable: "LUCID_THREADS", value: text) }
            policy.intraOp = n
        }
        if let text = environment["LUCID_BLAS_THREADS"] {
            guard let n = Int(text), n > 0, n <= 4096 else { throw ThreadPolicyError(variable: "LUCID_BLAS_THREADS", value: text) }
            policy.blas = n
        }
        return policy
    }

    /// Applies the policy to libtorch and OpenBLAS.
    public func apply() { Torch.configureThreads(intraOp: intraOp, blas: blas) }
}

/// A thread-count environment variable that is not a positive integer.
public struct ThreadPolicyError: Error, CustomStringConvertible, Sendable {
    public let variable: String
    public let value: String
    public var description: String { "\(variable)='\(value)' is not a positive thread count" }
}

/// Number of online cores.
public enum ProcessInfoCores {
    public static var count: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
