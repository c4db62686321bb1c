// export_text and export_svg for decision trees (see soma/ml/tree.h).
#include <fmt/format.h>

#include <algorithm>

#include "soma/error.h"
#include "soma/ml/tree.h"
#include "tree_builder.h"

namespace soma::ml {
namespace {

// How a leaf or a split reads, for one tree.
struct Labels {
  const detail::TreeNodes& tree;
  std::vector<std::string> names;  // [n_features]
  std::vector<int64_t> classes;    // empty for a regressor
  int64_t decimals = 2;
  bool show_weights = false;

  std::string number(double v) const { return fmt::format("{:.{}f}", v, decimals); }
  std::string weights(int64_t node) const {
    std::string out = "[";
    for (int64_t c = 0; c < tree.value_width; ++c)
      out += (c ? ", " : "") + number(tree.value[node * tree.value_width + c]);
    return out + "]";
  }
  int64_t class_of(int64_t node) const {
    auto v = tree.value.begin() + node * tree.value_width;
    return classes[std::max_element(v, v + tree.value_width) - v];
  }
  // scikit-learn's leaf text: " class: 2", " weights: [..] class: 2" or " value: [1.50]".
  std::string leaf(int64_t node) const {
    if (classes.empty()) return " value: " + weights(node);
    if (show_weights) return " weights: " + weights(node) + " class: " + std::to_string(class_of(node));
    return " class: " + std::to_string(class_of(node));
  }
};

std::vector<std::string> feature_names_or_default(const std::vector<std::string>& given, int64_t d, const char* who) {
  if (given.empty()) {
    std::vector<std::string> names;
    for (int64_t f = 0; f < d; ++f) names.push_back("feature_" + std::to_string(f));
    return names;
  }
  SOMA_CHECK(static_cast<int64_t>(given.size()) == d, "{}: feature_names must contain {} elements, got {}", who, d,
             given.size());
  return given;
}

// Depth of the subtree under `node`, counting nodes (a leaf has depth 1).
int64_t subtree_depth(const detail::TreeNodes& t, int64_t node) {
  int64_t deepest = 0;
  std::vector<std::pair<int64_t, int64_t>> stack{{node, 1}};
  while (!stack.empty()) {
    auto [i, depth] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, depth);
    if (!t.is_leaf(i)) stack.push_back({t.left[i], depth + 1}), stack.push_back({t.right[i], depth + 1});
  }
  return deepest;
}

std::string text_of(const Labels& labels, int64_t max_depth, int64_t spacing) {
  SOMA_CHECK(max_depth >= 0, "export_text: max_depth must be >= 0, given {}", max_depth);
  SOMA_CHECK(spacing > 0, "export_text: spacing must be > 0, given {}", spacing);
  SOMA_CHECK(labels.decimals >= 0, "export_text: decimals must be >= 0, given {}", labels.decimals);
  const detail::TreeNodes& t = labels.tree;
  std::string report;
  // Work items: a node to print, or (node < 0) the "> threshold" line of node ~node.
  struct Item {
    int64_t node, depth;
  };
  std::vector<Item> stack{{0, 1}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    std::string indent;
    for (int64_t i = 0; i < depth; ++i) indent.append(1, '|').append(spacing, ' ');
    indent = indent.substr(0, indent.size() - spacing) + std::string(spacing, '-');
    if (node < 0) {
      int64_t split = ~node;
      report += fmt::format("{} {} >  {}\n", indent, labels.names[t.feature[split]], labels.number(t.threshold[split]));
      stack.push_back({t.right[split], depth + 1});
      continue;
    }
    if (depth > max_depth + 1) {
      int64_t below = subtree_depth(t, node);
      report += below == 1 ? indent + labels.leaf(node) + "\n"
                           : fmt::format("{} truncated branch of depth {}\n", indent, below);
    } else if (t.is_leaf(node)) {
      report += indent + labels.leaf(node) + "\n";
    } else {
      report += fmt::format("{} {} <= {}\n", indent, labels.names[t.feature[node]], labels.number(t.threshold[node]));
      stack.push_back({~node, depth});
      stack.push_back({t.left[node], depth + 1});
    }
  }
  return report;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

// Leaves get consecutive columns in depth-first order; a split sits above the middle of its
// children; each depth is a row.
std::string svg_of(const Labels& labels) {
  const detail::TreeNodes& t = labels.tree;
  int64_t n = t.node_count();
  std::vector<double> x(n, 0.0);
  std::vector<int64_t> depth(n, 0);
  for (int64_t i = 0; i < n; ++i)
    if (!t.is_leaf(i)) depth[t.left[i]] = depth[t.right[i]] = depth[i] + 1;
  double column = 0;
  std::vector<int64_t> stack{0};
  while (!stack.empty()) {  // leaves in depth-first (left to right) order
    int64_t i = stack.back();
    stack.pop_back();
    if (t.is_leaf(i))
      x[i] = column++;
    else
      stack.push_back(t.right[i]), stack.push_back(t.left[i]);
  }
  for (int64_t i = n - 1; i >= 0; --i)  // children come after parents
    if (!t.is_leaf(i)) x[i] = (x[t.left[i]] + x[t.right[i]]) / 2;
  constexpr double kBoxW = 170, kBoxH = 54, kGapX = 20, kGapY = 40;
  auto cx = [&](int64_t i) { return kGapX / 2 + x[i] * (kBoxW + kGapX) + kBoxW / 2; };
  auto top = [&](int64_t i) { return kGapY / 2 + static_cast<double>(depth[i]) * (kBoxH + kGapY); };
  double width = column * (kBoxW + kGapX);
  double height = static_cast<double>(*std::max_element(depth.begin(), depth.end()) + 1) * (kBoxH + kGapY);
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n",
      width, height);
  for (int64_t i = 0; i < n; ++i)
    if (!t.is_leaf(i))
      for (int64_t child : {t.left[i], t.right[i]})
        svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#555\"/>\n", cx(i),
                           top(i) + kBoxH, cx(child), top(child));
  for (int64_t i = 0; i < n; ++i) {
    std::string head =
        t.is_leaf(i) ? labels.leaf(i).substr(1) : labels.names[t.feature[i]] + " <= " + labels.number(t.threshold[i]);
    svg += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.0f}\" height=\"{:.0f}\" rx=\"4\" fill=\"{}\" stroke=\"#333\"/>\n",
        cx(i) - kBoxW / 2, top(i), kBoxW, kBoxH, t.is_leaf(i) ? "#e8f4e8" : "#e8eef8");
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", cx(i), top(i) + 20,
                       xml_escape(head));
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">samples = {}, impurity = {}</text>\n",
                       cx(i), top(i) + 40, t.n_samples[i], labels.number(t.impurity[i]));
  }
  return svg + "</svg>\n";
}

