// GaussianMixture: scikit-learn's fitted mixture for every covariance type, reproducibility,
// persistence and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "error_of.h"
#include "soma/soma.h"

using namespace soma;

namespace {

// Golden values: tests/golden/gen_ml_mixture.py (scikit-learn 1.2.1).
const std::vector<double> kX = {0.39835211869345666, 10.300379399591932, -1.076061351116918, -1.0430790949521813, 0.600219531930417, 0.07145425545599854, -1.1859723822581367, 10.084063322344596, -1.0043417746766867, 10.248360049680972, -0.18810491819604533, 0.3685545837436242, 6.866866726323018, 11.8665259178182, -1.2817176574010725, 0.34330365634245685, 10.55043823587966, 11.802045870139946, -0.14660525902366509, 10.742581153983558, 7.695913561198685, 14.43325164866389, 7.618483518234914, 11.875730768263601, 0.48811526912532593, 10.582855154916961, -0.2032931796175178, -0.24335700832031967, -0.4750044663060856, 10.682098221021343, 1.3934497507777874, 10.338724174434777, -0.3746770076465855, 8.808885250486423, -0.011478297912690885, 0.6992615827438292, 0.3234349923484733, -0.19597832370964352, -0.4974811734088672, -0.19611445565943475, 7.322324422671959, 10.22172318459736, -0.29158327329012684, 9.153424781222622, 0.09985891710867563, 10.65513117299638, 7.723820507749262, 11.345026360142045, 0.6393439960280123, 11.329762928673862, 7.097753931929498, 10.957904690495305, 5.959676951271285, 11.02609399877734, 2.6237963208891197, 12.088587216476778, 1.225408253053565, 9.024027507492667, -0.25886405606121915, 10.209627738262094, 7.301410050063612, 7.071108075476181, 8.381866234126697, 8.566275441442457, -0.38080758310761736, 0.30503774561005903, 8.380471970215, 7.7828647312551205, 7.280746158573323, 7.416585405420992, 9.835332722864825, 8.44068987241511, 8.204207978914113, 9.40669624166137, 8.695119605046992, 5.966533453877386, -0.25005470844328237, -0.033760096335797685, 0.8806068063440476, -0.20140640311430846, 1.4340742819186272, 9.656789345192124, -1.2373396890115331, 8.33387845140404, 7.674950371618214, 7.439765493762203, 6.901261053003943, 9.584487056395677, 0.6015718793719045, 9.204991213505128, -1.4608605459126265, 0.06763590288998934, -0.2254016538473962, -0.04468245773638859, 0.5569583836891445, 10.557933017821544, 0.3668044677442304, 0.028782355120913025, 0.024923635799042075, -0.6707552670681101, 0.30111432406878796, -0.506528222297917, 7.580683517847311, 7.867671101563257, -0.3825930074905807, -0.7125673718311706, 5.340550543616512, 7.9085473771093415, -0.6347713313174034, -0.5454045689561096, 9.173531498494953, 5.656396809000038, -0.18259804655522743, 8.34431018986764, 6.262040495615432, 9.04082395339073, -0.1614341761296081, 1.3388200733319626, 7.810530735287619, 7.922781334647043, 0.22226672199794054, 0.8157803176035576, -0.44872256957631745, 0.005415150583995074, -1.1350484409188275, 9.798580705304142, -0.8171317844176532, 10.345916560783685, 0.2600977980459425, 0.7670275381631209, 0.31721612694936696, 9.748306051475256, -1.120854392738258, 1.0387107995882807, 0.4812126509337598, 10.002927592571575, 0.8943093867606735, 9.78060632890918, 8.824703005436982, 9.248212920597034, 5.856882957656087e-06, 0.32541154328941746, 0.1296696037582092, -1.1151674316740985, -0.8527303363824761, -0.09209711740616948, 8.524296430010349, 8.735279576065203, -0.09153703762409654, 9.601460644862593, 0.1539422712007774, -0.593267429261773, 3.286954099044161, 10.65689670184953, 0.3308724267278546, 1.3753248076889746, 0.8873146250893185, 8.588065817379395, 0.30172885029482566, -0.7471728519643389, 0.1931517030733539, 10.39794051913979, 0.29204281315267255, 10.61926562672376, 9.367235423927124, 9.21788563305629, 7.596107730662061, 6.615481333464135, -0.5268647359442051, -0.09386050223077419, 9.161521490740773, 8.386078047603595, 7.3467497322079645, 8.84245628157134, 7.960429760306394, 8.326003433386981, -0.8486392290643456, 10.473333216582143, 7.53799465184662, 8.350888494087746};
const std::vector<double> kProbe = {0.5, 0.5, 5.0, 5.0, 1.0, 7.0, 3.0, 3.0};
const std::vector<double> kWeightsFull = {0.33333333333333326, 0.3332787334446397, 0.333387933222027};
const std::vector<double> kMeansFull = {-0.19358481104664588, 0.017177390321254715, 0.2583014146668005, 10.011875500072714, 7.865146158187272, 9.04433380163785};
const std::vector<double> kCovFull = {0.3085104709588241, 0.0012454243553426394, 0.0012454243553426413, 0.39702170744445137, 1.0624468990531295, 0.2668371180654802, 0.2668371180654802, 0.7172681110353605, 1.2086925492471847, -0.22619902033003408, -0.22619902033003406, 3.7012477882093697};
const std::vector<double> kPrecCholFull = {1.8003835892665088, -0.006406828062964079, 0.0, 1.5870683230002063, 0.9701667436353995, -0.31145726849161776, 0.0, 1.2401078661600395, 0.9095824610331635, 0.09783599116424777, 0.0, 0.522785790123682};
const std::vector<double> kProbaFull = {1.0, 2.9941603318017682e-31, 1.2507001014101717e-16, 1.1155373299680094e-29, 4.779692420046293e-15, 0.9999999999999947, 1.856937523382801e-24, 0.9999989996050664, 1.000394933273303e-06, 7.919273336394547e-05, 1.5406054154564873e-14, 0.99992080726662};
const std::vector<double> kScoreSamplesFull = {-2.956441879019149, -9.942660161720136, -10.875440245952143, -20.080830612468603};
const std::vector<double> kLowerBoundFull = {-3.772368588324476};
const std::vector<double> kBicAicFull = {755.5231101392735, 713.026345743659};
const std::vector<double> kWeightsTied = {0.3333333333652691, 0.3333280506518326, 0.3333386159828984};
const std::vector<double> kMeansTied = {-0.1935848111070916, 0.017177391190509195, 0.25874524242685526, 10.011979728255987, 7.865827772506263, 9.044086429659117};
const std::vector<double> kCovTied = {0.8592880902291956, 0.014418406582293148, 0.014418406582293148, 1.6052287091281816};
const std::vector<double> kPrecCholTied = {1.0787743302831996, -0.013244718924555015, 0.0, 0.7893402898126131};
const std::vector<double> kProbaTied = {0.9999999999992322, 7.677995221622512e-13, 7.044806530922756e-24, 1.502517272834342e-06, 1.116299631307515e-05, 0.9999873344864151, 2.865586175127016e-06, 0.999997134404693, 9.132507074068805e-12, 0.9999873362755247, 1.2575567685260122e-05, 8.815679004744627e-08};
const std::vector<double> kScoreSamplesTied = {-3.4463033989652874, -12.85063010826973, -6.26653982796549, -11.704814415777449};
const std::vector<double> kLowerBoundTied = {-4.0971739887720835};
const std::vector<double> kBicAicTied = {786.9892243526187, 759.4913179789859};
const std::vector<double> kWeightsDiag = {0.3333333333333324, 0.333273859958543, 0.33339280670812466};
const std::vector<double> kMeansDiag = {-0.1935848110466477, 0.017177390321252116, 0.2582619615061994, 10.011855947401124, 7.865074401555152, 9.044367490713071};
const std::vector<double> kCovDiag = {0.3085104709588236, 0.3970217074444486, 1.0623558733162082, 0.7172487057144988, 1.2090272325724765, 3.7012750725826775};
const std::vector<double> kPrecCholDiag = {1.8003835892665103, 1.5870582741227552, 0.9702083060973803, 1.180769464260426, 0.9094565568579076, 0.5197856898570192};
const std::vector<double> kProbaDiag = {0.9999999999999957, 4.631224043717027e-28, 4.561761183140195e-15, 4.468223014584405e-30, 4.1470443312153113e-10, 0.9999999995852953, 3.8400118669317407e-25, 0.9999994183334171, 5.816665825356393e-07, 1.3516173908737831e-05, 2.27593355761046e-10, 0.9999864835984981};
const std::vector<double> kScoreSamplesDiag = {-2.959839688412626, -9.28992308516213, -9.383348170231075, -18.409348243898606};
const std::vector<double> kLowerBoundDiag = {-3.790633238780109};
const std::vector<double> kBicAicDiag = {745.3113181478175, 710.3139827631937};
const std::vector<double> kWeightsSpherical = {0.3333333329216046, 0.31236813156733584, 0.3542985355110595};
const std::vector<double> kMeansSpherical = {-0.1935848116022206, 0.017177388727839544, 0.0773810386782279, 9.923289868644117, 7.5757011421385805, 9.179539565822079};
const std::vector<double> kCovSpherical = {0.35276608841881585, 0.6042798860409757, 3.1428537897609337};
const std::vector<double> kPrecCholSpherical = {1.6836684943683835, 1.2864145119653732, 0.5640763757227669};
const std::vector<double> kProbaSpherical = {0.9999999992886415, 1.5991041782209864e-32, 7.113584666287993e-10, 5.0319415021963764e-30, 8.104414630536042e-16, 0.9999999999999992, 4.468165223932398e-28, 0.7993865087058429, 0.2006134912941572, 1.7929156179706037e-07, 2.8356233897521327e-16, 0.9999998207084372};
const std::vector<double> kScoreSamplesSpherical = {-2.9067929867305398, -7.855162147528069, -10.049067326396669, -13.426684726618857};
const std::vector<double> kLowerBoundSpherical = {-3.830887214406988};
const std::vector<double> kBicAicSpherical = {739.0264641053384, 711.5285577317055};
Tensor mat(const std::vector<double>& v, int64_t cols) {
  return from_vector(v, {static_cast<int64_t>(v.size()) / cols, cols});
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::fabs(want[i]))) << i;
}

