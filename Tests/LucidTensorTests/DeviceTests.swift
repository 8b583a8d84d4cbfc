import Foundation
import Testing
@testable import LucidTensor

/// Device names, what this libtorch can place tensors on, and the dtype probe. The CUDA and MPS
/// tests run only where such a device is present; elsewhere swift-testing reports them as skipped
/// with the reason.
@Suite("devices")
struct DeviceTests {
    @Test func deviceNamesParseIntoTypedValues() {
        #expect(Device(name: "cpu") == .cpu)
        #expect(Device(name: "cuda") == .cuda(0))
        #expect(Device(name: "cuda:3") == .cuda(3))
        #expect(Device(name: "cuda:127") == .cuda(127))
        #expect(Device(name: "mps") == .mps)
        for bad in ["", "CPU", "gpu", "cuda:", "cuda:-1", "cuda:1x", "cuda: 1", "cuda:128", "cuda:0001", "cuda:١", "mps:0", "tpu"] {
            #expect(Device(name: bad) == nil, "\(bad)")
        }
        #expect([Device.cpu, .cuda(2), .mps].allSatisfy { Device(name: $0.description) == $0 })
    }

    @Test func theCPUComputesInEveryModelDType() {
        #expect(Torch.unavailability(of: .cpu) == nil)
        for dtype in [DType.f32, .bf16, .f16] {
            #expect(Torch.probe(dtype: dtype, on: .cpu) == nil, "\(dtype)")
        }
    }

    @Test func aProbeReportsWhatADeviceCannotCompute() {
        // No CPU matmul kernel for booleans: the probe returns libtorch's message instead of trapping.
        let message = Torch.probe(dtype: .bool, on: .cpu)
        #expect(message?.isEmpty == false)
    }

    @Test func absentDevicesAreNamedWithTheReason() {
        if !Torch.cudaAvailable {
            // Three cases, each named: the CPU wheel (no backend), a CUDA wheel whose backend failed to
            // load (a missing nvidia-* library), a CUDA wheel on a machine without a GPU.
            let reason = Torch.unavailability(of: .cuda(0)) ?? "nil"
            let expected = Torch.cudaBackendLoaded ? "sees no CUDA device"
                : Torch.cudaBackendLoadError != nil ? "failed to load" : "built without CUDA"
            #expect(reason.contains(expected), "\(reason)")
            #expect(Torch.probe(dtype: .f32, on: .cuda(0)) != nil)
        } else {
            #expect(Torch.unavailability(of: .cuda(Torch.cudaDeviceCount))?.contains("CUDA device(s) present") == true)
        }
        if !Torch.mpsAvailable {
            #expect(Torch.unavailability(of: .mps)?.contains("no MPS device") == true)
        }
    }

    @Test(.enabled(if: Torch.cudaAvailable, "needs a CUDA device, and this libtorch sees none"))
    func tensorsMoveToCUDAAndComputeThereInBF16() throws {
        try Self.roundTrip(on: .cuda(0))
    }

    @Test(.enabled(if: Torch.mpsAvailable, "needs Apple's MPS device, and this libtorch sees none"))
    func tensorsMoveToMPSAndComputeThereInBF16() throws {
        try Self.roundTrip(on: .mps)
    }

    /// Moves tensors to `device`, multiplies there in f32 and bf16, and compares with the CPU.
    static func roundTrip(on device: Device) throws {
        #expect(Torch.probe(dtype: .f32, on: device) == nil)
        let a = Tensor.rand([16, 32], generator: Generator(seed: 1))
        let b = Tensor.rand([32, 8], generator: Generator(seed: 2))
        let onDevice = a.to(device)
        #expect(onDevice.device == device)
        let f32 = onDevice.matmul(b.to(device)).to(.cpu)
        #expect(f32.device == .cpu)
        #expect((f32 - a.matmul(b)).abs().max().item() < 1e-4)
        if Torch.probe(dtype: .bf16, on: device) == nil {
            let bf16 = onDevice.to(.bf16).matmul(b.to(device).to(.bf16)).to(.cpu).to(.f32)
            // Sums of 32 products in [0, 1) reach ~8: bf16 keeps 8 bits, so a few steps of 1/16.
            #expect((bf16 - a.matmul(b)).abs().max().item() < 0.25)
        }
    }
}
