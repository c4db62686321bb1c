#pragma once
// The files of a training run directory besides the checkpoints, kept so that a kill, a Ctrl-C
// or a full disk never leaves them disagreeing with last.ckpt:
//   - the metrics history lives in the checkpoint (its `user` map, as JSON lines); metrics.jsonl
//     and learning_curve.svg are rewritten from it, each atomically (temporary file + rename),
//     after the checkpoint, so `--resume` repairs them whatever point a run died at;
//   - writes are checked: a full disk or a directory in a file's place is an error, not a
//     silently missing file;
//   - temporary files that a killed run left behind are removed when a run starts.
// Test hooks (environment variables, read only by the training loops):
//   SOMA_TEST_INTERRUPT_AT=N          raise SIGINT after optimizer step N (as if Ctrl-C came then)
//   SOMA_TEST_KILL_AT=POINT:N         SIGKILL at POINT of the save after step N, where POINT is
//                                     before-best (nothing of that save written yet), before-last
//                                     (best.ckpt written) or before-log (last.ckpt written)
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "soma/state_dict.h"

namespace soma::cli {

// Writes `text` to a temporary file beside `path`, syncs it and renames it over `path`.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

// Removes the temporary files of checkpoints, logs, curves and tokenizers in `dir` whose writer
// is no longer running (a live process's own temporary files are left alone).
void remove_stale_temp_files(const std::filesystem::path& dir);

// One record per line of metrics.jsonl, as the checkpoint's user["metrics"] keeps them.
std::string records_to_jsonl(const std::vector<nlohmann::json>& records);
// Parses JSON lines, each an object; errors name `source` and the line number.
std::vector<nlohmann::json> records_from_jsonl(const std::string& text, const std::string& source);
// A record's numeric field (a missing, null or non-numeric one is an error naming source:line).
double record_number(const nlohmann::json& record, const char* key, const std::string& source, size_t line);

// "%.17g": a double that reads back bit for bit.
std::string exact(double v);

// The metrics history of a run resumed from `checkpoint` (step `step`): the checkpoint's own copy
// (user["metrics"]), or for a checkpoint without one the lines of `log` up to that step. Every
// record must have the numeric fields `required`; errors name the file and line.
std::vector<nlohmann::json> resumed_records(const std::map<std::string, std::string>& user,
                                            const std::filesystem::path& checkpoint, const std::filesystem::path& log,
                                            int64_t step, const std::vector<const char*>& required);
// On resume: says on stderr when best.ckpt is not the step last.ckpt records as the best
// (best_step < 0: none yet). A best.ckpt newer than last.ckpt is expected after a kill between
// the two saves: the resumed run writes it again.
void check_best_checkpoint(const std::filesystem::path& best, int64_t best_step, int64_t last_step);
// `--lr` given with `--resume`: every group of the loaded optimizer state gets this learning rate
// (and initial lr, which schedules scale); returns the checkpoint's lr of the first group.
double override_lr(StateDict& optimizer_state, double lr);

// The test hooks above: raise SIGINT / SIGKILL when the environment asks for this point.
void test_interrupt_point(int64_t step);
void test_kill_point(const char* point, int64_t step);

}  // namespace soma::cli
