import PaperboyCore
import Testing

@Suite struct ArxivIDTests {
    @Test(
        arguments: [
            ("2405.15738", "2405.15738", nil),
            ("2405.15738v2", "2405.15738", 2),
            ("https://arxiv.org/abs/2405.15738v3", "2405.15738", 3),
            ("http://arxiv.org/pdf/2405.15738.pdf", "2405.15738", nil),
            ("arxiv.org/pdf/2405.15738v1", "2405.15738", 1),
            ("  arXiv:0704.0001 ", "0704.0001", nil),
            ("hep-th/9901001", "hep-th/9901001", nil),
            ("math.GT/0309136v2", "math.GT/0309136", 2),
            ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001", nil),
        ] as [(String, String, Int?)]
    )
    func acceptsIdsAndURLs(_ input: String, _ base: String, _ version: Int?) throws {
        let id = try #require(ArxivID(input))
        #expect(id.base == base)
        #expect(id.version == version)
    }

    @Test(arguments: [
        "", "2405.157", "2413.15738", "24051.5738", "abcd.efgh", "hep-th/990100", "HEP-TH/9901001",
        "2405.15738v", "<script>", "1234.56789/../..", "https://example.com/abs/2405.15738x",
    ])
    func rejectsEverythingElse(_ input: String) {
        #expect(ArxivID(input) == nil)
    }
}
