#pragma once
// Threads used by soma's kernels (OpenMP loops and the BLAS). Defaults to the OpenMP default
// (OMP_NUM_THREADS, or one per core). Results never depend on this setting.
namespace soma {

void set_num_threads(int n);
int get_num_threads();

}  // namespace soma
