import Foundation
import Testing
import LucidEval

/// Where the commands look for the NLTK models (`--nltk-data`, `$LUCID_NLTK_DATA`, `./Data/nltk`, the binary's repository).
@Suite("NLTK data directory")
struct NLTKDataDirectoryTests {
    @Test func theFlagWinsOverTheEnvironmentWhichWinsOverTheSearch() {
        let environment = ["LUCID_NLTK_DATA": "/opt/nltk"]
        #expect(NLTKEnglish.dataDirectory("/data/mine", environment: environment).path == "/data/mine")
        #expect(NLTKEnglish.dataDirectory(nil, environment: environment).path == "/opt/nltk")
        let searched = NLTKEnglish.dataDirectory(nil, environment: ["LUCID_NLTK_DATA": ""])
        #expect(searched.path != "/opt/nltk" && searched.lastPathComponent == "nltk", "an empty variable is not a directory: the search runs")
    }
}
