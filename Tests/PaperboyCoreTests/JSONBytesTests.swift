import PaperboyCore
import Testing

@Suite struct JSONBytesTests {
    let item = Array(#"{"paper": {"id": "1", "upvotes": 12, "t": "a}\"],"}, "list": [ [], {}, [1, [2]] ], "n": -1.5e3, "b": true}"#.utf8)

    func text(_ bytes: some Sequence<UInt8>) -> String { String(decoding: Array(bytes), as: UTF8.self) }

    @Test func findsMembersThroughNestingAndStringsThatLookLikeSyntax() throws {
        let paper = try #require(JSONBytes.member("paper", ofObjectAt: 0, in: item))
        #expect(text(item[paper]) == #"{"id": "1", "upvotes": 12, "t": "a}\"],"}"#)
        #expect(JSONBytes.member("upvotes", ofObjectAt: paper.lowerBound, in: item).map { text(item[$0]) } == "12")
        #expect(JSONBytes.member("list", ofObjectAt: 0, in: item).map { text(item[$0]) } == "[ [], {}, [1, [2]] ]")
        #expect(JSONBytes.member("n", ofObjectAt: 0, in: item).map { text(item[$0]) } == "-1.5e3")
        #expect(JSONBytes.member("upvotes", ofObjectAt: 0, in: item) == nil, "members of nested objects are not the outer object's")
    }

    @Test func splitsAnArrayIntoItsElements() throws {
        let array = Array(#" [ {"a": [1, 2]} , "x,]" ,3,null,[] ] "#.utf8)
        let elements = try #require(JSONBytes.elements(ofArrayAt: 0, in: array))
        #expect(elements.map { text(array[$0]) } == [#"{"a": [1, 2]}"#, #""x,]""#, "3", "null", "[]"])
        #expect(JSONBytes.elements(ofArrayAt: 0, in: Array("[]".utf8)) == [])
    }

    @Test func setsAMemberInPlaceOrAppendsIt() throws {
        let object = Array(#"{"id":"1","upvotes":12,"x":[1]}"#.utf8)
        #expect(JSONBytes.settingMember("upvotes", to: "15".utf8, inObject: object).map(text) == #"{"id":"1","upvotes":15,"x":[1]}"#)
        #expect(JSONBytes.settingMember("c", to: #"["cs.CL"]"#.utf8, inObject: object).map(text) == #"{"id":"1","upvotes":12,"x":[1],"c":["cs.CL"]}"#)
        #expect(JSONBytes.settingMember("c", to: "1".utf8, inObject: Array("{ }".utf8)).map(text) == #"{ "c":1}"#)
        #expect(JSONBytes.settingMember("c", to: "1".utf8, inObject: Array("[1]".utf8)) == nil)
    }

    @Test func minifyingKeepsWhitespaceInsideStrings() {
        let pretty = Array("{\n  \"a b\": \"x \\\" y\",\n  \"c\": [ 1, 2 ]\n}".utf8)
        #expect(text(JSONBytes.minified(pretty[...])) == #"{"a b":"x \" y","c":[1,2]}"#)
    }

    @Test func brokenTextYieldsNothingAndNeverTraps() {
        for broken in [#"{"a": "#, #"{"a" 1}"#, "[1, 2", #"{"a": [1}"#, "", "[", #"{"a":"\"#, "nul"] {
            let bytes = Array(broken.utf8)
            #expect(JSONBytes.member("a", ofObjectAt: 0, in: bytes) == nil, "\(broken)")
            #expect(JSONBytes.elements(ofArrayAt: 0, in: bytes) == nil, "\(broken)")
        }
    }

    @Test func aCompleteContainerIsToldApartFromACutOffOneOrAnythingElse() throws {
        for whole in ["[]", " [ {\"a\": [1, \"]\"]} ]\n", #"{"data": [{"paper": {"id": "2405.1"}}]}"#] {
            #expect(JSONBytes.isCompleteContainer(Array(whole.utf8)), "\(whole)")
        }
        let day = #"[{"paper": {"id": "2405.1", "title": "A \"quoted\" title"}, "numComments": 3}]"#
        for cut in 1..<day.utf8.count {
            #expect(!JSONBytes.isCompleteContainer(Array(day.utf8.prefix(cut))), "cut at \(cut)")
        }
        for other in ["", "<html>login</html>", "42", #""text""#, "[] []", "[1] x"] {
            #expect(!JSONBytes.isCompleteContainer(Array(other.utf8)), "\(other)")
        }
    }
}
