#ifndef STREAMQ_CPREFETCH_SHIM_H
#define STREAMQ_CPREFETCH_SHIM_H

/// Asks the core to start loading the cache line at `address` for a read soon, without waiting
/// for it (a hint: it never faults and may be ignored).
static inline void streamq_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
#endif
