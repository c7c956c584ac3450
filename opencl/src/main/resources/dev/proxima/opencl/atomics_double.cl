// The 64-bit version of the CAS loop in atomics_float.cl (needs cl_khr_int64_base_atomics).
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
inline void atomic_add_double(__global double* p, double v) {
    __global volatile long* lp = (__global volatile long*) p;
    long old = *lp, assumed;
    do {
        assumed = old;
        old = atom_cmpxchg(lp, assumed, as_long(as_double(assumed) + v));
    } while (old != assumed);
}
