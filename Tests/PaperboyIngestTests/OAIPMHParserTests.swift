import Foundation
import PaperboyCore
import PaperboyTestSupport
import Testing

@testable import PaperboyIngest

/// The OAI-PMH parser over real arXiv pages (`shared/data/upstream/arxiv-oai`).
@Suite(.enabled(if: Recordings.available, "needs ../shared/data beside the repository"))
struct OAIPMHParserTests {
    private func page(_ relativePath: String) throws -> OAIPage {
        try OAIPMHParser().parse(Recordings.data("arxiv-oai/" + relativePath))
    }

    private func paper(_ page: OAIPage, _ id: String) throws -> Paper {
        try #require(page.records.first { $0.paper?.id == id }?.paper)
    }

    @Test func arXivFormatGivesAuthorsCategoriesAndVersionDates() throws {
        let page = try page("legacy-export-oai2/listrecords_arXiv_set-cs_2015-01-16_2015-01-18.xml")
        #expect(page.records.count == 46)
        #expect(page.isLast)
        #expect(page.responseDate == "2016-01-18T15:33:12Z")
        #expect(page.records.allSatisfy { $0.paper != nil && $0.problem == nil })

        let first = try paper(page, "1101.4388")
        #expect(first.title == "Reproducing Kernel Banach Spaces with the l1 Norm")
        #expect(first.authors == ["Guohui Song", "Haizhang Zhang", "Fred J. Hickernell"])
        #expect(first.categories == ["stat.ML", "cs.LG", "math.FA"])
        #expect(first.publishedAt == "2011-01-23T00:00:00.000Z")
        #expect(first.listingUpdatedAt == "2012-03-28")
        #expect(first.source == .arxiv)
        #expect(first.summary.hasPrefix("Targeting at sparse learning, we construct Banach spaces B of functions on an input space X"))
        #expect(!first.summary.contains("\n"))
        #expect(page.records[0].setSpecs == ["cs"])

        // A numeric character reference in a name; no <updated>: the listing date is <created>.
        #expect(try paper(page, "1111.1546").authors == ["Tobias Brunsch", "Heiko Röglin"])
        let unrevised = try paper(page, "1501.03810")
        #expect(unrevised.title == "Time-Varying Input and State Delay Compensation for Uncertain Nonlinear Systems")
        #expect(unrevised.listingUpdatedAt == "2015-01-15")
        #expect(unrevised.categories == ["cs.SY"])
    }

    @Test func arXivFormatNameSuffixFollowsTheName() throws {
        let page = try page("_reserialized/arxivsync_listrecords_arXiv_token-436115-4001.xml")
        #expect(page.records.count == 1000)
        #expect(page.resumptionToken == "436115|5001")
        #expect(page.cursor == 4000)
        #expect(page.completeListSize == 846926)
        #expect(try paper(page, "0705.0313").authors == ["Gasper Tkacik", "Curtis G Callan Jr", "William Bialek"])
    }

    @Test func arXivRawTakesDatesFromTheFirstAndLastVersions() throws {
        let page = try page("legacy-export-oai2/getrecord_arXivRaw_1302.2146.xml")
        let paper = try paper(page, "1302.2146")
        #expect(paper.title == "The Same-Sign Dilepton Signature of RPV/MFV SUSY")
        #expect(paper.authors == ["Joshua Berger", "Maxim Perelstein", "Michael Saelim", "Philip Tanedo"])
        #expect(paper.categories == ["hep-ph", "hep-ex"])
        #expect(paper.publishedAt == "2013-02-08T21:00:01.000Z")
        #expect(paper.listingUpdatedAt == "2013-04-02")
        #expect(page.records[0].setSpecs == ["physics:hep-ex", "physics:hep-ph"])
    }

    @Test func arXivRawAuthorListsSplitOnCommasAndAnd() throws {
        let page = try page("_trimmed/listrecords_arXivRaw_from-2014-10-01_TRIMMED-6-of-1000.xml")
        #expect(page.records.count == 6)
        #expect(page.resumptionToken == "726959|1001")
        let authors = page.records.compactMap(\.paper?.authors)
        #expect(authors.contains(["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]))
        #expect(authors.contains(["Valeria M. Rosa", "Patricio S. letelier"]))
        #expect(authors.contains(["N.C. Summers", "F.M. Nunes"]))
    }

