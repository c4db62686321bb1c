// Saving and loading fitted estimators (see soma/ml/persistence.h).
#include "soma/ml/persistence.h"

#include <nlohmann/json.hpp>

#include "data/untrusted_json.h"
#include "soma/error.h"
#include "soma/io.h"

namespace soma::ml {
namespace {
constexpr const char* kClassKey = "soma.ml.class";
constexpr const char* kParamsKey = "soma.ml.params";
}  // namespace

void save(const Estimator& estimator, const std::filesystem::path& path, const std::map<std::string, std::string>& extra) {
  // Parameters are saved as their Python spelling (repr), which parse_param_value reads back
  // exactly (floats print as the shortest text that round-trips).
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [key, value] : estimator.get_params()) params[key] = repr(value);
  io::Metadata metadata = extra;
  metadata[kClassKey] = std::string(estimator.name());
  metadata[kParamsKey] = params.dump();
  io::save(estimator.fitted_state(), path, metadata);
}

std::unique_ptr<Estimator> load(const std::filesystem::path& path) {
  io::Loaded file = io::load_with_metadata(path);
  std::string where = "ml::load: " + path.string();
  auto cls = file.metadata.find(kClassKey);
  SOMA_CHECK(cls != file.metadata.end(), "{}: not a soma ml model (no '{}' in the metadata)", where, kClassKey);
  auto found = file.metadata.find(kParamsKey);
  SOMA_CHECK(found != file.metadata.end(), "{}: no '{}' in the metadata", where, kParamsKey);
  try {
    std::unique_ptr<Estimator> estimator = make_estimator(cls->second);
    nlohmann::json json = data::detail::parse_untrusted_json(found->second, where + ": the parameters");
    SOMA_CHECK(json.is_object(), "the parameters are not a JSON object");
    Params params;
    for (const auto& [key, value] : json.items()) {
      SOMA_CHECK(value.is_string(), "parameter '{}' is {}, expected a string", key, data::detail::json_excerpt(value));
      params[key] = parse_param_value(value.get<std::string>());
    }
    estimator->set_params(params);
    estimator->load_fitted_state(file.tensors);
    return estimator;
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
}

}  // namespace soma::ml
