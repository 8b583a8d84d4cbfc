/// Draws the distinct categories of one scene, honouring the co-occurrence biases.
///
/// Procedure (all draws from the scene's generator, in this order):
/// 1. If hazards are enabled, with probability `hazardProbability` one hazard (uniform over the
///    configured hazards) is included first.
/// 2. Until `target` distinct categories are present: draw `c` uniformly from the ordinary
///    categories that are neither present, forbidden nor skipped. If `c` has undecided active
///    partners (neither present nor forbidden) and the scene has no room for `c` and all of them
///    (`limit` distinct categories at most), `c` is skipped for this scene. Otherwise `c` is
///    included.
/// 3. Including a category flips, for each undecided active partner `d` with probability `p`, a
///    coin with probability ``BiasSpec/coinProbability(_:)``: heads includes `d` (recursively)
///    if there is room, tails (or no room) forbids `d` for the scene.
struct CategorySampler {
    let ordinary: [ShapeCategory]
    let hazards: [ShapeCategory]
    let hazardProbability: Double
    /// Active partners of each category.
    let partners: [ShapeCategory: [(category: ShapeCategory, coin: Double)]]

    init(config: ShapesWorldConfig) {
        ordinary = config.categories
        hazards = config.hazardProbability > 0 ? config.hazards : []
        hazardProbability = config.hazardProbability
        var partners: [ShapeCategory: [(category: ShapeCategory, coin: Double)]] = [:]
        for pair in config.activeBiasPairs {
            let coin = BiasSpec.coinProbability(pair.probability)
            partners[pair.first, default: []].append((pair.second, coin))
            partners[pair.second, default: []].append((pair.first, coin))
        }
        self.partners = partners
    }

    /// The distinct categories of a scene in inclusion order: `target` of them when possible,
    /// more when a bias partner was added, never more than `limit`.
    func sample(target: Int, limit: Int, random: inout WorldRandom) -> [ShapeCategory] {
        var state = State()
        if !hazards.isEmpty, random.chance(hazardProbability), let hazard = random.element(of: hazards) {
            include(hazard, limit: limit, state: &state, random: &random)
        }
        while state.present.count < target {
            let candidates = ordinary.filter { !state.present.contains($0) && !state.forbidden.contains($0) && !state.skipped.contains($0) }
            guard let category = random.element(of: candidates) else { break }
            let undecided = (partners[category] ?? []).filter { state.isUndecided($0.category) }
            if state.present.count + 1 + undecided.count > limit {
                state.skipped.insert(category)
                continue
            }
            include(category, limit: limit, state: &state, random: &random)
        }
        return state.present
    }

    private struct State {
        var present: [ShapeCategory] = []
        var forbidden = Set<ShapeCategory>()
        var skipped = Set<ShapeCategory>()

        func isUndecided(_ category: ShapeCategory) -> Bool {
            !present.contains(category) && !forbidden.contains(category)
        }
    }

    private func include(_ category: ShapeCategory, limit: Int, state: inout State, random: inout WorldRandom) {
        state.present.append(category)
        for partner in partners[category] ?? [] where state.isUndecided(partner.category) {
            if random.chance(partner.coin), state.present.count < limit {
                include(partner.category, limit: limit, state: &state, random: &random)
            } else {
                state.forbidden.insert(partner.category)
            }
        }
    }
}
