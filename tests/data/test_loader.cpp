// Datasets, the DataLoader (batching, shuffling, prefetch, shutdown, errors) and the splits
// (folds against scikit-learn: tests/golden/gen_data.py).
#include <algorithm>
#include <atomic>
#include <numeric>
#include <chrono>
#include <set>
#include <thread>

#include "data_helpers.h"

using namespace soma;
using namespace data_test;

namespace {

// inputs [n, 3] with row i = (i, i, i); targets i.
data::TensorDataset counting(int64_t n) {
  Tensor x = arange(0, n, 1, kFloat32).unsqueeze(1).expand({n, 3}).contiguous();
  return data::TensorDataset(x, arange(0, n, 1, kInt64));
}

// Generic (no get_batch override) dataset with optional delay and a failing index.
class SlowDataset : public data::Dataset {
 public:
  SlowDataset(int64_t n, int delay_ms, int64_t fail_at = -1) : n_(n), delay_ms_(delay_ms), fail_at_(fail_at) {}
  int64_t size() const override { return n_; }
  data::Example get(int64_t i) const override {
    if (delay_ms_) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    SOMA_CHECK(i != fail_at_, "SlowDataset: cannot load example {}", i);
    ++calls;
    return {full({2}, i, kFloat32), scalar_tensor(i, kInt64)};
  }
  mutable std::atomic<int64_t> calls = 0;

 private:
  int64_t n_;
  int delay_ms_;
  int64_t fail_at_;
};

std::vector<int64_t> targets_of(data::DataLoader& loader) {
  std::vector<int64_t> seen;
  for (auto& [x, y] : loader)
    for (int64_t v : y.to_vector<int64_t>()) seen.push_back(v);
  return seen;
}

}  // namespace

