import LucidText
import Testing

@Suite("Reasoning splitter")
struct ReasoningSplitterTests {
    /// Outputs and their (reasoning, answer) by the rule of vLLM's deepseek_r1/qwen3 parsers, with Lucid's
    /// whitespace trimming and `<think>` taken only at the start.
    static let cases: [(output: String, reasoning: String, answer: String)] = [
        ("<think>\nLet me think.\n</think>\n\nThe answer.", "Let me think.", "The answer."),   // Qwen3 writes <think>
        ("Okay, the user asks.\n</think>\n\nSure: 42", "Okay, the user asks.", "Sure: 42"),      // R1's prompt opened it
        ("  <think>\n\n</think>\n\nHi", "", "Hi"),                                            // an empty block
        ("<think>\nStill thinking", "Still thinking", ""),                                    // cut off while reasoning
        ("I cannot help with that.", "I cannot help with that.", ""),                         // no </think>: all reasoning
        ("a</think>b</think>c", "a", "b</think>c"),                                           // the first </think> ends it
        ("Hello <think>x</think>y", "Hello <think>x", "y"),                                   // <think> only opens the output
        ("weighing it </thi", "weighing it </thi", ""),                                       // an unfinished marker is text
        ("<thinking aloud</think>ok", "<thinking aloud", "ok"),                               // not the opening marker
        ("é \u{2003}\n</think>\u{301}x", "é", "\u{301}x"),                                   // markers on scalars, not characters
        ("r</think> a \n", "r", "a \n"),                                                      // the answer's tail is kept
        ("<think>", "", ""),
        ("", "", ""),
    ]

    @Test("a whole output splits at the first </think>, a leading <think> dropped and each part's edges trimmed")
    func splitsWholeOutputs() {
        for (output, reasoning, answer) in Self.cases {
            let piece = ReasoningSplitter.split(output)
            #expect(piece.reasoning == reasoning, "\(output.debugDescription)")
            #expect(piece.answer == answer, "\(output.debugDescription)")
        }
    }

    @Test("streamed in any two pieces or scalar by scalar, the split equals the whole output's")
    func streamingEqualsTheWholeSplit() {
        for (output, reasoning, answer) in Self.cases {
            let scalars = Array(output.unicodeScalars)
            var chunkings: [[String]] = [scalars.map { String($0) }]
            for cut in 0...scalars.count {
                chunkings.append([String(String.UnicodeScalarView(scalars[..<cut])), String(String.UnicodeScalarView(scalars[cut...]))])
            }
            for chunks in chunkings {
                var splitter = ReasoningSplitter()
                var streamed = ReasoningSplitter.Piece()
                for piece in chunks.map({ splitter.push($0) }) + [splitter.finish()] {
                    streamed.reasoning += piece.reasoning
                    streamed.answer += piece.answer
                }
                #expect(streamed == ReasoningSplitter.Piece(reasoning: reasoning, answer: answer), "\(chunks)")
            }
        }
    }

    @Test("a tail that could begin </think> is held back, and released as reasoning once it cannot")
    func holdsBackAPartialMarker() {
        var splitter = ReasoningSplitter()
        #expect(splitter.push("<think>\nabc </th") == ReasoningSplitter.Piece(reasoning: "abc"))
        #expect(splitter.push("e end") == ReasoningSplitter.Piece(reasoning: " </the end"))
        #expect(splitter.push(" \n</th") == ReasoningSplitter.Piece())
        #expect(splitter.push("ink>\n\nDone.") == ReasoningSplitter.Piece(answer: "Done."))
        #expect(splitter.push(" More") == ReasoningSplitter.Piece(answer: " More"))
        #expect(splitter.finish() == ReasoningSplitter.Piece())
    }

    @Test("deepseek-r1 and qwen3 with thinking on write reasoning; qwen3-no-thinking and the rest do not")
    func templatesThatWriteReasoning() throws {
        let writing = try ChatTemplate.knownNames.filter { try ChatTemplate(named: $0).writesReasoning }
        #expect(writing == ["qwen3", "deepseek-r1"])
        #expect(ChatTemplate.qwen3(enableThinking: true).writesReasoning)
        #expect(ChatTemplate.qwen3(enableThinking: false).splitReasoning("<think>x</think>y") == nil)
        #expect(ChatTemplate.deepseekR1.splitReasoning("x</think>y") == ReasoningSplitter.Piece(reasoning: "x", answer: "y"))
        #expect(ChatTemplate.deepseekR1.answer(of: "I cannot do that.\n</think>\n\nSure.") == "Sure.")
        #expect(ChatTemplate.qwen3(enableThinking: false).answer(of: " <think>x</think>y") == " <think>x</think>y")
        #expect(ChatTemplate.chatml.answer(of: "I cannot do that.</think>Sure.") == "I cannot do that.</think>Sure.")
    }
}
