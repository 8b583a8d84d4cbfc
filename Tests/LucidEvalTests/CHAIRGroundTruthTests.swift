import Foundation
import Testing
@testable import LucidEval

@Suite("CHAIR ground truth")
struct CHAIRGroundTruthTests {
    @Test func objectListMapsSynonymsToTheirCategoryAndCountsThem() throws {
        let url = try EvalFixtures.temporaryFile(#"{"1": ["dog", "sofa"], "2": [], "3": ["puppy", "dog"]}"#, name: "gt.json")
        let truth = try CHAIRGroundTruth.objectList(at: url)
        #expect(truth.objects["1"] == ["dog", "couch"])
        #expect(truth.objects["2"] == [])
        #expect(truth.objects["3"] == ["dog"])
        #expect(truth.synonymsMapped == 2)
        #expect(truth.objects(for: .int(1)) == truth.objects(for: .string("1")))
    }

    @Test func objectListRejectsUnknownObjectsDuplicatesAndWrongShapes() throws {
        let unknown = try EvalFixtures.temporaryFile(#"{"1": ["dog", "unicorn"]}"#, name: "gt.json")
        #expect(throws: EvalError.unknownObject(name: "unicorn", source: "\(unknown.path), image 1")) {
            try CHAIRGroundTruth.objectList(at: unknown)
        }
        let duplicate = try EvalFixtures.temporaryFile(#"{"1": ["dog"], "1": ["cat"]}"#, name: "gt.json")
        #expect(throws: EvalError.duplicateKey(path: duplicate.path, line: nil, key: "image id 1")) {
            try CHAIRGroundTruth.objectList(at: duplicate)
        }
        let notList = try EvalFixtures.temporaryFile(#"{"1": "dog"}"#, name: "gt.json")
        #expect(throws: EvalError.invalidField(path: notList.path, line: nil, field: "1", reason: "is a string, not an array of object names")) {
            try CHAIRGroundTruth.objectList(at: notList)
        }
        let empty = try EvalFixtures.temporaryFile("{}", name: "gt.json")
        #expect(throws: EvalError.emptyInput(path: empty.path)) { try CHAIRGroundTruth.objectList(at: empty) }
        let broken = try EvalFixtures.temporaryFile(#"{"1": ["dog"]"#, name: "gt.json")
        #expect(throws: EvalError.self) { try CHAIRGroundTruth.objectList(at: broken) }
    }

    @Test func missingFileIsATypedError() {
        let url = URL(fileURLWithPath: "/nonexistent/lucid/gt.json")
        #expect {
            try CHAIRGroundTruth.objectList(at: url)
        } throws: { error in
            guard case let .unreadable(path, _) = error as? EvalError else { return false }
            return path == url.path
        }
    }

    @Test func cocoInstancesAndCaptionsCombineAsChairPyDoes() throws {
        let parser = CHAIRCaptionParser(english: try EvalFixtures.english())
        let truth = try CHAIRGroundTruth.coco(
            instances: [try EvalFixtures.url("coco", "instances_mini.json")],
            captions: [try EvalFixtures.url("coco", "captions_mini.json")], parser: parser)
        // Image 1: person, dog from instances; couch (sofa), dog (puppy), person (man) from its caption.
        #expect(truth.objects["1"] == ["person", "dog", "couch"])
        // Image 2: chair from instances, cat from a caption.
        #expect(truth.objects["2"] == ["chair", "cat"])
        // Image 3 is listed but has no annotation: known, with nothing in it.
        #expect(truth.objects["3"] == [])
        #expect(truth.objects.count == 3)
    }

    @Test func cocoInstancesAloneGiveOnlyAnnotatedCategories() throws {
        let parser = CHAIRCaptionParser(english: try EvalFixtures.english())
        let truth = try CHAIRGroundTruth.coco(instances: [try EvalFixtures.url("coco", "instances_mini.json")], parser: parser)
        #expect(truth.objects["1"] == ["person", "dog"])
        #expect(truth.objects["2"] == ["chair"])
    }

    @Test func cocoRejectsUnknownCategoryIdsAndNames() throws {
        let parser = CHAIRCaptionParser(english: try EvalFixtures.english())
        let badID = try EvalFixtures.url("coco", "instances_bad_category_id.json")
        #expect(throws: EvalError.invalidField(path: badID.path, line: nil, field: "category_id",
                                               reason: "99 of an annotation of image 1 is not among the categories")) {
            try CHAIRGroundTruth.coco(instances: [badID], parser: parser)
        }
        let badName = try EvalFixtures.url("coco", "instances_unknown_name.json")
        #expect(throws: EvalError.unknownObject(name: "unicorn", source: "\(badName.path), category 1")) {
            try CHAIRGroundTruth.coco(instances: [badName], parser: parser)
        }
        let noAnnotations = try EvalFixtures.temporaryFile(#"{"images": [], "categories": []}"#, name: "instances.json")
        #expect(throws: EvalError.missingField(path: noAnnotations.path, line: nil, field: "annotations")) {
            try CHAIRGroundTruth.coco(instances: [noAnnotations], parser: parser)
        }
    }

    @Test func objectListJSONRoundTripsThroughTheLoader() throws {
        let truth = CHAIRGroundTruth(objects: ["10": ["dog", "cat"], "9": [], "x": ["tv"]])
        #expect(truth.objectListJSON() == #"{"9": [], "10": ["cat", "dog"], "x": ["tv"]}"#)
        let reloaded = try CHAIRGroundTruth.objectList(at: try EvalFixtures.temporaryFile(truth.objectListJSON(), name: "gt.json"))
        #expect(reloaded.objects == truth.objects)
    }
}
