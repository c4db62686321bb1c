#include "run_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>

#include "data/bytes.h"
#include "data/untrusted_json.h"
#include "soma/soma.h"

namespace soma::cli {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// The files a run writes through a temporary name: `.NAME.tmp.PID[.N]` (checkpoints, weights,
// logs, curves), and the tokenizer's `tokenizer.json.tmp`.
constexpr const char* kAtomicOutputs[] = {"last.ckpt", "best.ckpt", "model.safetensors", "metrics.jsonl",
                                          "learning_curve.svg"};

// The writer's process id in `.NAME.tmp.PID[.N]`, or 0 when `file` is not such a name.
pid_t temp_file_writer(const std::string& file) {
  for (const char* name : kAtomicOutputs) {
    const std::string prefix = fmt::format(".{}.tmp.", name);
    if (!file.starts_with(prefix)) continue;
    const std::string rest = file.substr(prefix.size());
    char* end = nullptr;
    const long pid = std::strtol(rest.c_str(), &end, 10);
    if (end != rest.c_str() && (*end == '\0' || *end == '.') && pid > 0) return static_cast<pid_t>(pid);
  }
  return 0;
}

bool running(pid_t pid) { return pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

void write_file_atomically(const fs::path& path, const std::string& text) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const fs::path tmp = dir / fmt::format(".{}.tmp.{}", path.filename().string(), ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  SOMA_CHECK(fd >= 0, "train: cannot write {}: cannot create {}: {}", path.string(), tmp.string(), errno_text());
  auto fail = [&](const char* what) {
    const std::string reason = errno_text();
    ::close(fd);
    ::unlink(tmp.c_str());
    SOMA_FAIL("train: cannot write {}: {} failed: {}", path.string(), what, reason);
  };
  for (size_t done = 0; done < text.size();) {
    const ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("write");
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    const std::string reason = errno_text();
    ::unlink(tmp.c_str());
    SOMA_FAIL("train: cannot write {}: close failed: {}", path.string(), reason);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = errno_text();
    ::unlink(tmp.c_str());
    SOMA_FAIL("train: cannot write {}: cannot rename {} over it: {}", path.string(), tmp.string(), reason);
  }
}

void remove_stale_temp_files(const fs::path& dir) {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const pid_t writer = temp_file_writer(name);
    if ((writer > 0 && !running(writer)) || name == "tokenizer.json.tmp") fs::remove(entry.path(), ec);
  }
}

std::string records_to_jsonl(const std::vector<nlohmann::json>& records) {
  std::string text;
  for (const nlohmann::json& r : records) text += r.dump() + "\n";
  return text;
}

std::vector<nlohmann::json> records_from_jsonl(const std::string& text, const std::string& source) {
  std::vector<nlohmann::json> records;
  size_t line = 0;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    ++line;
    nlohmann::json j = data::detail::parse_untrusted_json(std::string_view(text).substr(begin, end - begin),
                                                          fmt::format("train: {}: line {}", source, line));
    SOMA_CHECK(j.is_object(), "train: {}: line {} is not a JSON object", source, line);
    records.push_back(std::move(j));
    begin = end + 1;
  }
  return records;
}

double record_number(const nlohmann::json& record, const char* key, const std::string& source, size_t line) {
  auto it = record.find(key);
  SOMA_CHECK(it != record.end() && it->is_number(), "train: {}: line {}: \"{}\" is {} (expected a number)", source,
             line, key, it == record.end() ? std::string("missing") : it->dump());
  return it->get<double>();
}

std::vector<nlohmann::json> resumed_records(const std::map<std::string, std::string>& user, const fs::path& checkpoint,
                                            const fs::path& log, int64_t step, const std::vector<const char*>& required) {
  std::vector<nlohmann::json> records;
  std::string source;
  if (auto it = user.find("metrics"); it != user.end()) {
    source = fmt::format("checkpoint '{}' (its metrics)", checkpoint.string());
    records = records_from_jsonl(it->second, source);
  } else {  // a checkpoint of an older soma: the log, up to the checkpoint's step
    source = log.string();
    records = records_from_jsonl(data::detail::read_file(source, "train --resume"), source);
  }
  for (size_t i = 0; i < records.size(); ++i) {
    for (const char* key : required) record_number(records[i], key, source, i + 1);
    if (records[i].contains("val_loss")) record_number(records[i], "val_loss", source, i + 1);
    if (records[i].contains("val_accuracy")) record_number(records[i], "val_accuracy", source, i + 1);
    if (record_number(records[i], "step", source, i + 1) > static_cast<double>(step)) {
      records.resize(i);  // written after the checkpoint by a run that died before the next one
      break;
    }
  }
  return records;
}

void check_best_checkpoint(const fs::path& best, int64_t best_step, int64_t last_step) {
  if (best_step < 0) return;
  std::error_code ec;
  if (!fs::exists(best, ec)) {
    std::fprintf(stderr, "warning: %s is missing (last.ckpt says step %lld was the best); the next best replaces it\n",
                 best.c_str(), static_cast<long long>(best_step));
    return;
  }
  int64_t step = -1;
  try {
    step = io::load_checkpoint(best).step;
  } catch (const Error& e) {
    std::fprintf(stderr, "warning: %s is unreadable (%s); the next best replaces it\n", best.c_str(), e.what());
    return;
  }
  if (step != best_step && step <= last_step)
    std::fprintf(stderr, "warning: %s holds step %lld, but last.ckpt says step %lld was the best; the next best replaces it\n",
                 best.c_str(), static_cast<long long>(step), static_cast<long long>(best_step));
}

double override_lr(StateDict& optimizer_state, double lr) {
  double old = NAN;
  for (auto& [key, value] : optimizer_state) {
    if (!key.starts_with("group.") || !(key.ends_with(".lr") || key.ends_with(".initial_lr"))) continue;
    if (key == "group.0.lr") old = value.item();
    value = scalar_tensor(lr, kFloat64);
  }
  return old;
}

std::string exact(double v) { return fmt::format("{:.17g}", v); }

void test_interrupt_point(int64_t step) {
  const char* at = std::getenv("SOMA_TEST_INTERRUPT_AT");
  if (at && std::to_string(step) == at) std::raise(SIGINT);
}

void test_kill_point(const char* point, int64_t step) {
  const char* at = std::getenv("SOMA_TEST_KILL_AT");
  if (at && fmt::format("{}:{}", point, step) == at) std::raise(SIGKILL);
}

}  // namespace soma::cli