TEST(Dataset, TensorDatasetGetAndBatch) {
  auto ds = counting(10);
  EXPECT_EQ(ds.size(), 10);
  auto e = ds.get(4);
  EXPECT_EQ(e.input.shape(), (Shape{3}));
  EXPECT_EQ(e.target.item<int64_t>(), 4);
  std::vector<int64_t> idx = {7, 2, 2};
  auto b = ds.get_batch(idx);
  EXPECT_EQ(b.input.shape(), (Shape{3, 3}));
  EXPECT_EQ(b.input.to_vector<float>(), (std::vector<float>{7, 7, 7, 2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{7, 2, 2}));
  // The generic path (stack of get) agrees with the row gather.
  auto generic = ds.Dataset::get_batch(idx);
  EXPECT_EQ(generic.input.to_vector<float>(), b.input.to_vector<float>());
  EXPECT_EQ(generic.target.to_vector<int64_t>(), b.target.to_vector<int64_t>());
  // Non-contiguous inputs are taken as their values.
  Tensor t = arange(0, 12, 1, kFloat32).reshape({3, 4}).t();  // [4, 3]
  data::TensorDataset td(t, {});
  EXPECT_EQ(td.get_batch(std::vector<int64_t>{1, 3}).input.to_vector<float>(),
            (std::vector<float>{1, 5, 9, 3, 7, 11}));
  EXPECT_FALSE(td.get(0).target.defined());
}

TEST(Dataset, Errors) {
  expect_error([] { data::TensorDataset(zeros({3, 2}), zeros({4})); }, "different numbers of samples");
  auto ds = counting(5);
  expect_error([&] { ds.get(5); }, "index 5 is out of range for a dataset of size 5");
  expect_error([&] { ds.get_batch(std::vector<int64_t>{0, -1}); }, "index -1 is out of range");
  expect_error([&] { data::Subset(ds, {0, 9}); }, "Subset: index 9 is out of range");
  expect_error([&] { data::DataLoader(ds, {.batch_size = 0}); }, "batch_size must be at least 1, got 0");
  expect_error([&] { data::DataLoader(ds, {.prefetch = -1}); }, "prefetch must be non-negative");
  expect_error([] { data::collate({}); }, "no examples");
}

TEST(Dataset, SubsetAndTransformed) {
  auto ds = counting(10);
  data::Subset sub(ds, {9, 0, 4});
  EXPECT_EQ(sub.size(), 3);
  EXPECT_EQ(sub.get(0).target.item<int64_t>(), 9);
  EXPECT_EQ(sub.get_batch(std::vector<int64_t>{2, 1}).target.to_vector<int64_t>(), (std::vector<int64_t>{4, 0}));
  data::Transformed tr(std::move(sub), [](const Tensor& x) { return x * 2; }, [](const Tensor& y) { return y + 100; });
  EXPECT_EQ(tr.size(), 3);
  auto e = tr.get(2);
  EXPECT_EQ(e.input.to_vector<float>(), (std::vector<float>{8, 8, 8}));
  EXPECT_EQ(e.target.item<int64_t>(), 104);
  auto b = tr.get_batch(std::vector<int64_t>{0, 1});  // stacked per-sample transforms
  EXPECT_EQ(b.input.shape(), (Shape{2, 3}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{109, 100}));
}

TEST(Dataset, IterableStream) {
  struct Count : data::IterableDataset {
    int64_t i = 0, n = 5;
    std::optional<data::Example> next() override {
      if (i == n) return std::nullopt;
      ++i;
      return data::Example{full({2}, i, kFloat32), scalar_tensor(i, kInt64)};
    }
  } stream;
  std::vector<int64_t> sizes;
  while (auto b = data::next_batch(stream, 2)) sizes.push_back(b->input.size(0));
  EXPECT_EQ(sizes, (std::vector<int64_t>{2, 2, 1}));
}

TEST(DataLoader, BatchesAndDropLast) {
  for (int64_t prefetch : {0, 1, 3}) {
    data::DataLoader loader(counting(10), {.batch_size = 4, .prefetch = prefetch});
    EXPECT_EQ(loader.size(), 3);
    std::vector<Shape> shapes;
    for (auto& [x, y] : loader) {
      shapes.push_back(x.shape());
      EXPECT_EQ(y.dtype(), kInt64);
    }
    EXPECT_EQ(shapes, (std::vector<Shape>{{4, 3}, {4, 3}, {2, 3}}));
    EXPECT_EQ(targets_of(loader), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));

    data::DataLoader dropping(counting(10), {.batch_size = 4, .drop_last = true, .prefetch = prefetch});
    EXPECT_EQ(dropping.size(), 2);
    EXPECT_EQ(targets_of(dropping).size(), 8u);
  }
  data::DataLoader empty_loader(counting(3), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(empty_loader.size(), 0);
  EXPECT_TRUE(targets_of(empty_loader).empty());
}

TEST(DataLoader, ShuffleReproducibleAndEveryExampleOnce) {
  const int64_t n = 103;
  data::DataLoader a(counting(n), {.batch_size = 8, .shuffle = true, .seed = 7});
  data::DataLoader b(counting(n), {.batch_size = 8, .shuffle = true, .seed = 7, .prefetch = 0});
  data::DataLoader c(counting(n), {.batch_size = 8, .shuffle = true, .seed = 8});
  std::vector<std::vector<int64_t>> epochs;
  for (int e = 0; e < 3; ++e) {
    std::vector<int64_t> seen = targets_of(a);
    std::vector<int64_t> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> all(n);
    std::iota(all.begin(), all.end(), int64_t{0});
    EXPECT_EQ(sorted, all) << "epoch " << e;
    EXPECT_EQ(seen, targets_of(b)) << "same seed, same epoch";
    EXPECT_NE(seen, targets_of(c)) << "different seed";
    EXPECT_EQ(seen, a.order(e));
    epochs.push_back(seen);
  }
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[1], epochs[2]);
  // Replaying an epoch gives the same order.
  a.set_epoch(1);
  EXPECT_EQ(targets_of(a), epochs[1]);
  EXPECT_EQ(a.epoch(), 2);
}

// Resuming mid-epoch: start_at(e, k) yields batches k.. of epoch e in the whole pass's order, with
// and without the prefetch thread; the pass after it is epoch e + 1 from its first batch.
TEST(DataLoader, StartAtContinuesAnEpochInItsOrder) {
  const int64_t n = 103, bs = 8;
  for (int64_t prefetch : {0, 2}) {
    data::DataLoader loader(counting(n), {.batch_size = bs, .shuffle = true, .seed = 7, .prefetch = prefetch});
    const std::vector<int64_t> order = loader.order(2);
    loader.start_at(2, 5);
    EXPECT_EQ(targets_of(loader), std::vector<int64_t>(order.begin() + 5 * bs, order.end())) << prefetch;
    EXPECT_EQ(loader.epoch(), 3);
    EXPECT_EQ(targets_of(loader), loader.order(3)) << prefetch;
    loader.start_at(0, loader.size());  // interrupted after the last batch: nothing left
    EXPECT_TRUE(targets_of(loader).empty());
    EXPECT_EQ(targets_of(loader), loader.order(1));
  }
  data::DataLoader loader(counting(n), {.batch_size = bs});
  expect_error([&] { loader.start_at(0, 15); }, "start_at: batch 15 is outside the epoch's 0..13");
  expect_error([&] { loader.start_at(0, -1); }, "start_at: batch -1");
}

