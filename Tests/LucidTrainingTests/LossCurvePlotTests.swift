import Testing
import LucidTraining

@Suite("loss curve plot")
struct LossCurvePlotTests {
    @Test func lossCurvePlotDrawsEveryStage() {
        let svg = LossCurvePlot.svg([("vision", [3, 2, 1]), ("instruct", [5, 4, 2, 1])])
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.components(separatedBy: "<polyline").count == 3)
        #expect(svg.contains("instruct"))
    }
}
