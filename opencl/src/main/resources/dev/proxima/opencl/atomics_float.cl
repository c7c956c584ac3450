// OpenCL 1.2 has no atomic float add: swap the bits in with compare-and-swap until no other
// work-item wrote in between. Bits are compared, so a NaN already stored does not spin.
inline void atomic_add_float(__global float* p, float v) {
    __global volatile int* ip = (__global volatile int*) p;
    int old = *ip, assumed;
    do {
        assumed = old;
        old = atomic_cmpxchg(ip, assumed, as_int(as_float(assumed) + v));
    } while (old != assumed);
}

inline void atomic_add_int(__global int* p, int v) {
    atomic_add((__global volatile int*) p, v);
}
