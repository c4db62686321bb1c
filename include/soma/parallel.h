#pragma once
// Threads used by soma's kernels (OpenMP loops and the BLAS). Defaults to the OpenMP default
// (OMP_NUM_THREADS, or one per core). Random numbers, elementwise ops and reductions give the
// same results for any setting; a large matrix product threaded inside OpenBLAS may differ in
// the last bits between thread counts (OpenBLAS splits the work differently), as in PyTorch.
namespace soma {

// n in [1, max_num_threads()]; anything else is an Error.
void set_num_threads(int n);
// The most threads set_num_threads accepts: 4 per core (std::thread::hardware_concurrency).
int max_num_threads();
int get_num_threads();

}  // namespace soma
