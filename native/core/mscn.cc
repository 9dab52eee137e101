#include "mscn.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "gemm.h"
#include "model_file.h"

namespace pilotscope {
namespace {

constexpr double kMaxLogCard = 41.4465;  // ln(1e18): cardinalities are clamped to [0, 1e18]
constexpr double kMaxLogQError = 40.0;  // q-error exponent cap in the loss (avoids overflow)

// d(loss)/d(d) for one example, d = predicted - true ln(card+1) and q = exp(|d|) (capped).
double lossGradient(MscnLoss loss, double d, double q) {
  if (loss == MscnLoss::LogSquared) return 2.0 * d;
  return (d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0)) * q;
}
constexpr double kValueMargin = 0.25;  // normalized literals are clipped to [-0.25, 1.25]
constexpr int kKinds = 3;  // tables, joins, predicates

double logQError(double predictedLog, double trueLog) { return std::fabs(predictedLog - trueLog); }

double quantileOf(std::vector<double> v, double p) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const double pos = (v.size() - 1) * p;
  const size_t lo = static_cast<size_t>(std::floor(pos)), hi = static_cast<size_t>(std::ceil(pos));
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

template <typename T>
void grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

MscnModel::MscnModel(MscnMetadata metadata) : meta_(std::move(metadata)) {
  if (meta_.hidden < 1 || meta_.hidden > 4096)
    throw InvalidArgument("hidden must be between 1 and 4096, got " + std::to_string(meta_.hidden));
  for (size_t i = 0; i < meta_.columns.size(); ++i) {
    const MscnColumn& c = meta_.columns[i];
    if (!std::isfinite(c.min) || !std::isfinite(c.max) || c.min > c.max)
      throw InvalidArgument("column '" + c.name + "' (columns[" + std::to_string(i) +
                            "]) needs finite min <= max, got min=" + std::to_string(c.min) +
                            " max=" + std::to_string(c.max));
  }
  build();
  Rng rng(meta_.seed);
  for (const Linear* l : {&tableMlp1_, &tableMlp2_, &joinMlp1_, &joinMlp2_, &predMlp1_, &predMlp2_, &outMlp1_, &outMlp2_})
    l->init(store_, rng);
}

void MscnModel::build() {
  const int T = static_cast<int>(meta_.tables.size()), C = static_cast<int>(meta_.columns.size());
  const int J = static_cast<int>(meta_.joins.size()), O = static_cast<int>(meta_.operators.size());
  const int h = meta_.hidden;
  tableDim_ = T + 1;                  // tables + unknown
  joinDim_ = J + 2;                   // joins + unknown + none
  predDim_ = (C + 2) + (O + 1) + 3;   // columns + unknown + none | operators + unknown | low, high, arg
  tableMlp1_ = Linear(store_, "table_mlp1", tableDim_, h);
  tableMlp2_ = Linear(store_, "table_mlp2", h, h);
  joinMlp1_ = Linear(store_, "join_mlp1", joinDim_, h);
  joinMlp2_ = Linear(store_, "join_mlp2", h, h);
  predMlp1_ = Linear(store_, "predicate_mlp1", predDim_, h);
  predMlp2_ = Linear(store_, "predicate_mlp2", h, h);
  outMlp1_ = Linear(store_, "out_mlp1", 3 * h, h);
  outMlp2_ = Linear(store_, "out_mlp2", h, 1);
  store_.finalize();
}

void MscnModel::validate(const RelSetBatch& b) const {
  const size_t n = b.size();
  if (b.tableOffsets.size == 0)
    throw InvalidArgument("tableOffsets must have one entry per relation set plus one (at least [0])");
  checkOffsets(b.tableOffsets, n, b.tableIds.size, "tableOffsets", "relation set");
  checkOffsets(b.joinOffsets, n, b.joinIds.size, "joinOffsets", "relation set");
  checkOffsets(b.predicateOffsets, n, b.predicateColumns.size, "predicateOffsets", "relation set");
  const size_t p = b.predicateColumns.size;
  checkLength(b.predicateOperators.size, p, "predicateOperators");
  checkLength(b.predicateLow.size, p, "predicateLow");
  checkLength(b.predicateHigh.size, p, "predicateHigh");
  checkLength(b.predicateArg.size, p, "predicateArg");
  for (size_t s = 0; s < n; ++s)
    if (b.tableOffsets[s + 1] == b.tableOffsets[s])
      throw InvalidArgument("relation set " + std::to_string(s) + " has no tables: every relation set needs at least one");
  checkIds(b.tableIds, static_cast<int32_t>(meta_.tables.size()), "tableIds", "tables");
  checkIds(b.joinIds, static_cast<int32_t>(meta_.joins.size()), "joinIds", "joins");
  checkIds(b.predicateColumns, static_cast<int32_t>(meta_.columns.size()), "predicateColumns", "columns");
  checkIds(b.predicateOperators, static_cast<int32_t>(meta_.operators.size()), "predicateOperators", "operators");
  checkFinite(b.predicateLow, "predicateLow");
  checkFinite(b.predicateHigh, "predicateHigh");
  checkFinite(b.predicateArg, "predicateArg");
}

void MscnModel::tableRow(int32_t id, float* row) const {
  std::fill(row, row + tableDim_, 0.0f);
  row[id >= 0 ? id : tableDim_ - 1] = 1.0f;
}

void MscnModel::joinRow(int32_t id, float* row) const {
  const int J = static_cast<int>(meta_.joins.size());
  std::fill(row, row + joinDim_, 0.0f);
  row[id >= 0 ? id : (id == -1 ? J : J + 1)] = 1.0f;
}

double MscnModel::normalizeValue(int32_t column, double v) const {
  if (column < 0) return 0.0;
  const MscnColumn& c = meta_.columns[column];
  const double range = c.max - c.min;
  if (!(range > 0.0)) return 0.0;
  return std::clamp((v - c.min) / range, -kValueMargin, 1.0 + kValueMargin);
}

void MscnModel::predicateRow(int32_t column, int32_t op, double low, double high, double arg, float* row) const {
  const int C = static_cast<int>(meta_.columns.size()), O = static_cast<int>(meta_.operators.size());
  std::fill(row, row + predDim_, 0.0f);
  if (column == -2) {  // the "no predicate" element of a relation set without filters
    row[C + 1] = 1.0f;
    return;
  }
  row[column >= 0 ? column : C] = 1.0f;
  row[(C + 2) + (op >= 0 ? op : O)] = 1.0f;
  float* values = row + (C + 2) + (O + 1);
  values[0] = static_cast<float>(normalizeValue(column, low));
  values[1] = static_cast<float>(normalizeValue(column, high));
  // arg is a non-negative magnitude (IN: list length; LIKE: pattern feature): log-scaled to [0, 1].
  values[2] = static_cast<float>(std::min(1.0, std::log2(1.0 + std::max(0.0, arg)) / 10.0));
}

void MscnModel::featurize(const RelSetBatch& b, Features& f) const {
  const size_t n = b.size();
  Elements* sets[kKinds] = {&f.tables, &f.joins, &f.predicates};
  const int dims[kKinds] = {tableDim_, joinDim_, predDim_};
  size_t rows[kKinds] = {b.tableIds.size, 0, 0};
  for (size_t s = 0; s < n; ++s) {
    rows[1] += std::max(1, b.joinOffsets[s + 1] - b.joinOffsets[s]);
    rows[2] += std::max(1, b.predicateOffsets[s + 1] - b.predicateOffsets[s]);
  }
  for (int k = 0; k < kKinds; ++k) {
    sets[k]->x.resize(rows[k] * dims[k]);
    sets[k]->offsets.resize(n + 1);
    sets[k]->offsets[0] = 0;
  }
  int32_t at[kKinds] = {0, 0, 0};
  for (size_t s = 0; s < n; ++s) {
    for (int32_t i = b.tableOffsets[s]; i < b.tableOffsets[s + 1]; ++i)
      tableRow(b.tableIds[i], f.tables.x.data() + static_cast<size_t>(at[0]++) * tableDim_);
    if (b.joinOffsets[s + 1] == b.joinOffsets[s]) joinRow(-2, f.joins.x.data() + static_cast<size_t>(at[1]++) * joinDim_);
    for (int32_t i = b.joinOffsets[s]; i < b.joinOffsets[s + 1]; ++i)
      joinRow(b.joinIds[i], f.joins.x.data() + static_cast<size_t>(at[1]++) * joinDim_);
    if (b.predicateOffsets[s + 1] == b.predicateOffsets[s])
      predicateRow(-2, 0, 0, 0, 0, f.predicates.x.data() + static_cast<size_t>(at[2]++) * predDim_);
    for (int32_t i = b.predicateOffsets[s]; i < b.predicateOffsets[s + 1]; ++i)
      predicateRow(b.predicateColumns[i], b.predicateOperators[i], b.predicateLow[i], b.predicateHigh[i],
                   b.predicateArg[i], f.predicates.x.data() + static_cast<size_t>(at[2]++) * predDim_);
    for (int k = 0; k < kKinds; ++k) sets[k]->offsets[s + 1] = at[k];
  }
}

double MscnModel::predictedLog(float normalized) const {
  return std::clamp(static_cast<double>(normalized) * (labelMax_ - labelMin_) + labelMin_, 0.0, kMaxLogCard);
}

// ---- training path ----------------------------------------------------------------------------

void MscnModel::forward(const Features& f, Workspace& ws) const {
  const int h = meta_.hidden;
  const Elements* sets[kKinds] = {&f.tables, &f.joins, &f.predicates};
  const Linear* mlp1[kKinds] = {&tableMlp1_, &joinMlp1_, &predMlp1_};
  const Linear* mlp2[kKinds] = {&tableMlp2_, &joinMlp2_, &predMlp2_};
  const int n = static_cast<int>(f.tables.offsets.size()) - 1;
  grow(ws.concat, static_cast<size_t>(n) * 3 * h);
  for (int k = 0; k < kKinds; ++k) {
    const int rows = sets[k]->offsets[n];
    grow(ws.a1[k], static_cast<size_t>(rows) * h);
    grow(ws.a2[k], static_cast<size_t>(rows) * h);
    grow(ws.pooled[k], static_cast<size_t>(n) * h);
    mlp1[k]->forward(store_, sets[k]->x.data(), rows, ws.a1[k].data());
    reluForward(ws.a1[k].data(), static_cast<size_t>(rows) * h);
    mlp2[k]->forward(store_, ws.a1[k].data(), rows, ws.a2[k].data());
    reluForward(ws.a2[k].data(), static_cast<size_t>(rows) * h);
    segmentMeanForward(ws.a2[k].data(), h, sets[k]->offsets.data(), n, ws.pooled[k].data());
    for (int s = 0; s < n; ++s)
      std::memcpy(ws.concat.data() + (static_cast<size_t>(s) * 3 + k) * h, ws.pooled[k].data() + static_cast<size_t>(s) * h,
                  sizeof(float) * h);
  }
  grow(ws.o1, static_cast<size_t>(n) * h);
  grow(ws.out, static_cast<size_t>(n));
  outMlp1_.forward(store_, ws.concat.data(), n, ws.o1.data());
  reluForward(ws.o1.data(), static_cast<size_t>(n) * h);
  outMlp2_.forward(store_, ws.o1.data(), n, ws.out.data());
}

// Expects ws.dOut (n) filled with dLoss/dOutput; accumulates parameter gradients.
void MscnModel::backward(Workspace& ws) {
  const int h = meta_.hidden;
  const Features& f = ws.batch;
  const Elements* sets[kKinds] = {&f.tables, &f.joins, &f.predicates};
  const Linear* mlp1[kKinds] = {&tableMlp1_, &joinMlp1_, &predMlp1_};
  const Linear* mlp2[kKinds] = {&tableMlp2_, &joinMlp2_, &predMlp2_};
  const int n = static_cast<int>(f.tables.offsets.size()) - 1;
  grow(ws.dO1, static_cast<size_t>(n) * h);
  grow(ws.dConcat, static_cast<size_t>(n) * 3 * h);
  grow(ws.dPooled, static_cast<size_t>(n) * h);
  outMlp2_.backward(store_, ws.o1.data(), ws.dOut.data(), n, ws.dO1.data());
  reluBackward(ws.o1.data(), ws.dO1.data(), static_cast<size_t>(n) * h);
  outMlp1_.backward(store_, ws.concat.data(), ws.dO1.data(), n, ws.dConcat.data());
  for (int k = 0; k < kKinds; ++k) {
    const int rows = sets[k]->offsets[n];
    grow(ws.dA2, static_cast<size_t>(rows) * h);
    grow(ws.dA1, static_cast<size_t>(rows) * h);
    for (int s = 0; s < n; ++s)
      std::memcpy(ws.dPooled.data() + static_cast<size_t>(s) * h, ws.dConcat.data() + (static_cast<size_t>(s) * 3 + k) * h,
                  sizeof(float) * h);
    segmentMeanBackward(ws.dPooled.data(), h, sets[k]->offsets.data(), n, ws.dA2.data());
    reluBackward(ws.a2[k].data(), ws.dA2.data(), static_cast<size_t>(rows) * h);
    mlp2[k]->backward(store_, ws.a1[k].data(), ws.dA2.data(), rows, ws.dA1.data());
    reluBackward(ws.a1[k].data(), ws.dA1.data(), static_cast<size_t>(rows) * h);
    mlp1[k]->backward(store_, sets[k]->x.data(), ws.dA1.data(), rows, nullptr);
  }
}

void MscnModel::gatherBatch(const Features& all, const std::vector<int32_t>& index, size_t begin, size_t end,
                            Features& out) const {
  const Elements* src[kKinds] = {&all.tables, &all.joins, &all.predicates};
  Elements* dst[kKinds] = {&out.tables, &out.joins, &out.predicates};
  const int dims[kKinds] = {tableDim_, joinDim_, predDim_};
  for (int k = 0; k < kKinds; ++k) {
    size_t rows = 0;
    for (size_t i = begin; i < end; ++i) rows += src[k]->offsets[index[i] + 1] - src[k]->offsets[index[i]];
    dst[k]->x.resize(rows * dims[k]);
    dst[k]->offsets.resize(end - begin + 1);
    dst[k]->offsets[0] = 0;
    int32_t at = 0;
    for (size_t i = begin; i < end; ++i) {
      const int32_t b = src[k]->offsets[index[i]], e = src[k]->offsets[index[i] + 1];
      std::memcpy(dst[k]->x.data() + static_cast<size_t>(at) * dims[k], src[k]->x.data() + static_cast<size_t>(b) * dims[k],
                  sizeof(float) * (e - b) * dims[k]);
      at += e - b;
      dst[k]->offsets[i - begin + 1] = at;
    }
  }
}

void MscnModel::fitLabels(View<double> cards) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (size_t i = 0; i < cards.size; ++i) {
    const double l = std::log1p(cards[i]);
    lo = std::min(lo, l);
    hi = std::max(hi, l);
  }
  if (!(hi - lo > 1e-6)) hi = lo + 1.0;
  labelMin_ = lo;
  labelMax_ = hi;
  fitted_ = true;
}