void check_export_fitted(const Estimator& tree, const char* who) {
  SOMA_CHECK(tree.fitted(), "{}: this {} is not fitted yet; call fit first", who, tree.name());
}

}  // namespace

std::string export_text(const DecisionTreeClassifier& tree, const std::vector<std::string>& feature_names,
                        int64_t max_depth, int64_t spacing, int64_t decimals, bool show_weights) {
  check_export_fitted(tree, "export_text");
  detail::TreeNodes t = tree.nodes();
  Labels labels{t, feature_names_or_default(feature_names, tree.n_features_in_, "export_text"),
                tree.classes_.to_vector<int64_t>(), decimals, show_weights};
  return text_of(labels, max_depth, spacing);
}

std::string export_text(const DecisionTreeRegressor& tree, const std::vector<std::string>& feature_names,
                        int64_t max_depth, int64_t spacing, int64_t decimals) {
  check_export_fitted(tree, "export_text");
  detail::TreeNodes t = tree.nodes();
  Labels labels{t, feature_names_or_default(feature_names, tree.n_features_in_, "export_text"), {}, decimals};
  return text_of(labels, max_depth, spacing);
}

std::string export_svg(const DecisionTreeClassifier& tree, const std::vector<std::string>& feature_names) {
  check_export_fitted(tree, "export_svg");
  detail::TreeNodes t = tree.nodes();
  Labels labels{t, feature_names_or_default(feature_names, tree.n_features_in_, "export_svg"),
                tree.classes_.to_vector<int64_t>()};
  return svg_of(labels);
}

std::string export_svg(const DecisionTreeRegressor& tree, const std::vector<std::string>& feature_names) {
  check_export_fitted(tree, "export_svg");
  detail::TreeNodes t = tree.nodes();
  Labels labels{t, feature_names_or_default(feature_names, tree.n_features_in_, "export_svg"), {}};
  return svg_of(labels);
}

}  // namespace soma::ml
