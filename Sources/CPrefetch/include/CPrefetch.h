#ifndef CPREFETCH_H
#define CPREFETCH_H

/// Asks the CPU to bring the cache line holding `address` towards L1, without waiting for it.
/// Swift has no prefetch intrinsic; this header-only function is inlined into Swift callers.
static inline __attribute__((always_inline)) void cprefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
