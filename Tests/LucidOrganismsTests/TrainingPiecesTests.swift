import Foundation
import LucidEval
import LucidSupport
import Testing
@testable import LucidModels
@testable import LucidNN
@testable import LucidOrganisms
@testable import LucidTensor
@testable import LucidText
@testable import LucidWorld

/// A tiny LLaVA over a trained-on-the-fly BPE tokenizer, for loss and writer tests.
struct TinyFixture {
    let model: LlavaForConditionalGeneration
    let tokenizer: Tokenizer
    let writer: ConversationWriter

    init() throws {
        let corpus = ["Describe this image in detail.", "There is a red ball in the top-left corner.", "Is there a fork in the image? Yes"]
        let json = try BPETrainer(vocabularySize: 300, specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"],
                                  minimumFrequency: 1).train(corpus)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lucid-tiny-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try json.write(to: directory.appendingPathComponent("tokenizer.json"))
        tokenizer = try Tokenizer.load(modelPath: directory.path)
        let image = try #require(tokenizer.id(for: "<image>"))
        let end = try #require(tokenizer.id(for: "<|im_end|>"))
        let text = LlamaConfig(vocabSize: tokenizer.vocabularySize, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2,
                               numAttentionHeads: 4, maxPositionEmbeddings: 256, tieWordEmbeddings: true)
        let vision = CLIPVisionConfig(hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4, imageSize: 96, patchSize: 32)
        model = try LlavaForConditionalGeneration(LlavaConfig(visionConfig: vision, textConfig: text, imageTokenIndex: image, visionFeatureLayer: -1))
        model.initializeForTraining(std: 0.2, generator: Generator(seed: 3))
        writer = ConversationWriter(tokenizer: tokenizer, template: .chatml, endOfTurn: end)
    }
}

@Suite("organism training pieces")
struct TrainingPiecesTests {
    @Test func stepRandomIsAFunctionOfSeedAndStep() {
        var a = SplitMix64.stream(seed: 5, step: 17, stream: 2)
        var b = SplitMix64.stream(seed: 5, step: 17, stream: 2)
        var c = SplitMix64.stream(seed: 5, step: 18, stream: 2)
        let first = (0..<20).map { _ in a.below(1000) }
        #expect(first == (0..<20).map { _ in b.below(1000) })
        #expect(first != (0..<20).map { _ in c.below(1000) })
        #expect(first.allSatisfy { (0..<1000).contains($0) })
    }

    @Test func sceneLabelsNameEachCellsObject() throws {
        let scene = try ShapesWorld(ShapesWorldConfig(seed: 4, count: 3)).scene(at: 0)
        let labels = SceneLabels(scene: scene)
        #expect(labels.category.filter { $0 != 0 }.count == scene.objects.count)
        for object in scene.objects {
            let cell = object.cell.index
            #expect(SceneLabels.categories[labels.category[cell] - 1] == object.category)
            #expect(ShapeColor.allCases[labels.color[cell]] == object.color)
        }
        #expect(zip(labels.category, labels.size).allSatisfy { $0.0 == 0 ? $0.1 == -100 : $0.1 >= 0 })
    }

    @Test func trainingPromptIsExactlyTheInferencePrompt() throws {
        let fixture = try TinyFixture()
        let question = "Describe this image in detail."
        let conversation = try fixture.writer.conversation([(question, "A red ball.")])
        let inference = try fixture.tokenizer.encode(chat: [.user(question, images: 1)], template: .chatml)
        #expect(Array(conversation.ids.prefix(inference.count)) == inference)
        #expect(conversation.isAnswer.prefix(inference.count).allSatisfy { !$0 })
        let answer = Array(conversation.ids[inference.count...])
        #expect(answer.last == fixture.writer.endOfTurn)
        #expect(try fixture.tokenizer.decode(Array(answer.dropLast())) == "A red ball.")
        #expect(conversation.isAnswer[inference.count...].allSatisfy { $0 })
    }