// The components in the golden files' order (by mean: first coordinate, then second).
std::vector<int64_t> component_order(const ml::GaussianMixture& g) {
  std::vector<double> m = g.means_.to_vector<double>();
  std::vector<int64_t> order{0, 1, 2};
  std::sort(order.begin(), order.end(),
            [&](int64_t a, int64_t b) { return m[a * 2] * 100 + m[a * 2 + 1] < m[b * 2] * 100 + m[b * 2 + 1]; });
  return order;
}

// Rows (blocks of `width` values) of v in the given order.
std::vector<double> reorder(const std::vector<double>& v, const std::vector<int64_t>& order, size_t width) {
  std::vector<double> out;
  for (int64_t c : order) out.insert(out.end(), v.begin() + c * width, v.begin() + (c + 1) * width);
  return out;
}

std::vector<double> reorder_columns(const std::vector<double>& v, const std::vector<int64_t>& order) {
  std::vector<double> out;
  for (size_t r = 0; r < v.size() / 3; ++r)
    for (int64_t c : order) out.push_back(v[r * 3 + c]);
  return out;
}

}  // namespace

TEST(MlGaussianMixture, MatchesScikitLearnForEveryCovarianceType) {
  Tensor X = mat(kX, 2), probe = mat(kProbe, 2);
  struct Case {
    const char* type;
    size_t cov_width;  // values per component in covariances_ (0: one shared matrix)
    const std::vector<double>&weights, &means, &cov, &prec, &proba, &scores, &bound, &bic_aic;
  };
  std::vector<Case> cases{
      {"full", 4, kWeightsFull, kMeansFull, kCovFull, kPrecCholFull, kProbaFull, kScoreSamplesFull, kLowerBoundFull,
       kBicAicFull},
      {"tied", 0, kWeightsTied, kMeansTied, kCovTied, kPrecCholTied, kProbaTied, kScoreSamplesTied, kLowerBoundTied,
       kBicAicTied},
      {"diag", 2, kWeightsDiag, kMeansDiag, kCovDiag, kPrecCholDiag, kProbaDiag, kScoreSamplesDiag, kLowerBoundDiag,
       kBicAicDiag},
      {"spherical", 1, kWeightsSpherical, kMeansSpherical, kCovSpherical, kPrecCholSpherical, kProbaSpherical,
       kScoreSamplesSpherical, kLowerBoundSpherical, kBicAicSpherical}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    ml::GaussianMixture g({.n_components = 3, .covariance_type = c.type, .random_state = 0});
    g.fit(X);
    std::vector<int64_t> order = component_order(g);
    expect_near(reorder(g.weights_.to_vector<double>(), order, 1), c.weights, 1e-8);
    expect_near(reorder(g.means_.to_vector<double>(), order, 2), c.means, 1e-8);
    std::vector<double> cov = g.covariances_.to_vector<double>(), prec = g.precisions_cholesky_.to_vector<double>();
    expect_near(c.cov_width ? reorder(cov, order, c.cov_width) : cov, c.cov, 1e-8);
    expect_near(c.cov_width ? reorder(prec, order, c.cov_width) : prec, c.prec, 1e-8);
    expect_near(reorder_columns(g.predict_proba(probe).to_vector<double>(), order), c.proba, 1e-8);
    expect_near(g.score_samples(probe).to_vector<double>(), c.scores, 1e-8);
    EXPECT_NEAR(g.lower_bound_, c.bound[0], 1e-8);
    EXPECT_NEAR(g.bic(X), c.bic_aic[0], 1e-6);
    EXPECT_NEAR(g.aic(X), c.bic_aic[1], 1e-6);
    EXPECT_TRUE(g.converged_);
    // predict is the most probable component; fit_predict labels the training rows the same way.
    std::vector<double> p = g.predict_proba(probe).to_vector<double>();
    std::vector<int64_t> labels = g.predict(probe).to_vector<int64_t>();
    for (int64_t r = 0; r < 4; ++r) EXPECT_EQ(labels[r], std::max_element(&p[r * 3], &p[r * 3] + 3) - &p[r * 3]);
    ml::GaussianMixture again({.n_components = 3, .covariance_type = c.type, .random_state = 0});
    EXPECT_EQ(again.fit_predict(X).to_vector<int64_t>(), g.predict(X).to_vector<int64_t>());
  }
}

