// Linear models: scikit-learn's answers on small fixed data, the solvers' invariants,
// parameters, saving and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "error_of.h"
#include "soma/soma.h"

using namespace soma;

namespace {

// Golden values from tests/golden/gen_ml_linear.py (scikit-learn 1.2.1).
const std::vector<double> kX = {1.764, 0.4, 0.979, 2.241, 1.868, -0.977, 0.95, -0.151, -0.103, 0.411, 0.144, 1.454, 0.761, 0.122, 0.444, 0.334, 1.494, -0.205, 0.313, -0.854, -2.553, 0.654, 0.864, -0.742, 2.27, -1.454, 0.046, -0.187, 1.533, 1.469, 0.155, 0.378, -0.888, -1.981, -0.348, 0.156, 1.23, 1.202, -0.387, -0.302, -1.049, -1.42, -1.706, 1.951, -0.51, -0.438, -1.253, 0.777, -1.614, -0.213, -0.895, 0.387, -0.511, -1.181, -0.028, 0.428, 0.067, 0.302, -0.634, -0.363, -0.672, -0.36, -0.813, -1.726, 0.177, -0.402, -1.63, 0.463, -0.907, 0.052, 0.729, 0.129, 1.139, -1.235, 0.402, -0.685, -0.871, -0.579, -0.312, 0.056, -1.165, 0.901, 0.466, -1.536, 1.488, 1.896, 1.179, -0.18, -1.071, 1.054, -0.403, 1.222, 0.208, 0.977, 0.356, 0.707, 0.011, 1.786, 0.127, 0.402};
const std::vector<double> kY = {13.135, 1.412, 2.32, -0.602, 4.95, 7.484, 1.318, 0.45, 5.289, 4.847, 1.769, 3.374, 3.122, 6.933, 5.344, 4.967, 4.431, 7.066, 2.692, 6.585};
const std::vector<double> kXWide = {0.376, -1.099, 0.298, 1.326, -0.695, -0.15, -0.435, 1.849, 0.672, 0.407, -0.77, 0.539, -0.674, 0.032, -0.636, 0.676, 0.577, -0.208, 0.396, -1.093, -1.491, 0.439, 0.167, 0.635, 2.383, 0.944, -0.913, 1.117, -1.316, -0.462, -0.068, 1.713, -0.745, -0.826, -0.098, -0.663, 1.127, -1.08, -1.147, -0.438, -0.498, 1.93, 0.949, 0.088, -1.225, 0.844, -1.0, -1.545};
const std::vector<double> kYWide = {1.188, 0.317, 0.921, 0.319, 0.857, -0.651};
const std::vector<double> kOlsCoef = {1.546568734038067, -2.206287911924184, -0.01028836864675342, 0.6128132921234664, 2.9984380863177917};
const std::vector<double> kOlsIntercept = {4.2478189721729525};
const std::vector<double> kOlsNoInterceptCoef = {1.030856452979457, -1.5477413164372136, 0.2009218289875323, -0.2271036276478473, 4.652161494373221};
const std::vector<double> kOlsNoInterceptIntercept = {0.0};
const std::vector<double> kOlsDupCoef = {0.7732843670190334, -2.2062879119241834, -0.010288368646753365, 0.6128132921234674, 2.9984380863177917, 0.773284367019033};
const std::vector<double> kOlsDupIntercept = {4.2478189721729525};
// rank_ of kOlsDup: 5
const std::vector<double> kOlsDupSingular = {6.798175573925214, 5.380240332384944, 4.610755819534407, 3.5229255582006136, 2.583606619799442, 1.2417596221667594e-16};
const std::vector<double> kOlsWideCoef = {-0.009891918794702026, -0.38138031371033854, 0.09464018610965083, -0.14112088267457293, 0.02978047782771554, -0.07343358147099302, 0.11387259876848514, 0.2285351588601673};
const std::vector<double> kOlsWideIntercept = {0.568161378266409};
const std::vector<double> kOlsPositiveCoef = {1.0331867570191056, 0.0, 0.0, 0.6647725562037267, 2.3081391577880166};
const std::vector<double> kOlsPositiveIntercept = {3.871732153005084};
const std::vector<double> kRidgeCoef = {1.1889481020024375, -1.7725290855232587, 0.19815895515473356, 0.6561481760874448, 2.298645627566862};
const std::vector<double> kRidgeIntercept = {4.310271917694576};
const std::vector<double> kRidgeSvdCoef = {0.8981549858274147, -1.4092530753762411, 0.31397289143719076, -0.18775744507441758, 4.340758204734711};
const std::vector<double> kRidgeSvdIntercept = {0.0};
const std::vector<double> kRidgeWideCoef = {-0.017108529721986773, -0.3695694363860389, 0.06811032132871342, -0.1310448099815052, 0.03177206602700722, -0.06006377227371319, 0.10354640437491694, 0.22286694709762195};
const std::vector<double> kRidgeWideIntercept = {0.5660314047495006};
const std::vector<double> kRidgePositiveCoef = {0.9665322367758064, 0.0, 0.0, 0.6668258963378336, 2.1338946012995264};
const std::vector<double> kRidgePositiveIntercept = {3.925993211261208};
const std::vector<double> kLassoCoef = {1.3885082877251946, -2.00796544209655, 0.0, 0.5745471548650897, 2.771659576386493};
const std::vector<double> kLassoIntercept = {4.239022784181632};
// Lasso(alpha=0.1): n_iter_ 8, dual_gap_ 7.857512328608429e-05
const std::vector<double> kLassoGap = {7.857512328608429e-05};
const std::vector<double> kLassoBigCoef = {0.0, -0.21862338516433896, 0.0, 0.22033948765893516, 0.7712611755888795};
const std::vector<double> kLassoBigIntercept = {4.164538382643862};
// Lasso(alpha=1.0): n_iter_ 5
const std::vector<double> kEnetCoef = {1.0957854060849557, -1.6334186279841023, 0.15674532279551018, 0.6280556448051723, 2.1542586033331137};
const std::vector<double> kEnetIntercept = {4.310906896597025};
// ElasticNet(alpha=0.2, l1_ratio=0.3): n_iter_ 8, dual_gap_ 0.0001595042728806284
const std::vector<double> kEnetGap = {0.0001595042728806284};
const std::vector<double> kEnetPositiveCoef = {0.5448420832565636, 0.0, 0.1750935270166356, 0.0, 3.7199727944515217};
const std::vector<double> kEnetPositiveIntercept = {0.0};
const std::vector<double> kLassoExactCoef = {1.4661801338414724, -2.1075347849866533, 0.0, 0.5941714974928918, 2.88295385850111};
const std::vector<double> kLassoExactIntercept = {4.2432378707080405};
const std::vector<double> kXc = {-1.034, 0.682, -0.803, -0.69, -0.456, 0.017, -0.354, -1.375, -0.644, -2.223, 0.625, -1.602, -1.104, 0.052, -0.74, 1.543, -1.293, 0.267, -0.039, -1.168, 0.523, -0.172, 0.772, 0.824, 2.163, 1.337, -0.369, -0.239, 1.1, 0.655, 0.64, -1.617, -0.024, -0.738, 0.28, -0.098, 0.91, 0.317, 0.786, -0.466, -0.944, -0.41, -0.017, 0.379, 2.259, -0.042, -0.956, -0.346, -0.464, 0.481, -1.541, 0.063, 0.157, 0.232, -0.597, -0.238, -1.424, -0.493, -0.543, 0.416, 0.344, 1.781, 1.494, -3.07, 1.926, 1.677, -0.637, -1.397, 1.367, 0.702, -0.309, -2.676, 2.652, 2.08, -0.813, -2.466, 2.021, 0.424, 0.142, -1.319, 2.192, 1.695, -0.726, -2.383, -0.083, 1.61, -1.189, -1.507, 0.904, 0.947, -1.936, -0.811, 2.024, 1.088, -0.311, -0.903, 1.899, -1.773, 1.956, -0.61, 0.848, 0.609, 0.494, -1.116, -0.531, 3.064, -0.111, 0.02, 0.808, 2.536, 0.286, -0.391, 0.455, 2.211, 0.69, 0.302, 0.872, 0.519, 2.304, -2.06, -0.136, 3.137, 1.598, 1.583, -0.399, 2.37, 0.193, 2.658, -0.118, 1.32, 2.166, 0.539, -1.334, 0.653, 2.194, 0.84, -0.134, 3.078, 0.373, 0.269, -0.385, 2.094, 1.458, 0.713, -0.062, 1.893, 0.78, 0.187, 0.275, 1.109, 0.343, 0.688, -0.158, 4.257, 0.795, 1.943, 0.747, 0.811, 2.273, -0.184, -2.659, 2.606, -0.256, 1.451, -0.684, 3.66, 2.569, 0.547, -0.688, 0.786, 1.059, 0.72, -0.365, 2.157, 2.079, 1.35, -0.764, 0.562, 2.865, 0.311};
const std::vector<double> kYc = {3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0};
const std::vector<double> kLogBinaryCoef = {0.6670725193836308, 1.0421256005570316, 0.45207579138434106, -0.8282177485949024};
const std::vector<double> kLogBinaryIntercept = {-1.7776684027804484};
const std::vector<double> kLogBinaryProba = {0.8246591480650904, 0.1753408519349095, 0.21972661405260285, 0.7802733859473971, 0.9787800117266612, 0.02121998827333879, 0.364614139533328, 0.635385860466672, 0.2907385449087694, 0.7092614550912306, 0.4461281909686876, 0.5538718090313124, 0.8227472098552775, 0.17725279014472256};
// kLogBinary: n_iter_ [11]
const std::vector<double> kLogMultiCoef = {-0.1346488298323194, -0.8042549064680522, -0.6697397014625887, 0.04449391792971819, 0.5361057192260347, 0.37946830589053804, -0.167339608967043, -0.7985401757001267, -0.4014568893937155, 0.42478660057751444, 0.8370793104296318, 0.7540462577704085};
const std::vector<double> kLogMultiIntercept = {1.3602841782040438, -0.5041473053383526, -0.8561368728656894};
const std::vector<double> kLogMultiProba = {0.7884970604233346, 0.16364549498660927, 0.04785744459005615, 0.20220237980820702, 0.7671853969755811, 0.030612223216211966, 0.9351284286044251, 0.01667677342353896, 0.04819479797203587, 0.33573106174680567, 0.6487836861939414, 0.01548525205925293, 0.10775294762218156, 0.3403160385722712, 0.5519310138055473, 0.03807484979674304, 0.061992561478345296, 0.8999325887249117, 0.24640343644885812, 0.05662910979596084, 0.6969674537551811};
// kLogMulti: n_iter_ [17]
const std::vector<double> kLogOvrCoef = {-0.35764537088186127, -1.4949546300648064, -0.9697212617098764, 0.22224114973561312, 0.859229669435495, 0.6696131741833348, -0.08591117019293212, -1.350401626198164, -0.5627800918817039, 0.7674751804539085, 1.509579420532642, 1.2477008101099978};
const std::vector<double> kLogOvrIntercept = {0.9252443884593653, -2.4086703168918353, -2.67203439160063};
const std::vector<double> kLogOvrProba = {0.8138289287168177, 0.15689009689198538, 0.029280974391196972, 0.20042518605715032, 0.7777775054642654, 0.0217973084785843, 0.9184244140195094, 0.010951626926738517, 0.07062395905375211, 0.33690595605333507, 0.6569950104914585, 0.006099033455206324, 0.04823967951354122, 0.3131752579556545, 0.6385850625308043, 0.034110709734794714, 0.07966030127707945, 0.8862289889881259, 0.29028327703862983, 0.02782039651571852, 0.6818963264456516};
// kLogOvr: n_iter_ [11 12 12]
const std::vector<double> kLogBalancedCoef = {0.40213215185862194, -0.4916237706691981, -0.5725302030514342, 0.19464821799884433, 0.08611498815884482, 0.24586880962503171, -0.10151734665828022, -0.861595315713887, -0.488247140017467, 0.24575496104416678, 0.6740475497097143, 0.6669470977150425};
const std::vector<double> kLogBalancedIntercept = {0.0, 0.0, 0.0};
const std::vector<double> kLogBalancedProba = {0.18667562387526798, 0.6077045829375617, 0.20561979318717033, 0.09832429459665953, 0.8397497461658929, 0.061925959237447474, 0.3255170394488847, 0.17709425709510013, 0.4973887034560151, 0.09227782503997053, 0.8714173829661438, 0.03630479199388572, 0.06788465874964203, 0.3020618142652898, 0.6300535269850682, 0.01591305010176563, 0.07878721282864594, 0.9052997370695884, 0.049909074411900484, 0.08525093514533448, 0.864839990442765};
// kLogBalanced: n_iter_ [14]
const std::vector<double> kLogNoneCoef = {0.8142241459407017, -1.5057737816306276, -2.8197406077913367, -1.7617221581282911, 1.6897922863396764, 0.07565762378298344, -2.001351394405175, -3.081026251705085, -2.504016432280388, 1.4301161578476684, 4.821092002196523, 4.842748409833384};
const std::vector<double> kLogNoneIntercept = {4.29142255681697, 1.6636086671801023, -5.955031223997026};
const std::vector<double> kLogNoneProba = {0.9003805584491915, 0.09961927545932983, 1.6609147863994942e-07, 0.11627041713704706, 0.8837295806181389, 2.2448140152954813e-09, 0.9962560210308695, 0.0035131737230820193, 0.00023080524604847564, 0.29718371485597533, 0.7028162851355636, 8.461041066877337e-12, 0.07939895330875756, 0.3329053975732647, 0.5876956491179778, 2.1975882830343094e-06, 4.000894326351813e-06, 0.9999938015173905, 0.0007527225955905281, 9.494258163174865e-05, 0.9991523348227778};
// kLogNone: n_iter_ [38]
const std::vector<double> kLogBinaryMultinomialCoef = {0.3658795367971049, 0.5906711749906705, 0.27139799711802237, -0.4926215779114894};
const std::vector<double> kLogBinaryMultinomialIntercept = {-1.0216243785668644};
const std::vector<double> kLogBinaryMultinomialProba = {0.8519855373815903, 0.14801446261840964, 0.18603340354338052, 0.8139665964566195, 0.9875348475069129, 0.012465152493087174, 0.34584504676767824, 0.6541549532323218, 0.2731626419411385, 0.7268373580588615, 0.4408598655106357, 0.5591401344893643, 0.8522952967577915, 0.14770470324220844};
// kLogBinaryMultinomial: n_iter_ [12]
const std::vector<double> kLogDefaultCoef = {-0.1178246058566227, -0.9033583690796814, -0.8269573110328353, 0.027559083652108612, 0.6139579228205038, 0.436505221160217, -0.2329349831457907, -0.9623962554807894, -0.4961333169638807, 0.4668531479194645, 1.0598922941786262, 0.9348371718286803};
const std::vector<double> kLogDefaultIntercept = {1.5916857955464025, -0.5327773801414225, -1.0589084154049786};
const std::vector<double> kLogDefaultProba = {0.8312102231776424, 0.14282393557355608, 0.02596584124880149, 0.17396554629620326, 0.8106996177648959, 0.01533483593890083, 0.9590601127209246, 0.010019207132138568, 0.030920680146936837, 0.3173670304852185, 0.6769573902914174, 0.005675579223363993, 0.0947921918057737, 0.34156302234665403, 0.5636447858475723, 0.02183743495840154, 0.03821954381640402, 0.9399430212251945, 0.199913939176659, 0.038068683828532034, 0.7620173769948089};
// kLogDefault: n_iter_ [19]
const std::vector<double> kLogOvrBalancedCoef = {0.1678616458338101, -1.5094968995928661, -0.8344344399324539, 0.45471324071482927, 0.5579557593886707, 0.48778410008642936, -0.14559063192164248, -1.5368238550367643, -0.6363004233170307, 0.6993948520208666, 1.3776872079175293, 1.312639973867482};
const std::vector<double> kLogOvrBalancedIntercept = {1.455391313403994, -1.4166921674270379, -1.9982048912882122};
const std::vector<double> kLogOvrBalancedProba = {0.5983207772816134, 0.3523554441150654, 0.04932377860332123, 0.27997973698603046, 0.6961486449936438, 0.023871618020325815, 0.8163169778520326, 0.041110735249070995, 0.14257228689889645, 0.27821708582236576, 0.7120822511435508, 0.009700663034083368, 0.0882600451384438, 0.31604296569539864, 0.5956969891661577, 0.05783776438665699, 0.11357280861995622, 0.8285894269933869, 0.31644134108076993, 0.05078178797115354, 0.6327768709480766};
// kLogOvrBalanced: n_iter_ [10 12 11]
const std::vector<double> kLogL1Coef = {0.0, -1.136828327050363, -0.3825726145953693, 0.0, 0.5622234066498667, 0.0, 0.0, -0.8028528614978253, 0.0, 0.0, 0.9018543203411279, 0.7232588162667328};
const std::vector<double> kLogL1Intercept = {1.2313696692152876, -0.4911372390861909, -0.7402324301290693};
const std::vector<double> kLogL1Proba = {0.7446129336671748, 0.20666480978622812, 0.048722256546596975, 0.2235486254973379, 0.7301499308288373, 0.0463014436738249, 0.925830162700986, 0.024665307051898983, 0.04950453024711506, 0.30073841974154136, 0.6801976573689368, 0.01906392288952186, 0.10989146313660954, 0.31984576417822486, 0.5702627726851656, 0.05281857602987693, 0.08094543829461182, 0.8662359856755113, 0.28724013751709654, 0.07163898245887566, 0.6411208800240278};
// kLogL1: n_iter_ [154]
const std::vector<double> kLogEnetCoef = {0.46087358128386774, 0.6727923760932786, 0.13398833339048646, -0.48173333201884494};
const std::vector<double> kLogEnetIntercept = {-1.112613969486238};
const std::vector<double> kLogEnetProba = {0.712080386215876, 0.28791961378412395, 0.3318695857820213, 0.6681304142179787, 0.914802906645134, 0.08519709335486599, 0.3777782277778222, 0.6222217722221778, 0.3701447379752809, 0.6298552620247191, 0.5073354582444667, 0.49266454175553326, 0.7513517255849618, 0.24864827441503817};
// kLogEnet: n_iter_ [147]

Tensor matrix(const std::vector<double>& values, int64_t cols) {
  return from_vector(values, {static_cast<int64_t>(values.size()) / cols, cols});
}
Tensor vec(const std::vector<double>& values) { return from_vector(values); }
Tensor labels(const std::vector<double>& values) { return from_vector(values).to(kInt64); }

// Rows [begin, end) of a row-major matrix given as values with `cols` columns.
Tensor rows(const std::vector<double>& values, int64_t cols, int64_t begin, int64_t end) {
  return matrix(std::vector<double>(values.begin() + begin * cols, values.begin() + end * cols), cols);
}

void expect_near(const Tensor& actual, const std::vector<double>& expected, double tol, const char* what) {
  std::vector<double> a = actual.to(kFloat64).contiguous().to_vector<double>();
  ASSERT_EQ(a.size(), expected.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], expected[i], tol * std::max(1.0, std::fabs(expected[i]))) << what << " [" << i << "]";
}