MscnTrainResult MscnModel::train(const RelSetBatch& batch, View<double> cards, const MscnTrainOptions& o,
                                 const std::function<void(const MscnEpochReport&)>& onEpoch, const CancelFlag* cancel) {
  validate(batch);
  const size_t n = batch.size();
  checkLength(cards.size, n, "cards");
  checkFinite(cards, "cards");
  for (size_t i = 0; i < n; ++i)
    if (cards[i] < 0) throw InvalidArgument("cards[" + std::to_string(i) + "] is negative: cardinalities are row counts >= 0");
  if (n == 0) throw InvalidArgument("training needs at least one relation set with its cardinality");
  if (o.epochs < 1) throw InvalidArgument("epochs must be at least 1");
  if (o.batchSize < 1) throw InvalidArgument("batchSize must be at least 1");
  if (!(o.learningRate > 0.0f) || !std::isfinite(o.learningRate)) throw InvalidArgument("learningRate must be a positive number");
  if (!(o.validationFraction >= 0.0 && o.validationFraction < 1.0))
    throw InvalidArgument("validationFraction must be in [0, 1)");
  if (o.patience < 0) throw InvalidArgument("patience must be >= 0");

  if (!fitted_) fitLabels(cards);  // a trained model keeps its label range (fine-tuning)
  iws_.packed = false;
  Features all;
  featurize(batch, all);
  std::vector<double> trueLog(n);
  for (size_t i = 0; i < n; ++i) trueLog[i] = std::log1p(cards[i]);

  Rng rng(o.seed);
  std::vector<int32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<int32_t>(i);
  rng.shuffle(order);
  const size_t valCount = n >= 2 ? static_cast<size_t>(std::floor(n * o.validationFraction)) : 0;
  std::vector<int32_t> val(order.begin(), order.begin() + valCount);
  std::vector<int32_t> trainIdx(order.begin() + valCount, order.end());

  MscnTrainResult result;
  result.trainSamples = static_cast<int>(trainIdx.size());
  result.validationSamples = static_cast<int>(valCount);
  result.bestValidationQError = std::numeric_limits<double>::quiet_NaN();
  Adam adam(store_.size(), {o.learningRate, 0.9f, 0.999f, 1e-8f});
  std::vector<float> bestParams;
  double bestScore = std::numeric_limits<double>::infinity();
  int sinceBest = 0;
  const double range = labelMax_ - labelMin_;
  Workspace& ws = ws_;

  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    rng.shuffle(trainIdx);
    double lossSum = 0.0;
    for (size_t begin = 0; begin < trainIdx.size(); begin += o.batchSize) {
      if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
      const size_t end = std::min(trainIdx.size(), begin + static_cast<size_t>(o.batchSize));
      const int m = static_cast<int>(end - begin);
      gatherBatch(all, trainIdx, begin, end, ws.batch);
      forward(ws.batch, ws);
      grow(ws.dOut, static_cast<size_t>(m));
      for (int i = 0; i < m; ++i) {
        // d = predicted ln(card+1) - true ln(card+1); q-error = exp(|d|), mean over the batch.
        const double d = ws.out[i] * range + labelMin_ - trueLog[trainIdx[begin + i]];
        const double q = std::exp(std::min(std::fabs(d), kMaxLogQError));
        lossSum += q;  // the report is the mean q-error whatever the loss
        ws.dOut[i] = static_cast<float>(lossGradient(o.loss, d, q) * range / m);
      }
      store_.zeroGrads();
      backward(ws);
      adam.step(store_.values(), store_.grads());
    }
    MscnEpochReport report;
    report.epoch = epoch;
    report.trainLoss = trainIdx.empty() ? 0.0 : lossSum / trainIdx.size();
    report.validationQErrorMean = report.validationQErrorMedian = report.validationQError95 = report.validationQErrorGeoMean =
        std::numeric_limits<double>::quiet_NaN();
    double score = report.trainLoss;
    if (!val.empty()) {
      std::vector<double> q;
      q.reserve(val.size());
      for (size_t begin = 0; begin < val.size(); begin += 1024) {
        const size_t end = std::min(val.size(), begin + 1024);
        gatherBatch(all, val, begin, end, ws.batch);
        forward(ws.batch, ws);
        for (size_t i = begin; i < end; ++i) q.push_back(std::exp(logQError(predictedLog(ws.out[i - begin]), trueLog[val[i]])));
      }
      double sum = 0.0, logSum = 0.0;
      for (double v : q) {
        sum += v;
        logSum += std::log(v);
      }
      report.validationQErrorMean = sum / q.size();
      report.validationQErrorGeoMean = std::exp(logSum / q.size());
      report.validationQErrorMedian = quantileOf(q, 0.5);
      report.validationQError95 = quantileOf(q, 0.95);
      score = report.validationQErrorGeoMean;
    }
    result.epochsRun = epoch;
    if (val.empty() || score < bestScore) {  // without a validation split the last epoch is kept
      bestScore = score;
      bestParams = store_.values();
      result.bestEpoch = epoch;
      if (!val.empty()) result.bestValidationQError = score;
      report.best = true;
      sinceBest = 0;
    } else {
      ++sinceBest;
    }
    if (onEpoch) onEpoch(report);
    if (o.patience > 0 && sinceBest >= o.patience) break;
  }
  store_.values() = bestParams;
  return result;
}

