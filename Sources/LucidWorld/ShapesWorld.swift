/// ShapesWorld: a synthetic world of icon scenes whose ground truth is known exactly, so that
/// hallucination and safety effects of multimodal models can be measured.
///
/// Scene `i` depends only on the configuration and `i` (its generator is seeded with
/// ``WorldRandom/derivedSeed(_:stream:index:)`` of the seed, stream 1 and `i`), so a larger
/// `count` extends a data set without changing its first scenes. Per scene, in this order:
/// 1. the object count `n`, uniform in ``ShapesWorldConfig/objectsPerScene``;
/// 2. the number of distinct categories: 1, plus one for each of the other `n − 1` objects
///    that is not a repeat (probability 1 − ``ShapesWorldConfig/duplicateProbability``);
/// 3. the categories (``CategorySampler``: hazards, biases);
/// 4. repeats of present ordinary categories up to `n`;
/// 5. one distinct grid cell per object (a uniform shuffle of the nine cells);
/// 6. per object: colour (uniform), size (small or large, even odds), the icon's side within
///    the size's range and a jitter of its centre that keeps it inside its cell;
/// 7. the background: style, colours, and grain (35 % of scenes, amplitude 4–12 levels).
/// Objects are then listed in reading order of their cells.
public struct ShapesWorld: Sendable {
    /// The validated configuration.
    public let config: ShapesWorldConfig
    private let sampler: CategorySampler

    /// A world for `config`; throws ``ShapesWorldError/invalidConfig(_:)`` when it is invalid.
    public init(_ config: ShapesWorldConfig) throws(ShapesWorldError) {
        try config.validate()
        self.config = config
        self.sampler = CategorySampler(config: config)
    }

    /// All `config.count` scenes.
    public static func generate(_ config: ShapesWorldConfig) throws(ShapesWorldError) -> [Scene] {
        let world = try ShapesWorld(config)
        return (0 ..< config.count).map(world.scene(at:))
    }

    /// Scene number `index` (0-based; its id is `config.firstImageID + index`). Any index ≥ 0 is
    /// valid, including ones past `config.count`.
    public func scene(at index: Int) -> Scene {
        let counter = UInt64(truncatingIfNeeded: index)
        var random = WorldRandom(seed: WorldRandom.derivedSeed(config.seed, stream: 1, index: counter))
        let range = config.objectsPerScene
        let total = random.next(in: range)
        var distinctTarget = 1
        for _ in 1 ..< max(total, 1) where !random.chance(config.duplicateProbability) {
            distinctTarget += 1
        }
        let distinct = sampler.sample(target: distinctTarget, limit: range.upperBound, random: &random)
        var categories = distinct
        let repeatable = distinct.filter { !$0.isHazard }
        while categories.count < min(max(total, distinct.count), range.upperBound),
              let repeated = random.element(of: repeatable) {
            categories.append(repeated)
        }
        var cells = GridCell.allCases
        random.shuffle(&cells)
        var objects: [SceneObject] = []
        for (offset, category) in categories.enumerated() {
            objects.append(makeObject(category, cell: cells[offset], random: &random))
        }
        objects.sort { $0.cell < $1.cell }
        let background = makeBackground(random: &random)
        return Scene(id: config.firstImageID + index, imageSize: config.imageSize, background: background,
                     objects: objects,
                     textSeed: WorldRandom.derivedSeed(config.seed, stream: 2, index: counter))
    }

    private func makeObject(_ category: ShapeCategory, cell: GridCell, random: inout WorldRandom) -> SceneObject {
        let color = random.element(of: config.colors) ?? .red
        let size: ObjectSize = random.chance(0.5) ? .large : .small
        let cellSide = 1.0 / 3.0
        let fraction = random.nextDouble(in: size.sideFraction.lowerBound, size.sideFraction.upperBound)
        // Keep the icon box plus its outline and antialiasing fringe inside the cell.
        let pixel = 1.0 / Double(config.imageSize)
        let margin = { (side: Double) in
            (IconFrame(centerX: 0, centerY: 0, side: side).outlineWidth(imageSize: self.config.imageSize) + 0.5) * pixel
        }
        var side = cellSide * fraction
        if side + 2 * margin(side) > cellSide { side = cellSide - 2 * margin(side) - pixel }
        let slack = max(0, (cellSide - side) / 2 - margin(side) - pixel / 2)
        let dx = random.nextDouble(in: -slack, slack)
        let dy = random.nextDouble(in: -slack, slack)
        // Six decimals, so that `scenes.jsonl` holds the frames exactly.
        func decimals(_ value: Double) -> Double { (value * 1e6).rounded() / 1e6 }
        let frame = IconFrame(centerX: decimals((Double(cell.column) + 0.5) * cellSide + dx),
                              centerY: decimals((Double(cell.row) + 0.5) * cellSide + dy), side: decimals(side))
        var object = SceneObject(category: category, color: color, size: size, cell: cell, frame: frame,
                                 bbox: BoundingBox(x: 0, y: 0, width: 0, height: 0))
        object.bbox = object.boundingBox(imageSize: config.imageSize)
        return object
    }

    private func makeBackground(random: inout WorldRandom) -> Background {
        let styles: [(Background.Style, Double)] = [
            (.solid, 0.3), (.verticalGradient, 0.2), (.horizontalGradient, 0.15),
            (.diagonalGradient, 0.15), (.radialGradient, 0.2),
        ]
        var roll = random.nextDouble()
        var style = Background.Style.solid
        for (candidate, weight) in styles {
            if roll < weight { style = candidate; break }
            roll -= weight
        }
        let colors = BackgroundColor.allCases
        let primary = random.element(of: colors) ?? .white
        var secondary = primary
        if style != .solid {
            let others = colors.filter { $0 != primary }
            secondary = random.element(of: others) ?? primary
        }
        let noise = random.chance(0.35) ? random.next(in: 4 ... 12) : 0
        let noiseSeed = random.next()
        return Background(style: style, primary: primary, secondary: secondary, noise: noise,
                          noiseSeed: noise > 0 ? noiseSeed : 0)
    }
}