    @Test func newServicePagesDecodeEntitiesAndKeepNewSetNames() throws {
        let arXiv = try page("oaipmh-new-service/listrecords_arXiv_set-physics-physics-plasm-ph_2026-01-05_3rec.xml")
        #expect(arXiv.records.count == 3)
        #expect(arXiv.responseDate == "2026-09-20T05:54:30Z")
        let table = try paper(arXiv, "2504.11237")
        #expect(table.title == "Periodic table for highly charged ions")
        #expect(table.authors == ["Chunhai Lyu", "Christoph H. Keitel", "Zoltán Harman"])
        #expect(table.summary.hasPrefix("Mendeleev's periodic table successfully groups"))
        #expect(table.summary.contains("``Coulomb splittings''"))
        #expect(table.publishedAt == "2025-04-15T00:00:00.000Z")
        #expect(table.listingUpdatedAt == "2026-01-05")
        #expect(arXiv.records[0].setSpecs == ["physics:physics:atom-ph", "physics:physics:optics", "physics:physics:plasm-ph", "physics:quant-ph"])
        #expect(arXiv.records[1].setSpecs.contains("physics:cond-mat:soft"))

        let raw = try page("oaipmh-new-service/listrecords_arXivRaw_set-physics-hep-th_2026-09-30_2026-10-03_3rec_SUSPECT-TRIMMED.xml")
        #expect(raw.records.count == 3)
        let fiveVersions = try paper(raw, "2102.06878")
        #expect(fiveVersions.publishedAt == "2021-02-13T07:22:28.000Z")
        #expect(fiveVersions.listingUpdatedAt == "2026-10-01")
        #expect(fiveVersions.authors == ["N. Srinivas"])
        #expect(fiveVersions.summary.contains("Feynman's path integral"))
        #expect(try paper(raw, "2610.00146").authors == ["S. D. Campos"])
        #expect(raw.records.compactMap(\.paper?.authors).contains(["Steven B. Giddings", "Zi-Yue Wang"]))
    }

    @Test func dublinCoreInvertsCreatorsAndReadsDates() throws {
        let page = try page("legacy-export-oai2/listrecords_oai_dc_set-cs_2021-03-20_2021-03-30_page1.xml")
        #expect(page.records.count == 1000)
        #expect(page.resumptionToken == "6965856|1001")
        #expect(page.cursor == 0)
        #expect(page.completeListSize == 2358)
        let hilbert = try paper(page, "0912.0228")
        #expect(hilbert.title == "Answering Hilbert's 1st Problem")
        #expect(hilbert.authors == ["Charles Sauerbier"])
        #expect(hilbert.categories.isEmpty)
        #expect(hilbert.publishedAt == "2009-12-01T00:00:00.000Z")
        #expect(hilbert.listingUpdatedAt == "2021-03-26")
        // The abstract is the first description, not the "Comment:" one after it.
        #expect(hilbert.summary.hasPrefix("Hilbert's first problem is of importance"))
        #expect(hilbert.summary.hasSuffix("\"will and representation\" born."))
    }

    @Test func oldStyleIdentifiersComeFromTheHeader() throws {
        let page = try page("legacy-export-oai2/derived/listrecords_oai_dc_2014-12-24_2014-12-25_from-scrapi-cassette.xml")
        #expect(page.records.count == 897)
        #expect(page.isLast)
        let old = try paper(page, "cs/0504097")
        #expect(old.title == "ID-based Ring Signature and Proxy Ring Signature Schemes from Bilinear Pairings")
        #expect(old.authors == ["Amit K Awasthi", "Sunder Lal"])
        #expect(old.publishedAt == "2005-04-23T00:00:00.000Z")
        // This record lists one date only: the listing date is that version's.
        #expect(old.listingUpdatedAt == "2005-04-23")
        let sachdev = try paper(page, "cond-mat/0402109")
        #expect(sachdev.authors == ["Subir Sachdev", "N. Read"])
        #expect(sachdev.publishedAt == "2004-02-03T00:00:00.000Z")
    }

    @Test func noRecordsMatchIsAnEmptyLastPage() throws {
        let page = try page("errors/error_noRecordsMatch_bad-set.xml")
        #expect(page.records.isEmpty)
        #expect(page.isLast)
        #expect(page.responseDate == "2015-06-23T13:28:30Z")
    }

    @Test(arguments: [
        ("errors/error_badResumptionToken.xml", "badResumptionToken", "The resumptionToken supplied is illegal for this repository"),
        ("errors/error_badArgument_listrecords-with-identifier.xml", "badArgument", "Verb 'ListRecords', illegal argument 'identifier'."),
        ("errors/error_idDoesNotExist_getrecord.xml", "idDoesNotExist", "Identifier 'oai:arXiv.org:0813.2274' has correct form"),
    ])
    func otherErrorsThrowTheirCode(file: String, code: String, message: String) throws {
        let error = try #require(throws: UpstreamError.self) { try page(file) }
        guard case .oai(let thrownCode, let thrownMessage) = error else {
            Issue.record("expected an OAI error, got \(error)")
            return
        }
        #expect(thrownCode == code)
        #expect(thrownMessage.hasPrefix(message))
        #expect(!error.isOutage)
    }

