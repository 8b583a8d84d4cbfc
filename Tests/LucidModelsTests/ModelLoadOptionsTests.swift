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
            do {
                _ = try ModelLoadOptions(dtypeName: "bf16", deviceName: name)
                Issue.record("\(name) was accepted, but the model runtime runs on the CPU only")
            } catch {
                guard case .deviceUnavailable(let refused, let reason) = error else {
                    Issue.record("\(name): \(error)")
                    continue
                }
                #expect(refused == device)
                // Without the device in this libtorch the reason says so; with it, that models run on the CPU only so far.
                let expected = Torch.unavailability(of: device) ?? "CPU only"
                #expect(reason.contains(expected), "\(reason)")
                #expect(error.description.hasPrefix("device \(device) cannot be used: "))
            }
        }
    }

    @Test func aDeviceIsRefusedBeforeTheCheckpointIsRead() {
        // The path does not exist: the device error comes first, so nothing was opened.
        #expect(throws: ModelLoadOptionsError.self) {
            _ = try LlamaForCausalLM.load(path: "/no/such/model", options: ModelLoadOptions(device: .cuda(0)))
        }
    }
}
