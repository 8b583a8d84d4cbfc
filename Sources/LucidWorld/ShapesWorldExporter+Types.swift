/// The exporter's option, progress and summary types.
extension ShapesWorldExporter {
    /// Options of an export.
    public struct Options: Sendable, Equatable {
        /// Image side in pixels; nil renders each scene at its own ``Scene/imageSize``. Bounding
        /// boxes in the files always refer to the size written.
        public var imageSize: Int?
        /// Whether to write the PNG files (false writes only the annotation and text files).
        public var writeImages: Bool
        /// POPE questions per image and seed.
        public var pope: POPESampler
        /// Threads rendering and encoding images (nil: one per active processor core). The files
        /// written are identical for every value.
        public var threads: Int?

        /// Options; by default images are written at the scenes' own size with all cores.
        public init(imageSize: Int? = nil, writeImages: Bool = true, pope: POPESampler = POPESampler(), threads: Int? = nil) {
            self.imageSize = imageSize
            self.writeImages = writeImages
            self.pope = pope
            self.threads = threads
        }
    }

    /// How far an export has come, reported after each image.
    public struct Progress: Sendable, Equatable {
        /// Scenes written so far.
        public var completed: Int
        /// Scenes to write.
        public var total: Int
    }

    /// What an export wrote.
    public struct Summary: Sendable, Equatable {
        /// PNG files written.
        public var images: Int
        /// Annotations written (objects over all scenes).
        public var objects: Int
        /// Lines of `questions.jsonl`.
        public var questions: Int
        /// Questions per POPE file, by strategy.
        public var popeQuestions: [POPESampler.Strategy: Int]
    }
}
