import StreamQStorage

/// How a line's identity becomes a producer stamp the stream deduplicates on.
///
/// A line is identified by its source, its file and its offset: `(instance, file fingerprint,
/// line offset)`, where `instance` is random per state directory (the source) and the file is
/// known by the fingerprint and inode it had when first seen. The shipper maps that onto the
/// stream's idempotent-producer stamps (``ProducerStamp``: a producer id and a gapless sequence
/// of appends per shard, of which a shard remembers the last five):
///
/// - **producer id** = the file's `key`, a hash of (instance, inode, fingerprint) at first sight,
///   kept in the checkpoint. One producer per file.
/// - **partition key** = the key in hex, so all of a file's lines go to one shard, in order, and
///   the producer's sequence is that shard's.
/// - **sequence** = the number of the file's append: append `n` carries the whole lines from byte
///   `start` to byte `end`. Before an append is sent, its `(n, start, end, lines)` is written to
///   the checkpoint (``AppendIntent``); once acknowledged in order, `start` moves past it.
///
/// After a crash or `kill -9` the shipper reads the same byte ranges again and resends each
/// in-doubt append with its original stamp and line count. The shard answers the ones it already
/// stored with their original positions and stores the rest, so no line is lost and none is
/// stored twice. Through an endpoint at most four appends per file are in flight, inside the
/// shard's window of five (into a local store eight, see
/// ``ShipConfiguration/localStoreBatches()``); up to sixteen are named in the checkpoint ahead of
/// sending, and a resent one older than the window is refused as such, which proves it stored
/// (appends are stored in order, without gaps).
/// With multiline, an append carries whole groups and is rebuilt group for group (see
/// ``RecordScanner``).
/// Each record also carries `offset`, so with the partition key it names its line.
enum FileProducer {
    static func key(instance: UInt64, inode: Inode, fingerprint: FileFingerprint) -> UInt64 {
        var bytes: [UInt8] = []
        for value in [instance, inode.device, inode.number, fingerprint.hash, UInt64(fingerprint.length)] {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        let key = FileFingerprint.fnv1a(bytes)
        return key == 0 ? 1 : key  // 0 means "not idempotent" to the store
    }

    static func partitionKey(_ key: UInt64) -> String {
        let hex = String(key, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func stamp(_ key: UInt64, sequence: UInt64) -> ProducerStamp {
        ProducerStamp(producerID: key, sequence: sequence)
    }
}
