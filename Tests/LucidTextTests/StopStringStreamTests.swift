import LucidText
import Testing

@Suite("stop-string stream")
struct StopStringStreamTests {
    /// Texts, stop strings, whether the generation stopped at one, and what is sent in all.
    static let cases: [(text: String, stops: [String], stopped: Bool, sent: String)] = [
        ("The sea is a vast body", ["vast"], true, "The sea is a "),
        ("The sea is a vast body", ["vas"], true, "The sea is a "),                  // ends inside a word
        ("one. two. three", [".", "two"], true, "one"),                                // the first hit of any
        ("abcabd", ["abd"], true, "abc"),                                              // a false start is released
        ("no stop here", ["zz"], false, "no stop here"),
        ("ends with a partial sto", ["stop"], false, "ends with a partial sto"),       // held back, then released
        ("x STOP y", ["STOP", "ST"], true, "x "),
        ("café\u{301} ok", ["e\u{301}"], false, "café\u{301} ok"),                    // scalars: é is one scalar here
        ("cafe\u{301} ok", ["e\u{301}"], true, "caf"),
        ("", ["a"], false, ""),
        ("plain", [], false, "plain"),
        ("plain", [""], false, "plain"),                                               // an empty stop is ignored
    ]

    /// Every split of `text` into two pieces, and scalar by scalar.
    static func chunkings(_ text: String) -> [[String]] {
        let scalars = Array(text.unicodeScalars)
        var chunkings: [[String]] = [scalars.map { String($0) }]
        for cut in 0...scalars.count {
            chunkings.append([String(String.UnicodeScalarView(scalars[..<cut])), String(String.UnicodeScalarView(scalars[cut...]))])
        }
        return chunkings
    }

    @Test("whatever the chunking, what is sent joins to the text cut before the first stop, and no stop is ever sent")
    func sendsTheCutTextAndNeverAStop() {
        for (text, stops, stopped, sent) in Self.cases {
            for pieces in Self.chunkings(text) {
                var stream = StopStringStream(stops: stops)
                var out = ""
                for piece in pieces {
                    out += stream.push(piece)
                    #expect(sent.unicodeScalars.starts(with: out.unicodeScalars), "\(text.debugDescription) in \(pieces): \(out.debugDescription)")
                }
                out += stream.finish(stopped: stopped)
                #expect(out == sent, "\(text.debugDescription) in \(pieces)")
                #expect(stream.text == sent)
                if stopped { #expect(StopStringStream.cut(text, before: stops) == sent) }
            }
        }
    }

    @Test func holdsBackOneScalarLessThanTheLongestStop() {
        var stream = StopStringStream(stops: ["END", "E"])
        #expect(stream.push("abcdef") == "abcd")
        #expect(stream.push("g") == "e")
        #expect(stream.push("END") == "fg")   // the stop's start is never sent
        #expect(stream.finish(stopped: true) == "")
        #expect(stream.text == "abcdefg")
    }

    @Test func aGenerationThatDidNotStopKeepsAStopStringFoundOnlyAtTheEnd() {
        // The generator matches stops on characters; a scalar-only match is released whole when it did not stop.
        var stream = StopStringStream(stops: ["e\u{301}"])
        #expect(stream.push("cafe") == "caf")
        #expect(stream.finish("\u{301}", stopped: false) == "e\u{301}")
    }
}
