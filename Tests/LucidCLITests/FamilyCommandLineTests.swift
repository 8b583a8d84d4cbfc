import Foundation
import Testing
@testable import LucidCLI
@testable import LucidTensor

/// `lucid generate --pixel-values F --input-ids IDS --greedy --json` and `lucid inspect … --capture logits`
/// on the saved tiny LLaVA-NeXT, LLaVA-OneVision, SigLIP LLaVA, Qwen2-VL, Qwen2.5-VL and InstructBLIP checkpoints of
/// LucidModelsTests' fixtures (scripts/make_{llava_next,llava_onevision,llava_siglip,qwen2_vl,qwen2_5_vl,instructblip}_fixtures.py): F holds the transformers processor's
/// outputs under their HF names, and the command must give transformers' 8 greedy tokens and logits.
@Suite("families from the command line", .serialized)
struct FamilyCommandLineTests {
    struct Family: Sendable, CustomTestStringConvertible {
        let directory: String
        let prefix: String  // golden key prefix of the prompt ("wide." or "")
        let tensors: [(hfName: String, golden: String)]
        /// Whether `--image <prefix>.png` through Lucid's processor must give the golden tokens too.
        var fromImage = false
        var testDescription: String { directory }
    }

    static let families = [
        Family(directory: "llava-next", prefix: "wide.", tensors: [("pixel_values", "processor.wide.pixel_values"),
                                                                   ("image_sizes", "processor.wide.image_sizes")]),
        Family(directory: "llava-onevision", prefix: "wide.", tensors: [("pixel_values", "processor.wide.pixel_values"),
                                                                        ("image_sizes", "processor.wide.image_sizes")], fromImage: true),
        Family(directory: "llava-siglip", prefix: "wide.", tensors: [("pixel_values", "processor.wide.pixel_values")], fromImage: true),
        Family(directory: "qwen2-vl", prefix: "wide.", tensors: [("pixel_values", "processor.wide.pixel_values"),
                                                                 ("image_grid_thw", "processor.wide.image_grid_thw")]),
        Family(directory: "qwen2.5-vl", prefix: "large.", tensors: [("pixel_values", "processor.large.pixel_values"),
                                                                    ("image_grid_thw", "processor.large.image_grid_thw")]),
        Family(directory: "instructblip", prefix: "", tensors: [("pixel_values", "pixel_values"),
                                                                ("qformer_input_ids", "qformer_input_ids")]),
    ]

    /// The image placeholder id of the LLaVA-NeXT fixture's config.
    static let nextPlaceholder = 149

