#ifndef STREAMQ_CCRC32C_H
#define STREAMQ_CCRC32C_H
#include <stddef.h>
#include <stdint.h>

/// Whether this CPU has a CRC-32C instruction streamq_crc32c_hardware uses (SSE 4.2 on x86-64).
int streamq_crc32c_hardware_available(void);

/// Continues the CRC-32C register `crc` (not inverted here) over `count` bytes with the CPU's
/// instruction. Call only where streamq_crc32c_hardware_available() said yes.
uint32_t streamq_crc32c_hardware(uint32_t crc, const void *bytes, size_t count);
#endif