    @Test func truncatedOrMalformedPagesAreBadBodies() throws {
        let whole = try Recordings.data("arxiv-oai/legacy-export-oai2/listrecords_arXiv_set-cs_2015-01-16_2015-01-18.xml")
        for cut in [whole.count / 2, whole.count - 20, 100] {
            #expect(throws: UpstreamError.self) { try OAIPMHParser().parse(whole.prefix(cut)) }
            do {
                _ = try OAIPMHParser().parse(whole.prefix(cut))
            } catch let error as UpstreamError {
                guard case .badBody = error else {
                    Issue.record("cut at \(cut): expected badBody, got \(error)")
                    continue
                }
            }
        }
        #expect(throws: UpstreamError.badBody("not an OAI-PMH document")) { try OAIPMHParser().parse(Data("<html><body>hi</body></html>".utf8)) }
        #expect(throws: UpstreamError.self) { try OAIPMHParser().parse(Data("[1, 2, 3]".utf8)) }
    }

    @Test func recordsWithoutIdOrTitleAreProblemsNotFailedPages() throws {
        var text = try String(
            decoding: Recordings.data("arxiv-oai/legacy-export-oai2/listrecords_arXiv_set-cs_2015-01-16_2015-01-18.xml"),
            as: UTF8.self
        )
        text = text.replacingOccurrences(of: "<title>Reproducing Kernel Banach Spaces with the l1 Norm</title>", with: "<title>  </title>")
        text = text.replacingOccurrences(of: "<id>1111.1546</id>", with: "<id>not-an-id</id>")
        let page = try OAIPMHParser().parse(Data(text.utf8))
        #expect(page.records.count == 46)
        let untitled = try #require(page.records.first { $0.identifier == "oai:arXiv.org:1101.4388" })
        #expect(untitled.paper == nil)
        #expect(untitled.problem == "no title")
        let badID = try #require(page.records.first { $0.identifier == "oai:arXiv.org:1111.1546" })
        #expect(badID.problem == "not an arXiv id: not-an-id")
        #expect(page.records.filter { $0.paper != nil }.count == 44)
    }

    @Test func deletedRecordsCarryNoPaper() throws {
        var text = try String(
            decoding: Recordings.data("arxiv-oai/legacy-export-oai2/listrecords_arXiv_set-physics-hep-th_from-2017-12-14.xml"),
            as: UTF8.self
        )
        let header = try #require(text.range(of: "<header>"))
        text.replaceSubrange(header, with: "<header status=\"deleted\">")
        let page = try OAIPMHParser().parse(Data(text.utf8))
        #expect(page.records.count == 3)
        #expect(page.records[0].deleted)
        #expect(page.records[0].paper == nil)
        #expect(page.records[0].problem == nil)
        #expect(page.records[1...].allSatisfy { !$0.deleted && $0.paper != nil })
    }

    @Test func authorListSplitterKeepsAffiliationsOut() {
        #expect(AuthorList.split("A. One, B. Two (Univ. X, Dept. Y), and C. Three") == ["A. One", "B. Two", "C. Three"])
        #expect(AuthorList.split("Alexander Anderson and Sandra Band") == ["Alexander Anderson", "Sandra Band"])
        #expect(AuthorList.split("  ") == [])
        #expect(AuthorList.invertingLastFirst("Smith, John, Jr.") == "John Smith Jr.")
        #expect(AuthorList.invertingLastFirst("ATLAS Collaboration") == "ATLAS Collaboration")
    }

    @Test func httpDatesParse() throws {
        #expect(HTTPDate("Fri, 8 Feb 2013 21:00:01 GMT")?.isoTimestamp == "2013-02-08T21:00:01.000Z")
        #expect(HTTPDate("Thu, 01 Oct 2026 09:23:39 GMT")?.day10 == "2026-10-01")
        #expect(HTTPDate("Wed, 21 Oct 2015 07:28:00 GMT")?.timestamp == 1_445_412_480)
        #expect(HTTPDate("Wed, 21 Oct 2015 07:28:00 PST") == nil)
        #expect(HTTPDate("yesterday") == nil)
        #expect(retryAfterDelay("7", now: 0) == .seconds(7))
        #expect(retryAfterDelay("Wed, 21 Oct 2015 07:28:00 GMT", now: 1_445_412_470) == .seconds(10))
        #expect(retryAfterDelay("Wed, 21 Oct 2015 07:28:00 GMT", now: 1_445_412_490) == .zero)
        #expect(retryAfterDelay("soon", now: 0) == nil)
    }
}
