#pragma once
// Threads used by soma's kernels (OpenMP loops and the BLAS). Defaults to the OpenMP default
// (OMP_NUM_THREADS, or one per core). Random numbers, elementwise ops and reductions give the
// same results for any setting; a large matrix product threaded inside OpenBLAS may differ in
// the last bits between thread counts (OpenBLAS splits the work differently), as in PyTorch.
namespace soma {

void set_num_threads(int n);
int get_num_threads();

}  // namespace soma
