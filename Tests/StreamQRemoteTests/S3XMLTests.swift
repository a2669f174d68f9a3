import Testing

@testable import StreamQRemote

@Suite struct S3XMLTests {
    @Test func listObjectsV2PagesParseWithEntitiesAndNamespaces() throws {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>logs</Name><Prefix>out/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
              <IsTruncated>true</IsTruncated>
              <Contents>
                <Key>out/dt=2026-01-01/a&amp;b &lt;1&gt;.jsonl</Key>
                <LastModified>2026-01-01T00:00:00.000Z</LastModified>
                <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>
                <Size>1024</Size><StorageClass>STANDARD</StorageClass>
              </Contents>
              <!-- a comment -->
              <Contents><Key><![CDATA[out/_manifest/0000000000.json]]></Key><Size>0</Size><Owner/></Contents>
              <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
            </ListBucketResult>
            """
        let page = try S3XMLElement.parse(Array(body.utf8))
        #expect(page.name == "ListBucketResult")
        #expect(page.text(of: "IsTruncated") == "true")
        #expect(page.text(of: "NextContinuationToken") == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        let contents = page.children("Contents")
        #expect(
            contents.map { $0.text(of: "Key") } == ["out/dt=2026-01-01/a&b <1>.jsonl", "out/_manifest/0000000000.json"]
        )
        #expect(contents[0].text(of: "ETag") == "\"9b2cf535f27731c974343645a3985328\"")
        #expect(contents[0].text(of: "Size") == "1024")
        #expect(contents[1].child("Owner") == S3XMLElement(name: "Owner"))
    }

    @Test func errorsAndMultipartAnswersParse() throws {
        let error = try S3XMLElement.parse(
            Array(
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>\
                <BucketName>logs</BucketName><RequestId>4442587FB7D0A2F9</RequestId></Error>
                """.utf8
            )
        )
        #expect(error.name == "Error" && error.text(of: "Code") == "NoSuchBucket")
        #expect(error.text(of: "Message") == "The specified bucket does not exist")
        let initiate = try S3XMLElement.parse(
            Array(
                #"<s3:InitiateMultipartUploadResult xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">"#.utf8
            )
                + Array(
                    "<s3:Bucket>b</s3:Bucket><s3:UploadId>VXBsb2&#65;&#x42;</s3:UploadId></s3:InitiateMultipartUploadResult>"
                        .utf8
                )
        )
        #expect(initiate.name == "InitiateMultipartUploadResult")
        #expect(initiate.text(of: "UploadId") == "VXBsb2AB")
    }

    @Test func malformedXMLIsRefusedWithWhere() {
        let bad = [
            "", "<a>", "<a></b>", "<a>x</a><b/>", "text", "<a>&bogus;</a>", "<a b=\"1></a>", "<a><b></a></b>",
        ]
        for text in bad {
            #expect(throws: S3XMLError.self, "\(text)") { try S3XMLElement.parse(Array(text.utf8)) }
        }
    }

    @Test func requestBodiesEscapeWhatXMLReserves() throws {
        let key = #"a&b<c>"d'.json"#
        let document = "<Key>\(S3XMLElement.escape(key))</Key>"
        #expect(try S3XMLElement.parse(Array(document.utf8)).text == key)
    }
}
