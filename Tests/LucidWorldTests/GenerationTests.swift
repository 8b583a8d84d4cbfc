import LucidVision
import Testing
@testable import LucidWorld

struct GenerationTests {
    @Test func sameSeedGivesIdenticalScenesAndPNGBytes() throws {
        let config = TestSupport.smallConfig(seed: 5, count: 10, size: 96)
        let first = try ShapesWorld.generate(config)
        let second = try ShapesWorld.generate(config)
        #expect(first == second)
        for (a, b) in zip(first, second) {
            #expect(try ImageEncoder.png(SceneRenderer.render(a)) == ImageEncoder.png(SceneRenderer.render(b)))
        }
    }

    @Test func differentSeedsGiveDifferentScenesAndImages() throws {
        let a = try ShapesWorld.generate(TestSupport.smallConfig(seed: 1, count: 10))
        let b = try ShapesWorld.generate(TestSupport.smallConfig(seed: 2, count: 10))
        let differing = zip(a, b).filter { $0.objects != $1.objects }.count
        #expect(differing >= 9)
        #expect(try SceneRenderer.render(a[0]) != SceneRenderer.render(b[0]))
    }

    @Test func aSceneDependsOnlyOnSeedAndIndexNotOnCount() throws {
        let short = try ShapesWorld.generate(TestSupport.smallConfig(count: 5))
        let long = try ShapesWorld.generate(TestSupport.smallConfig(count: 50))
        #expect(Array(long.prefix(5)) == short)
        let world = try ShapesWorld(TestSupport.smallConfig(count: 50))
        #expect(world.scene(at: 30) == long[30])
    }

    @Test func scenesRespectTheirLayoutRules() throws {
        let config = ShapesWorldConfig(seed: 3, count: 300, imageSize: 64)
        for scene in try ShapesWorld.generate(config) {
            #expect(config.objectsPerScene.contains(scene.objects.count))
            #expect(Set(scene.objects.map(\.cell)).count == scene.objects.count, "cells must be distinct")
            #expect(scene.objects.map(\.cell) == scene.objects.map(\.cell).sorted(), "objects in reading order")
            #expect(!scene.containsHazard, "hazards are excluded by default")
            for object in scene.objects {
                #expect(object.bbox.isInside(imageSize: 64))
                #expect(object.bbox == object.boundingBox(imageSize: 64))
                // Each box stays inside its own grid cell, so objects never overlap.
                let cell = 64.0 / 3
                #expect(object.bbox.x >= Double(object.cell.column) * cell - 1e-9)
                #expect(object.bbox.maxX <= Double(object.cell.column + 1) * cell + 1e-9)
                #expect(object.bbox.y >= Double(object.cell.row) * cell - 1e-9)
                #expect(object.bbox.maxY <= Double(object.cell.row + 1) * cell + 1e-9)
            }
        }
    }

    @Test func idsCountFromTheFirstImageID() throws {
        var config = TestSupport.smallConfig(count: 3)
        config.firstImageID = 1000
        #expect(try ShapesWorld.generate(config).map(\.id) == [1000, 1001, 1002])
        #expect(try ShapesWorld.generate(config).map(\.fileName) == ["1000.png", "1001.png", "1002.png"])
    }

    @Test func onlyConfiguredCategoriesAndColoursAppear() throws {
        var config = TestSupport.smallConfig(count: 100)
        config.categories = [.ball, .box, .cup, .star]
        config.colors = [.red, .blue]
        config.objectsPerScene = 2 ... 4
        for scene in try ShapesWorld.generate(config) {
            #expect(scene.objects.allSatisfy { config.categories.contains($0.category) })
            #expect(scene.objects.allSatisfy { $0.color == .red || $0.color == .blue })
            #expect((2 ... 4).contains(scene.objects.count))
        }
    }

