import Foundation
import LucidFiles

/// CHAIR's object vocabulary: the 80 COCO categories with their synonyms, the double-word
/// rules, and the two variants (OPERA's quirks reproduced, or repaired).
///
/// Data provenance: the synonym text is `data/synonyms.txt` of LisaAnne/Hallucination
/// (commit 6e4d33c4bedf6dfcd24c61bf527f40714717be47, BSD-2-Clause), identical line for line to
/// the `synonyms_txt` embedded in shikiw/OPERA's `chair.py` (commit 61426efe…, MIT). The
/// double-word rules are those of both `chair.py` files.
///
/// `.opera` parses exactly as `chair.py` does (`line.strip().split(', ')`, first entry = node
/// word), which yields these quirks: `" motor bike"` and `" cheesecake"` keep a leading space and
/// never match; `"iPhone"` never matches lower-cased text; `"stove top oven"` has three words but
/// only pairs are merged; an empty string is an object word (harmless). `.fixed` repairs exactly
/// these four: entries are split on commas and trimmed, lower-cased, empty entries dropped, and
/// three-word phrases are merged before pairs. Everything else (the `toilet`/`seat` rule, the
/// stopper phrases `home plate` and `train track`, `baby`/`adult`/`passenger` qualifiers) is part
/// of CHAIR's definition and identical in both variants.
public struct CHAIRVocabulary: Sendable {
    /// Which parsing of the vocabulary to use.
    public enum Variant: String, Codable, Sendable, CaseIterable {
        /// OPERA's `chair.py` exactly, quirks included (the default; reproduces published numbers).
        case opera
        /// The four parsing quirks repaired (see the type's documentation).
        case fixed
    }

    public let variant: Variant
    /// The 80 node words (COCO category names) in synonym-file order.
    public let categories: [String]
    /// Every object word (`mscoco_objects`) → its node word (`inverse_synonym_dict`).
    public let nodeWords: [String: String]
    /// Two-word phrase → replacement token (`double_word_dict`, 55 entries).
    public let doubleWords: [String: String]
    /// Three-word phrase → replacement token (`.fixed` only: `stove top oven`).
    public let tripleWords: [String: String]

    public init(variant: Variant = .opera) {
        self.variant = variant
        var categories: [String] = []
        var nodeWords: [String: String] = [:]
        for line in PythonString.textLines(Self.synonymsText) {
            let entries: [String]
            switch variant {
            case .opera:
                entries = Self.split(PythonString.strip(line), by: ", ")
            case .fixed:
                entries = PythonString.split(line, ",").map { PythonString.lower(PythonString.strip($0)) }.filter { !$0.isEmpty }
            }
            guard let head = entries.first else { continue }
            categories.append(head)
            for entry in entries { nodeWords[entry] = head }
        }
        if variant == .opera {
            // chair.py's `synonyms_txt` starts with a newline, so '' is an object word of itself.
            nodeWords[""] = ""
        }
        var doubles: [String: String] = [:]
        for phrase in Self.cocoDoubleWords { doubles[phrase] = phrase }
        for animal in Self.animalWords {
            doubles["baby \(animal)"] = animal
            doubles["adult \(animal)"] = animal
        }
        for vehicle in Self.vehicleWords { doubles["passenger \(vehicle)"] = vehicle }
        doubles["bow tie"] = "tie"
        doubles["toilet seat"] = "toilet"
        doubles["wine glas"] = "wine glass"
        self.categories = categories
        self.nodeWords = nodeWords
        self.doubleWords = doubles
        self.tripleWords = variant == .fixed ? ["stove top oven": "stove top oven"] : [:]
    }

    /// A vocabulary for another world (e.g. ShapesWorld's `vocabulary.txt`): lines of comma-separated
    /// words, the first being the node word, parsed as the `.fixed` variant does (lower-cased,
    /// stripped, empty entries dropped). `doubleWords` maps two-word phrases to a token, as chair.py's.
    public init(synonymsText: String, doubleWords: [String: String] = [:]) {
        variant = .fixed
        var categories: [String] = []
        var nodeWords: [String: String] = [:]
        for line in PythonString.textLines(synonymsText) {
            let entries = PythonString.split(line, ",").map { PythonString.lower(PythonString.strip($0)) }.filter { !$0.isEmpty }
            guard let head = entries.first else { continue }
            categories.append(head)
            for entry in entries { nodeWords[entry] = head }
        }
        self.categories = categories
        self.nodeWords = nodeWords
        self.doubleWords = doubleWords
        self.tripleWords = [:]
    }

    /// The vocabulary of the synonyms file at `url` (`init(synonymsText:)`).
    public init(synonymsFile url: URL) throws(FileAccessError) {
        self.init(synonymsText: try SafeFile.readText(url.path))
    }

    /// Whether `word` is an object word (`word in mscoco_objects`).
    public func isObjectWord(_ word: String) -> Bool { nodeWords[word] != nil }

    /// The node word of a category name or synonym, nil when unknown (the empty string is never
    /// accepted here).
    public func category(of name: String) -> String? {
        guard !name.isEmpty else { return nil }
        return nodeWords[name]
    }

