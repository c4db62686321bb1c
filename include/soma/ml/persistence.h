#pragma once
// Saving fitted estimators, and making one from its scikit-learn class name.
//
// A model file is a safetensors file (see soma/io.h): the fitted arrays as tensors (a tree is
// arrays of feature / threshold / children / values), the class name under the metadata key
// "soma.ml.class" and the parameters as JSON under "soma.ml.params". Saving is atomic; loading
// checks the class, every parameter and the arrays, and throws soma::Error naming the file.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "soma/ml/estimator.h"

namespace soma::ml {

// `extra` metadata (keys other than soma.ml.*) is stored beside, for programs that keep more
// about a model (the soma program keeps its CSV column names); io::load_with_metadata reads it.
void save(const Estimator& estimator, const std::filesystem::path& path,
          const std::map<std::string, std::string>& extra = {});
std::unique_ptr<Estimator> load(const std::filesystem::path& path);

// A new estimator with default parameters; an unknown name lists the known ones.
std::unique_ptr<Estimator> make_estimator(std::string_view class_name);
std::vector<std::string> estimator_names();  // sorted

}  // namespace soma::ml
