// DataLoader: the epoch order, and a worker thread filling a bounded queue of batches.
#include "soma/data/dataloader.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>

#include "soma/random.h"

namespace soma::data {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

struct DataLoader::Epoch {
  struct Item {
    Batch batch;
    std::exception_ptr error;
  };

  DatasetPtr dataset;
  LoaderOptions options;
  std::vector<int64_t> order;
  int64_t batches = 0;
  int64_t consumed = 0;  // index of `current` among the batches
  Batch current;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<Item> queue;
  bool stop = false;
  std::thread worker;

  ~Epoch() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
    if (worker.joinable()) worker.join();
  }

  Batch make(int64_t b) const {
    const int64_t bs = options.batch_size;
    const int64_t first = b * bs, count = std::min<int64_t>(bs, static_cast<int64_t>(order.size()) - first);
    std::span<const int64_t> indices(order.data() + first, count);
    if (!options.collate) return dataset->get_batch(indices);
    std::vector<Example> examples;
    examples.reserve(count);
    for (int64_t i : indices) examples.push_back(dataset->get(i));
    return options.collate(examples);
  }

  void run() {
    for (int64_t b = consumed; b < batches; ++b) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stop || static_cast<int64_t>(queue.size()) < options.prefetch; });
        if (stop) return;
      }
      Item item;
      try {
        item.batch = make(b);
      } catch (...) {
        item.error = std::current_exception();
      }
      const bool failed = item.error != nullptr;
      {
        std::lock_guard lock(mu);
        queue.push_back(std::move(item));
      }
      cv.notify_all();
      if (failed) return;
    }
  }

  // Makes batch `consumed` the current one (rethrowing the error that prevented it).
  void fetch() {
    if (!worker.joinable()) {
      current = make(consumed);
      return;
    }
    Item item;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return !queue.empty(); });
      item = std::move(queue.front());
      queue.pop_front();
    }
    cv.notify_all();
    if (item.error) {
      consumed = batches;  // the worker has stopped: this epoch ends here
      std::rethrow_exception(item.error);
    }
    current = std::move(item.batch);
  }
};

void DataLoader::check() const {
  SOMA_CHECK(dataset_ != nullptr, "DataLoader: the dataset is null");
  SOMA_CHECK(options_.batch_size >= 1, "DataLoader: batch_size must be at least 1, got {}", options_.batch_size);
  SOMA_CHECK(options_.prefetch >= 0, "DataLoader: prefetch must be non-negative, got {}", options_.prefetch);
}

int64_t DataLoader::size() const {
  const int64_t n = dataset_->size(), bs = options_.batch_size;
  return options_.drop_last ? n / bs : (n + bs - 1) / bs;
}

std::vector<int64_t> DataLoader::order(int64_t epoch) const {
  const int64_t n = dataset_->size();
  if (!options_.shuffle) {
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), int64_t{0});
    return order;
  }
  Generator gen(splitmix64(options_.seed ^ splitmix64(static_cast<uint64_t>(epoch))));
  return randperm(n, &gen).to_vector<int64_t>();
}

void DataLoader::start_at(int64_t epoch, int64_t batch) {
  SOMA_CHECK(batch >= 0 && batch <= size(), "DataLoader: start_at: batch {} is outside the epoch's 0..{}", batch,
             size());
  epoch_ = epoch;
  first_batch_ = batch;
}

DataLoader::Iterator DataLoader::begin() {
  auto e = std::make_shared<Epoch>();
  e->dataset = dataset_;
  e->options = options_;
  e->order = order(epoch_++);
  e->batches = size();
  e->consumed = std::exchange(first_batch_, 0);
  if (e->options.prefetch > 0 && e->consumed < e->batches) e->worker = std::thread([p = e.get()] { p->run(); });
  return Iterator(std::move(e));
}

DataLoader::Iterator::Iterator(std::shared_ptr<Epoch> epoch) : epoch_(std::move(epoch)) {
  if (!done()) epoch_->fetch();
}

bool DataLoader::Iterator::done() const { return !epoch_ || epoch_->consumed >= epoch_->batches; }

Batch& DataLoader::Iterator::operator*() const {
  SOMA_CHECK(!done(), "DataLoader: dereferencing an iterator past the last batch");
  return epoch_->current;
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  SOMA_CHECK(!done(), "DataLoader: advancing an iterator past the last batch");
  if (++epoch_->consumed < epoch_->batches) epoch_->fetch();
  return *this;
}

}  // namespace soma::data