void expect_fit(const ml::LinearRegressorBase& model, const std::vector<double>& coef, double intercept, double tol,
                const char* what) {
  expect_near(model.coef_, coef, tol, what);
  expect_near(model.intercept_, {intercept}, tol, what);
}

// The 3-class problem (classes 3, 5, 9), its first 30 rows (classes 3 and 5), and every 7th row.
Tensor Xc() { return matrix(kXc, 4); }
Tensor yc() { return labels(kYc); }
Tensor probe() {
  std::vector<double> p;
  for (int64_t i = 0; i < 45; i += 7) p.insert(p.end(), kXc.begin() + i * 4, kXc.begin() + i * 4 + 4);
  return matrix(p, 4);
}

ml::LogisticRegressionOptions exact(ml::LogisticRegressionOptions o = {}) {
  o.tol = 1e-10;
  o.max_iter = 10000;
  return o;
}

void expect_logistic(ml::LogisticRegression& model, const Tensor& X, const Tensor& y, const std::vector<double>& coef,
                     const std::vector<double>& intercept, const std::vector<double>& proba, double tol,
                     const char* what) {
  model.fit(X, y);
  expect_near(model.coef_, coef, tol, what);
  expect_near(model.intercept_, intercept, tol, what);
  expect_near(model.predict_proba(probe()), proba, tol, what);
}

}  // namespace

