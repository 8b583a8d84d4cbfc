import Foundation
import Testing
@testable import LucidModels
@testable import LucidTensor

/// `--dtype`/`--device` as library values: parsed, validated against what this libtorch can do,
/// and refused with the reason before any file is read.
@Suite("model load options")
struct ModelLoadOptionsTests {
    @Test func namesBecomeTypedOptions() throws {
        #expect(try ModelLoadOptions(dtypeName: "bf16", deviceName: "cpu") == ModelLoadOptions(dtype: .bf16, device: .cpu))
        #expect(try ModelLoadOptions(dtypeName: "float16", deviceName: nil) == ModelLoadOptions(dtype: .f16))
        #expect(throws: ModelLoadOptionsError.unknownDevice("cuda:x")) { try ModelLoadOptions(dtypeName: nil, deviceName: "cuda:x") }
        #expect(ModelLoadOptionsError.unknownDType("fp8").concernsDType)
        #expect(!ModelLoadOptionsError.unknownDevice("tpu").concernsDType)
    }

    @Test func devicesTheModelRuntimeCannotUseAreRefusedWithTheReason() {
        for (name, device) in [("cuda", Device.cuda(0)), ("cuda:1", .cuda(1)), ("mps", .mps)] {
            // A present CUDA device that computes in bf16 is accepted; anything else is refused.
            let usable = Torch.unavailability(of: device) == nil && ModelLoadOptions.runsModels(on: device)
                && Torch.probe(dtype: .bf16, on: device) == nil
            do {
                let options = try ModelLoadOptions(dtypeName: "bf16", deviceName: name)
                #expect(usable, "\(name) was accepted, but this libtorch cannot run a model there")
                #expect(options.device == device)
            } catch {
                #expect(!usable, "\(name) was refused: \(error)")
                guard case .deviceUnavailable(let refused, let reason) = error else { continue }
                #expect(refused == device)
                // Without the device in this libtorch the reason says so; on MPS, that the runtime is not verified there.
                let expected = Torch.unavailability(of: device) ?? "not been verified on \(device)"
                #expect(reason.contains(expected), "\(reason)")
                #expect(error.description.hasPrefix("device \(device) cannot be used: "))
            }
        }
    }

    @Test func theModelRuntimeRunsOnTheCPUAndCUDAButNotYetOnMPS() {
        #expect(ModelLoadOptions.runsModels(on: .cpu))
        #expect(ModelLoadOptions.runsModels(on: .cuda(0)) && ModelLoadOptions.runsModels(on: .cuda(3)))
        #expect(!ModelLoadOptions.runsModels(on: .mps))
    }

    @Test(.enabled(if: Torch.unavailability(of: .cuda(0)) != nil, "this libtorch has a CUDA device"))
    func aDeviceIsRefusedBeforeTheCheckpointIsRead() {
        // The path does not exist: the device error comes first, so nothing was opened.
        #expect(throws: ModelLoadOptionsError.self) {
            _ = try LlamaForCausalLM.load(path: "/no/such/model", options: ModelLoadOptions(device: .cuda(0)))
        }
    }
}
