// The losses added after the first set: ctc_loss, cosine_embedding_loss, triplet_margin_loss
// (and pairwise_distance), soft_margin_loss, multilabel_margin_loss, poisson_nll_loss and
// gaussian_nll_loss. Values and input gradients against PyTorch 1.13, float64 gradchecks, errors.
#include <gtest/gtest.h>

#include <chrono>

#include "nn/layers_helpers.h"
#include "soma/autograd.h"

using namespace soma;
using namespace layers_test;
namespace F = soma::nn::functional;
using F::Reduction;

namespace {
// Pasted from tests/golden/gen_losses_extra.py (PyTorch 1.13).
// ---- pairwise_distance: x1 = xs(3, 4), x2 = ys(3, 4) ----
const std::vector<double> kPdist2 = {2.8317656677708367, 6.250429019777042, 4.1997941825423615};  // shape [3]
const std::vector<double> kPdist2Grad0 = {-0.16548103154510355, 0.9845302619518097, 0.050514285649481, 0.027649565009091426, 0.5978079267233167, 0.25397107986124406, -0.6550019412186077, -0.38613058716027504, 0.7165293462756126, 0.49542952847246347, -0.14404943540829682, 0.46945184886412655};  // shape [3, 4]
const std::vector<double> kPdist2Grad1 = {0.16548103154510355, -0.9845302619518097, -0.050514285649481, -0.027649565009091426, -0.5978079267233167, -0.25397107986124406, 0.6550019412186077, 0.38613058716027504, -0.7165293462756126, -0.49542952847246347, 0.14404943540829682, -0.46945184886412655};  // shape [3, 4]
const std::vector<double> kPdist1 = {3.6779022072290024, 11.831509190006212, 7.866554956317147};  // shape [3]
const std::vector<double> kPdist1Grad0 = {-1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, 1.0};  // shape [3, 4]
const std::vector<double> kPdist1Grad1 = {1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0};  // shape [3, 4]
const std::vector<double> kPdist3Keep = {2.792510551350668, 5.178221936261615, 3.5342140874621566};  // shape [3, 1]
const std::vector<double> kPdist3KeepGrad0 = {-0.02815927165971012, 0.9967428253081025, 0.0026239370402661552, 0.0007861430605409327, 0.5206929214131568, 0.09397814450590979, -0.6250913788333643, -0.21723347318366737, 0.7250004434622485, 0.34660440945187504, -0.02930174124020057, 0.31120919169166295};  // shape [3, 4]
const std::vector<double> kPdist3KeepGrad1 = {0.02815927165971012, -0.9967428253081025, -0.0026239370402661552, -0.0007861430605409327, -0.5206929214131568, -0.09397814450590979, 0.6250913788333643, 0.21723347318366737, -0.7250004434622485, -0.34660440945187504, 0.02930174124020057, -0.31120919169166295};  // shape [3, 4]
const std::vector<double> kPdistBroadcast = {2.8317656677708367, 2.560193924921494, 3.5055536732846018};  // shape [3]
const std::vector<double> kPdistBroadcastGrad0 = {-0.16548103154510355, 0.9845302619518097, 0.050514285649481, 0.027649565009091426, 0.3248749981399892, 0.7088596981693303, -0.3540881136116124, 0.5163291311690617, 0.4452530258769946, 0.10934868121379618, -0.3613609628382778, 0.811918015196594};  // shape [3, 4]
const std::vector<double> kPdistBroadcastGrad1 = {-0.6046469924718803, -1.8027386413349362, 0.6649347908004092, -1.355896711374747};  // shape [4]
const std::vector<double> kPdistInf = {2.787958994676563, 4.094043141403081, 3.009275780109199};  // shape [3]
const std::vector<double> kPdistInfGrad0 = {-0.0, 1.0, 0.0, 0.0, 0.0, 0.0, -1.0, -0.0, 1.0, 0.0, -0.0, 0.0};  // shape [3, 4]
const std::vector<double> kPdistInfGrad1 = {0.0, -1.0, -0.0, -0.0, -0.0, -0.0, 1.0, 0.0, -1.0, -0.0, 0.0, -0.0};  // shape [3, 4]
// ---- cosine_embedding_loss: x1 = xs(4, 3) with row 2 zero, x2 = ys(4, 3), y = {1, -1, -1, 1} ----
const std::vector<double> kCosEmb = {0.3821672034260911};  // shape []
const std::vector<double> kCosEmbGrad0 = {-0.03612158807946776, 0.0354023755194283, 0.04060997000367464, -0.04724578980449622, -0.04701978260860817, -0.003819177790413979, 183763.69482294875, 169092.23824833182, -11777.93186044485, 0.04822371923187702, 0.011856287801160728, 0.04441857125117031};  // shape [4, 3]
const std::vector<double> kCosEmbGrad1 = {0.00605024428418615, -0.09613999299988882, 0.00806544163968679, -0.03837979541777923, 0.06377923143412638, 0.04096674551924538, 0.0, 0.0, 0.0, -0.030916516137445737, 0.042360712591028825, -0.030941642849419825};  // shape [4, 3]
const std::vector<double> kCosEmbNone = {0.4745611416162864, 0.2365813490113053, 0.0, 0.41752632307677273};  // shape [4]
const std::vector<double> kCosEmbNoneGrad0 = {-0.14448635231787105, 0.1416095020777132, 0.16243988001469856, -0.1889831592179849, -0.18807913043443267, -0.015276711161655916, 735054.779291795, 676368.9529933273, -47111.7274417794, 0.1928948769275081, 0.04742515120464291, 0.17767428500468124};  // shape [4, 3]
const std::vector<double> kCosEmbNoneGrad1 = {0.0242009771367446, -0.3845599719995553, 0.03226176655874716, -0.15351918167111692, 0.2551169257365055, 0.16386698207698153, 0.0, 0.0, 0.0, -0.12366606454978295, 0.1694428503641153, -0.1237665713976793};  // shape [4, 3]
const std::vector<double> kCosEmbSum = {1.507912535306941};  // shape []
const std::vector<double> kCosEmbSumGrad0 = {0.14448635231787105, -0.1416095020777132, -0.16243988001469856, 0.0, -0.0, 0.0, -735054.779291795, -676368.9529933273, 47111.7274417794, -0.1928948769275081, -0.04742515120464291, -0.17767428500468124};  // shape [4, 3]
const std::vector<double> kCosEmbSumGrad1 = {-0.0242009771367446, 0.3845599719995553, -0.03226176655874716, 0.0, 0.0, 0.0, 0.0, 0.0, -0.0, 0.12366606454978295, -0.1694428503641153, 0.1237665713976793};  // shape [4, 3]
const std::vector<double> kCosEmb1d = {0.36157748777543025};  // shape []
const std::vector<double> kCosEmb1dGrad0 = {0.06690451611074277, -0.05081366951909552, -0.07765028376096535, -0.1053438565363711, -0.13185033958588502};  // shape [5]
const std::vector<double> kCosEmb1dGrad1 = {0.016068165052349113, 0.16720660943380014, -0.04821740111100042, -0.07395363286665858, 0.1758511041759267};  // shape [5]
// ---- triplet_margin_loss: a = xs(4, 3), p = ys(4, 3), n = xs(4, 3) * 0.5 + 1 ----
const std::vector<double> kTriplet = {2.4497356196954834};  // shape []
const std::vector<double> kTripletGrad0 = {0.031329218781587134, 0.19869008257454795, 0.2470534408939329, 0.25418569461567664, 0.21926012885410182, 0.11189732446208543, 0.023665271466358384, 0.02901621637158222, 0.0931418801667613, 0.2538267216662362, 0.17577227363467512, 0.2387684004638074};  // shape [4, 3]
const std::vector<double> kTripletGrad1 = {0.04138608070816177, -0.2462267034494497, -0.012633401443565133, -0.0048206191904011, -0.23005342692200084, -0.0977352668797951, 0.18195402404665498, 0.10726382583019092, -0.13374305515240692, -0.17755881071055388, 0.05162640691499588, -0.16824857457970024};  // shape [4, 3]
const std::vector<double> kTripletGrad2 = {-0.0727152994897489, 0.04753662087490175, -0.23442003945036777, -0.24936507542527556, 0.010793298067899032, -0.014162057582290328, -0.20561929551301336, -0.13628004220177314, 0.040601174985645624, -0.07626791095568236, -0.227398680549671, -0.07051982588410716};  // shape [4, 3]
const std::vector<double> kTripletSwapP1 = {2.6841880766982067, 5.027057807929388, 7.201902933517203, 2.544068822542026};  // shape [4]
const std::vector<double> kTripletSwapP1Grad0 = {0.0, 0.0, 2.0, 2.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 2.0};  // shape [4, 3]
const std::vector<double> kTripletSwapP1Grad1 = {1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0};  // shape [4, 3]
const std::vector<double> kTripletSwapP1Grad2 = {-1.0, 1.0, -1.0, -1.0, 1.0, -1.0, -1.0, -1.0, 1.0, -1.0, -1.0, -1.0};  // shape [4, 3]
const std::vector<double> kTripletP3Sum = {24.92343071310384};  // shape []
const std::vector<double> kTripletP3SumGrad0 = {0.06559432531239537, 0.9564062147164912, 0.9780030232264884, 1.000253289236898, 0.9499701751198244, 0.17510242050684283, 0.10986823231049547, 0.11518646544104694, 0.362052341813272, 0.765120778917429, 0.9021026465777281, 0.6823833929456289};  // shape [4, 3]
const std::vector<double> kTripletP3SumGrad1 = {0.028020271442232875, -0.9967790779868485, -0.002658906223849274, -0.0004284626507457074, -0.951885306812372, -0.17192699412741652, 0.7302205531763677, 0.2536820025237756, -0.394978518296395, -0.6575884099161695, 0.055355538096481235, -0.5904668872185334};  // shape [4, 3]
const std::vector<double> kTripletP3SumGrad2 = {-0.09361459675462824, 0.040372863270357225, -0.9753441170026391, -0.9998248265861523, 0.0019151316925476146, -0.0031754263794263123, -0.8400887854868632, -0.36886846796482253, 0.032926176483122994, -0.10753236900125948, -0.9574581846742093, -0.09191650572709555};  // shape [4, 3]
const std::vector<double> kTripletHit = {0.0};  // shape []
const std::vector<double> kTripletHitGrad0 = {-0.6, 0.19999999999999996};  // shape [1, 2]
const std::vector<double> kTripletHitGrad1 = {0.6, 0.8};  // shape [1, 2]
const std::vector<double> kTripletHitGrad2 = {0.0, -1.0};  // shape [1, 2]
// ---- soft_margin_loss: x = xs(6) with x[3] = 0, y = {1, -1, -1, 1, 1, -1} ----
const std::vector<double> kSoftMargin = {1.0059580081664319};  // shape []
const std::vector<double> kSoftMarginGrad0 = {-0.04863668405544713, 0.15644209643215623, 0.028242178275425595, -0.08333333333333333, -0.016822068483126482, 0.14209185220077597};  // shape [6]
const std::vector<double> kSoftMarginNone = {0.3450571276382061, 2.791202139563263, 0.18567084297934308, 0.6931471805599453, 0.10639706479905026, 1.9142736934587838};  // shape [6]
const std::vector<double> kSoftMarginNoneGrad0 = {-0.29182010433268285, 0.9386525785929375, 0.16945306965255358, -0.5, -0.1009324108987589, 0.8525511132046558};  // shape [6]
// ---- multilabel_margin_loss: x = xs(4, 5) with x[3] = {1.5, 0.5, 0, 2, -1} ----
const std::vector<double> kMultiLabel = {2.7486398923936393};  // shape []
const std::vector<double> kMultiLabelGrad0 = {-0.1, 0.1, 0.05, -0.15000000000000002, 0.1, 0.15000000000000002, -0.3, 0.1, 0.15000000000000002, -0.1, 0.0, 0.0, 0.0, 0.0, 0.0, -0.05, 0.0, 0.0, 0.05, 0.0};  // shape [4, 5]
const std::vector<double> kMultiLabelNone = {3.684369905403943, 7.010189664170613, 0.0, 0.3};  // shape [4]
const std::vector<double> kMultiLabelNoneGrad0 = {-0.4, 0.4, 0.2, -0.6000000000000001, 0.4, 0.6000000000000001, -1.2, 0.4, 0.6000000000000001, -0.4, 0.0, 0.0, 0.0, 0.0, 0.0, -0.2, 0.0, 0.0, 0.2, 0.0};  // shape [4, 5]
const std::vector<double> kMultiLabel1d = {1.9941864967704965};  // shape []
const std::vector<double> kMultiLabel1dGrad0 = {-0.2, 0.6000000000000001, -0.4, 0.2, -0.2};  // shape [5]
const std::vector<double> kMultiLabelAll = {0.0};  // shape []
const std::vector<double> kMultiLabelAllGrad0 = {0.0, 0.0, 0.0, 0.0, 0.0};  // shape [1, 5]
// ---- poisson_nll_loss: x = xs(6) * 0.5, target = {0, 0.5, 1, 2, 5, 1.5} ----
const std::vector<double> kPoisson = {1.2119569409630062};  // shape []
const std::vector<double> kPoissonGrad0 = {0.259634823759723, 0.5685997671180717, -0.09138462631657851, -0.28104103617166926, -0.3359060558789073, 0.15076354862554842};  // shape [6]
const std::vector<double> kPoissonGrad1 = {-0.07388005166533487, -0.2273243567064204, 0.13245903522712324, 0.19319112188899693, -0.18224226003146896, -0.14622929822294042};  // shape [6]
const std::vector<double> kPoissonFull = {1.5578089425583381, 3.2296255325891696, 1.2464464534632684, 3.283853730242483, 2.2881429153747113, 1.3183863571678285};  // shape [6]
const std::vector<double> kPoissonFullGrad0 = {1.5578089425583381, 3.411598602708431, -0.5483077578994711, -1.6862462170300159, -2.0154363352734443, 0.9045812917532907};  // shape [6]
const std::vector<double> kPoissonFullGrad1 = {NAN, -1.3639461402385225, 0.7947542113627395, 2.102293911893927, 0.6159843522452866, -0.13857734789614495};  // shape [6]
const std::vector<double> kPoissonRate = {10.585550790553048};  // shape []
const std::vector<double> kPoissonRateGrad0 = {1.0, 0.6586905236539344, -0.11637767069905047, -0.5871167620954867, -3.1860145648606233, -0.5331532283883429};  // shape [6]
const std::vector<double> kPoissonRateGrad1 = {NAN, -0.38181847745090014, 0.11008922131469635, 0.7119190129370662, 1.5317491034397863, 0.7606598815146037};  // shape [6]
const std::vector<double> kPoissonRateZero = {55.2620422318571, 1.0, 0.6137056288801095};  // shape [3]
const std::vector<double> kPoissonRateZeroGrad0 = {-299999999.0, 1.0, 4.999999969612645e-09};  // shape [3]
const std::vector<double> kPoissonRateZeroGrad1 = {18.420680743952367, -9.999999889225291e-09, -0.6931471855599453};  // shape [3]
// ---- gaussian_nll_loss: input = xs(4, 3), target = ys(4, 3) ----
const std::vector<double> kGauss = {105017.36191850276};  // shape []
const std::vector<double> kGaussGrad0 = {-0.05763190718404577, 7.735855170821497, 0.013760396640364762, 0.005444965803566857, 0.4018714003960002, 132285.60064573606, -0.4689765781344033, -0.30045462053605504, 5.3783759346759945, 0.19732308921787603, -0.04211166690430993, 0.21590461350989842};  // shape [4, 3]
const std::vector<double> kGaussGrad1 = {0.05763190718404577, -7.735855170821497, -0.013760396640364762, -0.005444965803566857, -0.4018714003960002, -132285.60064573606, 0.4689765781344033, 0.30045462053605504, -5.3783759346759945, -0.19732308921787603, 0.04211166690430993, -0.21590461350989842};  // shape [4, 3]
const std::vector<double> kGaussGrad2 = {0.041564500942401564, -357.67336195248146, 0.04696251217212159, 0.03459374749907239, -0.915228077889092, -104996839162.55232, -1.2623587182884617, -0.4793928443106767, -172.6679329296938, -0.18620095609126638, 0.024163884746738855, -0.22493516152136384};  // shape [4, 3]
const std::vector<double> kGaussFullNone = {0.8863660252756531, 128.5696425181179, 0.8589727099125641, 1.0119462133731796, 9.801066388062505, 124.6126104352734, 12.279917941784273, 5.069102316025512, 96.49620788489425, 3.3177162275795045, 1.1617796927971185, 3.336432631506662};  // shape [4, 3]
const std::vector<double> kGaussFullNoneGrad0 = {-0.6915828862085494, 92.83026204985796, 0.16512475968437715, 0.06533958964280229, 4.822456804752003, 158.74272077488328, -5.62771893761284, -3.6054554464326607, 64.54051121611194, 2.3678770706145125, -0.5053400028517192, 2.5908553621187815};  // shape [4, 3]
const std::vector<double> kGaussFullNoneGrad1 = {0.6915828862085494, -92.83026204985796, -0.16512475968437715, -0.06533958964280229, -4.822456804752003, -158.74272077488328, 5.62771893761284, 3.6054554464326607, -64.54051121611194, -2.3678770706145125, 0.5053400028517192, -2.5908553621187815};  // shape [4, 3]
const std::vector<double> kGaussFullNoneGrad2 = {0.4987740113088188, -4292.080343429777, 0.5635501460654592, 0.4151249699888687, -10.982736934669106, -12549.625699506278, -15.14830461946154, -5.752714131728121, -2072.0151951563253, -2.2344114730951965, 0.28996661696086623, -2.699221938256366};  // shape [4, 3]
const std::vector<double> kGaussHomo = {4291265.224061569};  // shape []
const std::vector<double> kGaussHomoGrad0 = {-0.937209007593454, 5.575915989353126, 0.2860872396683387, 0.07829608892154294, 3.736555013444166, 1.5874272077488327, -2.0470220707015407, -1.2067414137050658, 1.5046373900545995, 2080701.051538357, -604978.9808262767, 1971600.1438433146};  // shape [4, 3]
const std::vector<double> kGaussHomoGrad1 = {0.937209007593454, -5.575915989353126, -0.2860872396683387, -0.07829608892154294, -3.736555013444166, -1.5874272077488327, 2.0470220707015407, 1.2067414137050658, -1.5046373900545995, -2080701.051538357, 604978.9808262767, -1971600.1438433146};  // shape [4, 3]
const std::vector<double> kGaussHomoGrad2 = {-13.025522876469601, -6.743949392968197, -3.2052289365202205, -4291260280158.702};  // shape [4]
const std::vector<double> kGaussHomo1 = {3.0554512859680734};  // shape []
const std::vector<double> kGaussHomo1Grad0 = {-0.07810075063278783, 0.46465966577942713, 0.02384060330569489, 0.006524674076795245, 0.31137958445368047, 0.13228560064573605, -0.17058517255846173, -0.10056178447542215, 0.1253864491712166, 0.5779725143162103, -0.16804971689618797, 0.547666706623143};  // shape [4, 3]
const std::vector<double> kGaussHomo1Grad1 = {0.07810075063278783, -0.46465966577942713, -0.02384060330569489, -0.006524674076795245, -0.31137958445368047, -0.13228560064573605, 0.17058517255846173, 0.10056178447542215, -0.1253864491712166, -0.5779725143162103, 0.16804971689618797, -0.547666706623143};  // shape [4, 3]
const std::vector<double> kGaussHomo1Grad2 = {-1.0854602397058004, -0.5619957827473498, -0.26710241137668506, -3.5567238705173163};  // shape [4, 1]
const std::vector<double> kGaussTargetBroadcast = {16.43338585262069};  // shape []
const std::vector<double> kGaussTargetBroadcastGrad0 = {-0.05022023027555937, 1.7867009775188907, 0.012336331845489771, -0.2357873994242432, 0.21404047860919087, 2.906086351029111, -0.4022514117683489, -0.10989357963394196, 2.641965597762324, -0.08786170687147572, -0.1888246910133943, 0.2112101791954992};  // shape [4, 3]
const std::vector<double> kGaussTargetBroadcastGrad1 = {0.7761207483396273, -1.7020231854807453, -5.771598459832424};  // shape [3]
const std::vector<double> kGaussTargetBroadcastGrad2 = {0.03845244876577385, -18.833370466048024, 0.04220776360704983, -0.3014808070759041, -0.22725132821126326, -50.255360611159496, -0.9204834098471065, -0.018304663803434908, -41.595723884337104, -0.003745467417786745, -0.18180742956156926, -0.21926421285573336};  // shape [4, 3]
// ---- ctc_loss: log_probs = log_softmax(xs(6, 3, 5) * 0.5, 2) ----
const std::vector<double> kCtcMean = {5.644723509146753};  // shape []
const std::vector<double> kCtcMeanGrad0 = {0.0007395148423635706, -0.04593410064829599, 0.005443730945290195, 0.0037813161669830813, 0.03596953869365921, -0.04922991098132635, 0.0051028802167364705, -0.0603685403961763, 0.08205256026361156, 0.022443010897154676, -0.3219393545808129, 0.06391553827809722, 0.21582669973693996, 0.028118090470673058, 0.014079026095102302, -0.0018680253751889523, -0.0211400872772452, -0.0260103314131994, 0.005210047524023448, 0.04380839654161007, -0.04651309779703995, 0.00482786019053932, -0.06743835749624241, 0.09457532460406504, 0.014548270498677945, -0.32034972902757325, 0.10931495937070662, 0.17223045760959216, 0.01819491369188665, 0.02060939835538736, -0.020296735707225535, 0.004926650528888359, -0.034826809020117366, 0.004771852702874104, 0.04542504149558047, -0.0680426949159921, 0.005584605100434587, -0.03712308584335811, 0.08962830397994238, 0.009952871678973409, -0.31647254232531175, 0.16036536954776553, 0.11095358605079916, 0.012827174781629019, 0.03232641194511831, -0.019614645825621457, 0.00908780432392987, -0.02811314543745827, -0.002169596151780473, 0.040809583090930364, -0.04410037941363324, 0.007519748754198396, -0.039040874344189944, 0.06828332123748944, 0.007338183766135424, -0.3096034542796029, 0.18880340310369217, 0.060252633070689565, 0.010164456983545091, 0.05038296112167606, -0.0004813202303222562, 0.006455237042764234, -0.01543359262469145, -0.02299721088977188, 0.03245688670202132, -0.0006955209088782323, 0.011119742837791874, -0.05895313697457001, 0.04256783436680195, 0.005961080678854451, 0.0, 0.0, 0.0, 0.0, 0.0, 0.00670756225690842, 0.004380146225109732, 0.004129988065979652, -0.03835040859400911, 0.0231327120460113, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [6, 3, 5]
const std::vector<double> kCtcNone = {5.826940017673387, 5.487566917671866, 12.248073729379865};  // shape [3]
const std::vector<double> kCtcNoneGrad0 = {0.006655633581272136, -0.41340690583466394, 0.048993578507611754, 0.034031845502847734, 0.3237258482429329, -0.2953794658879581, 0.030617281300418825, -0.3622112423770578, 0.4923153615816694, 0.13465806538292807, -0.9658180637424387, 0.19174661483429167, 0.64748009921082, 0.08435427141201918, 0.04223707828530691, -0.016812228376700572, -0.1902607854952068, -0.2340929827187946, 0.04689042771621103, 0.39427556887449067, -0.27907858678223973, 0.028967161143235925, -0.40463014497745453, 0.5674519476243902, 0.08728962299206768, -0.9610491870827198, 0.32794487811211986, 0.5166913728287765, 0.05458474107565995, 0.061828195066162085, -0.18267062136502982, 0.04433985475999523, -0.3134412811810563, 0.042946674325866935, 0.40882537346022424, -0.40825616949595267, 0.03350763060260752, -0.2227385150601487, 0.5377698238796543, 0.05971723007384046, -0.9494176269759352, 0.4810961086432966, 0.3328607581523975, 0.03848152434488706, 0.09697923583535493, -0.17653181243059313, 0.08179023891536884, -0.25301830893712446, -0.019526365366024256, 0.3672862478183733, -0.26460227648179946, 0.04511849252519038, -0.2342452460651397, 0.40969992742493666, 0.044029102596812544, -0.9288103628388088, 0.5664102093110766, 0.1807578992120687, 0.030493370950635274, 0.15114888336502819, -0.004331882072900306, 0.05809713338487811, -0.13890233362222307, -0.2069748980079469, 0.2921119803181919, -0.004173125453269394, 0.06671845702675125, -0.3537188218474201, 0.2554070062008117, 0.03576648407312671, 0.0, 0.0, 0.0, 0.0, 0.0, 0.060368060312175786, 0.03942131602598759, 0.03716989259381687, -0.345153677346082, 0.2081944084141017, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [6, 3, 5]
const std::vector<double> kCtcSumConcat = {23.562580664725118};  // shape []
const std::vector<double> kCtcSumConcatGrad0 = {0.006655633581272136, -0.41340690583466394, 0.048993578507611754, 0.034031845502847734, 0.3237258482429329, -0.2953794658879581, 0.030617281300418825, -0.3622112423770578, 0.4923153615816694, 0.13465806538292807, -0.9658180637424387, 0.19174661483429167, 0.64748009921082, 0.08435427141201918, 0.04223707828530691, -0.016812228376700572, -0.1902607854952068, -0.2340929827187946, 0.04689042771621103, 0.39427556887449067, -0.27907858678223973, 0.028967161143235925, -0.40463014497745453, 0.5674519476243902, 0.08728962299206768, -0.9610491870827198, 0.32794487811211986, 0.5166913728287765, 0.05458474107565995, 0.061828195066162085, -0.18267062136502982, 0.04433985475999523, -0.3134412811810563, 0.042946674325866935, 0.40882537346022424, -0.40825616949595267, 0.03350763060260752, -0.2227385150601487, 0.5377698238796543, 0.05971723007384046, -0.9494176269759352, 0.4810961086432966, 0.3328607581523975, 0.03848152434488706, 0.09697923583535493, -0.17653181243059313, 0.08179023891536884, -0.25301830893712446, -0.019526365366024256, 0.3672862478183733, -0.26460227648179946, 0.04511849252519038, -0.2342452460651397, 0.40969992742493666, 0.044029102596812544, -0.9288103628388088, 0.5664102093110766, 0.1807578992120687, 0.030493370950635274, 0.15114888336502819, -0.004331882072900306, 0.05809713338487811, -0.13890233362222307, -0.2069748980079469, 0.2921119803181919, -0.004173125453269394, 0.06671845702675125, -0.3537188218474201, 0.2554070062008117, 0.03576648407312671, 0.0, 0.0, 0.0, 0.0, 0.0, 0.060368060312175786, 0.03942131602598759, 0.03716989259381687, -0.345153677346082, 0.2081944084141017, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [6, 3, 5]
const std::vector<double> kCtcBlank4None = {4.332837627638527, INFINITY, 3.0626422795621386};  // shape [3]
const std::vector<double> kCtcBlank4NoneGrad0 = {-0.3910678813075995, 0.4242782925401842, 0.048993578507611754, 0.034031845502847734, -0.11623583524304515, NAN, NAN, NAN, NAN, NAN, 0.03418193625756221, -0.6101622639832557, 0.64748009921082, 0.08435427141201918, -0.15585404289714577, -0.1835513622917516, 0.038915022764910545, 0.02964498079122815, 0.04689042771621103, 0.06810093101940068, NAN, NAN, NAN, NAN, NAN, 0.03895081291728155, -0.6206036021954913, 0.5166913728287765, 0.05458474107565995, 0.010376675373773535, 0.08784956521090947, -0.21382484341801355, 0.021565827095242154, 0.06124410739258654, 0.04316534371927411, NAN, NAN, NAN, NAN, NAN, 0.05058237302406385, -0.3351875900276013, 0.3328607581523975, 0.03848152434488706, -0.08673706549374692, 0.311089088890971, -0.25563332228333757, 0.020124543750613007, 0.018053441399982814, -0.09363375175822991, NAN, NAN, NAN, NAN, NAN, 0.0, 0.0, 0.0, 0.0, 0.0, 0.40959643558224085, -0.14453638869544538, 0.024489521012518722, -0.22545984487478823, -0.06408972302452709, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3654113589891187, 0.03942131602598759, 0.03716989259381687, -0.444099328073203, 0.0020967604642793125, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [6, 3, 5]
const std::vector<double> kCtcZeroInf = {1.5023071629249938};  // shape []
const std::vector<double> kCtcZeroInfGrad0 = {-0.0434519868119555, 0.04714203250446491, 0.005443730945290195, 0.0037813161669830813, -0.012915092804782794, 0.0, 0.0, 0.0, 0.0, 0.0, 0.011393978752520736, -0.2033874213277519, 0.21582669973693996, 0.028118090470673058, -0.05195134763238192, -0.02039459581019462, 0.004323891418323394, 0.0032938867545809053, 0.005210047524023448, 0.007566770113266742, 0.0, 0.0, 0.0, 0.0, 0.0, 0.012983604305760517, -0.20686786739849708, 0.17223045760959216, 0.01819491369188665, 0.003458891791257845, 0.009761062801212163, -0.02375831593533484, 0.0023962030105824615, 0.006804900821398504, 0.004796149302141567, 0.0, 0.0, 0.0, 0.0, 0.0, 0.01686079100802128, -0.11172919667586709, 0.11095358605079916, 0.012827174781629019, -0.028912355164582307, 0.034565454321219, -0.028403702475926395, 0.0022360604167347784, 0.0020059379333314236, -0.010403750195358878, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.045510715064693424, -0.016059598743938374, 0.002721057890279858, -0.02505109387497647, -0.007121080336058565, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.04060126210990207, 0.004380146225109732, 0.004129988065979652, -0.049344369785911446, 0.0002329733849199236, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [6, 3, 5]
const std::vector<double> kCtcZeroInfNone = {4.332837627638527, 0.0, 3.0626422795621386};  // shape [3]
const std::vector<double> kCtcZeroInfNoneGrad0 = {-0.3910678813075995, 0.4242782925401842, 0.048993578507611754, 0.034031845502847734, -0.11623583524304515, 0.0, 0.0, 0.0, 0.0, 0.0, 0.03418193625756221, -0.6101622639832557, 0.64748009921082, 0.08435427141201918, -0.15585404289714577, -0.1835513622917516, 0.038915022764910545, 0.02964498079122815, 0.04689042771621103, 0.06810093101940068, 0.0, 0.0, 0.0, 0.0, 0.0, 0.03895081291728155, -0.6206036021954913, 0.5166913728287765, 0.05458474107565995, 0.010376675373773535, 0.08784956521090947, -0.21382484341801355, 0.021565827095242154, 0.06124410739258654, 0.04316534371927411, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05058237302406385, -0.3351875900276013, 0.3328607581523975, 0.03848152434488706, -0.08673706549374692, 0.311089088890971, -0.25563332228333757, 0.020124543750613007, 0.018053441399982814, -0.09363375175822991, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.40959643558224085, -0.14453638869544538, 0.024489521012518722, -0.22545984487478823, -0.06408972302452709, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3654113589891187, 0.03942131602598759, 0.03716989259381687, -0.444099328073203, 0.0020967604642793125, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [6, 3, 5]
const std::vector<double> kCtcUnbatched = {1.9316108132773426};  // shape []
const std::vector<double> kCtcUnbatchedGrad0 = {0.018851083898249646, 0.015308640650209412, 0.03346891621700155, -0.13495767345692491, 0.06732903269146404, -0.11137659084266868, 0.014483580571617962, 0.06420083063218963, -0.010952631857172879, 0.04364481149603384, -0.16191576853840844, 0.01675381530130376, 0.1234504252686788, -0.008147087068494374, 0.02985861503692023, -0.1201900011283646, 0.02255924626259519, 0.21170713096540802, -0.13609092739804474, 0.022014551298406272, -0.03570825297680885, 0.033359228513375624, 0.295779935834547, -0.31131415340767676, 0.017883242036563354, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [6, 5]
// ys(shape)[i] = 2 cos(0.9 i + 0.5) - 0.4, as in the golden script.
Tensor ys(const Shape& shape) {
  std::vector<double> v(shape.numel());
  for (size_t i = 0; i < v.size(); ++i) v[i] = 2 * std::cos(0.9 * static_cast<double>(i) + 0.5) - 0.4;
  return from_vector(v, shape);
}

// The same values in a non-contiguous view (every other element of a wider tensor).
Tensor strided(const Tensor& t) { return stack({t, zeros_like(t)}, -1).select(-1, 0); }

using LossFn = std::function<Tensor(const TensorList&)>;

// fn's value and the gradients of its sum w.r.t. each input match PyTorch's (NaN where PyTorch
// has NaN), for contiguous inputs and for non-contiguous views of them.
void expect_golden(const LossFn& fn, const TensorList& inputs, const std::vector<double>& value,
                   const std::vector<std::vector<double>>& grads) {
  for (bool non_contiguous : {false, true}) {
    TensorList leaves, args;
    for (const Tensor& t : inputs) {
      leaves.push_back(t.detach().clone().requires_grad_());
      args.push_back(non_contiguous ? strided(leaves.back()) : leaves.back());
    }
    Tensor out = fn(args);
    EXPECT_TRUE(allclose(out.detach().reshape({-1}), from_vector(value), 1e-9, 1e-12, true))
        << "value " << out << " non_contiguous=" << non_contiguous;
    out.sum().backward();
    for (size_t i = 0; i < grads.size(); ++i) {
      Tensor g = leaves[i].grad().defined() ? leaves[i].grad() : zeros_like(leaves[i]);
      EXPECT_TRUE(allclose(g.reshape({-1}), from_vector(grads[i]), 1e-9, 1e-12, true))
          << "gradient " << i << " non_contiguous=" << non_contiguous << " differs from PyTorch's by "
          << (g.reshape({-1}) - from_vector(grads[i])).abs().max().item();
    }
  }
}

void expect_gradchecks(const LossFn& fn, const TensorList& inputs, bool twice = true) {
  TensorList leaves;
  for (const Tensor& t : inputs) leaves.push_back(t.detach().clone().requires_grad_());
  EXPECT_NO_THROW(gradcheck(fn, leaves));
  if (twice) {
    EXPECT_NO_THROW(gradgradcheck(fn, leaves));
  }
}

Tensor i64(std::vector<int64_t> v, const Shape& shape) { return from_vector(v, shape); }
Tensor i64(std::vector<int64_t> v) { return from_vector(v); }

}  // namespace

// ---- pairwise_distance ------------------------------------------------------------------------

TEST(LossExtra, PairwiseDistanceMatchesPyTorch) {
  Tensor x1 = xs({3, 4}), x2 = ys({3, 4});
  expect_golden([](const TensorList& in) { return F::pairwise_distance(in[0], in[1]); }, {x1, x2}, kPdist2,
                {kPdist2Grad0, kPdist2Grad1});
  expect_golden([](const TensorList& in) { return F::pairwise_distance(in[0], in[1], 1.0, 0.1); }, {x1, x2}, kPdist1,
                {kPdist1Grad0, kPdist1Grad1});
  nn::PairwiseDistance pd3(3.0, 1e-6, true);
  expect_golden([&](const TensorList& in) { return pd3(in[0], in[1]); }, {x1, x2}, kPdist3Keep,
                {kPdist3KeepGrad0, kPdist3KeepGrad1});
  EXPECT_EQ(pd3(x1, x2).shape(), Shape({3, 1}));
  expect_golden([](const TensorList& in) { return F::pairwise_distance(in[0], in[1]); }, {x1, ys({4})},
                kPdistBroadcast, {kPdistBroadcastGrad0, kPdistBroadcastGrad1});
  expect_golden([](const TensorList& in) { return F::pairwise_distance(in[0], in[1], INFINITY); }, {x1, x2},
                kPdistInf, {kPdistInfGrad0, kPdistInfGrad1});
  EXPECT_EQ(F::pairwise_distance(xs({3}), ys({3})).dim(), 0);
  for (double p : {1.0, 2.0, 3.0})
    expect_gradchecks([p](const TensorList& in) { return F::pairwise_distance(in[0], in[1], p); }, {x1, x2 * 0.5});
  // x1 == x2: eps keeps the gradient finite (eps / |eps| per element, 1/2 for 4 of them).
  Tensor same = xs({4}).requires_grad_();
  F::pairwise_distance(same, xs({4})).backward();
  EXPECT_TRUE(allclose(same.grad(), full({4}, 0.5, kFloat64)));
  EXPECT_ERROR(F::pairwise_distance(x1, x2, 0.0), "pairwise_distance: p must be positive");
  EXPECT_ERROR(F::pairwise_distance(i64({1, 2}), i64({1, 2})), "pairwise_distance: expected floating-point inputs");
}

// ---- cosine_embedding_loss --------------------------------------------------------------------

TEST(LossExtra, CosineEmbeddingMatchesPyTorch) {
  Tensor c1 = xs({4, 3}), c2 = ys({4, 3});
  c1.select(0, 2).fill_(0.0);  // a zero vector: cos 0
  Tensor y = tensor({1.0, -1.0, -1.0, 1.0}, kFloat64);
  expect_golden([&](const TensorList& in) { return F::cosine_embedding_loss(in[0], in[1], y, -0.2); }, {c1, c2},
                kCosEmb, {kCosEmbGrad0, kCosEmbGrad1});
  nn::CosineEmbeddingLoss none(0.0, Reduction::None);
  expect_golden([&](const TensorList& in) { return none(in[0], in[1], y); }, {c1, c2}, kCosEmbNone,
                {kCosEmbNoneGrad0, kCosEmbNoneGrad1});
  expect_golden(
      [](const TensorList& in) {
        return F::cosine_embedding_loss(in[0], in[1], tensor({-1.0, -1, 1, -1}, kFloat64), 0.3, Reduction::Sum);
      },
      {c1, c2}, kCosEmbSum, {kCosEmbSumGrad0, kCosEmbSumGrad1});
  expect_golden([](const TensorList& in) { return F::cosine_embedding_loss(in[0], in[1], scalar_tensor(-1.0, kFloat64)); },
                {xs({5}), ys({5})}, kCosEmb1d, {kCosEmb1dGrad0, kCosEmb1dGrad1});
  // Integer targets; a target other than 1 and -1 contributes 0.
  EXPECT_NEAR(F::cosine_embedding_loss(xs({2, 3}), ys({2, 3}), i64({0, 2}), 0.0, Reduction::Sum).item(), 0.0, 0);
  EXPECT_TRUE(allclose(F::cosine_embedding_loss(xs({4, 3}), c2, i64({1, -1, -1, 1})),
                       F::cosine_embedding_loss(xs({4, 3}), c2, y)));
  expect_gradchecks([&](const TensorList& in) { return F::cosine_embedding_loss(in[0], in[1], y, -0.5); },
                    {xs({4, 3}), c2});
  EXPECT_ERROR(F::cosine_embedding_loss(xs({2, 3}), ys({3}), i64({1, 1})),
               "cosine_embedding_loss: a target of shape [2] expects inputs of 2 dims, got shapes [2, 3] and [3]");
  EXPECT_ERROR(F::cosine_embedding_loss(xs({2, 3}), ys({2, 3}), ones({2, 1})), "expected a 0-d or 1-D target");
}

// ---- triplet_margin_loss ----------------------------------------------------------------------

TEST(LossExtra, TripletMarginMatchesPyTorch) {
  Tensor a = xs({4, 3}), p = ys({4, 3}), n = xs({4, 3}) * 0.5 + 1.0;
  nn::TripletMarginLoss triplet;
  expect_golden([&](const TensorList& in) { return triplet(in[0], in[1], in[2]); }, {a, p, n}, kTriplet,
                {kTripletGrad0, kTripletGrad1, kTripletGrad2});
  expect_golden(
      [](const TensorList& in) {
        return F::triplet_margin_loss(in[0], in[1], in[2], 2.0, 1.0, 1e-6, true, Reduction::None);
      },
      {a, p, n}, kTripletSwapP1, {kTripletSwapP1Grad0, kTripletSwapP1Grad1, kTripletSwapP1Grad2});
  expect_golden(
      [](const TensorList& in) { return F::triplet_margin_loss(in[0], in[1], in[2], 5.0, 3.0, 1e-3, false, Reduction::Sum); },
      {a, p, n}, kTripletP3Sum, {kTripletP3SumGrad0, kTripletP3SumGrad1, kTripletP3SumGrad2});
  // The margin exactly hit, a batch of 1: loss 0, the gradient still flows (as in PyTorch).
  expect_golden([](const TensorList& in) { return F::triplet_margin_loss(in[0], in[1], in[2], 1.0, 2.0, 0.0); },
                {zeros({1, 2}, kFloat64), tensor({{3.0, 4.0}}, kFloat64), tensor({{0.0, 6.0}}, kFloat64)}, kTripletHit,
                {kTripletHitGrad0, kTripletHitGrad1, kTripletHitGrad2});
  for (bool swap : {false, true})
    expect_gradchecks(
        [swap](const TensorList& in) { return F::triplet_margin_loss(in[0], in[1], in[2], 3.0, 2.0, 1e-6, swap); },
        {a, p, n});
  EXPECT_ERROR(F::triplet_margin_loss(a, ys({3}), n), "triplet_margin_loss: all inputs should have the same number of dims");
  EXPECT_ERROR(F::triplet_margin_loss(a, p, n, 1.0, -1.0), "triplet_margin_loss: p must be positive");
}

// ---- soft_margin_loss -------------------------------------------------------------------------

TEST(LossExtra, SoftMarginMatchesPyTorch) {
  Tensor x = xs({6});
  x.narrow(0, 3, 1).fill_(0.0);  // -y x = 0: gradient -y / 2
  Tensor y = tensor({1.0, -1, -1, 1, 1, -1}, kFloat64);
  expect_golden([&](const TensorList& in) { return F::soft_margin_loss(in[0], y); }, {x}, kSoftMargin,
                {kSoftMarginGrad0});
  nn::SoftMarginLoss none(Reduction::None);
  expect_golden([&](const TensorList& in) { return none(in[0], y); }, {x}, kSoftMarginNone, {kSoftMarginNoneGrad0});
  // No overflow far from the margin (PyTorch's log1p(exp(.)) gives inf there).
  Tensor far = F::soft_margin_loss(tensor({1000.0, -1000.0}, kFloat64), tensor({-1.0, -1.0}, kFloat64), Reduction::None);
  EXPECT_DOUBLE_EQ(far[0].item(), 1000.0);
  EXPECT_DOUBLE_EQ(far[1].item(), 0.0);
  expect_gradchecks([&](const TensorList& in) { return F::soft_margin_loss(in[0], y); }, {x});
}

// ---- multilabel_margin_loss -------------------------------------------------------------------

TEST(LossExtra, MultilabelMarginMatchesPyTorch) {
  Tensor x = xs({4, 5});
  x.select(0, 3).copy_(tensor({1.5, 0.5, 0.0, 2.0, -1.0}, kFloat64));  // 1 - x[0] + x[1] = 0: the margin exactly hit
  // Row 0 ends at its -1, row 1 repeats a label (counted twice), row 2 has no labels, row 3
  // ignores everything after its -1.
  Tensor t = i64({3, 0, -1, 1, 2, 1, 1, 4, -1, 0, -1, 2, 3, 0, 0, 0, -1, 4, 4, 4}, {4, 5});
  expect_golden([&](const TensorList& in) { return F::multilabel_margin_loss(in[0], t); }, {x}, kMultiLabel,
                {kMultiLabelGrad0});
  nn::MultiLabelMarginLoss none(Reduction::None);
  expect_golden([&](const TensorList& in) { return none(in[0], t); }, {x}, kMultiLabelNone, {kMultiLabelNoneGrad0});
  expect_golden(
      [](const TensorList& in) { return F::multilabel_margin_loss(in[0], i64({2, 4, 0, -1, 1}), Reduction::Sum); },
      {xs({5})}, kMultiLabel1d, {kMultiLabel1dGrad0});
  expect_golden([](const TensorList& in) { return F::multilabel_margin_loss(in[0], i64({4, 3, 2, 1, 0}, {1, 5})); },
                {xs({1, 5})}, kMultiLabelAll, {kMultiLabelAllGrad0});
  EXPECT_EQ(F::multilabel_margin_loss(xs({5}), i64({2, -1, 0, 0, 0}), Reduction::None).dim(), 0);
  expect_gradchecks([](const TensorList& in) { return F::multilabel_margin_loss(in[0], i64({3, 0, -1, 0, 0, 1, 4, 2, -1, 0}, {2, 5})); },
                    {xs({2, 5})});
  EXPECT_ERROR(F::multilabel_margin_loss(xs({2, 3}), i64({0, -1, 2, 1, 2, 3}, {2, 3})),
               "multilabel_margin_loss: target 3 is out of range for 3 classes (expected -1 <= target < 3");
  EXPECT_ERROR(F::multilabel_margin_loss(xs({2, 3}), i64({0, -2, 1, 1, 2, 0}, {2, 3})), "target -2 is out of range");
  EXPECT_ERROR(F::multilabel_margin_loss(xs({2, 3}), i64({0, 1, 2}, {3})), "does not match input of shape [2, 3]");
  EXPECT_ERROR(F::multilabel_margin_loss(xs({2, 3}), ones({2, 3})), "expected int64 targets");
}

// ---- poisson_nll_loss -------------------------------------------------------------------------

TEST(LossExtra, PoissonNLLMatchesPyTorch) {
  Tensor x = xs({6}) * 0.5, t = tensor({0.0, 0.5, 1.0, 2.0, 5.0, 1.5}, kFloat64);
  expect_golden([](const TensorList& in) { return F::poisson_nll_loss(in[0], in[1]); }, {x, t}, kPoisson,
                {kPoissonGrad0, kPoissonGrad1});
  // full: the Stirling term only where target > 1 (its target gradient is NaN at 0, as in PyTorch).
  expect_golden([](const TensorList& in) { return F::poisson_nll_loss(in[0], in[1], true, true, 1e-8, Reduction::None); },
                {x, t}, kPoissonFull, {kPoissonFullGrad0, kPoissonFullGrad1});
  nn::PoissonNLLLoss rate(false, true, 1e-3, Reduction::Sum);
  expect_golden([&](const TensorList& in) { return rate(in[0], in[1]); }, {soma::abs(x) + 0.1, t}, kPoissonRate,
                {kPoissonRateGrad0, kPoissonRateGrad1});
  expect_golden([](const TensorList& in) { return F::poisson_nll_loss(in[0], in[1], false, false, 1e-8, Reduction::None); },
                {tensor({0.0, 1.0, 2.0}, kFloat64), tensor({3.0, 0.0, 2.0}, kFloat64)}, kPoissonRateZero,
                {kPoissonRateZeroGrad0, kPoissonRateZeroGrad1});
  Tensor tp = t + 0.25;  // away from the Stirling switch at 1 and from log 0
  expect_gradchecks([](const TensorList& in) { return F::poisson_nll_loss(in[0], in[1]); }, {x, tp});
  expect_gradchecks([](const TensorList& in) { return F::poisson_nll_loss(in[0], in[1], false, true, 1e-3); },
                    {soma::abs(x) + 0.1, tp});
}

// ---- gaussian_nll_loss ------------------------------------------------------------------------

TEST(LossExtra, GaussianNLLMatchesPyTorch) {
  Tensor in = xs({4, 3}), tg = ys({4, 3}), var = soma::abs(ys({4, 3}) * 0.5);
  var.select(0, 1).narrow(0, 2, 1).fill_(0.0);  // clamped to eps, its gradient still flows
  nn::GaussianNLLLoss gauss;
  expect_golden([&](const TensorList& x) { return gauss(x[0], x[1], x[2]); }, {in, tg, var}, kGauss,
                {kGaussGrad0, kGaussGrad1, kGaussGrad2});
  expect_golden([](const TensorList& x) { return F::gaussian_nll_loss(x[0], x[1], x[2], true, 1e-2, Reduction::None); },
                {in, tg, var}, kGaussFullNone, {kGaussFullNoneGrad0, kGaussFullNoneGrad1, kGaussFullNoneGrad2});
  // One variance per row: var [4] or [4, 1].
  expect_golden([](const TensorList& x) { return F::gaussian_nll_loss(x[0], x[1], x[2], false, 1e-6, Reduction::Sum); },
                {in, tg, tensor({0.5, 1.0, 2.0, 1e-9}, kFloat64)}, kGaussHomo,
                {kGaussHomoGrad0, kGaussHomoGrad1, kGaussHomoGrad2});
  expect_golden([](const TensorList& x) { return F::gaussian_nll_loss(x[0], x[1], x[2]); },
                {in, tg, tensor({{0.5}, {1.0}, {2.0}, {0.3}}, kFloat64)}, kGaussHomo1,
                {kGaussHomo1Grad0, kGaussHomo1Grad1, kGaussHomo1Grad2});
  expect_golden([](const TensorList& x) { return F::gaussian_nll_loss(x[0], x[1], x[2], true); },
                {in, ys({3}), var + 0.1}, kGaussTargetBroadcast,
                {kGaussTargetBroadcastGrad0, kGaussTargetBroadcastGrad1, kGaussTargetBroadcastGrad2});
  expect_gradchecks([](const TensorList& x) { return F::gaussian_nll_loss(x[0], x[1], x[2], true); },
                    {in, tg, var + 0.5});
  expect_gradchecks([](const TensorList& x) { return F::gaussian_nll_loss(x[0], x[1], x[2]); },
                    {in, tg, tensor({0.5, 1.0, 2.0, 0.7}, kFloat64)});
  for (const Shape& bad : {Shape{3}, Shape{1, 3}, Shape{}, Shape{1}, Shape{4, 2}}) {
    EXPECT_ERROR(F::gaussian_nll_loss(in, tg, ones(bad, kFloat64)),
                 "gaussian_nll_loss: var of shape " + fmt::format("{}", bad) + " does not fit input of shape [4, 3]");
  }
  EXPECT_ERROR(F::gaussian_nll_loss(in, tg, -var - 0.1), "gaussian_nll_loss: var has negative entries");
}

// ---- ctc_loss ---------------------------------------------------------------------------------

namespace {
Tensor ctc_log_probs() { return (xs({6, 3, 5}) * 0.5).log_softmax(2); }
const Tensor kCtcInputLengths = i64({6, 5, 4});
}  // namespace

TEST(LossExtra, CtcMatchesPyTorch) {
  Tensor lp = ctc_log_probs();
  // Row 1 repeats a label (a blank must come between), row 2 is empty.
  Tensor tgt = i64({1, 2, 3, 2, 2, 0, 0, 0, 0}, {3, 3}), tl = i64({3, 2, 0});
  expect_golden([&](const TensorList& in) { return F::ctc_loss(in[0], tgt, kCtcInputLengths, tl); }, {lp}, kCtcMean,
                {kCtcMeanGrad0});
  nn::CTCLoss none(0, Reduction::None);
  expect_golden([&](const TensorList& in) { return none(in[0], tgt, kCtcInputLengths, tl); }, {lp}, kCtcNone,
                {kCtcNoneGrad0});
  // Padding past a target length is never read (any value).
  EXPECT_TRUE(allclose(F::ctc_loss(lp, i64({1, 2, 3, 2, 2, -1, 99, -5, 7}, {3, 3}), kCtcInputLengths, tl, 0,
                                   Reduction::None),
                       from_vector(kCtcNone), 1e-12));
  expect_golden(
      [&](const TensorList& in) {
        return F::ctc_loss(in[0], i64({1, 2, 3, 2, 2}), kCtcInputLengths, tl, 0, Reduction::Sum);
      },
      {lp}, kCtcSumConcat, {kCtcSumConcatGrad0});
  // Blank 4, int32 targets and lengths; row 1 cannot fit (three 2s need 5 frames, it has 4): inf and NaN gradients.
  Tensor tgt4 = i64({0, 1, 3, 2, 2, 2, 1, 0, 0}, {3, 3}).to(kInt32), il4 = i64({6, 4, 3}).to(kInt32),
         tl4 = i64({3, 3, 1}).to(kInt32);
  expect_golden([&](const TensorList& in) { return F::ctc_loss(in[0], tgt4, il4, tl4, 4, Reduction::None); }, {lp},
                kCtcBlank4None, {kCtcBlank4NoneGrad0});
  expect_golden([&](const TensorList& in) { return F::ctc_loss(in[0], tgt4, il4, tl4, 4, Reduction::Mean, true); },
                {lp}, kCtcZeroInf, {kCtcZeroInfGrad0});
  expect_golden([&](const TensorList& in) { return F::ctc_loss(in[0], tgt4, il4, tl4, 4, Reduction::None, true); },
                {lp}, kCtcZeroInfNone, {kCtcZeroInfNoneGrad0});
  // One sequence: [T, C], targets [S], 0-d lengths.
  expect_golden(
      [](const TensorList& in) {
        return F::ctc_loss(in[0], i64({3, 3}), scalar_tensor(5, kInt64), scalar_tensor(2, kInt64));
      },
      {ctc_log_probs().select(1, 1)}, kCtcUnbatched, {kCtcUnbatchedGrad0});
  // float32 agrees with float64.
  Tensor f32 = F::ctc_loss(lp.to(kFloat32), tgt, kCtcInputLengths, tl, 0, Reduction::None);
  EXPECT_EQ(f32.dtype(), kFloat32);
  EXPECT_TRUE(allclose(f32.to(kFloat64), from_vector(kCtcNone), 1e-5));
}

namespace {
// -log p(labels | lp) for one sequence lp [T, C] by the alpha recursion written in tensor ops
// (autograd differentiates it); -1e30 stands for log 0 so that no gradient meets inf - inf.
Tensor ctc_composed(const Tensor& lp, const std::vector<int64_t>& labels, int64_t blank) {
  std::vector<int64_t> ext{blank};
  for (int64_t l : labels) ext.insert(ext.end(), {l, blank});
  const int64_t L = static_cast<int64_t>(ext.size()), T = lp.size(0);
  std::vector<uint8_t> skip(L, 0);  // state s may be reached from s - 2
  for (int64_t s = 2; s < L; ++s) skip[s] = ext[s] != ext[s - 2];
  const Tensor skip_ok = from_vector(skip).to(kBool);
  Tensor emit = lp.index_select(1, from_vector(ext));  // [T, L]
  auto shifted = [&](const Tensor& a, int64_t k) {  // a moved k states right, log 0 in front
    return cat({full({k}, -1e30, kFloat64), a.narrow(0, 0, L - k)});
  };
  Tensor alpha = where(arange(0, L, 1, kInt64) < 2, emit[0], -1e30);
  for (int64_t t = 1; t < T; ++t) {
    Tensor from2 = L > 2 ? where(skip_ok, shifted(alpha, 2), -1e30) : full({L}, -1e30, kFloat64);
    alpha = logsumexp(stack({alpha, shifted(alpha, 1), from2}), {0}) + emit[t];
  }
  return labels.empty() ? -alpha[0] : -logsumexp(alpha.narrow(0, L - 2, 2), {0});
}
}  // namespace

TEST(LossExtra, CtcMatchesComposedRecursion) {
  // The kernel against the recursion in tensor ops: losses and logit gradients, 5 items of up
  // to 12 frames with repeated labels and varied lengths.
  Generator gen(11);
  const int64_t T = 12, N = 5, C = 6, blank = 2;
  Tensor logits = randn({T, N, C}, kFloat64, &gen);
  std::vector<std::vector<int64_t>> labels = {{0, 1, 1, 3}, {}, {5}, {4, 4, 4, 1, 0}, {1, 3, 1, 3, 5, 0}};
  std::vector<int64_t> il = {12, 3, 7, 12, 10}, tl, flat;
  for (const auto& l : labels) tl.push_back(static_cast<int64_t>(l.size())), flat.insert(flat.end(), l.begin(), l.end());
  Tensor x1 = logits.detach().requires_grad_(), x2 = logits.detach().requires_grad_();
  Tensor fused = F::ctc_loss(x1.log_softmax(2), from_vector(flat), from_vector(il), from_vector(tl), blank,
                             Reduction::None);
  TensorList composed;
  for (int64_t b = 0; b < N; ++b)
    composed.push_back(ctc_composed(x2.log_softmax(2).select(1, b).narrow(0, 0, il[b]), labels[b], blank));
  Tensor reference = stack(composed);
  EXPECT_TRUE(allclose(fused, reference, 1e-10, 1e-10)) << fused << reference;
  Tensor w = arange(1, N + 1, 1, kFloat64);  // distinct weights per item
  (fused * w).sum().backward();
  (reference * w).sum().backward();
  EXPECT_TRUE(allclose(x1.grad(), x2.grad(), 1e-8, 1e-10));
}

TEST(LossExtra, CtcGradchecks) {
  // Through log_softmax, as ctc_loss is used (its gradient assumes normalized log_probs).
  Tensor logits = xs({5, 2, 4}) * 0.4;
  Tensor padded = i64({1, 1, 3, 2, 0, 0}, {2, 3}), concat = i64({1, 1, 3, 2}), il = i64({5, 4}), tl = i64({3, 1});
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None})
    for (const Tensor& t : {padded, concat})
      expect_gradchecks([&](const TensorList& in) { return F::ctc_loss(in[0].log_softmax(2), t, il, tl, 0, r); },
                        {logits}, false);
  // An infeasible item under zero_infinity, blank 3.
  expect_gradchecks(
      [&](const TensorList& in) {
        return F::ctc_loss(in[0].log_softmax(2), i64({1, 1, 1, 2, 0, 0}, {2, 3}), i64({4, 4}), i64({3, 1}), 3,
                           Reduction::Mean, true);
      },
      {logits}, false);
}

TEST(LossExtra, CtcRefusesDoubleBackward) {
  Tensor lp = ctc_log_probs().requires_grad_();
  Tensor loss = F::ctc_loss(lp, i64({1, 2, 3, 2, 2, 0, 0, 0, 0}, {3, 3}), kCtcInputLengths, i64({3, 2, 0}));
  // The first derivative may be recorded (create_graph); differentiating it again raises.
  Tensor g = autograd::grad({loss}, {lp}, {}, {.create_graph = true})[0];
  EXPECT_TRUE(g.requires_grad());
  EXPECT_ERROR(g.sum().backward(), "ctc_loss: double backward is not supported");
}

TEST(LossExtra, CtcErrors) {
  Tensor lp = ctc_log_probs(), tgt = i64({1, 2, 3, 2, 2, 0, 0, 0, 0}, {3, 3}), tl = i64({3, 2, 0});
  EXPECT_ERROR(F::ctc_loss(lp, tgt, kCtcInputLengths, tl, 5), "ctc_loss: blank 5 is out of range for 5 classes");
  EXPECT_ERROR(F::ctc_loss(lp, tgt, i64({6, 7, 4}), tl),
               "ctc_loss: input_lengths[1] = 7 is out of range (expected 1 <= input length <= T = 6)");
  EXPECT_ERROR(F::ctc_loss(lp, tgt, i64({6, 0, 4}), tl), "input_lengths[1] = 0 is out of range");
  EXPECT_ERROR(F::ctc_loss(lp, tgt, kCtcInputLengths, i64({3, -1, 0})), "ctc_loss: target_lengths[1] = -1 is negative");
  EXPECT_ERROR(F::ctc_loss(lp, tgt, kCtcInputLengths, i64({4, 2, 0})),
               "padded targets of shape [3, 3] must be [N = 3, S] with S >= the longest target length 4");
  EXPECT_ERROR(F::ctc_loss(lp, i64({1, 2, 3, 2}), kCtcInputLengths, tl),
               "concatenated targets of shape [4] must hold sum(target_lengths) = 5 labels");
  EXPECT_ERROR(F::ctc_loss(lp, i64({1, 2, 3, 2, 0, 0, 0, 0, 0}, {3, 3}), kCtcInputLengths, tl),
               "ctc_loss: target 1 of batch item 1 is label 0 (expected 0 <= label < 5, and not the blank 0)");
  EXPECT_ERROR(F::ctc_loss(lp, i64({1, 9, 3, 2, 2, 0, 0, 0, 0}, {3, 3}), kCtcInputLengths, tl), "is label 9");
  EXPECT_ERROR(F::ctc_loss(lp, tgt, i64({6, 5}), tl), "input_lengths of shape [2] must be [N] = [3]");
  EXPECT_ERROR(F::ctc_loss(lp, tgt, kCtcInputLengths.to(kFloat64), tl), "input_lengths must be an integer tensor");
  EXPECT_ERROR(F::ctc_loss(lp, tgt.to(kFloat64), kCtcInputLengths, tl), "targets must be an integer tensor");
  EXPECT_ERROR(F::ctc_loss(lp.select(0, 0).select(0, 0), tgt, kCtcInputLengths, tl), "expected log_probs [T, N, C] or [T, C]");
  EXPECT_ERROR(F::ctc_loss(lp.to(kInt64), tgt, kCtcInputLengths, tl), "expected float32 or float64 log_probs");
}

TEST(LossExtra, CtcLongSequencesAreFast) {
  // T = 100, N = 16, C = 30, targets of up to 30 labels: plain loops over [N, T, 2 S + 1]
  // states take milliseconds; the bound only guards against gross slowness.
  Generator gen(3);
  Tensor logits = randn({100, 16, 30}, kFloat32, &gen).requires_grad_();
  Tensor targets = randint(1, 30, {16, 30}, kInt64, &gen);
  Tensor tl = randint(10, 31, {16}, kInt64, &gen), il = randint(80, 101, {16}, kInt64, &gen);
  const auto start = std::chrono::steady_clock::now();
  Tensor loss = F::ctc_loss(logits.log_softmax(2), targets, il, tl);
  loss.backward();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(std::isfinite(loss.item()));
  EXPECT_TRUE(all(isfinite(logits.grad())).item<bool>());
  EXPECT_LT(seconds, 5.0);
}

TEST(LossExtra, NaNLikePyTorch) {
  // multilabel_margin_loss counts a pair only where 1 - x[label] + x[i] > 0: a NaN never counts.
  Tensor x = tensor({{0.5, NAN, 1.0, 2.0}, {NAN, 0.1, 0.2, 0.3}}, kFloat64);
  EXPECT_TRUE(allclose(F::multilabel_margin_loss(x, i64({0, -1, 0, 0, 1, -1, 0, 0}, {2, 4}), Reduction::None),
                       tensor({1.0, 0.575}, kFloat64), 1e-12));
  // ctc_loss reads only the blank and the target's classes.
  Tensor lp = (xs({4, 1, 3}) * 0.5).log_softmax(2);
  Tensor lp_nan = lp.clone();
  lp_nan.select(0, 1).select(0, 0).narrow(0, 2, 1).fill_(NAN);
  const Tensor il = i64({4}), tl = i64({1}), t = i64({1}, {1, 1});
  EXPECT_DOUBLE_EQ(F::ctc_loss(lp_nan, t, il, tl).item(), F::ctc_loss(lp, t, il, tl).item());
  // Elsewhere NaN propagates.
  Tensor a = tensor({{NAN, 1.0}}, kFloat64), ones2 = ones({1, 2}, kFloat64);
  EXPECT_TRUE(std::isnan(F::triplet_margin_loss(a, zeros({1, 2}, kFloat64), ones2).item()));
  EXPECT_TRUE(std::isnan(F::cosine_embedding_loss(a, ones2, tensor({-1.0}, kFloat64)).item()));
  EXPECT_TRUE(std::isnan(F::soft_margin_loss(a, ones2).item()));
  EXPECT_TRUE(std::isnan(F::poisson_nll_loss(a, ones2).item()));
  EXPECT_TRUE(std::isnan(F::gaussian_nll_loss(a, ones2, ones2).item()));
}