    static func fixture(_ family: Family) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LucidModelsTests/Fixtures/\(family.directory)").path
    }

    /// Writes the processor outputs of the golden file under HF's names; returns the path and the prompt ids.
    static func processorOutputs(_ family: Family, in folder: URL) throws -> (path: String, ids: [Int], greedy: [Int], logits: Tensor) {
        let golden = try SafetensorsFile(path: fixture(family) + "/golden.safetensors")
        var items: [SafetensorsWriter.Item] = []
        for (hfName, goldenName) in family.tensors {
            let tensor = try golden.loadTensor(named: goldenName)
            if tensor.dtype == .i64 {
                let values = tensor.toArray(Int.self).map { Int64($0).littleEndian }
                items.append(SafetensorsWriter.Item(name: hfName, dtype: .int64, shape: tensor.shape, bytes: values.withUnsafeBytes { Array($0) }))
            } else {
                items.append(try SafetensorsWriter.Item(name: hfName, tensor: tensor))
            }
        }
        let path = folder.appendingPathComponent("\(family.directory).safetensors").path
        try SafetensorsWriter.write(items, to: path)
        return (path, try golden.loadTensor(named: family.prefix + "input_ids").toArray(Int.self),
                try golden.loadTensor(named: family.prefix + "greedy").toArray(Int.self),
                try golden.loadTensor(named: family.prefix + "logits"))
    }

    @Test(arguments: families)
    func generateAndInspectReproduceTransformersFromProcessorOutputs(_ family: Family) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-family-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (path, ids, greedy, logits) = try Self.processorOutputs(family, in: folder)
        let model = Self.fixture(family) + "/model"
        let idList = ids.map(String.init).joined(separator: ",")

        let generated = try LucidProcess.run(["generate", "--model", model, "--pixel-values", path, "--input-ids", idList,
                                              "--greedy", "--max-new-tokens", "8", "--json"])
        #expect(generated.status == 0, "\(generated.err)")
        let tokens = try LucidProcess.json(generated.out)["token_ids"] as? [Int]
        #expect(tokens == greedy, "\(family.directory): lucid \(tokens ?? []) vs transformers \(greedy)")
        // `--fused-attention` reaches the decoder through the registry and gives the same tokens here.
        let fused = try LucidProcess.run(["generate", "--model", model, "--pixel-values", path, "--input-ids", idList,
                                          "--greedy", "--max-new-tokens", "8", "--json", "--fused-attention"])
        #expect(fused.status == 0, "\(fused.err)")
        #expect(try LucidProcess.json(fused.out)["token_ids"] as? [Int] == greedy, "\(family.directory) with --fused-attention")
        if family.fromImage {
            let image = Self.fixture(family) + "/\(family.prefix.dropLast()).png"
            let read = try LucidProcess.run(["generate", "--model", model, "--image", image, "--input-ids", idList,
                                             "--greedy", "--max-new-tokens", "8", "--json"])
            #expect(read.status == 0, "\(read.err)")
            #expect(try LucidProcess.json(read.out)["token_ids"] as? [Int] == greedy, "\(family.directory) from --image")
        }

        let out = folder.appendingPathComponent("trace.safetensors").path
        let inspected = try LucidProcess.run(["inspect", "--model", model, "--pixel-values", path, "--input-ids", idList,
                                              "--capture", "logits", "--out", out])
        #expect(inspected.status == 0, "\(inspected.err)")
        let captured = try SafetensorsFile(path: out)
        let name = try #require(captured.names.first { $0.contains("logits") }, "no logits in \(captured.names)")
        let actual = try captured.loadTensor(named: name)
        // inspect writes logits without the batch axis ([T, V]); the golden is [1, T, V].
        #expect([1] + actual.shape == logits.shape)
        if [1] + actual.shape == logits.shape {
            let difference: Double = (actual.to(.f64) - logits.reshaped(actual.shape).to(.f64)).abs().max().item()
            #expect(difference <= 1e-4, "\(family.directory) logits max-abs \(difference)")
        }

        let wrong = try LucidProcess.run(["generate", "--model", model, "--pixel-values", model + "/config.json", "--input-ids", idList, "--greedy"])
        #expect(wrong.status != 0 && wrong.err.contains("config.json"), "a file that is not safetensors names itself: \(wrong.err)")
    }

    @Test(arguments: families)
    func analyzeAttentionRunsOnTheFamilysImageSpan(_ family: Family) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-family-analysis-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let fixture = Self.fixture(family)
        let golden = try SafetensorsFile(path: fixture + "/golden.safetensors")
        let ids = try golden.loadTensor(named: family.prefix + "input_ids").toArray(Int.self).map(String.init).joined(separator: ",")
        let image = fixture + (family.directory == "instructblip" ? "/image.png" : "/\(family.prefix.dropLast()).png")
        let result = try LucidProcess.run(["analyze", "attention", "--model", fixture + "/model", "--image", image, "--input-ids", ids,
                                           "--max-new-tokens", "3", "--out", out])
        #expect(result.status == 0, "\(family.directory): \(result.err)")
        let report = try LucidProcess.json(String(decoding: try Data(contentsOf: URL(fileURLWithPath: out + "/analysis.json")), as: UTF8.self))
        #expect((report["rows"] as? [[String: Any]])?.count == 3)
        let span = try #require(report["image_span"] as? [String: Any])
        let (rows, columns) = (span["grid_rows"] as? Int ?? -1, span["grid_columns"] as? Int ?? -1)
        let figures = FileManager.default.fileExists(atPath: out + "/token_000.png") && FileManager.default.fileExists(atPath: out + "/index.html")
        let cls = FileManager.default.fileExists(atPath: out + "/vit_cls_attention.png")
        switch family.directory {
        case "llava-next":  // the base tile's 4 × 4 patches, ranked by [CLS]
            #expect(rows == 4 && columns == 4 && (report["outlier_ranking"] as? [Int])?.count == 16 && figures && cls)
        case "llava-onevision", "llava-siglip":  // the (base tile's) 4 × 4 patches; SigLIP has no [CLS]
            #expect(rows == 4 && columns == 4 && figures && !cls)
            #expect(span["outlier_overlap"] as? Bool == false && (report["outlier_ranking"] as? [Int])?.isEmpty == true)
        case "instructblip":  // the query tokens: no grid, no figures
            #expect(rows == 0 && columns == 0 && span["length"] as? Int == 4 && !figures && !cls)
        default:  // Qwen2-VL / Qwen2.5-VL: the merged grid, no [CLS]
            let grid = try golden.loadTensor(named: "processor.\(family.prefix)image_grid_thw").toArray(Int.self)
            #expect(rows == grid[1] / 2 && columns == grid[2] / 2 && span["length"] as? Int == rows * columns && figures && !cls)
            #expect(span["outlier_overlap"] as? Bool == false && (report["outlier_ranking"] as? [Int])?.isEmpty == true)
        }
    }

    /// `inspect --capture vision.hidden:0,vision.attentions:0` writes the whole tower: every patch of Qwen2-VL's
    /// one sequence ([N, D], not its first row) and every tile of LLaVA-NeXT ([tiles, N, D]); one CLIP image drops its axis.
    @Test(arguments: families.filter { ["llava-next", "qwen2-vl", "llava-siglip"].contains($0.directory) })
    func inspectWritesEveryPatchAndTileOfTheTower(_ family: Family) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-family-vision-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (path, ids, _, _) = try Self.processorOutputs(family, in: folder)
        let out = folder.appendingPathComponent("vision.safetensors").path
        let result = try LucidProcess.run(["inspect", "--model", Self.fixture(family) + "/model", "--pixel-values", path,
                                           "--input-ids", ids.map(String.init).joined(separator: ","),
                                           "--capture", "vision.hidden:0,vision.attentions:0", "--out", out])
        #expect(result.status == 0, "\(result.err)")
        let captured = try SafetensorsFile(path: out)
        let hidden = try captured.loadTensor(named: "vision.hidden_states.0").shape
        let attention = try captured.loadTensor(named: "vision.attentions.0").shape
        let pixels = try SafetensorsFile(path: path).loadTensor(named: "pixel_values").shape
        switch family.directory {
        case "qwen2-vl":  // pixel_values [N, C·T·P·P]: one row of hidden state per patch
            #expect(hidden.count == 2 && hidden[0] == pixels[0], "\(hidden) for \(pixels)")
            #expect(attention.count == 3 && attention[1] == pixels[0] && attention[2] == pixels[0], "\(attention)")
        case "llava-next":  // pixel_values [1, tiles, C, S, S]: every tile kept
            #expect(hidden.count == 3 && hidden[0] == pixels[1] && pixels[1] > 1, "\(hidden) for \(pixels)")
            #expect(attention.count == 4 && attention[0] == pixels[1], "\(attention)")
        default:  // one image: [N, D] and [H, N, N]
            #expect(hidden.count == 2 && attention.count == 3 && attention[1] == hidden[0], "\(hidden) \(attention)")
        }
    }

    /// A LLaVA-OneVision processor's outputs for one sample of two images (`batch_num_images` [2],
    /// scripts/make_llava_onevision_multi_image_fixture.py): `generate` takes every image of the file.
    @Test func generateTakesEveryImageOfAOnevisionSample() throws {
        let directory = Self.fixture(Self.families[1])
        let path = directory + "/multi_image.safetensors"
        let golden = try SafetensorsFile(path: path)
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self).map(String.init).joined(separator: ",")
        let generated = try LucidProcess.run(["generate", "--model", directory + "/model", "--pixel-values", path, "--input-ids", ids,
                                              "--greedy", "--max-new-tokens", "8", "--json"])
        #expect(generated.status == 0, "\(generated.err)")
        #expect(try LucidProcess.json(generated.out)["token_ids"] as? [Int] == (try golden.loadTensor(named: "greedy").toArray(Int.self)))
    }

    /// `--image` twice: each image file through Lucid's processor as transformers' processor gives an image
    /// among several (OneVision's padded base tile, Qwen2-VL's own grid), one placeholder each in order,
    /// and transformers' 8 greedy tokens (multi_image.safetensors of scripts/make_{llava_onevision,qwen2_vl}_multi_image_fixture.py;
    /// Qwen2.5-VL's from the latter with `qwen2.5-vl`).
    @Test(arguments: ["llava-onevision", "qwen2-vl", "qwen2.5-vl"])
    func generateTakesEveryImageFlagInOrder(_ directory: String) throws {
        let fixture = Self.fixture(Family(directory: directory, prefix: "", tensors: []))
        let golden = try SafetensorsFile(path: fixture + "/multi_image.safetensors")
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self).map(String.init).joined(separator: ",")
        let images = directory == "qwen2.5-vl" ? ["large", "wide"] : ["wide", "tall"]  // as the fixture scripts took them
        let generated = try LucidProcess.run(["generate", "--model", fixture + "/model", "--image", fixture + "/\(images[0]).png",
                                              "--image", fixture + "/\(images[1]).png", "--input-ids", ids, "--greedy", "--max-new-tokens", "8", "--json"])
        #expect(generated.status == 0, "\(generated.err)")
        #expect(try LucidProcess.json(generated.out)["token_ids"] as? [Int] == (try golden.loadTensor(named: "greedy").toArray(Int.self)))
        // The images' order counts: swapped, the answer is another.
        let swapped = try LucidProcess.run(["generate", "--model", fixture + "/model", "--image", fixture + "/\(images[1]).png",
                                            "--image", fixture + "/\(images[0]).png", "--input-ids", ids, "--greedy", "--max-new-tokens", "8", "--json"])
        #expect(swapped.status == 0, "\(swapped.err)")
        let swappedTokens = try LucidProcess.json(swapped.out)["token_ids"] as? [Int]
        let goldenTokens = try golden.loadTensor(named: "greedy").toArray(Int.self)
        #expect(swappedTokens != nil && swappedTokens != goldenTokens)
    }

    /// `inspect` with two `--image` writes each image's tower captures under `image.{k}.`, not the last
    /// image's under the lone image's names.
    @Test func inspectWritesEachOfSeveralImagesTowerCapturesApart() throws {
        let fixture = Self.fixture(Self.families[3])  // qwen2-vl: the two images have different patch counts
        let golden = try SafetensorsFile(path: fixture + "/multi_image.safetensors")
        let ids = try golden.loadTensor(named: "input_ids").toArray(Int.self).map(String.init).joined(separator: ",")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-inspect-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try LucidProcess.run(["inspect", "--model", fixture + "/model", "--image", fixture + "/wide.png", "--image", fixture + "/tall.png",
                                           "--input-ids", ids, "--capture", "logits,vision.hidden:0,vision.attentions:0", "--out", out])
        #expect(result.status == 0, "\(result.err)")
        let captured = try SafetensorsFile(path: out)
        #expect(captured.names.sorted() == ["image.0.vision.attentions.0", "image.0.vision.hidden_states.0", "image.1.vision.attentions.0",
                                            "image.1.vision.hidden_states.0", "logits"])
        let rows = try golden.loadTensor(named: "image_grid_thw").toArray(Int.self)  // (1, 4, 6), (1, 6, 2): 24 and 12 patches
        #expect(try captured.loadTensor(named: "image.0.vision.hidden_states.0").shape[0] == rows[0] * rows[1] * rows[2])
        #expect(try captured.loadTensor(named: "image.1.vision.hidden_states.0").shape[0] == rows[3] * rows[4] * rows[5])
    }

    /// Several `--image` where a prompt takes one are refused with the reason, nothing written: LLaVA-NeXT
    /// (one original size a prompt) and the attention analysis (one image's span).
    @Test func severalImagesWhereOneIsTakenAreRefusedWithTheReason() throws {
        let next = Self.fixture(Self.families[0])
        let twice = ["--image", next + "/wide.png", "--image", next + "/tall.png"]
        let generated = try LucidProcess.run(["generate", "--model", next + "/model", "--input-ids", "1,17,\(Self.nextPlaceholder),5,\(Self.nextPlaceholder),9",
                                              "--greedy", "--max-new-tokens", "1"] + twice)
        #expect(generated.status != 0 && generated.err.contains("one image a LLaVA-NeXT prompt"), "\(generated.err)")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-analysis-\(UUID().uuidString)").path
        let analysed = try LucidProcess.run(["analyze", "attention", "--model", next + "/model", "--input-ids", "1,17,5", "--out", out] + twice)
        #expect(analysed.status != 0 && analysed.err.contains("--image was given 2 times; the attention analysis reads one image"), "\(analysed.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