TEST(MlLinearRegression, MatchesScikitLearn) {
  Tensor X = matrix(kX, 5), y = vec(kY);
  ml::LinearRegression ols;
  ols.fit(X, y);
  expect_fit(ols, kOlsCoef, kOlsIntercept[0], 1e-10, "ols");
  ml::LinearRegression no_intercept({.fit_intercept = false});
  no_intercept.fit(X, y);
  expect_fit(no_intercept, kOlsNoInterceptCoef, kOlsNoInterceptIntercept[0], 1e-10, "no intercept");
  EXPECT_EQ(ols.rank_, 5);
  // R² on the training data of a least-squares fit: 1 - RSS / TSS, computed directly.
  std::vector<double> pred = ols.predict(X).to_vector<double>();
  double mean = 0, rss = 0, tss = 0;
  for (double v : kY) mean += v / 20;
  for (int i = 0; i < 20; ++i) rss += (kY[i] - pred[i]) * (kY[i] - pred[i]), tss += (kY[i] - mean) * (kY[i] - mean);
  EXPECT_NEAR(ols.score(X, y), 1 - rss / tss, 1e-12);
}

TEST(MlLinearRegression, RankDeficientGivesMinimumNorm) {
  // A repeated column: the two copies share the weight equally (the minimum-norm solution).
  std::vector<double> dup;
  for (int i = 0; i < 20; ++i) {
    dup.insert(dup.end(), kX.begin() + i * 5, kX.begin() + i * 5 + 5);
    dup.push_back(kX[i * 5]);
  }
  ml::LinearRegression ols;
  ols.fit(matrix(dup, 6), vec(kY));
  expect_fit(ols, kOlsDupCoef, kOlsDupIntercept[0], 1e-9, "duplicate column");
  EXPECT_EQ(ols.rank_, 5);
  expect_near(ols.singular_, kOlsDupSingular, 1e-9, "singular values");
  // More features than samples.
  ols.fit(matrix(kXWide, 8), vec(kYWide));
  expect_fit(ols, kOlsWideCoef, kOlsWideIntercept[0], 1e-9, "wide");
}