double MscnModel::lossForTest(const RelSetBatch& batch, View<double> cards, bool computeGrads, MscnLoss lossKind) {
  validate(batch);
  const size_t n = batch.size();
  featurize(batch, ws_.batch);
  forward(ws_.batch, ws_);
  const double range = labelMax_ - labelMin_;
  double loss = 0.0;
  grow(ws_.dOut, n);
  for (size_t i = 0; i < n; ++i) {
    const double d = ws_.out[i] * range + labelMin_ - std::log1p(cards[i]);
    const double q = std::exp(std::min(std::fabs(d), kMaxLogQError));
    loss += (lossKind == MscnLoss::LogSquared ? d * d : q) / n;
    ws_.dOut[i] = static_cast<float>(lossGradient(lossKind, d, q) * range / n);
  }
  if (computeGrads) {
    store_.zeroGrads();
    backward(ws_);
  }
  return loss;
}

// ---- inference path ---------------------------------------------------------------------------

int32_t MscnModel::predicateSlot(const PredicateKey& key, InferenceWorkspace& iw) const {
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&hash](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) hash = (hash ^ b[i]) * 1099511628211ull;
  };
  mix(&key.column, sizeof key.column);
  mix(&key.op, sizeof key.op);
  const double values[3] = {key.low + 0.0, key.high + 0.0, key.arg + 0.0};  // +0.0 folds -0 into 0
  mix(values, sizeof values);
  const size_t mask = iw.hashSlots.size() - 1;
  for (size_t at = hash & mask;; at = (at + 1) & mask) {
    const int32_t slot = iw.hashSlots[at];
    if (slot < 0) {
      iw.hashSlots[at] = static_cast<int32_t>(iw.predKeys.size());
      iw.predKeys.push_back(key);
      return iw.hashSlots[at];
    }
    if (iw.predKeys[slot] == key) return slot;
  }
}

