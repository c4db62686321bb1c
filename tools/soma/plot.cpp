#include "plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace soma::cli {

namespace {

constexpr double kPanelW = 420, kPanelH = 300, kMargin = 50;
const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

std::string panel(const std::string& title, const std::vector<Series>& series, double x0) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  size_t n = 0;
  for (const Series& s : series) {
    n = std::max(n, s.values.size());
    for (double v : s.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12) lo -= 0.5, hi += 0.5;
  const double pad = 0.05 * (hi - lo);
  lo -= pad;
  hi += pad;
  const double left = x0 + kMargin, right = x0 + kPanelW - 15, top = 35, bottom = kPanelH - 40;
  auto px = [&](size_t i) { return n <= 1 ? (left + right) / 2 : left + (right - left) * i / double(n - 1); };
  auto py = [&](double v) { return bottom - (bottom - top) * (v - lo) / (hi - lo); };

  std::string out = fmt::format(R"(<text x="{}" y="22" font-size="15" text-anchor="middle">{}</text>)", (left + right) / 2, title);
  out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888"/>)", left, top,
                     right - left, bottom - top);
  for (int k = 0; k <= 4; ++k) {  // y ticks
    double v = lo + (hi - lo) * k / 4;
    out += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end">{:.3g}</text>)", left - 4, py(v) + 4, v);
    out += fmt::format(R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#eee"/>)", left, right, py(v), py(v));
  }
  for (size_t i = 0; i < n; ++i)  // x ticks: epochs 1..n
    if (n <= 12 || i % ((n + 9) / 10) == 0)
      out += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>)", px(i), bottom + 15, i + 1);
  out += fmt::format(R"(<text x="{}" y="{}" font-size="12" text-anchor="middle">epoch</text>)", (left + right) / 2, bottom + 32);
  for (size_t s = 0; s < series.size(); ++s) {
    const char* color = kColors[s % 4];
    std::string points;
    for (size_t i = 0; i < series[s].values.size(); ++i)
      if (std::isfinite(series[s].values[i])) points += fmt::format("{:.1f},{:.1f} ", px(i), py(series[s].values[i]));
    out += fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>)", color, points);
    for (size_t i = 0; i < series[s].values.size(); ++i)
      if (std::isfinite(series[s].values[i]))
        out += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"/>)", px(i), py(series[s].values[i]), color);
    out += fmt::format(R"(<text x="{}" y="{}" font-size="12" fill="{}">{}</text>)", right - 110, top + 16 + 15 * s,
                       color, series[s].name);
  }
  return out;
}

}  // namespace

std::string learning_curve_svg(const std::vector<std::pair<std::string, std::vector<Series>>>& panels) {
  double width = kPanelW * static_cast<double>(panels.size());
  std::string svg = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif">)"
      R"(<rect width="100%" height="100%" fill="white"/>)",
      width, kPanelH);
  for (size_t p = 0; p < panels.size(); ++p) svg += panel(panels[p].first, panels[p].second, kPanelW * p);
  return svg + "</svg>\n";
}

}  // namespace soma::cli
