import LucidVision
import Testing
@testable import LucidWorld

struct IconTests {
    @Test func everyCategoryDrawsADistinctIcon() throws {
        let background = BackgroundColor.white
        let icons = try ShapeCategory.allCases.map { category in
            try SceneRenderer.renderIcon(category, color: .blue, size: 64, background: background)
        }
        var closest = (1.0, "")
        for i in icons.indices {
            for j in icons.indices where j > i {
                let difference = TestSupport.foregroundDifference(icons[i], icons[j], background: background.rgb)
                if difference < closest.0 {
                    closest = (difference, "\(ShapeCategory.allCases[i].name)/\(ShapeCategory.allCases[j].name)")
                }
            }
        }
        // Among pixels where either icon is drawn, at least this share differs clearly.
        #expect(closest.0 > 0.3, "closest pair \(closest.1) differs on only \(closest.0) of its pixels")
    }

    @Test func everyIconCoversAReasonableShareOfItsBox() throws {
        for category in ShapeCategory.allCases {
            let image = try SceneRenderer.renderIcon(category, color: .red, size: 64)
            var drawn = 0
            for y in 0 ..< 64 {
                for x in 0 ..< 64 {
                    if let pixel = image.pixel(x: x, y: y), TestSupport.distance(pixel, BackgroundColor.white.rgb) > 40 {
                        drawn += 1
                    }
                }
            }
            let share = Double(drawn) / 4096
            #expect(share > 0.08 && share < 0.8, "\(category.name) covers \(share) of the image")
        }
    }

    @Test func iconsStayInsideTheirUnitBox() {
        for category in ShapeCategory.allCases {
            let bounds = IconLibrary.icon(for: category).bounds
            #expect(bounds.minX >= -1 && bounds.maxX <= 1 && bounds.minY >= -1 && bounds.maxY <= 1,
                    "\(category.name) bounds \(bounds)")
        }
    }

    @Test func objectsChangeOnlyPixelsInsideTheirBoundingBoxes() throws {
        let scenes = try ShapesWorld.generate(TestSupport.smallConfig(count: 12, size: 96))
        for scene in scenes {
            let image = try SceneRenderer.render(scene)
            var empty = scene
            empty.objects = []
            let backgroundOnly = try SceneRenderer.render(empty)
            for y in 0 ..< 96 {
                for x in 0 ..< 96 where image.pixel(x: x, y: y) != backgroundOnly.pixel(x: x, y: y) {
                    #expect(scene.objects.contains { $0.bbox.touches(pixelX: x, y: y) },
                            "scene \(scene.id): pixel (\(x), \(y)) changed outside every box")
                }
            }
        }
    }

    @Test func boundingBoxesAreTightAroundTheDrawing() throws {
        let scenes = try ShapesWorld.generate(TestSupport.smallConfig(count: 8, size: 112))
        for scene in scenes {
            var empty = scene
            empty.objects = []
            let backgroundOnly = try SceneRenderer.render(empty)
            for object in scene.objects {
                var alone = empty
                alone.objects = [object]
                let image = try SceneRenderer.render(alone)
                var (minX, minY, maxX, maxY) = (Int.max, Int.max, Int.min, Int.min)
                for y in 0 ..< 112 {
                    for x in 0 ..< 112 where image.pixel(x: x, y: y) != backgroundOnly.pixel(x: x, y: y) {
                        (minX, minY, maxX, maxY) = (min(minX, x), min(minY, y), max(maxX, x), max(maxY, y))
                    }
                }
                let box = object.bbox
                // The box may exceed the changed pixels by the antialiasing fringe and rounding.
                #expect(Double(minX) - box.x < 2.5 && box.maxX - Double(maxX + 1) < 2.5, "\(object.category.name) x: \(minX)...\(maxX) vs \(box)")
                #expect(Double(minY) - box.y < 2.5 && box.maxY - Double(maxY + 1) < 2.5, "\(object.category.name) y: \(minY)...\(maxY) vs \(box)")
            }
        }
    }
}
