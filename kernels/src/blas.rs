//! BLAS-1 kernels.
