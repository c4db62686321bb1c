#pragma once
// DataLoader: batches of a Dataset, optionally shuffled, prepared by a background worker thread.
//
//   data::DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = 1});
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (auto& [x, y] : loader) { ... }
//
// Each pass over the loader is an epoch; with shuffle, epoch e visits the examples in a
// permutation that depends only on (seed, e), so runs reproduce exactly. Without a custom
// collate a batch comes from Dataset::get_batch (a row gather for tensor-backed datasets).
// With prefetch > 0 a worker thread prepares up to `prefetch` batches ahead of the consumer;
// an exception thrown while preparing a batch is rethrown by the iterator that reaches it.
// Leaving a loop early (break, exception) stops and joins the worker when the iterator dies.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "soma/data/dataset.h"

namespace soma::data {

struct LoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  uint64_t seed = 0;
  bool drop_last = false;  // drop a last batch smaller than batch_size
  int64_t prefetch = 2;    // batches prepared ahead by the worker thread; 0: no thread
  // Makes a batch from the examples get(i) returned; empty: Dataset::get_batch.
  std::function<Batch(const std::vector<Example>&)> collate = {};
};

class DataLoader {
 public:
  template <DatasetSource D>
  DataLoader(D&& dataset, LoaderOptions options = {}) : dataset_(hold(std::forward<D>(dataset))), options_(std::move(options)) {
    check();
  }

  class Iterator;
  struct Sentinel {};

  // Starts the next epoch.
  Iterator begin();
  Sentinel end() const { return {}; }
  // Number of batches per epoch.
  int64_t size() const;
  // The epoch the next begin() starts (it counts up from 0; set it to resume or to replay one).
  int64_t epoch() const { return epoch_; }
  void set_epoch(int64_t epoch) { epoch_ = epoch, first_batch_ = 0; }
  // The next begin() continues epoch `epoch` at batch `batch` (0 <= batch <= size()), in the
  // same order as a whole pass: a run resumed mid-epoch sees the batches it had not seen yet.
  void start_at(int64_t epoch, int64_t batch);
  // The order in which epoch `epoch` visits the examples.
  std::vector<int64_t> order(int64_t epoch) const;
  const Dataset& dataset() const { return *dataset_; }
  const LoaderOptions& options() const { return options_; }

  struct Epoch;  // the state of one pass (worker thread, queue), shared by its iterators

  class Iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    explicit Iterator(std::shared_ptr<Epoch> epoch);
    Batch& operator*() const;
    Batch* operator->() const { return &**this; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    friend bool operator==(const Iterator& it, Sentinel) { return it.done(); }

   private:
    bool done() const;
    std::shared_ptr<Epoch> epoch_;
  };

 private:
  void check() const;
  DatasetPtr dataset_;
  LoaderOptions options_;
  int64_t epoch_ = 0;
  int64_t first_batch_ = 0;  // where the next begin() starts (start_at); later ones start at 0
};

}  // namespace soma::data