TEST(MlLinearRegression, Positive) {
  ml::LinearRegression nnls({.positive = true});
  nnls.fit(matrix(kX, 5), vec(kY));
  expect_fit(nnls, kOlsPositiveCoef, kOlsPositiveIntercept[0], 1e-9, "positive");
  for (double w : nnls.coef_.to_vector<double>()) EXPECT_GE(w, 0.0);
}

TEST(MlRidge, MatchesScikitLearn) {
  Tensor X = matrix(kX, 5), y = vec(kY);
  ml::Ridge ridge({.alpha = 2.5});
  ridge.fit(X, y);
  expect_fit(ridge, kRidgeCoef, kRidgeIntercept[0], 1e-10, "cholesky");
  ml::Ridge svd({.alpha = 0.7, .fit_intercept = false, .solver = "svd"});
  svd.fit(X, y);
  expect_fit(svd, kRidgeSvdCoef, kRidgeSvdIntercept[0], 1e-10, "svd");
  ml::Ridge wide({.alpha = 0.3});  // the kernel (n x n) form
  wide.fit(matrix(kXWide, 8), vec(kYWide));
  expect_fit(wide, kRidgeWideCoef, kRidgeWideIntercept[0], 1e-10, "wide");
  ml::Ridge positive({.positive = true});
  positive.fit(X, y);
  expect_fit(positive, kRidgePositiveCoef, kRidgePositiveIntercept[0], 1e-9, "positive");
  // Every solver reaches the same closed-form answer.
  for (const char* solver : {"auto", "cholesky", "svd", "lsqr", "sparse_cg", "sag", "saga"}) {
    ml::Ridge r({.alpha = 2.5, .solver = solver});
    r.fit(X, y);
    expect_fit(r, kRidgeCoef, kRidgeIntercept[0], 1e-10, solver);
  }
  EXPECT_ERROR(ml::Ridge({.solver = "lbfgs"}).fit(X, y), "solver 'lbfgs' can be used only when positive=True");
  EXPECT_ERROR(ml::Ridge({.solver = "svd", .positive = true}).fit(X, y), "does not support positive fitting");
}