TEST(DataLoader, CustomCollateAndGenericDataset) {
  SlowDataset ds(7, 0);
  data::DataLoader loader(ds, {.batch_size = 3, .collate = [](const std::vector<data::Example>& ex) {
                                 return data::Batch{full({1}, static_cast<int64_t>(ex.size()), kInt64),
                                                    ex.front().target};
                               }});
  std::vector<int64_t> sizes;
  for (auto& [x, y] : loader) sizes.push_back(x.item<int64_t>());
  EXPECT_EQ(sizes, (std::vector<int64_t>{3, 3, 1}));
  // Default collate stacks per-example tensors.
  data::DataLoader plain(ds, {.batch_size = 3});
  auto it = plain.begin();
  EXPECT_EQ(it->input.shape(), (Shape{3, 2}));
  EXPECT_EQ(it->target.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2}));
}

TEST(DataLoader, WorkerErrorsReachTheConsumer) {
  for (int64_t prefetch : {0, 2}) {
    SlowDataset ds(20, 0, /*fail_at=*/9);
    data::DataLoader loader(ds, {.batch_size = 4, .prefetch = prefetch});
    int64_t batches = 0;
    expect_error(
        [&] {
          for (auto& batch : loader) {
            (void)batch;
            ++batches;
          }
        },
        "SlowDataset: cannot load example 9");
    EXPECT_EQ(batches, 2);
    // The next epoch fails the same way (and the loader is still usable).
    expect_error([&] { targets_of(loader); }, "example 9");
  }
}

TEST(DataLoader, EarlyBreakAndDestructionStopTheWorker) {
  SlowDataset ds(1000, 1);
  {
    data::DataLoader loader(ds, {.batch_size = 10, .prefetch = 2});
    for (auto& [x, y] : loader) {
      (void)x;
      break;
    }
    // The worker stopped with the loop: at most the batch in use plus the prefetched ones
    // (and one in progress) were loaded.
    const int64_t after_break = ds.calls;
    EXPECT_LE(after_break, 40);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(ds.calls, after_break);
    // An iterator kept alive mid-epoch, then dropped with the loader.
    auto it = loader.begin();
    ++it;
    EXPECT_EQ(it->target.to_vector<int64_t>()[0], 10);
  }
  SUCCEED();
}

TEST(DataLoader, PrefetchLoadsAheadWhileTheConsumerWorks) {
  // While the consumer still holds the first batch, the worker loads the next ones; without
  // prefetch nothing more is loaded until the consumer asks. (No timing assertion: the wait
  // below only bounds how long a failure takes to show.)
  auto loaded_while_holding_first = [](int64_t prefetch) {
    SlowDataset ds(12, 0);  // 2 examples per batch
    data::DataLoader loader(ds, {.batch_size = 2, .prefetch = prefetch});
    auto it = loader.begin();
    EXPECT_EQ(it->target.to_vector<int64_t>()[0], 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(prefetch > 0 ? 10 : 0);
    while (ds.calls < 6 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return ds.calls.load();
  };
  EXPECT_GE(loaded_while_holding_first(2), 6);  // batch 0 and the two prefetched batches
  EXPECT_EQ(loaded_while_holding_first(0), 2);  // batch 0 only
}

TEST(DataLoader, OwnsTemporariesAndBorrowsLvalues) {
  auto ds = std::make_shared<data::TensorDataset>(counting(6));
  data::DataLoader shared(data::DatasetPtr(ds), {.batch_size = 6});
  ds.reset();
  EXPECT_EQ(targets_of(shared).size(), 6u);
}

// ---- splits ------------------------------------------------------------------------------------

TEST(Split, RandomSplit) {
  auto ds = counting(10);
  auto parts = data::random_split(ds, {0.5, 0.3, 0.2}, 3);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].size(), 5);
  EXPECT_EQ(parts[1].size(), 3);
  EXPECT_EQ(parts[2].size(), 2);
  std::set<int64_t> all;
  for (auto& p : parts)
    for (int64_t i : p.indices()) all.insert(i);
  EXPECT_EQ(all.size(), 10u);
  EXPECT_EQ(data::random_split(ds, {0.5, 0.3, 0.2}, 3)[0].indices(), parts[0].indices());
  EXPECT_NE(data::random_split(ds, {0.5, 0.3, 0.2}, 4)[0].indices(), parts[0].indices());
  // Fractions with a remainder: floor(0.33 * 10) = 3 each, the 1 left goes to the first.
  auto thirds = data::random_split(ds, {1.0 / 3, 1.0 / 3, 1.0 / 3});
  EXPECT_EQ(thirds[0].size(), 4);
  EXPECT_EQ(thirds[2].size(), 3);
  auto sized = data::random_split(ds, {7, 3});
  EXPECT_EQ(sized[1].size(), 3);
  expect_error([&] { data::random_split(ds, {7, 4}); }, "the lengths sum to 11 but the dataset has 10 examples");
}