void MscnModel::predict(const RelSetBatch& b, double* out) {
  validate(b);
  const size_t n = b.size();
  if (n == 0) return;
  const int h = meta_.hidden;
  InferenceWorkspace& iw = iws_;
  const int T = static_cast<int>(meta_.tables.size()), J = static_cast<int>(meta_.joins.size());
  const Linear* mlp1[kKinds] = {&tableMlp1_, &joinMlp1_, &predMlp1_};
  const Linear* mlp2[kKinds] = {&tableMlp2_, &joinMlp2_, &predMlp2_};
  auto linear = [&](const Linear& l, const PackedMatrix& w, const float* x, int rows, float* y) {
    const float* bias = store_.value(l.b);
    for (int r = 0; r < rows; ++r) std::memcpy(y + static_cast<size_t>(r) * l.out, bias, sizeof(float) * l.out);
    gemmPacked(rows, x, l.in, w, y, l.out, true);
  };
  // Each element's encoding projected through its block of out_mlp1 (linear, so it commutes
  // with the mean): z = W_out1[:, block k] * mlp2(mlp1(x)).
  auto encode = [&](int k, const float* x, int rows, float* z) {
    grow(iw.h1, static_cast<size_t>(rows) * h);
    grow(iw.h2, static_cast<size_t>(rows) * h);
    linear(*mlp1[k], iw.w1[k], x, rows, iw.h1.data());
    reluForward(iw.h1.data(), static_cast<size_t>(rows) * h);
    linear(*mlp2[k], iw.w2[k], iw.h1.data(), rows, iw.h2.data());
    reluForward(iw.h2.data(), static_cast<size_t>(rows) * h);
    gemmPacked(rows, iw.h2.data(), h, iw.wz[k], z, h, false);
  };
  if (!iw.packed) {
    const float* wOut1 = store_.value(outMlp1_.w);
    for (int k = 0; k < kKinds; ++k) {
      packMatrix(Trans::Yes, mlp1[k]->in, h, store_.value(mlp1[k]->w), mlp1[k]->in, iw.w1[k]);
      packMatrix(Trans::Yes, h, h, store_.value(mlp2[k]->w), h, iw.w2[k]);
      packMatrix(Trans::Yes, h, h, wOut1 + static_cast<size_t>(k) * h, 3 * h, iw.wz[k]);
    }
    const int vocabularyRows[2] = {T + 1, J + 2};
    const int dims[2] = {tableDim_, joinDim_};
    for (int k = 0; k < 2; ++k) {
      const int rows = vocabularyRows[k];
      grow(iw.rows[k], static_cast<size_t>(rows) * dims[k]);
      for (int r = 0; r < rows; ++r) {
        float* row = iw.rows[k].data() + static_cast<size_t>(r) * dims[k];
        if (k == 0) tableRow(r - 1, row);
        else joinRow(r == J + 1 ? -2 : r - 1, row);
      }
      iw.zVocabulary[k].resize(static_cast<size_t>(rows) * h);
      encode(k, iw.rows[k].data(), rows, iw.zVocabulary[k].data());
    }
    iw.packed = true;
  }
  // Each relation set's list of element rows: vocabulary rows for tables and joins, rows of this
  // call's distinct predicates.
  for (int k = 0; k < kKinds; ++k) {
    iw.index[k].clear();
    iw.offsets[k].resize(n + 1);
    iw.offsets[k][0] = 0;
  }
  size_t hashSize = 16;
  while (hashSize < 2 * (b.predicateColumns.size + 1)) hashSize *= 2;
  iw.hashSlots.assign(hashSize, -1);
  iw.predKeys.clear();
  for (size_t s = 0; s < n; ++s) {
    for (int32_t i = b.tableOffsets[s]; i < b.tableOffsets[s + 1]; ++i) iw.index[0].push_back(b.tableIds[i] + 1);
    if (b.joinOffsets[s + 1] == b.joinOffsets[s]) iw.index[1].push_back(J + 1);
    for (int32_t i = b.joinOffsets[s]; i < b.joinOffsets[s + 1]; ++i) iw.index[1].push_back(b.joinIds[i] + 1);
    auto addPredicate = [&](const PredicateKey& key) {
      const size_t before = iw.predKeys.size();
      const int32_t slot = predicateSlot(key, iw);
      if (iw.predKeys.size() > before) {
        grow(iw.rows[2], iw.predKeys.size() * predDim_);
        predicateRow(key.column, key.op, key.low, key.high, key.arg, iw.rows[2].data() + static_cast<size_t>(slot) * predDim_);
      }
      iw.index[2].push_back(slot);
    };
    if (b.predicateOffsets[s + 1] == b.predicateOffsets[s]) addPredicate({-2, 0, 0.0, 0.0, 0.0});
    for (int32_t i = b.predicateOffsets[s]; i < b.predicateOffsets[s + 1]; ++i)
      addPredicate({b.predicateColumns[i], b.predicateOperators[i], b.predicateLow[i], b.predicateHigh[i], b.predicateArg[i]});
    for (int k = 0; k < kKinds; ++k) iw.offsets[k][s + 1] = static_cast<int32_t>(iw.index[k].size());
  }
  const int predicates = static_cast<int>(iw.predKeys.size());
  grow(iw.z[2], static_cast<size_t>(predicates) * h);
  encode(2, iw.rows[2].data(), predicates, iw.z[2].data());
  const float* z[kKinds] = {iw.zVocabulary[0].data(), iw.zVocabulary[1].data(), iw.z[2].data()};

  const float* bOut1 = store_.value(outMlp1_.b);
  const float* wOut2 = store_.value(outMlp2_.w);
  const float bOut2 = *store_.value(outMlp2_.b);
  grow(iw.hidden, static_cast<size_t>(h));
  float* hid = iw.hidden.data();
  for (size_t s = 0; s < n; ++s) {
    std::memcpy(hid, bOut1, sizeof(float) * h);
    for (int k = 0; k < kKinds; ++k) {
      const int32_t begin = iw.offsets[k][s], end = iw.offsets[k][s + 1];
      const float inv = 1.0f / static_cast<float>(end - begin);
      for (int32_t e = begin; e < end; ++e) {
        const float* element = z[k] + static_cast<size_t>(iw.index[k][e]) * h;
        for (int j = 0; j < h; ++j) hid[j] += inv * element[j];
      }
    }
    float o = bOut2;
    for (int j = 0; j < h; ++j) o += (hid[j] > 0.0f ? hid[j] : 0.0f) * wOut2[j];
    out[s] = std::expm1(predictedLog(o));
  }
}

