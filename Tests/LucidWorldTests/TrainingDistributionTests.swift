import Testing
@testable import LucidWorld

@Suite("ShapesWorld render size vs the bundled organisms")
struct TrainingDistributionTests {
    @Test func onlySizesOffTheOrganismsRenderSizeWarn() throws {
        #expect(ShapesWorldConfig().trainingDistributionWarning == nil, "the default is the organisms' size")
        #expect(ShapesWorldConfig(imageSize: ShapesWorldConfig.organismTrainingImageSize).trainingDistributionWarning == nil)
        for size in [64, 96, 336] {
            let warning = try #require(ShapesWorldConfig(imageSize: size).trainingDistributionWarning)
            #expect(warning.contains("--image-size \(size)") && warning.contains("224"), "\(warning)")
        }
    }
}
