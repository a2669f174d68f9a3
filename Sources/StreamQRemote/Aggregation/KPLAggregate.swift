import Crypto

/// The Kinesis Producer Library's aggregation format, which packs many user records into one
/// Kinesis record: the magic `F3 89 9A C2`, a protobuf `AggregatedRecord`, and the 16-byte MD5 of
/// the protobuf bytes.
///
/// ```
/// message AggregatedRecord { repeated string partition_key_table = 1;
///                            repeated string explicit_hash_key_table = 2;
///                            repeated Record records = 3; }
/// message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
///                  required bytes data = 3; repeated Tag tags = 4; }
/// ```
/// The protobuf is written and read by hand: three small messages do not need a code generator.
public enum KPLAggregate {
    /// The four bytes every aggregate starts with.
    public static let magic: [UInt8] = [0xF3, 0x89, 0x9A, 0xC2]
    private static let digestLength = 16

    /// The aggregate holding `records` in order, each distinct partition key and explicit hash key
    /// stored once in the tables.
    public static func encode(records: [UserRecord]) -> [UInt8] {
        var partitionKeys: [String: UInt64] = [:]
        var explicitHashKeys: [String: UInt64] = [:]
        var tables: [UInt8] = []
        var entries: [UInt8] = []
        var explicitHashKeyTable: [UInt8] = []
        for record in records {
            let keyIndex: UInt64
            if let known = partitionKeys[record.partitionKey] {
                keyIndex = known
            } else {
                keyIndex = UInt64(partitionKeys.count)
                partitionKeys[record.partitionKey] = keyIndex
                ProtobufWire.appendBytes(field: 1, Array(record.partitionKey.utf8), to: &tables)
            }
            var message: [UInt8] = []
            ProtobufWire.appendVarintField(field: 1, keyIndex, to: &message)
            if let hashKey = record.explicitHashKey {
                let hashIndex: UInt64
                if let known = explicitHashKeys[hashKey] {
                    hashIndex = known
                } else {
                    hashIndex = UInt64(explicitHashKeys.count)
                    explicitHashKeys[hashKey] = hashIndex
                    ProtobufWire.appendBytes(field: 2, Array(hashKey.utf8), to: &explicitHashKeyTable)
                }
                ProtobufWire.appendVarintField(field: 2, hashIndex, to: &message)
            }
            ProtobufWire.appendBytes(field: 3, record.data, to: &message)
            ProtobufWire.appendBytes(field: 3, message, to: &entries)
        }
        let protobuf = tables + explicitHashKeyTable + entries
        return magic + protobuf + Array(Insecure.MD5.hash(data: protobuf))
    }

    /// The user records of an aggregate, or nil when `data` is not one and must be passed through
    /// unchanged: as KCL decides, it is an aggregate only when it starts with the magic, is longer
    /// than the magic and digest, the trailing MD5 matches, and the protobuf parses (every index
    /// within its table).
    public static func decode(_ data: [UInt8]) -> [UserRecord]? {
        guard data.count > magic.count + digestLength, data.starts(with: magic) else { return nil }
        let protobuf = data[magic.count..<(data.count - digestLength)]
        guard Insecure.MD5.hash(data: protobuf).elementsEqual(data.suffix(digestLength)) else { return nil }
        return parseAggregatedRecord(protobuf)
    }

    private struct RawRecord {
        var keyIndex: UInt64
        var hashKeyIndex: UInt64?
        var data: [UInt8]
    }

    private static func parseAggregatedRecord(_ bytes: ArraySlice<UInt8>) -> [UserRecord]? {
        var reader = ProtobufWire.Reader(bytes)
        var partitionKeys: [String] = []
        var explicitHashKeys: [String] = []
        var rawRecords: [RawRecord] = []
        while !reader.isAtEnd {
            guard let (field, wireType) = reader.readTag() else { return nil }
            switch (field, wireType) {
            case (1, ProtobufWire.lengthDelimited):
                guard let key = reader.readLengthDelimited() else { return nil }
                partitionKeys.append(String(decoding: key, as: UTF8.self))
            case (2, ProtobufWire.lengthDelimited):
                guard let key = reader.readLengthDelimited() else { return nil }
                explicitHashKeys.append(String(decoding: key, as: UTF8.self))
            case (3, ProtobufWire.lengthDelimited):
                guard let message = reader.readLengthDelimited(), let record = parseRecord(message) else { return nil }
                rawRecords.append(record)
            case (1...3, _):
                return nil
            default:
                guard reader.skip(wireType: wireType) else { return nil }
            }
        }
        var records: [UserRecord] = []
        for raw in rawRecords {
            guard raw.keyIndex < UInt64(partitionKeys.count) else { return nil }
            var hashKey: String?
            if let index = raw.hashKeyIndex {
                guard index < UInt64(explicitHashKeys.count) else { return nil }
                hashKey = explicitHashKeys[Int(index)]
            }
            records.append(
                UserRecord(partitionKey: partitionKeys[Int(raw.keyIndex)], explicitHashKey: hashKey, data: raw.data)
            )
        }
        return records
    }

    /// A `Record`; nil when malformed or a required field is missing.
    private static func parseRecord(_ bytes: ArraySlice<UInt8>) -> RawRecord? {
        var reader = ProtobufWire.Reader(bytes)
        var keyIndex: UInt64?
        var hashKeyIndex: UInt64?
        var data: [UInt8]?
        while !reader.isAtEnd {
            guard let (field, wireType) = reader.readTag() else { return nil }
            switch (field, wireType) {
            case (1, ProtobufWire.varint):
                guard let value = reader.readVarint() else { return nil }
                keyIndex = value
            case (2, ProtobufWire.varint):
                guard let value = reader.readVarint() else { return nil }
                hashKeyIndex = value
            case (3, ProtobufWire.lengthDelimited):
                guard let value = reader.readLengthDelimited() else { return nil }
                data = Array(value)
            case (1...3, _):
                return nil
            default:
                guard reader.skip(wireType: wireType) else { return nil }
            }
        }
        guard let keyIndex, let data else { return nil }
        return RawRecord(keyIndex: keyIndex, hashKeyIndex: hashKeyIndex, data: data)
    }
}