TEST(MlElasticNet, MatchesScikitLearn) {
  Tensor X = matrix(kX, 5), y = vec(kY);
  ml::Lasso lasso({.alpha = 0.1});
  lasso.fit(X, y);
  expect_fit(lasso, kLassoCoef, kLassoIntercept[0], 1e-10, "lasso");
  EXPECT_EQ(lasso.n_iter_, 8);
  EXPECT_NEAR(lasso.dual_gap_, kLassoGap[0], 1e-9 * kLassoGap[0]);
  ml::Lasso big({.alpha = 1.0});
  big.fit(X, y);
  expect_fit(big, kLassoBigCoef, kLassoBigIntercept[0], 1e-10, "lasso alpha 1");
  EXPECT_EQ(big.n_iter_, 5);
  ml::ElasticNet enet({.alpha = 0.2, .l1_ratio = 0.3});
  enet.fit(X, y);
  expect_fit(enet, kEnetCoef, kEnetIntercept[0], 1e-10, "elastic net");
  EXPECT_EQ(enet.n_iter_, 8);
  EXPECT_NEAR(enet.dual_gap_, kEnetGap[0], 1e-9 * kEnetGap[0]);
  ml::ElasticNet positive({.alpha = 0.1, .fit_intercept = false, .positive = true});
  positive.fit(X, y);
  expect_fit(positive, kEnetPositiveCoef, kEnetPositiveIntercept[0], 1e-10, "positive");
  ml::Lasso tight({.alpha = 0.05, .max_iter = 100000, .tol = 1e-12});
  tight.fit(X, y);
  expect_fit(tight, kLassoExactCoef, kLassoExactIntercept[0], 1e-10, "converged");
}

TEST(MlElasticNet, RandomSelectionAndWarmStart) {
  Tensor X = matrix(kX, 5), y = vec(kY);
  // Random coordinate order reaches the same optimum (to the tolerance asked for).
  ml::Lasso random({.alpha = 0.05, .max_iter = 100000, .tol = 1e-12, .random_state = 3, .selection = "random"});
  random.fit(X, y);
  expect_fit(random, kLassoExactCoef, kLassoExactIntercept[0], 1e-8, "random selection");
  // The same seed gives the same sweeps, with any thread count.
  int threads = get_num_threads();
  ml::Lasso again({.alpha = 0.05, .max_iter = 100000, .tol = 1e-12, .random_state = 3, .selection = "random"});
  set_num_threads(1);
  again.fit(X, y);
  set_num_threads(threads);
  EXPECT_EQ(again.coef_.to_vector<double>(), random.coef_.to_vector<double>());
  EXPECT_EQ(again.n_iter_, random.n_iter_);
  // A warm start from the solution stops after the first sweep's gap check.
  ml::Lasso warm({.alpha = 0.05, .max_iter = 100000, .tol = 1e-12, .warm_start = true});
  warm.fit(X, y);
  int64_t cold_iterations = warm.n_iter_;
  warm.fit(X, y);
  EXPECT_GT(cold_iterations, 10);
  EXPECT_LE(warm.n_iter_, 2);
  expect_fit(warm, kLassoExactCoef, kLassoExactIntercept[0], 1e-10, "warm start");
}

TEST(MlLogisticRegression, MatchesScikitLearn) {
  Tensor X2 = rows(kXc, 4, 0, 30), y2 = labels(std::vector<double>(kYc.begin(), kYc.begin() + 30));
  ml::LogisticRegression binary(exact());
  expect_logistic(binary, X2, y2, kLogBinaryCoef, kLogBinaryIntercept, kLogBinaryProba, 1e-6, "binary");
  EXPECT_EQ(binary.coef_.shape(), Shape({1, 4}));
  ml::LogisticRegression multi(exact({.C = 0.5}));
  expect_logistic(multi, Xc(), yc(), kLogMultiCoef, kLogMultiIntercept, kLogMultiProba, 1e-6, "multinomial");
  EXPECT_EQ(multi.coef_.shape(), Shape({3, 4}));
  ml::LogisticRegression ovr(exact({.multi_class = "ovr"}));
  expect_logistic(ovr, Xc(), yc(), kLogOvrCoef, kLogOvrIntercept, kLogOvrProba, 1e-6, "ovr");
  EXPECT_EQ(ovr.n_iter_.shape(), Shape({3}));
  ml::LogisticRegression balanced(exact({.fit_intercept = false, .class_weight = std::string("balanced")}));
  expect_logistic(balanced, rows(kXc, 4, 5, 45), labels(std::vector<double>(kYc.begin() + 5, kYc.end())),
                  kLogBalancedCoef, kLogBalancedIntercept, kLogBalancedProba, 1e-6, "balanced");
  ml::LogisticRegression none(exact({.penalty = ml::None}));
  // Unpenalized, the objective is flat near its minimum: both solvers stop on the relative
  // decrease of the objective (2.2e-9), which leaves the coefficients known to about 1e-4.
  expect_logistic(none, Xc(), yc(), kLogNoneCoef, kLogNoneIntercept, kLogNoneProba, 1e-3, "no penalty");
  ml::LogisticRegression binary_softmax(exact({.multi_class = "multinomial"}));
  expect_logistic(binary_softmax, X2, y2, kLogBinaryMultinomialCoef, kLogBinaryMultinomialIntercept,
                  kLogBinaryMultinomialProba, 1e-6, "binary multinomial");
  ml::LogisticRegression ovr_balanced(exact({.class_weight = std::string("balanced"), .multi_class = "ovr"}));
  expect_logistic(ovr_balanced, rows(kXc, 4, 5, 45), labels(std::vector<double>(kYc.begin() + 5, kYc.end())),
                  kLogOvrBalancedCoef, kLogOvrBalancedIntercept, kLogOvrBalancedProba, 1e-6, "ovr balanced");
  // The defaults (tol 1e-4) stop near the optimum, as scikit-learn's do.
  ml::LogisticRegression plain;
  expect_logistic(plain, Xc(), yc(), kLogDefaultCoef, kLogDefaultIntercept, kLogDefaultProba, 1e-3, "defaults");
}