// tests/golden/gen_data.py (sklearn.model_selection, shuffle=False)
const std::vector<std::vector<int64_t>> kKFold10x3 = {
    {0, 1, 2, 3},
    {4, 5, 6},
    {7, 8, 9},
};
const std::vector<std::vector<int64_t>> kKFold7x7 = {{0}, {1}, {2}, {3}, {4}, {5}, {6}};
const std::vector<int64_t> kStratY = {2, 0, 1, 1, 0, 2, 2, 2, 1, 0, 0, 0, 1, 2, 0, 1, 1, 2, 0, 0, 2, 1, 1};
const std::vector<std::vector<int64_t>> kStrat3 = {
    {0, 1, 2, 3, 4, 5, 6, 8},
    {7, 9, 10, 11, 12, 13, 15, 16},
    {14, 17, 18, 19, 20, 21, 22},
};
const std::vector<std::vector<int64_t>> kStrat5 = {
    {0, 1, 2, 3, 5}, {4, 6, 7, 8, 12}, {9, 10, 13, 15, 16}, {11, 14, 17, 21}, {18, 19, 20, 22},
};
const std::vector<int64_t> kStratY2 = {5, 5, 5, 9, 9, 9, 9, 9, 9, 9, 5, 5};
const std::vector<std::vector<int64_t>> kStrat2b = {
    {0, 1, 2, 3, 4, 5},
    {6, 7, 8, 9, 10, 11},
};

void expect_folds(const std::vector<data::Fold>& folds, const std::vector<std::vector<int64_t>>& val, int64_t n) {
  ASSERT_EQ(folds.size(), val.size());
  for (size_t k = 0; k < folds.size(); ++k) {
    EXPECT_EQ(folds[k].val, val[k]) << "fold " << k;
    std::vector<int64_t> train;
    for (int64_t i = 0; i < n; ++i)
      if (!std::binary_search(val[k].begin(), val[k].end(), i)) train.push_back(i);
    EXPECT_EQ(folds[k].train, train) << "fold " << k;
  }
}

TEST(Split, KFoldMatchesSklearn) {
  expect_folds(data::KFold(3).split(10), kKFold10x3, 10);
  expect_folds(data::KFold(7).split(7), kKFold7x7, 7);
  expect_error([] { data::KFold(1); }, "n_splits must be at least 2");
  expect_error([] { data::KFold(5).split(4); }, "greater than the number of samples 4");
}

TEST(Split, StratifiedKFoldMatchesSklearn) {
  const int64_t n = static_cast<int64_t>(kStratY.size());
  expect_folds(data::StratifiedKFold(3).split(from_vector(kStratY)), kStrat3, n);
  expect_folds(data::StratifiedKFold(5).split(from_vector(kStratY)), kStrat5, n);
  expect_folds(data::StratifiedKFold(2).split(from_vector(kStratY2)), kStrat2b, 12);
  expect_error([] { data::StratifiedKFold(3).split(tensor({1.0, 2.0, 3.0})); }, "1-D integer tensor");
  expect_error([] { data::StratifiedKFold(3).split(tensor({0, 1, 0, 1}, kInt64)); },
               "cannot be greater than the number of members in each class");
}

TEST(Split, ShuffledFoldsPartitionAndKeepProportions) {
  const int64_t n = static_cast<int64_t>(kStratY.size());
  for (bool stratified : {false, true}) {
    auto folds = stratified ? data::StratifiedKFold(3, true, 5).split(from_vector(kStratY))
                            : data::KFold(3, true, 5).split(n);
    auto again = stratified ? data::StratifiedKFold(3, true, 5).split(from_vector(kStratY))
                            : data::KFold(3, true, 5).split(n);
    std::vector<std::vector<int64_t>> reference = kStrat3;
    if (!stratified)
      for (size_t k = 0; k < 3; ++k) reference[k] = data::KFold(3).split(n)[k].val;
    std::vector<int> count(n, 0);
    for (size_t k = 0; k < folds.size(); ++k) {
      EXPECT_EQ(folds[k].val, again[k].val);
      EXPECT_EQ(folds[k].val.size(), reference[k].size());
      EXPECT_EQ(folds[k].train.size() + folds[k].val.size(), static_cast<size_t>(n));
      for (int64_t i : folds[k].val) ++count[i];
      if (stratified) {  // the same class counts as scikit-learn's folds
        for (int64_t c = 0; c < 3; ++c) {
          auto in_class = [&](int64_t i) { return kStratY[i] == c; };
          EXPECT_EQ(std::ranges::count_if(folds[k].val, in_class), std::ranges::count_if(kStrat3[k], in_class));
        }
      }
    }
    EXPECT_EQ(count, std::vector<int>(n, 1));
  }
}
