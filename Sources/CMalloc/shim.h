#ifndef STREAMQ_CMALLOC_SHIM_H
#define STREAMQ_CMALLOC_SHIM_H
#include <malloc.h>

/// Keeps freed blocks of up to `mmap_threshold` bytes in the heap, and up to `trim_threshold` bytes
/// of free heap top, for reuse instead of returning them to the kernel (glibc; elsewhere a no-op).
static inline void streamq_keep_freed_memory(int mmap_threshold, int trim_threshold) {
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, trim_threshold);
#endif
}
#endif
