/// The object vocabulary of ShapesWorld for CHAIR-style evaluation: each category noun with its
/// plural and a few synonyms, as plain data.
///
/// CHAIR's own vocabulary is COCO's 80 categories with synonyms. Only some ShapesWorld nouns are
/// COCO words (knife, fork, spoon, cup, car, boat, bird, chair, umbrella, clock, apple, bottle,
/// kite, book; "ball" is a COCO synonym of "sports ball"), so CHAIR with the COCO vocabulary would
/// silently ignore mentions of a hallucinated sun, star, key, hat, … . Evaluate ShapesWorld
/// captions with this vocabulary instead: ``synonymsText`` is in the format of CHAIR's
/// `synonyms.txt` (one line per category, node word first, entries separated by ", "), and
/// ``categoryNames`` are the node words (the names in `objects.json`).
///
/// The synonyms avoid every word the text templates use for other purposes (for example "light"
/// or "home"), so a CHAIR-style scan of ShapesWorld's own text finds exactly the tracked objects.
public struct ShapesWorldVocabulary: Sendable {
    /// Node words (category names), in category order.
    public let categoryNames: [String]
    /// Every object word or phrase (node words, plurals, synonyms) → its category.
    public let words: [String: ShapeCategory]

    /// The vocabulary of `categories` (all by default, hazards included).
    public init(categories: [ShapeCategory] = ShapeCategory.allCases) {
        categoryNames = categories.map(\.name)
        var words: [String: ShapeCategory] = [:]
        for category in categories {
            for word in ShapesWorldVocabulary.variants(of: category) { words[word] = category }
        }
        self.words = words
    }

    /// The category name a single word denotes (singular, plural or synonym, any case), if any.
    public func category(of word: String) -> String? {
        words[word.lowercased()]?.name
    }

    /// The node word, plural and synonyms of `category` (node word first; phrases have one space).
    public static func variants(of category: ShapeCategory) -> [String] {
        let extra: [String]
        switch category {
        case .ball: extra = ["beach ball", "beach balls"]
        case .box: extra = ["crate", "crates", "cube", "cubes", "parcel", "parcels"]
        case .cup: extra = ["mug", "mugs", "teacup", "teacups"]
        case .spoon: extra = ["teaspoon", "teaspoons"]
        case .fish: extra = ["fishes"]
        case .house: extra = ["cottage", "cottages", "building", "buildings"]
        case .car: extra = ["automobile", "automobiles"]
        case .boat: extra = ["sailboat", "sailboats", "ship", "ships"]
        case .moon: extra = ["crescent", "crescents"]
        case .hat: extra = ["top hat", "top hats"]
        case .lamp: extra = ["table lamp", "table lamps"]
        case .clock: extra = ["alarm clock", "alarm clocks"]
        case .flower: extra = ["daisy", "daisies", "blossom", "blossoms"]
        case .chair: extra = ["seat", "seats"]
        case .gun: extra = ["pistol", "pistols", "handgun", "handguns", "firearm", "firearms"]
        case .syringe: extra = ["needle", "needles"]
        default: extra = []
        }
        let base = category.plural == category.name ? [category.name] : [category.name, category.plural]
        return base + extra
    }

    /// The vocabulary in the format of CHAIR's `synonyms.txt`: one line per category, the node
    /// word first, entries separated by ", ", a newline after each line.
    public var synonymsText: String {
        categoryNames.compactMap(ShapeCategory.init(name:)).map { category in
            ShapesWorldVocabulary.variants(of: category).joined(separator: ", ") + "\n"
        }.joined()
    }

    /// The categories mentioned in `text`, in order of first mention: the text is lower-cased
    /// and split into words at every character that is not a letter; two-word phrases are
    /// matched before single words. (A plain-data scan, not CHAIR's NLTK pipeline.)
    public func mentions(in text: String) -> [ShapeCategory] {
        let tokens = text.lowercased().split { !$0.isLetter }.map(String.init)
        var found: [ShapeCategory] = []
        var index = 0
        while index < tokens.count {
            if index + 1 < tokens.count, let category = words[tokens[index] + " " + tokens[index + 1]] {
                if !found.contains(category) { found.append(category) }
                index += 2
                continue
            }
            if let category = words[tokens[index]], !found.contains(category) { found.append(category) }
            index += 1
        }
        return found
    }
}