// ---- persistence ------------------------------------------------------------------------------

std::vector<uint8_t> MscnModel::serialize() const {
  ByteWriter w;
  w.strings(meta_.tables);
  w.u32(static_cast<uint32_t>(meta_.columns.size()));
  for (const MscnColumn& c : meta_.columns) {
    w.str(c.name);
    w.f64(c.min);
    w.f64(c.max);
    w.strings(c.strings);
  }
  w.strings(meta_.joins);
  w.strings(meta_.operators);
  w.u32(static_cast<uint32_t>(meta_.hidden));
  w.u64(meta_.seed);
  w.u32(fitted_ ? 1 : 0);
  w.f64(labelMin_);
  w.f64(labelMax_);
  w.floats(store_.values());
  return wrapModel(ModelKind::Mscn, w.bytes());
}

MscnModel MscnModel::deserialize(const uint8_t* data, size_t size) {
  ByteReader r = unwrapModel(ModelKind::Mscn, data, size);
  MscnMetadata m;
  m.tables = r.strings("tables");
  const uint32_t columns = r.u32("column count");
  if (columns > size) throw ModelFormatError("model file is corrupt: bad column count");
  for (uint32_t i = 0; i < columns; ++i) {
    MscnColumn c;
    c.name = r.str("column name");
    c.min = r.f64("column min");
    c.max = r.f64("column max");
    c.strings = r.strings("column dictionary");
    m.columns.push_back(std::move(c));
  }
  m.joins = r.strings("joins");
  m.operators = r.strings("operators");
  m.hidden = static_cast<int>(r.u32("hidden size"));
  m.seed = r.u64("seed");
  const uint32_t fitted = r.u32("fitted flag");
  const double lo = r.f64("label min"), hi = r.f64("label max");
  std::vector<float> values = r.floats("weights");
  if (!r.atEnd()) throw ModelFormatError("model file is corrupt: unexpected bytes after the weights");
  if (m.hidden < 1 || m.hidden > 4096) throw ModelFormatError("model file is corrupt: bad hidden size");
  MscnModel model = [&]() {
    try {
      return MscnModel(std::move(m));
    } catch (const InvalidArgument& e) {
      throw ModelFormatError(std::string("model file is corrupt: ") + e.what());
    }
  }();
  if (values.size() != model.store_.size())
    throw ModelFormatError("model file is corrupt: " + std::to_string(values.size()) + " weights, the architecture needs " +
                           std::to_string(model.store_.size()));
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) throw ModelFormatError("model file is corrupt: bad label range");
  model.store_.values() = std::move(values);
  model.fitted_ = fitted != 0;
  model.labelMin_ = lo;
  model.labelMax_ = hi;
  return model;
}

}  // namespace pilotscope
