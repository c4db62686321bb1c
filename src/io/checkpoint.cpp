// Checkpoints: model and optimizer tensors plus a JSON record of the training state, in one
// safetensors file.
#include <cmath>
#include <nlohmann/json.hpp>

#include "data/untrusted_json.h"
#include "soma/io.h"

namespace soma::io {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kRecordKey = "soma.checkpoint";
constexpr int kFormat = 1;
constexpr std::string_view kModel = "model.", kOptimizer = "optimizer.";

// JSON has no inf or nan: non-finite numbers are written as {"float": "inf" | "-inf" | "nan"}.
json number_to_json(double v) {
  if (std::isfinite(v)) return v;
  return {{"float", std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"}};
}

double number_from_json(const json& j, const fs::path& path) {
  if (j.is_number()) return j.get<double>();
  const std::string s = j.at("float").get<std::string>();
  if (s == "nan") return NAN;
  if (s == "inf") return INFINITY;
  if (s == "-inf") return -INFINITY;
  SOMA_FAIL("load_checkpoint: {}: unknown non-finite number \"{}\" in the scheduler state", path.string(),
            data::detail::text_excerpt(s, 60));
}

// r[key] (r[key][sub] when sub is given), which must be a JSON integer in [0, max]: no float,
// no string like "64abc", nothing negative.
uint64_t counter(const json& r, const char* key, const char* sub, uint64_t max, const fs::path& path) {
  const json& v = sub ? r.at(key).at(sub) : r.at(key);
  const std::string name = sub ? fmt::format("{}.{}", key, sub) : key;
  SOMA_CHECK(v.is_number_unsigned() && v.get<uint64_t>() <= max,
             "load_checkpoint: {}: the training state is malformed (\"{}\" is {}; expected an integer in [0, {}])",
             path.string(), name, data::detail::json_excerpt(v), max);
  return v.get<uint64_t>();
}

}  // namespace

RngState RngState::capture(const Generator& gen) { return {gen.seed(), gen.offset()}; }

void RngState::restore(Generator& gen) const { gen.set_state(seed, offset); }

void save_checkpoint(const Checkpoint& ck, const fs::path& path) {
  StateDict all;
  for (const auto& [k, t] : ck.model) all.emplace(std::string(kModel) + k, t);
  for (const auto& [k, t] : ck.optimizer) all.emplace(std::string(kOptimizer) + k, t);
  json sched = json::object();
  for (const auto& [k, v] : ck.scheduler)
    sched[k] = std::holds_alternative<double>(v) ? number_to_json(std::get<double>(v)) : json(std::get<std::string>(v));
  json record = {{"format", kFormat},
                 {"epoch", ck.epoch},
                 {"step", ck.step},
                 {"scheduler", sched},
                 {"rng", {{"seed", ck.rng.seed}, {"offset", ck.rng.offset}}},
                 {"user", ck.user}};
  std::string text;
  try {
    text = record.dump();
  } catch (const json::exception& e) {  // e.g. a string that is not valid UTF-8
    SOMA_FAIL("save_checkpoint: {}: cannot encode the training state ({})", path.string(), e.what());
  }
  save(all, path, {{kRecordKey, text}});
}

Checkpoint load_checkpoint(const fs::path& path) {
  Loaded f = load_with_metadata(path);
  Checkpoint ck;
  for (auto& [k, t] : f.tensors) {
    if (k.starts_with(kModel))
      ck.model.emplace(k.substr(kModel.size()), std::move(t));
    else if (k.starts_with(kOptimizer))
      ck.optimizer.emplace(k.substr(kOptimizer.size()), std::move(t));
    else
      SOMA_FAIL("load_checkpoint: {}: tensor '{}' is neither model.* nor optimizer.*", path.string(), k);
  }
  auto it = f.metadata.find(kRecordKey);
  SOMA_CHECK(it != f.metadata.end(), "load_checkpoint: {}: no \"{}\" metadata; not a soma checkpoint", path.string(),
             kRecordKey);
  try {
    const json r = data::detail::parse_untrusted_json(
        it->second, fmt::format("load_checkpoint: {}: the training state", path.string()));
    const json& format = r.at("format");
    SOMA_CHECK(format.is_number_integer() && format == kFormat,
               "load_checkpoint: {}: checkpoint format {} is not supported (expected {})", path.string(),
               data::detail::json_excerpt(format), kFormat);
    ck.epoch = static_cast<int64_t>(counter(r, "epoch", nullptr, INT64_MAX, path));
    ck.step = static_cast<int64_t>(counter(r, "step", nullptr, INT64_MAX, path));
    SOMA_CHECK(r.at("scheduler").is_object(),
               "load_checkpoint: {}: the training state is malformed (\"scheduler\" is {}; expected an object)",
               path.string(), data::detail::json_excerpt(r.at("scheduler")));
    for (const auto& [k, v] : r.at("scheduler").items()) {
      if (v.is_string())
        ck.scheduler.emplace(k, v.get<std::string>());
      else
        ck.scheduler.emplace(k, number_from_json(v, path));
    }
    ck.rng = {counter(r, "rng", "seed", UINT64_MAX, path), counter(r, "rng", "offset", UINT64_MAX, path)};
    ck.user = r.at("user").get<std::map<std::string, std::string>>();
  } catch (const json::exception& e) {
    SOMA_FAIL("load_checkpoint: {}: the training state is malformed ({})", path.string(),
              data::detail::text_excerpt(e.what()));
  }
  return ck;
}

}  // namespace soma::io