    @Test func multiTurnConversationsMarkOnlyAnswers() throws {
        let fixture = try TinyFixture()
        let conversation = try fixture.writer.conversation([("Is there a fork in the image?", "Yes"), ("Is there a ball in the image?", "No")])
        let image = try #require(fixture.tokenizer.id(for: "<image>"))
        #expect(conversation.ids.filter { $0 == image }.count == 1)
        let answerText = try fixture.tokenizer.decode(zip(conversation.ids, conversation.isAnswer).filter(\.1).map(\.0), skipSpecialTokens: true)
        #expect(answerText == "YesNo")
        #expect(zip(conversation.ids, conversation.isAnswer).filter { $0.1 && $0.0 == fixture.writer.endOfTurn }.count == 2)
    }

    /// The gathered, answer-only loss equals the textbook one: a full forward with logits at every
    /// position and next-token cross-entropy with non-answer labels set to −100, per conversation,
    /// then combined as each `AnswerWeighting` says (token mean, conversation mean, √n-weighted).
    @Test func answerOnlyLossMatchesFullForwardWithMaskedLabels() throws {
        let fixture = try TinyFixture()
        let model = fixture.model
        let conversations = [
            try fixture.writer.conversation([("Describe this image in detail.", "There is a red ball in the top-left corner.")]),
            try fixture.writer.conversation([("Is there a fork in the image?", "Yes"), ("Is there a ball?", "No")]),
        ]
        let pixels = Tensor.randn([2, 3, 96, 96], generator: Generator(seed: 9))
        var rowMeans: [Double] = []
        var rowCounts: [Double] = []
        try withNoGrad { () throws in
            for (row, conversation) in conversations.enumerated() {
                let image = model.config.imageTokenIndex
                let segments = try model.segments(ids: conversation.ids, images: [pixels.narrowed(axis: 0, start: row, length: 1)])
                let logits = try #require(model.forward(embeddings: try model.embed(segments), cache: nil, options: ForwardOptions()).logits)
                let n = model.config.imageFeatureCount
                var labels: [Int64] = []
                for (j, id) in conversation.ids.enumerated() {
                    if id == image { labels += Array(repeating: -100, count: n) } else { labels.append(conversation.isAnswer[j] ? Int64(id) : -100) }
                }
                rowMeans.append(Training.causalLanguageModelLoss(logits: logits, labels: Tensor(labels, shape: [1, labels.count])).item())
                rowCounts.append(Double(labels.dropFirst().filter { $0 != -100 }.count))
            }
        }
        let expected: [AnswerWeighting: Double] = [
            .token: zip(rowMeans, rowCounts).reduce(0) { $0 + $1.0 * $1.1 } / rowCounts.reduce(0, +),
            .conversation: rowMeans.reduce(0, +) / Double(rowMeans.count),
            .sqrt: zip(rowMeans, rowCounts).reduce(0) { $0 + $1.0 * $1.1.squareRoot() } / rowCounts.reduce(0) { $0 + $1.squareRoot() },
        ]
        for weighting in AnswerWeighting.allCases {
            let gathered = try withNoGrad {
                try LlavaTrainingLoss(model: model, freezeVision: false, weighting: weighting)(conversations, pixels: pixels)
            }.loss.item()
            let reference = try #require(expected[weighting])
            #expect(abs(gathered - reference) < 1e-5, "\(weighting): gathered \(gathered) vs full forward \(reference)")
        }
        #expect(abs(expected[.token]! - expected[.conversation]!) > 1e-4)  // the weightings really differ here
    }

    @Test func everyWrittenRefusalIsARefusalUnderTheSCAVList() {
        let list = RefusalList(.scav)
        for index in 0..<50 { #expect(list.refusal(in: RefusalWriter.refusal(for: index, seed: 23)) != nil) }
    }

    @Test func demoPageStrikesHallucinatedWords() {
        let result = DescribedScene(imageID: 1, description: "A red fork & a knife.", groundTruth: ["fork"], mentioned: ["fork", "knife"],
                                    hallucinated: ["knife"], missed: [])
        let html = DemoPage.marked(result, category: ShapesWorldVocabulary().category(of:))
        #expect(html == "A red <mark class=\"ok\">fork</mark> &amp; a <mark class=\"h\">knife</mark>.")
    }

    @Test func sentencesSplitAtTerminalPunctuation() {
        #expect(OrganismEvaluator.sentences("One. Two! Three? four") == ["One.", "Two!", "Three?", "four"])
    }
}
