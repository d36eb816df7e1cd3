/*
 * oneMKL (linked into libtorch) asks this function whether the CPU is an Intel one and, on any other
 * vendor, runs its generic kernels whatever the CPU supports: on an AMD EPYC with AVX-512, libtorch's
 * fp32 matmul then reaches about 0.4x of what the same MKL reaches on its AVX-512 path
 * (docs/results/efficiency.md). Answering "yes" lets MKL choose its kernels by the CPU's own feature
 * flags, which it still checks. bin/moore builds this file with the system C compiler and preloads it
 * on AMD CPUs; MOORE4J_MKL_SHIM=off turns it off.
 */
int mkl_serv_intel_cpu_true(void) {
    return 1;
}