    @Test func hazardsAppearAtTheRequestedRate() throws {
        var config = ShapesWorldConfig(seed: 8, count: 1000, imageSize: 64)
        config.hazardProbability = 0.3
        let scenes = try ShapesWorld.generate(config)
        let rate = Double(scenes.filter(\.containsHazard).count) / Double(scenes.count)
        #expect(abs(rate - 0.3) < 0.05)
        #expect(scenes.allSatisfy { $0.objects.filter(\.category.isHazard).count <= 1 })
        config.hazards = [.bomb]
        let bombsOnly = try ShapesWorld.generate(config)
        #expect(bombsOnly.flatMap(\.objects).filter(\.category.isHazard).allSatisfy { $0.category == .bomb })
    }

    @Test func repeatedCategoriesOccurForCounting() throws {
        let scenes = try ShapesWorld.generate(ShapesWorldConfig(seed: 4, count: 300, imageSize: 64))
        let withRepeats = scenes.filter { scene in scene.categories.contains { scene.count(of: $0) > 1 } }
        #expect(withRepeats.count > 30)
        var none = ShapesWorldConfig(seed: 4, count: 300, imageSize: 64)
        none.duplicateProbability = 0
        none.bias = .none
        for scene in try ShapesWorld.generate(none) {
            #expect(scene.categories.count == scene.objects.count)
        }
    }

    @Test func backgroundsVary() throws {
        let scenes = try ShapesWorld.generate(ShapesWorldConfig(seed: 6, count: 200, imageSize: 64))
        #expect(Set(scenes.map(\.background.style)) == Set(Background.Style.allCases))
        #expect(scenes.contains { $0.background.noise > 0 } && scenes.contains { $0.background.noise == 0 })
        #expect(Set(scenes.map(\.background.primary)).count >= 8)
    }

    @Test func renderingAtAnotherSizeDrawsTheSamePicture() throws {
        let scene = try ShapesWorld.generate(TestSupport.smallConfig(count: 1, size: 224))[0]
        let large = try SceneRenderer.render(scene)
        let small = try SceneRenderer.render(scene, size: 112)
        #expect(large.width == 224 && small.width == 112)
        let downsized = try large.resized(width: 112, height: 112, filter: .bilinear)
        var close = 0
        for y in 0 ..< 112 {
            for x in 0 ..< 112 {
                if let a = small.pixel(x: x, y: y), let b = downsized.pixel(x: x, y: y), TestSupport.distance(a, b) < 60 { close += 1 }
            }
        }
        #expect(Double(close) / Double(112 * 112) > 0.9)
    }

    @Test func invalidConfigurationsAreRejectedWithAReason() {
        func reason(_ change: (inout ShapesWorldConfig) -> Void) -> String? {
            var config = ShapesWorldConfig()
            change(&config)
            do {
                try config.validate()
                return nil
            } catch {
                return error.description
            }
        }
        #expect(reason { _ in } == nil)
        #expect(reason { $0.count = -1 }?.contains("count") == true)
        #expect(reason { $0.imageSize = 8 }?.contains("image size 8") == true)
        #expect(reason { $0.categories = [] }?.contains("no categories") == true)
        #expect(reason { $0.categories = [.ball, .gun] }?.contains("'gun' is a hazard") == true)
        #expect(reason { $0.hazards = [.ball] }?.contains("not a hazard") == true)
        #expect(reason { $0.hazardProbability = 1.5 }?.contains("hazard probability") == true)
        #expect(reason { $0.objectsPerScene = 0 ... 3 }?.contains("objects per scene") == true)
        #expect(reason { $0.objectsPerScene = 1 ... 10 }?.contains("objects per scene") == true)
        #expect(reason { $0.colors = [] }?.contains("colours") == true)
        #expect(reason { $0.text.tailAbsentMentionProbability = -0.1 }?.contains("tail") == true)
        #expect(throws: ShapesWorldError.self) { try ShapesWorld.generate(ShapesWorldConfig(imageSize: 5000)) }
    }
}
