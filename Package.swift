// swift-tools-version: 6.0
// Lucid: probe, attack and harden multimodal LLMs. See README.md and docs/.
import PackageDescription

let package = Package(
    name: "Lucid",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "LucidSupport", targets: ["LucidSupport"]),
        .library(name: "LucidTensor", targets: ["LucidTensor"]),
        .library(name: "LucidNN", targets: ["LucidNN"]),
        .library(name: "LucidText", targets: ["LucidText"]),
        .library(name: "LucidVision", targets: ["LucidVision"]),
        .library(name: "LucidModels", targets: ["LucidModels"]),
        .library(name: "LucidGeneration", targets: ["LucidGeneration"]),
        .library(name: "LucidEval", targets: ["LucidEval"]),
        .library(name: "LucidAnalysis", targets: ["LucidAnalysis"]),
        .library(name: "LucidBuildInfo", targets: ["LucidBuildInfo"]),
        .library(name: "LucidRuns", targets: ["LucidRuns"]),
        .library(name: "LucidWorld", targets: ["LucidWorld"]),
        .library(name: "LucidTraining", targets: ["LucidTraining"]),
        .library(name: "LucidOrganisms", targets: ["LucidOrganisms"]),
        .library(name: "LucidAttacks", targets: ["LucidAttacks"]),
        .library(name: "LucidDefense", targets: ["LucidDefense"]),
        .library(name: "LucidPipeline", targets: ["LucidPipeline"]),
        .library(name: "LucidServer", targets: ["LucidServer"]),
        .library(name: "LucidBench", targets: ["LucidBench"]),
        .executable(name: "lucid", targets: ["lucid"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // `lucid serve` (LucidServer): HTTP on SwiftNIO, graceful shutdown, Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The connection a request came on (LucidServer cancels a generation whose client closed it).
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        // The HTTP request parts a connection's handlers see (LucidServer's read timeout).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        // The judges' HTTP client (LucidEval): OpenAI-compatible endpoints, `lucid serve` among them.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.26.0"),
    ],
    targets: [
        // libtorch from the PyPI torch wheel: scripts/setup.sh unpacks it and writes lucid-torch.pc;
        // the Makefile exports PKG_CONFIG_PATH (docs/engine.md).
        .systemLibrary(name: "CTorchLibrary", pkgConfig: "lucid-torch"),
        // The only C++ in Lucid: a mechanical extern "C" shim over libtorch (ATen + autograd).
        .target(
            name: "CTorch",
            dependencies: ["CTorchLibrary"],
            cxxSettings: [.define("_GLIBCXX_USE_CXX11_ABI", to: "1")]
        ),
        // One copy each of what every layer needs, with no dependency: JSON strings and Python-style JSON,
        // SplitMix64, SHA-256, the record-key strategies, LLaVA-NeXT's anyres arithmetic, the `LucidError`
        // protocol (docs/architecture.md).
        .target(name: "LucidSupport"),
        .target(
            name: "LucidTensor",
            dependencies: ["CTorch", "LucidSupport", "LucidFiles"]
        ),
        .target(
            name: "LucidNN",
            dependencies: ["LucidTensor"]
        ),
        .target(name: "LucidText", dependencies: ["LucidFiles"]),
        // Reading and writing files that come from outside: regular files only, size caps, atomic writes.
        .target(name: "LucidFiles"),
        .systemLibrary(name: "CPNG"),
        .systemLibrary(name: "CJPEG"),
        // libpng/libjpeg calls with their setjmp error handling, in C so no longjmp crosses Swift.
        .target(
            name: "CImageCodecs",
            dependencies: ["CPNG", "CJPEG"],
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]
        ),
        .target(name: "LucidVision", dependencies: ["CImageCodecs", "LucidTensor", "LucidFiles", "LucidSupport"]),
        .target(
            name: "LucidModels",
            dependencies: ["LucidNN", "LucidTensor", "LucidText", "LucidFiles", "LucidSupport"]
        ),
        .target(
            name: "LucidGeneration",
            dependencies: ["LucidModels", "LucidTensor"]
        ),
        .target(name: "LucidWorld", dependencies: ["LucidVision", "LucidSupport"]),
        // Lucid's version and the git commit it is built from (the LucidBuildID plugin writes the commit).
        .target(name: "LucidBuildInfo", plugins: ["LucidBuildID"]),
        .plugin(name: "LucidBuildID", capability: .buildTool()),
        .target(name: "LucidRuns", dependencies: ["LucidBuildInfo", "LucidFiles", "LucidSupport", .product(name: "Yams", package: "Yams")]),
        // A fake workload the run tests start as a child process and kill (see Tests/LucidRunsTests).
        .executableTarget(name: "lucid-runs-fixture", dependencies: ["LucidRuns", "LucidSupport"]),
        // Generic training: the resumable stage loop (AdamW, warm-up + cosine, checkpoints), schedules, loss curves.
        .target(name: "LucidTraining", dependencies: ["LucidNN", "LucidTensor", "LucidSupport"]),
        // The training recipes of Lucid's model organisms (the LucidWorld layer's second half).
        .target(name: "LucidOrganisms", dependencies: ["LucidAttacks", "LucidDefense", "LucidTraining", "LucidWorld", "LucidModels", "LucidNN", "LucidTensor", "LucidText",
                                                       "LucidVision", "LucidGeneration", "LucidRuns", "LucidEval", "LucidFiles", "LucidSupport"]),
        // Attacks: SCAV probes, steering and prompt search; PixelPGD and the Mirage attention-sink attack.
        .target(name: "LucidAttacks", dependencies: ["LucidModels", "LucidGeneration", "LucidTensor", "LucidText", "LucidVision", "LucidSupport"]),
        // Defences: Q-MLLM (quantisers, safety map, gate).
        .target(name: "LucidDefense", dependencies: ["LucidModels", "LucidNN", "LucidTensor", "LucidFiles", "LucidSupport"]),
        // Performance measurements against references measured on the same machine (`lucid bench`, scripts/bench.sh).
        .target(name: "LucidBench", dependencies: ["LucidModels", "LucidGeneration", "LucidNN", "LucidTensor", "LucidSupport"]),
        // Orchestration: the model registry, opened models and what runs on them.
        .target(name: "LucidPipeline", dependencies: ["LucidModels", "LucidNN", "LucidTensor", "LucidText", "LucidVision", "LucidGeneration",
                                                      "LucidAttacks", "LucidDefense", "LucidOrganisms", "LucidTraining", "LucidRuns", "LucidEval", "LucidWorld", "LucidFiles", "LucidSupport"]),
        // Metrics, judges and reports: no libtorch (CHAIR, POPE, ASR and the judges read text and JSON).
        .target(name: "LucidEval", dependencies: ["LucidRuns", "LucidFiles", "LucidSupport", "LucidText",
                                                  .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                  .product(name: "NIOCore", package: "swift-nio"),
                                                  .product(name: "NIOHTTP1", package: "swift-nio")]),
        // Attention analyses of a model's response (DAMRO's outlier overlap, OPERA's columns) and their figures.
        .target(name: "LucidAnalysis", dependencies: ["LucidModels", "LucidTensor", "LucidVision"]),
        // `lucid serve`: the OpenAI-compatible HTTP server over OpenedModel and Decoding.generate (docs/serve.md).
        .target(name: "LucidServer", dependencies: [
            "LucidPipeline", "LucidModels", "LucidGeneration", "LucidTensor", "LucidText", "LucidVision", "LucidRuns", "LucidBuildInfo", "LucidFiles",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
        ]),
        .target(
            name: "LucidCLI",
            dependencies: [
                "LucidTensor",
                "LucidNN",
                "LucidModels",
                "LucidGeneration",
                "LucidText",
                "LucidVision",
                "LucidEval",
                "LucidAnalysis",
                "LucidRuns",
                "LucidBuildInfo",
                "LucidWorld",
                "LucidOrganisms",
                "LucidTraining",
                "LucidAttacks",
                "LucidDefense",
                "LucidPipeline",
                "LucidFiles",
                "LucidServer",
                "LucidBench",
                "LucidSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "lucid",
            dependencies: ["LucidCLI"]
        ),
        // Helpers shared by test targets only (not a product): the fuzz budget and its streams.
        .target(
            name: "LucidTestSupport",
            dependencies: ["LucidSupport"],
            path: "Tests/LucidTestSupport"
        ),
        .testTarget(
            name: "LucidSupportTests",
            dependencies: ["LucidSupport"]
        ),
        .testTarget(
            name: "LucidTensorTests",
            dependencies: ["LucidTestSupport", "LucidTensor", "LucidFiles"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "LucidNNTests",
            dependencies: ["LucidNN"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "LucidModelsTests",
            dependencies: ["LucidModels", "LucidGeneration", "LucidVision"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "LucidTextTests",
            dependencies: ["LucidText", "LucidModels", "LucidTensor"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "LucidVisionTests",
            dependencies: ["LucidTestSupport", "LucidVision"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "LucidEvalTests",
            dependencies: ["LucidEval"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "LucidAnalysisTests",
            dependencies: ["LucidAnalysis", "LucidModels", "LucidTensor", "LucidVision"]
        ),
        .testTarget(
            name: "LucidRunsTests",
            dependencies: ["LucidTestSupport", "LucidRuns", "LucidBuildInfo", "LucidFiles", "LucidSupport"]
        ),
        .testTarget(
            name: "LucidFilesTests",
            dependencies: ["LucidFiles"]
        ),
        .testTarget(
            name: "LucidWorldTests",
            dependencies: ["LucidWorld", "LucidVision"]
        ),
        .testTarget(
            name: "LucidTrainingTests",
            dependencies: ["LucidTraining", "LucidNN", "LucidTensor"]
        ),
        .testTarget(
            name: "LucidOrganismsTests",
            dependencies: ["LucidOrganisms", "LucidTraining", "LucidModels", "LucidNN", "LucidTensor", "LucidText", "LucidWorld", "LucidEval", "LucidSupport"]
        ),
        .testTarget(
            name: "LucidAttacksTests",
            dependencies: ["LucidAttacks", "LucidModels", "LucidGeneration", "LucidNN", "LucidTensor", "LucidText", "LucidVision", "LucidSupport"]
        ),
        .testTarget(
            name: "LucidDefenseTests",
            dependencies: ["LucidDefense", "LucidModels", "LucidNN", "LucidTensor", "LucidSupport"]
        ),
        .testTarget(
            name: "LucidPipelineTests",
            dependencies: ["LucidTestSupport", "LucidPipeline", "LucidEval", "LucidAnalysis", "LucidModels", "LucidGeneration", "LucidAttacks", "LucidDefense", "LucidNN", "LucidTensor", "LucidVision", "LucidRuns", "LucidText",
                           "LucidOrganisms", "LucidWorld"]
        ),
        .testTarget(
            name: "LucidServerTests",
            dependencies: ["LucidTestSupport", "LucidServer", "LucidPipeline", "LucidGeneration", "LucidModels", "LucidTensor", "LucidVision", "LucidWorld", "LucidOrganisms", "LucidRuns", "LucidBuildInfo", "LucidEval", "LucidSupport",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           // RequestReadClockTests: an HTTP/1 pipeline on an embedded channel, in virtual time.
                           .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOHTTPTypes", package: "swift-nio-extras"), .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras")]
        ),
        .testTarget(
            name: "LucidBenchTests",
            dependencies: ["LucidBench", "LucidModels", "LucidTensor"]
        ),
        .testTarget(
            name: "LucidCLITests",
            dependencies: ["LucidTestSupport", "LucidCLI", "LucidTraining", "LucidVision", "LucidTensor", "LucidSupport", "LucidRuns", "LucidEval", "LucidPipeline"],
            exclude: ["Fixtures"]  // read from the source tree (#filePath)
        ),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx20
)
