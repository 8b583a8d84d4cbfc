import ArgumentParser
import Foundation
import LucidEval

/// CHAIR's vocabulary and NLTK models, as `lucid eval chair` and `lucid report` take them.
struct CHAIROptions: ParsableArguments {
    @Flag(help: "CHAIR: repair the original synonym-list quirks.") var fixed = false
    @Option(help: "CHAIR: a synonyms file for another world (lines of comma-separated words, node word first), e.g. ShapesWorld's vocabulary.txt (report: default the one beside the run's dataset, if any).")
    var synonyms: String?
    @Option(help: "Directory of the NLTK models (default: $LUCID_NLTK_DATA, ./Data/nltk, or next to the lucid binary).") var nltkData: String?
    var variant: CHAIRVocabulary.Variant { fixed ? .fixed : .opera }
    var synonymsFile: URL? { synonyms.map { URL(fileURLWithPath: $0) } }
    /// `--synonyms`' vocabulary, else COCO's (`--fixed` or OPERA's).
    func vocabulary() throws -> CHAIRVocabulary { try synonymsFile.map(CHAIRVocabulary.init(synonymsFile:)) ?? CHAIRVocabulary(variant: variant) }
}

/// `--parser`: how a POPE answer is read as yes or no.
struct POPEParserOption: ParsableArguments {
    @Option(help: "POPE answer parser: pope (POPE's evaluate.py), opera (OPERA's pope_eval) or vcd (VCD/DAMRO substring rule).")
    var parser: String = "pope"
    func validate() throws { guard POPEAnswerParser(rawValue: parser) != nil else { throw ValidationError("--parser must be pope, opera or vcd") } }
    var value: POPEAnswerParser { POPEAnswerParser(rawValue: parser) ?? .pope }
}
