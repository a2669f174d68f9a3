internal import CCRC32C

/// CRC-32C (Castagnoli), the checksum that frames every batch, index and metadata file.
///
/// With the CPU's CRC-32C instruction where it has one (SSE 4.2), several times faster than the
/// slicing-by-8 fallback in Swift (about 2 GB/s), which was a few percent of the append path's cost
/// (storage notes §6.3) and of a query's scan.
package enum CRC32C {
    private static let hasInstruction = streamq_crc32c_hardware_available() != 0

    private static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            table[byte] = crc
        }
        for byte in 0..<256 {
            for slice in 1..<8 {
                let previous = table[(slice - 1) * 256 + byte]
                table[slice * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()

    /// The CRC-32C of `bytes`, continuing from `seed` (the CRC of the bytes before them).
    package static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return seed }
        if hasInstruction { return ~streamq_crc32c_hardware(~seed, base, bytes.count) }
        return softwareChecksum(bytes, seed: seed)
    }

    /// The slicing-by-8 CRC-32C, for CPUs without the instruction (and to check it against).
    package static func softwareChecksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard var pointer = bytes.baseAddress else { return seed }
        var remaining = bytes.count
        var crc = ~seed
        table.withUnsafeBufferPointer { t in
            while remaining >= 8 {
                let word = pointer.loadUnaligned(as: UInt64.self).littleEndian ^ UInt64(crc)
                crc =
                    t[7 * 256 + Int(word & 0xFF)] ^ t[6 * 256 + Int((word >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((word >> 16) & 0xFF)] ^ t[4 * 256 + Int((word >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((word >> 32) & 0xFF)] ^ t[2 * 256 + Int((word >> 40) & 0xFF)]
                    ^ t[256 + Int((word >> 48) & 0xFF)] ^ t[Int(word >> 56)]
                pointer += 8
                remaining -= 8
            }
            while remaining > 0 {
                crc = t[Int((crc ^ UInt32(pointer.load(as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                pointer += 1
                remaining -= 1
            }
        }
        return ~crc
    }

    package static func checksum(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, seed: seed) }
    }
}