    /// `coco_double_words` of `chair.py` (duplicates as in the source).
    public static let cocoDoubleWords = [
        "motor bike", "motor cycle", "air plane", "traffic light", "street light", "traffic signal", "stop light",
        "fire hydrant", "stop sign", "parking meter", "suit case", "sports ball", "baseball bat", "baseball glove",
        "tennis racket", "wine glass", "hot dog", "cell phone", "mobile phone", "teddy bear", "hair drier", "potted plant",
        "bow tie", "laptop computer", "stove top oven", "hot dog", "teddy bear", "home plate", "train track",
    ]
    /// Animals whose `baby`/`adult` qualifier must not fire *person*.
    public static let animalWords = ["bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "animal", "cub"]
    /// Vehicles whose `passenger` qualifier must not fire *person*.
    public static let vehicleWords = ["jet", "train"]

    /// Python's `s.split(sep)` for a multi-character separator.
    private static func split(_ text: String, by separator: String) -> [String] {
        text.components(separatedBy: separator)
    }

    /// `synonyms.txt` verbatim (80 lines; the double spaces and trailing spaces are the source's).
    public static let synonymsText = """
person, girl, boy, man, woman, kid, child, chef, baker, people, adult, rider, children, baby, worker, passenger, sister, biker, policeman, cop, officer, lady, cowboy, bride, groom, male, female, guy, traveler, mother, father, gentleman, pitcher, player, skier, snowboarder, skater, skateboarder, person, woman, guy, foreigner, child, gentleman, caller, offender, coworker, trespasser, patient, politician, soldier, grandchild, serviceman, walker, drinker, doctor, bicyclist, thief, buyer, teenager, student, camper, driver, solider, hunter, shopper, villager
bicycle, bike, bicycle, bike, unicycle, minibike, trike
car, automobile, van, minivan, sedan, suv, hatchback, cab, jeep, coupe, taxicab, limo, taxi
motorcycle, scooter,  motor bike, motor cycle, motorbike, scooter, moped
airplane, jetliner, plane, air plane, monoplane, aircraft, jet, jetliner, airbus, biplane, seaplane
bus, minibus, trolley
train, locomotive, tramway, caboose
truck, pickup, lorry, hauler, firetruck
boat, ship, liner, sailboat, motorboat, dinghy, powerboat, speedboat, canoe, skiff, yacht, kayak, catamaran, pontoon, houseboat, vessel, rowboat, trawler, ferryboat, watercraft, tugboat, schooner, barge, ferry, sailboard, paddleboat, lifeboat, freighter, steamboat, riverboat, battleship, steamship
traffic light, street light, traffic signal, stop light, streetlight, stoplight
fire hydrant, hydrant
stop sign
parking meter
bench, pew
bird, ostrich, owl, seagull, goose, duck, parakeet, falcon, robin, pelican, waterfowl, heron, hummingbird, mallard, finch, pigeon, sparrow, seabird, osprey, blackbird, fowl, shorebird, woodpecker, egret, chickadee, quail, bluebird, kingfisher, buzzard, willet, gull, swan, bluejay, flamingo, cormorant, parrot, loon, gosling, waterbird, pheasant, rooster, sandpiper, crow, raven, turkey, oriole, cowbird, warbler, magpie, peacock, cockatiel, lorikeet, puffin, vulture, condor, macaw, peafowl, cockatoo, songbird
cat, kitten, feline, tabby
dog, puppy, beagle, pup, chihuahua, schnauzer, dachshund, rottweiler, canine, pitbull, collie, pug, terrier, poodle, labrador, doggie, doberman, mutt, doggy, spaniel, bulldog, sheepdog, weimaraner, corgi, cocker, greyhound, retriever, brindle, hound, whippet, husky
horse, colt, pony, racehorse, stallion, equine, mare, foal, palomino, mustang, clydesdale, bronc, bronco
sheep, lamb, ram, lamb, goat, ewe
cow, cattle, oxen, ox, calf, cattle, holstein, heifer, buffalo, bull, zebu, bison 
elephant
bear, panda
zebra
giraffe
backpack, knapsack
umbrella
handbag, wallet, purse, briefcase
tie, bow, bow tie
suitcase, suit case, luggage
frisbee
skis, ski
snowboard
sports ball, ball
kite
baseball bat
baseball glove
skateboard
surfboard, longboard, skimboard, shortboard, wakeboard
tennis racket, racket
bottle
wine glass
cup
fork
knife, pocketknife, knive
spoon
bowl, container
banana
apple
sandwich, burger, sub, cheeseburger, hamburger
orange
broccoli
carrot
hot dog
pizza
donut, doughnut, bagel
cake,  cheesecake, cupcake, shortcake, coffeecake, pancake
chair, seat, stool
couch, sofa, recliner, futon, loveseat, settee, chesterfield 
potted plant, houseplant
bed
dining table, table, desk
toilet, urinal, commode, toilet, lavatory, potty
tv, monitor, televison, television
laptop, computer, notebook, netbook, lenovo, macbook, laptop computer
mouse
remote
keyboard
cell phone, mobile phone, phone, cellphone, telephone, phon, smartphone, iPhone
microwave
oven, stovetop, stove, stove top oven
toaster
sink
refrigerator, fridge, fridge, freezer
book
clock
vase
scissors
teddy bear, teddybear
hair drier, hairdryer
toothbrush
"""
}
