/*
 * Routes the C allocator to jemalloc for bin/moore on a machine without tcmalloc or jemalloc installed.
 *
 * libtorch frees every tensor with free(); glibc's malloc keeps many freed activation-sized chunks resident, so a
 * training process holds hundreds of MB it no longer uses (docs/results/efficiency.md, sections 8 and 11). The jemalloc
 * that ships as a Maven artifact (org.lwjgl:lwjgl-jemalloc, natives-linux) names its functions je_malloc, je_free, …,
 * so it cannot be preloaded by itself. This library is preloaded instead: it defines the functions glibc's manual
 * lists for replacing malloc ("Replacing malloc": malloc, free, calloc, realloc, aligned_alloc, malloc_usable_size,
 * memalign, posix_memalign, pvalloc, valloc) and calls jemalloc's; mallctl too, so that NativeTrimmer finds jemalloc
 * and purges it. bin/moore builds it once with the system's C compiler, linked to the jar's library beside it.
 */
#include <stddef.h>

void *je_malloc(size_t size);
void je_free(void *ptr);
void *je_calloc(size_t n, size_t size);
void *je_realloc(void *ptr, size_t size);
void *je_aligned_alloc(size_t alignment, size_t size);
int je_posix_memalign(void **ptr, size_t alignment, size_t size);
void *je_memalign(size_t alignment, size_t size);
void *je_valloc(size_t size);
void *je_pvalloc(size_t size);
size_t je_malloc_usable_size(void *ptr);
int je_mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);

void *malloc(size_t size) { return je_malloc(size); }
void free(void *ptr) { je_free(ptr); }
void *calloc(size_t n, size_t size) { return je_calloc(n, size); }
void *realloc(void *ptr, size_t size) { return je_realloc(ptr, size); }
void *aligned_alloc(size_t alignment, size_t size) { return je_aligned_alloc(alignment, size); }
int posix_memalign(void **ptr, size_t alignment, size_t size) { return je_posix_memalign(ptr, alignment, size); }
void *memalign(size_t alignment, size_t size) { return je_memalign(alignment, size); }
void *valloc(size_t size) { return je_valloc(size); }
void *pvalloc(size_t size) { return je_pvalloc(size); }
size_t malloc_usable_size(void *ptr) { return je_malloc_usable_size(ptr); }
int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen) {
    return je_mallctl(name, oldp, oldlenp, newp, newlen);
}