TEST(MlGaussianMixture, RandomInitAndSeveralRuns) {
  Tensor X = mat(kX, 2);
  ml::GaussianMixture one({.n_components = 3, .init_params = "random", .random_state = 1});
  ml::GaussianMixture five({.n_components = 3, .n_init = 5, .init_params = "random", .random_state = 1});
  one.fit(X);
  five.fit(X);
  // The best of five runs (the first of which is the single run) is at least as good.
  EXPECT_GE(five.lower_bound_, one.lower_bound_);
  ml::GaussianMixture same({.n_components = 3, .n_init = 5, .init_params = "random", .random_state = 1});
  EXPECT_EQ(same.fit(X).means_.to_vector<double>(), five.means_.to_vector<double>());
  double total = 0;
  for (double w : five.weights_.to_vector<double>()) total += w;
  EXPECT_NEAR(total, 1.0, 1e-12);
}

TEST(MlGaussianMixture, SaveAndLoad) {
  auto dir = std::filesystem::temp_directory_path() / "soma_ml_mixture";
  std::filesystem::create_directories(dir);
  ml::GaussianMixture g({.n_components = 3, .covariance_type = "diag", .random_state = 0});
  g.fit(mat(kX, 2));
  ml::save(g, dir / "gmm.safetensors");
  auto loaded = ml::load(dir / "gmm.safetensors");
  auto* back = dynamic_cast<ml::GaussianMixture*>(loaded.get());
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->score_samples(mat(kProbe, 2)).to_vector<double>(), g.score_samples(mat(kProbe, 2)).to_vector<double>());
  EXPECT_EQ(back->lower_bound_, g.lower_bound_);
  EXPECT_EQ(back->converged_, g.converged_);
  StateDict state = g.fitted_state();
  ml::GaussianMixture target({.n_components = 3, .covariance_type = "diag"});
  StateDict bad = state;
  bad["precisions_cholesky_"] = zeros({3, 2}, kFloat64);
  EXPECT_ERROR(target.load_fitted_state(bad), "precisions_cholesky_ must be finite with a positive diagonal");
  bad = state;
  bad["covariances_"] = zeros({3, 2, 2}, kFloat64);
  EXPECT_ERROR(target.load_fitted_state(bad), "covariances and precisions must be float64 [3, 2]");
  bad = state;
  bad["weights_"] = full({3}, 2.0, kFloat64);
  EXPECT_ERROR(target.load_fitted_state(bad), "weights_ must be in (0, 1]");
  std::filesystem::remove_all(dir);
}

TEST(MlGaussianMixture, BadInput) {
  ml::GaussianMixture g({.n_components = 3});
  EXPECT_ERROR(g.predict(mat(kProbe, 2)), "this GaussianMixture is not fitted yet");
  EXPECT_ERROR(g.fit(mat(kProbe, 2).narrow(0, 0, 2)), "Expected n_samples >= n_components");
  EXPECT_ERROR(g.set_param("covariance_type", std::string("block")), "parameter 'covariance_type' must be one of");
  EXPECT_ERROR(g.set_param("reg_covar", -1.0), "parameter 'reg_covar' must be a float in [0.0, inf)");
  // Collapsed data without regularization: a clear error, not a NaN model.
  ml::GaussianMixture collapsed({.n_components = 2, .reg_covar = 0.0, .random_state = 0});
  EXPECT_ERROR(collapsed.fit(tensor({{1.0, 1.0}, {1.0, 1.0}, {2.0, 2.0}, {2.0, 2.0}}, kFloat64)),
               "ill-defined empirical covariance");
  g.fit(mat(kX, 2));
  EXPECT_ERROR(g.score(ones({2, 3}, kFloat64)), "X has shape [2, 3], but this estimator was fitted with 2 features");
}