TEST(MlLogisticRegression, L1AndElasticNetPenalties) {
  ml::LogisticRegression l1(exact({.penalty = std::string("l1"), .C = 0.5, .solver = "saga"}));
  expect_logistic(l1, Xc(), yc(), kLogL1Coef, kLogL1Intercept, kLogL1Proba, 1e-6, "l1");
  // The l1 penalty zeroes weights exactly, where scikit-learn's do.
  std::vector<double> coef = l1.coef_.to_vector<double>();
  for (size_t i = 0; i < coef.size(); ++i) EXPECT_EQ(coef[i] == 0, kLogL1Coef[i] == 0) << i;
  ml::LogisticRegression enet(exact({.penalty = std::string("elasticnet"), .C = 0.3, .solver = "saga", .l1_ratio = 0.4}));
  expect_logistic(enet, rows(kXc, 4, 0, 30), labels(std::vector<double>(kYc.begin(), kYc.begin() + 30)), kLogEnetCoef,
                  kLogEnetIntercept, kLogEnetProba, 1e-6, "elasticnet");
  EXPECT_ERROR(ml::LogisticRegression({.penalty = std::string("l1")}).fit(Xc(), yc()),
               "solver 'lbfgs' supports only 'l2' or None penalties, got penalty 'l1'");
  EXPECT_ERROR(ml::LogisticRegression({.penalty = std::string("elasticnet"), .solver = "saga"}).fit(Xc(), yc()),
               "penalty 'elasticnet' needs l1_ratio");
}

TEST(MlLogisticRegression, PredictionsAgreeWithProbabilities) {
  ml::LogisticRegression model;
  model.fit(Xc(), yc());
  EXPECT_EQ(model.classes_.to_vector<int64_t>(), (std::vector<int64_t>{3, 5, 9}));
  Tensor proba = model.predict_proba(Xc()), scores = model.decision_function(Xc());
  std::vector<int64_t> pred = model.predict(Xc()).to_vector<int64_t>();
  std::vector<double> p = proba.to_vector<double>(), log_p = model.predict_log_proba(Xc()).to_vector<double>();
  EXPECT_EQ(scores.shape(), Shape({45, 3}));
  for (int i = 0; i < 45; ++i) {
    int best = static_cast<int>(std::max_element(p.begin() + i * 3, p.begin() + i * 3 + 3) - (p.begin() + i * 3));
    EXPECT_EQ(pred[i], (std::vector<int64_t>{3, 5, 9})[best]);
    EXPECT_NEAR(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2], 1.0, 1e-12);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(std::exp(log_p[i * 3 + c]), p[i * 3 + c], 1e-12);
  }
  EXPECT_GT(model.score(Xc(), yc()), 0.8);
  // Two classes: a 1-D decision function whose sign picks the class.
  ml::LogisticRegression binary;
  binary.fit(rows(kXc, 4, 0, 30), labels(std::vector<double>(kYc.begin(), kYc.begin() + 30)));
  EXPECT_EQ(binary.decision_function(probe()).shape(), Shape({7}));
}

TEST(MlLogisticRegression, SameAnswerForAnyThreadCount) {
  // 24,000 x 22 with 4 classes: large enough (2M multiply-adds per evaluation) that the row
  // blocks are shared among the threads.
  std::vector<double> x, y;
  for (int i = 0; i < 24000; ++i) {
    for (int j = 0; j < 22; ++j) x.push_back(std::sin(0.37 * i * (j + 1)) + 0.1 * j + 0.2 * (i % 4 == j % 4));
    y.push_back(i % 4);
  }
  Tensor X = matrix(x, 22), labels_ = labels(y);
  int threads = get_num_threads();
  std::vector<std::vector<double>> coefs;
  for (int t : {1, 2, 3}) {
    set_num_threads(t);
    ml::LogisticRegression model({.max_iter = 15});
    model.fit(X, labels_);
    coefs.push_back(model.coef_.to_vector<double>());
  }
  set_num_threads(threads);
  EXPECT_EQ(coefs[0], coefs[1]);
  EXPECT_EQ(coefs[0], coefs[2]);
}

TEST(MlLogisticRegression, WarmStartAndIterationLimit) {
  ml::LogisticRegression model(exact({.warm_start = true}));
  model.fit(Xc(), yc());
  EXPECT_GT(model.n_iter_.to_vector<int64_t>()[0], 5);
  model.fit(Xc(), yc());
  EXPECT_LE(model.n_iter_.to_vector<int64_t>()[0], 1);
  expect_near(model.coef_, kLogDefaultCoef, 5e-3, "warm start");
  ml::LogisticRegression short_run({.max_iter = 3});
  short_run.fit(Xc(), yc());
  EXPECT_EQ(short_run.n_iter_.to_vector<int64_t>()[0], 3);
}

TEST(MlLinear, ParametersAndBadInput) {
  ml::Lasso lasso;
  EXPECT_EQ(lasso.repr(),
            "Lasso(alpha=1.0, copy_X=True, fit_intercept=True, max_iter=1000, positive=False, precompute=False, "
            "random_state=None, selection='cyclic', tol=0.0001, warm_start=False)");
  EXPECT_EQ(lasso.clone()->name(), "Lasso");
  EXPECT_ERROR(lasso.set_param("l1_ratio", 0.5), "unknown parameter 'l1_ratio'");
  EXPECT_ERROR(ml::ElasticNet().set_param("l1_ratio", 1.5), "parameter 'l1_ratio' must be a float in [0.0, 1.0]");
  EXPECT_ERROR(ml::Ridge().set_param("solver", std::string("qr")), "parameter 'solver' must be one of");
  EXPECT_ERROR(ml::LogisticRegression().set_param("C", 0.0), "parameter 'C' must be a float in (0.0, inf)");
  ml::LogisticRegression logistic;
  logistic.set_param("penalty", ml::None);
  EXPECT_EQ(logistic.clone()->repr(), logistic.repr());
  EXPECT_ERROR(ml::LogisticRegression({.solver = "liblinear"}).fit(Xc(), yc()), "solver 'liblinear' is not available");
  EXPECT_ERROR(ml::LogisticRegression({.dual = true}).fit(Xc(), yc()), "dual=True");

  Tensor X = matrix(kX, 5), y = vec(kY);
  Tensor nan_X = X.clone();
  nan_X.data<double>()[7] = std::nan("");
  EXPECT_ERROR(ml::Ridge().fit(nan_X, y), "Ridge.fit: input X contains NaN (row 1, column 2)");
  EXPECT_ERROR(ml::Lasso().fit(nan_X, y), "Lasso.fit: input X contains NaN");
  Tensor nan_y = y.clone();
  nan_y.data<double>()[3] = std::nan("");
  EXPECT_ERROR(ml::LinearRegression().fit(X, nan_y), "y contains NaN (sample 3)");
  EXPECT_ERROR(ml::LinearRegression().fit(X, vec({1.0, 2.0})), "X has 20 samples but y has 2");
  EXPECT_ERROR(ml::LinearRegression().predict(X), "this LinearRegression is not fitted yet");
  ml::Ridge ridge;
  ridge.fit(X, y);
  EXPECT_ERROR(ridge.predict(ones({2, 4}, kFloat64)), "X has shape [2, 4], but this estimator was fitted with 5 features");
  EXPECT_ERROR(ml::LogisticRegression().fit(Xc(), full({45}, 3, kInt64)), "y has only one class (3)");
  EXPECT_ERROR(ml::LogisticRegression().fit(Xc(), vec(std::vector<double>(45, 0.5))), "Unknown label type: continuous");
  ml::LogisticRegression fitted;
  fitted.fit(Xc(), yc());
  EXPECT_ERROR(fitted.predict_proba(ones({2, 3}, kFloat64)), "fitted with 4 features");
}

