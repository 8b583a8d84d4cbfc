import Foundation
import LucidSupport
import LucidText

/// The genetic operators of `SCAVPromptSearch` on prompt strings. Every operator keeps the
/// `[REPLACE]` marker: a child without it is replaced by its first parent.
public enum PromptGenetics {
    static let marker = "[REPLACE]"

    /// Sentences of a prompt, punctuation kept.
    public static func sentences(_ text: String) -> [String] { PunctuationSentences.split(text) }

    /// The distinct words of the prompts (the mutation vocabulary), in order of first use.
    public static func vocabulary(_ prompts: [String]) -> [String] {
        var seen = Set<String>()
        var words: [String] = []
        for prompt in prompts {
            for word in prompt.split(separator: " ").map(String.init) where word != marker && !word.contains(marker) && seen.insert(word).inserted {
                words.append(word)
            }
        }
        return words
    }

    /// Each word (the marker excepted) replaced with probability `rate` by a vocabulary word.
    public static func mutate(_ prompt: String, words: [String], rate: Double, random: inout SplitMix64) -> String {
        guard !words.isEmpty else { return prompt }
        let mutated = prompt.split(separator: " ").map(String.init).map { word -> String in
            guard !word.contains(marker), random.unit() < rate else { return word }
            return words[random.below(words.count)]
        }.joined(separator: " ")
        return mutated.contains(marker) ? mutated : prompt
    }

    /// Paragraph level: the sentence lists cut at up to `points` places and the pieces taken
    /// alternately from each parent.
    public static func paragraphCrossover(_ a: String, _ b: String, points: Int, random: inout SplitMix64) -> (String, String) {
        let sa = sentences(a), sb = sentences(b)
        let length = Swift.min(sa.count, sb.count)
        guard length > 1 else { return (a, b) }
        let cuts = Set((0..<points).map { _ in 1 + random.below(length - 1) })
        var childA: [String] = [], childB: [String] = []
        var swap = false
        for i in 0..<Swift.max(sa.count, sb.count) {
            if cuts.contains(i) { swap.toggle() }
            let fromA = i < sa.count ? sa[i] : nil, fromB = i < sb.count ? sb[i] : nil
            if let x = swap ? fromB : fromA { childA.append(x) }
            if let y = swap ? fromA : fromB { childB.append(y) }
        }
        return (keep(childA.joined(separator: " "), else: a), keep(childB.joined(separator: " "), else: b))
    }

    /// Sentence level: aligned sentences exchange each word with probability ½ (uniform crossover
    /// over the shorter sentence's positions).
    public static func sentenceCrossover(_ a: String, _ b: String, random: inout SplitMix64) -> (String, String) {
        let sa = sentences(a), sb = sentences(b)
        var childA = sa, childB = sb
        for i in 0..<Swift.min(sa.count, sb.count) {
            var wa = sa[i].split(separator: " ").map(String.init), wb = sb[i].split(separator: " ").map(String.init)
            for j in 0..<Swift.min(wa.count, wb.count) where random.unit() < 0.5 { (wa[j], wb[j]) = (wb[j], wa[j]) }
            childA[i] = wa.joined(separator: " ")
            childB[i] = wb.joined(separator: " ")
        }
        return (keep(childA.joined(separator: " "), else: a), keep(childB.joined(separator: " "), else: b))
    }

    static func keep(_ child: String, else parent: String) -> String {
        child.components(separatedBy: marker).count == 2 ? child : parent
    }

    /// The next population: elites kept, the rest bred from roulette-selected parents (weights softmax(−loss)).
    static func nextGeneration(_ population: [String], losses: [Double], parameters: SCAVPromptSearch.Parameters,
                               paragraphLevel: Bool, random: inout SplitMix64) -> [String] {
        let order = population.indices.sorted { losses[$0] < losses[$1] }
        let elites = Swift.max(1, Int(Double(population.count) * parameters.eliteFraction))
        var next = order.prefix(elites).map { population[$0] }
        let lowest = losses.min() ?? 0
        let weights = losses.map { Foundation.exp(-($0 - lowest)) }
        let total = weights.reduce(0, +)
        func pick() -> String {
            var draw = random.unit() * total
            for (index, weight) in weights.enumerated() {
                draw -= weight
                if draw <= 0 { return population[index] }
            }
            return population[population.count - 1]
        }
        let words = vocabulary(population)
        while next.count < population.count {
            var (a, b) = (pick(), pick())
            if random.unit() < parameters.crossoverRate {
                (a, b) = paragraphLevel ? paragraphCrossover(a, b, points: parameters.crossoverPoints, random: &random)
                                        : sentenceCrossover(a, b, random: &random)
            }
            for child in [a, b] where next.count < population.count {
                next.append(random.unit() < parameters.mutationRate ? mutate(child, words: words, rate: 0.1, random: &random) : child)
            }
        }
        return next
    }
}
