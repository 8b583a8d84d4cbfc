import Foundation
import Testing
@testable import LucidEval

/// Treebank (NLTKWordTokenizer) rules on single sentences; expectations are NLTK 3.8.1's.
@Suite("Treebank word tokenizer")
struct TreebankWordTokenizerTests {
    let tokenizer = TreebankWordTokenizer()

    @Test func straightDoubleQuotesBecomeOpeningAndClosingTreebankQuotes() {
        #expect(tokenizer.tokenize(#"He said, "Hello there.""#) == ["He", "said", ",", "``", "Hello", "there", ".", "''"])
        #expect(tokenizer.tokenize(#""Quoted at start," she said."#) == ["``", "Quoted", "at", "start", ",", "''", "she", "said", "."])
        #expect(tokenizer.tokenize("She said ''double single'' and `backtick' quotes.")
            == ["She", "said", "``", "double", "single", "''", "and", "`", "backtick", "'", "quotes", "."])
    }

    @Test func curlyAndLowQuotesAreSplitOff() {
        #expect(tokenizer.tokenize("“Curly” ‘single’ „low“ «guill».")
            == ["“", "Curly", "”", "‘", "single", "’", "„", "low", "“", "«", "guill", "»", "."])
    }

    @Test func cliticsAndNegationsAreSplit() {
        #expect(tokenizer.tokenize("I can't, won't and didn't.") == ["I", "ca", "n't", ",", "wo", "n't", "and", "did", "n't", "."])
        #expect(tokenizer.tokenize("You're, we've, they'll, I'm, he'd.")
            == ["You", "'re", ",", "we", "'ve", ",", "they", "'ll", ",", "I", "'m", ",", "he", "'d", "."])
        #expect(tokenizer.tokenize("It's John's dog's bone.") == ["It", "'s", "John", "'s", "dog", "'s", "bone", "."])
        #expect(tokenizer.tokenize("The dogs' bowls.") == ["The", "dogs", "'", "bowls", "."])
    }

    @Test func macIntyreContractionsAreSplit() {
        #expect(tokenizer.tokenize("Cannot gimme gonna gotta lemme wanna go.")
            == ["Can", "not", "gim", "me", "gon", "na", "got", "ta", "lem", "me", "wan", "na", "go", "."])
        #expect(tokenizer.tokenize("'Tis 'twas more'n d'ye.") == ["'T", "is", "'t", "was", "more", "'n", "d", "'ye", "."])
    }

    @Test func onlyTheSentenceFinalPeriodIsSplit() {
        #expect(tokenizer.tokenize("Mr. Smith met Dr. Jones at 5 p.m. today.")
            == ["Mr.", "Smith", "met", "Dr.", "Jones", "at", "5", "p.m.", "today", "."])
        #expect(tokenizer.tokenize("the end.\" ") == ["the", "end", ".", "''"])
        #expect(tokenizer.tokenize("(a sentence.)") == ["(", "a", "sentence", ".", ")"])
    }

    @Test func ellipsesQuestionAndExclamationMarksAreSeparateTokens() {
        #expect(tokenizer.tokenize("Wait... what?!") == ["Wait", "...", "what", "?", "!"])
        #expect(tokenizer.tokenize("So... the end...") == ["So", "...", "the", "end", "..."])
    }

    @Test func commasAndColonsBeforeDigitsStayInsideNumbers() {
        #expect(tokenizer.tokenize("Numbers 1,000,000 and 3:45 and a:b, c,d.")
            == ["Numbers", "1,000,000", "and", "3:45", "and", "a", ":", "b", ",", "c", ",", "d", "."])
        #expect(tokenizer.tokenize("Prices rose 3.5% to $4.20 (about 3,36 euros).")
            == ["Prices", "rose", "3.5", "%", "to", "$", "4.20", "(", "about", "3,36", "euros", ")", "."])
    }

    @Test func symbolsBracketsAndDashesAreSplit() {
        #expect(tokenizer.tokenize("a@b.com #tag & more; ok * star") == ["a", "@", "b.com", "#", "tag", "&", "more", ";", "ok", "*", "star"])
        #expect(tokenizer.tokenize("[x] {y} <z> (w)") == ["[", "x", "]", "{", "y", "}", "<", "z", ">", "(", "w", ")"])
        #expect(tokenizer.tokenize("A hyphen-ated word -- and a dash--here") == ["A", "hyphen-ated", "word", "--", "and", "a", "dash", "--", "here"])
    }

    @Test func pythonWhitespaceIncludingInformationSeparatorsSplits() {
        #expect(tokenizer.tokenize("a\u{1C}b\u{3000}c\td") == ["a", "b", "c", "d"])
        #expect(tokenizer.tokenize("") == [])
    }
}

/// Punkt sentence splitting with NLTK's English parameters; expectations are NLTK 3.8.1's.
@Suite("Punkt sentence tokenizer")
struct PunktSentenceTokenizerTests {
    @Test func knownAbbreviationsAndInitialsDoNotEndSentences() throws {
        let punkt = try EvalFixtures.english().sentenceTokenizer
        #expect(punkt.tokenize("Mr. Smith met Dr. Jones at 5 p.m. on Jan. 3. They talked.")
            == ["Mr. Smith met Dr. Jones at 5 p.m. on Jan. 3.", "They talked."])
        #expect(punkt.tokenize("The U.S.A. is big. So is the U.K.") == ["The U.S.A. is big.", "So is the U.K."])
        #expect(punkt.tokenize("a. b. c. initials here. j. smith came.") == ["a. b. c. initials here.", "j. smith came."])
    }

    @Test func lowerCaseSentenceStartsStillSplitAfterOrdinaryWords() throws {
        let punkt = try EvalFixtures.english().sentenceTokenizer
        #expect(punkt.tokenize("there is a man in the image. he is wearing a hat.")
            == ["there is a man in the image.", "he is wearing a hat."])
    }

    @Test func closingQuotesAndBracketsAreRealignedWithTheirSentence() throws {
        let punkt = try EvalFixtures.english().sentenceTokenizer
        #expect(punkt.tokenize(#"He said, "Hello there." Then he left."#) == [#"He said, "Hello there.""#, "Then he left."])
        #expect(punkt.tokenize("(Parenthesised sentence.) Another one.") == ["(Parenthesised sentence.)", "Another one."])
    }

    @Test func ellipsesAndRepeatedMarksSplitAsPunktDecides() throws {
        let punkt = try EvalFixtures.english().sentenceTokenizer
        #expect(punkt.tokenize("Wait... what?! Really?? Yes!!! Ok.") == ["Wait...", "what?!", "Really??", "Yes!!!", "Ok."])
        #expect(punkt.tokenize("Dots . . . spaced out. Next sentence.") == ["Dots .", ".", ".", "spaced out.", "Next sentence."])
        #expect(punkt.tokenize("   ") == [])
    }
}