TEST(MlLinear, SaveAndLoad) {
  auto dir = std::filesystem::temp_directory_path() / "soma_ml_linear";
  std::filesystem::create_directories(dir);
  Tensor X = matrix(kX, 5), y = vec(kY);
  ml::ElasticNet enet({.alpha = 0.2, .l1_ratio = 0.3});
  enet.fit(X, y);
  ml::Lasso lasso({.alpha = 0.1});
  lasso.fit(X, y);
  ml::Ridge ridge({.alpha = 2.5});
  ridge.fit(X, y);
  ml::LinearRegression ols;
  ols.fit(X, y);
  for (ml::Estimator* model : std::initializer_list<ml::Estimator*>{&enet, &lasso, &ridge, &ols}) {
    ml::save(*model, dir / "model.safetensors");
    auto back = ml::load(dir / "model.safetensors");
    EXPECT_EQ(back->repr(), model->repr());
    EXPECT_EQ(back->predict(X).to_vector<double>(), model->predict(X).to_vector<double>()) << model->name();
  }
  ml::LogisticRegression logistic({.C = 0.5});
  logistic.fit(Xc(), yc());
  ml::save(logistic, dir / "logistic.safetensors");
  auto back = ml::load(dir / "logistic.safetensors");
  auto* loaded = dynamic_cast<ml::LogisticRegression*>(back.get());
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->predict_proba(probe()).to_vector<double>(), logistic.predict_proba(probe()).to_vector<double>());

  // Crafted states: wrong shapes, a wrong dtype, too few classes, a non-finite weight.
  auto load_with = [&](ml::Estimator& model, const std::string& key, const Tensor& value) {
    StateDict state = model.fitted_state();
    state[key] = value;
    return [&model, state] {
      auto fresh = model.clone();
      fresh->load_fitted_state(state);
    };
  };
  EXPECT_ERROR(load_with(ridge, "coef_", zeros({4}, kFloat64))(), "Ridge: coef_ must be float64 [5]");
  EXPECT_ERROR(load_with(ridge, "coef_", zeros({5}, kFloat32))(), "coef_ must be float64 [5]");
  EXPECT_ERROR(load_with(ols, "intercept_", zeros({1}, kFloat64))(), "intercept_ must be a float64 scalar");
  EXPECT_ERROR(load_with(lasso, "coef_", full({5}, std::nan(""), kFloat64))(), "coef_ must be finite");
  EXPECT_ERROR(load_with(logistic, "coef_", zeros({1, 4}, kFloat64))(), "coef_ must be float64 [3, 4]");
  EXPECT_ERROR(load_with(logistic, "intercept_", zeros({2}, kFloat64))(), "intercept_ must be float64 [3]");
  EXPECT_ERROR(load_with(logistic, "classes_", tensor({4}, kInt64))(), "at least 2 classes");
  EXPECT_ERROR(load_with(logistic, "n_iter_", zeros({1}, kFloat64))(), "n_iter_ must be int64");
  std::filesystem::remove_all(dir);
}

TEST(MlSGD, ClassifiersLearnTheClasses) {
  // The three classes are well apart on these rows: every loss gets most of them right.
  for (const char* loss : {"hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron"}) {
    ml::SGDClassifier sgd({.loss = loss, .random_state = 0});
    sgd.fit(Xc(), yc());
    EXPECT_GE(sgd.score(Xc(), yc()), 0.8) << loss;
    EXPECT_EQ(sgd.coef_.shape(), Shape({3, 4}));
    EXPECT_GT(sgd.n_iter_, 1);
  }
  ml::Perceptron perceptron;
  perceptron.fit(Xc(), yc());
  EXPECT_GE(perceptron.score(Xc(), yc()), 0.8);
  // Two separable blobs: the perceptron separates them exactly.
  Tensor X = tensor({{0.0, 0.1}, {0.2, -0.1}, {-0.1, 0.0}, {3.0, 3.1}, {2.9, 3.2}, {3.2, 2.8}}, kFloat64);
  Tensor y = tensor({7, 7, 7, -2, -2, -2}, kInt64);
  perceptron.fit(X, y);
  EXPECT_EQ(perceptron.score(X, y), 1.0);
  EXPECT_EQ(perceptron.coef_.shape(), Shape({1, 2}));
  EXPECT_EQ(perceptron.decision_function(X).shape(), Shape({6}));
  // Probabilities with the log loss: rows sum to 1 and pick the predicted class.
  ml::SGDClassifier logistic({.loss = "log_loss", .random_state = 0});
  logistic.fit(Xc(), yc());
  std::vector<double> p = logistic.predict_proba(Xc()).to_vector<double>();
  std::vector<int64_t> pred = logistic.predict(Xc()).to_vector<int64_t>();
  for (int i = 0; i < 45; ++i) {
    EXPECT_NEAR(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2], 1.0, 1e-12);
    int best = static_cast<int>(std::max_element(p.begin() + i * 3, p.begin() + i * 3 + 3) - (p.begin() + i * 3));
    EXPECT_EQ(pred[i], (std::vector<int64_t>{3, 5, 9})[best]);
  }
  EXPECT_ERROR(perceptron.predict_proba(X), "only available for loss 'log_loss'; got loss 'perceptron'");
}

TEST(MlSGD, RegressorReachesLeastSquares) {
  Tensor X = matrix(kX, 5), y = vec(kY);
  // A small constant step and no penalty: SGD settles next to the least-squares solution.
  ml::SGDRegressorOptions o{.penalty = ml::None, .max_iter = 3000, .tol = std::nullopt, .random_state = 1,
                            .learning_rate = "constant", .eta0 = 0.002};
  ml::SGDRegressor sgd(o);
  sgd.fit(X, y);
  expect_fit(sgd, kOlsCoef, kOlsIntercept[0], 2e-2, "sgd vs ols");
  EXPECT_EQ(sgd.n_iter_, 3000);
  // The defaults ('invscaling', l2) fit well too; the l1 penalty zeroes the useless feature.
  ml::SGDRegressor plain({.random_state = 0});
  EXPECT_EQ(plain.repr(),
            "SGDRegressor(alpha=0.0001, average=False, early_stopping=False, epsilon=0.1, eta0=0.01, "
            "fit_intercept=True, l1_ratio=0.15, learning_rate='invscaling', loss='squared_error', max_iter=1000, "
            "n_iter_no_change=5, penalty='l2', power_t=0.25, random_state=0, shuffle=True, tol=0.001, "
            "validation_fraction=0.1, verbose=0, warm_start=False)");
  plain.fit(X, y);
  EXPECT_GT(plain.score(X, y), 0.95);
  // With the l1 penalty it minimizes the lasso's objective: it lands near Lasso's answer, with
  // the same weight exactly zero.
  o.penalty = std::string("l1"), o.alpha = 0.1;
  ml::SGDRegressor lasso(o);
  lasso.fit(X, y);
  EXPECT_EQ(lasso.coef_.to_vector<double>()[2], 0.0);
  expect_fit(lasso, kLassoCoef, kLassoIntercept[0], 3e-2, "sgd vs lasso");
}

TEST(MlSGD, SeedsAndThreads) {
  // 6,000 x 10 with 3 classes: the one-vs-rest runs go to different threads.
  std::vector<double> x, y;
  for (int i = 0; i < 6000; ++i) {
    for (int j = 0; j < 10; ++j) x.push_back(std::sin(0.71 * i * (j + 1)) + (i % 3 == j % 3 ? 0.8 : 0.0));
    y.push_back(i % 3);
  }
  Tensor X = matrix(x, 10), labels_ = labels(y);
  int threads = get_num_threads();
  std::vector<std::vector<double>> coefs;
  for (int t : {1, 2, 3}) {
    set_num_threads(t);
    ml::SGDClassifier sgd({.max_iter = 5, .tol = std::nullopt, .random_state = 42});
    sgd.fit(X, labels_);
    coefs.push_back(sgd.coef_.to_vector<double>());
  }
  set_num_threads(threads);
  EXPECT_EQ(coefs[0], coefs[1]);
  EXPECT_EQ(coefs[0], coefs[2]);
  // Another seed shuffles differently; shuffle=False needs no seed at all.
  ml::SGDClassifier other({.max_iter = 5, .tol = std::nullopt, .random_state = 43});
  other.fit(X, labels_);
  EXPECT_NE(other.coef_.to_vector<double>(), coefs[0]);
  ml::SGDClassifier a({.max_iter = 5, .tol = std::nullopt, .shuffle = false}), b = a;
  a.fit(X, labels_);
  b.fit(X, labels_);
  EXPECT_EQ(a.coef_.to_vector<double>(), b.coef_.to_vector<double>());
}

TEST(MlSGD, ParametersSaveAndBadInput) {
  ml::Perceptron perceptron;
  EXPECT_EQ(std::get<double>(perceptron.get_params().at("eta0")), 1.0);
  EXPECT_EQ(std::get<int64_t>(perceptron.get_params().at("random_state")), 0);
  EXPECT_EQ(perceptron.get_params().count("loss"), 0u);
  EXPECT_EQ(perceptron.clone()->name(), "Perceptron");
  EXPECT_ERROR(perceptron.set_param("eta0", 0.0), "parameter 'eta0' must be a float in (0.0, inf)");
  EXPECT_ERROR(ml::SGDRegressor().set_param("loss", std::string("hinge")), "parameter 'loss' must be one of");
  EXPECT_ERROR(ml::SGDClassifier({.early_stopping = true}).fit(Xc(), yc()), "early_stopping=True is not available");
  EXPECT_ERROR(ml::SGDClassifier({.average = true}).fit(Xc(), yc()), "average is not available");
  EXPECT_ERROR(ml::SGDClassifier({.learning_rate = "constant"}).fit(Xc(), yc()), "eta0 must be > 0");
  EXPECT_ERROR(ml::SGDClassifier({.alpha = 0.0}).fit(Xc(), yc()), "alpha must be > 0 with learning_rate 'optimal'");
  Tensor nan_X = Xc().clone();
  nan_X.data<double>()[0] = std::nan("");
  EXPECT_ERROR(ml::SGDClassifier().fit(nan_X, yc()), "SGDClassifier.fit: input X contains NaN");
  EXPECT_ERROR(ml::Perceptron().fit(Xc(), full({45}, 1, kInt64)), "y has only one class");
  // Unscaled, huge features make the steps overflow: an error, not infinite weights.
  Tensor huge = tensor({{1e150, 1.0}, {-1e150, 2.0}, {1e150, -1.0}, {-2e150, 0.5}}, kFloat64);
  EXPECT_ERROR(ml::SGDRegressor().fit(huge, vec({1.0, 2.0, 3.0, 4.0})), "floating-point under-/overflow occurred");

  auto dir = std::filesystem::temp_directory_path() / "soma_ml_linear_sgd";
  std::filesystem::create_directories(dir);
  ml::SGDClassifier sgd({.random_state = 0});
  sgd.fit(Xc(), yc());
  ml::SGDRegressor regressor({.random_state = 0});
  regressor.fit(matrix(kX, 5), vec(kY));
  perceptron.fit(Xc(), yc());
  for (ml::Estimator* model : std::initializer_list<ml::Estimator*>{&sgd, &regressor, &perceptron}) {
    ml::save(*model, dir / "model.safetensors");
    auto back = ml::load(dir / "model.safetensors");
    EXPECT_EQ(back->repr(), model->repr());
    Tensor X = model == &regressor ? matrix(kX, 5) : Xc();
    EXPECT_EQ(back->predict(X).to(kFloat64).to_vector<double>(), model->predict(X).to(kFloat64).to_vector<double>());
  }
  StateDict state = sgd.fitted_state();
  state["coef_"] = zeros({1, 4}, kFloat64);
  EXPECT_ERROR(ml::SGDClassifier().load_fitted_state(state), "SGDClassifier: coef_ must be float64 [3, 4]");
  std::filesystem::remove_all(dir);
}
