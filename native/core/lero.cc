#include "lero.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "model_file.h"

namespace pilotscope {
namespace {

constexpr double kNormMargin = 1.0;  // normalized rows/width are clipped to [-1, 2]

template <typename T>
void grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

double normalize(double logValue, double lo, double hi) {
  const double range = hi - lo;
  if (!(range > 0.0)) return 0.0;
  return std::clamp((logValue - lo) / range, -kNormMargin, 1.0 + kNormMargin);
}

double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

}  // namespace

LeroModel::LeroModel(LeroMetadata metadata) : meta_(std::move(metadata)) {
  build();
  Rng rng(meta_.seed);
  for (const Linear* l : {&conv1_.lin, &conv2_.lin, &conv3_.lin, &fc1_, &fc2_}) l->init(store_, rng);
}

void LeroModel::build() {
  // [node type one-hot (K + unknown) | table counts below the node (R + unknown) | width | rows]
  dim_ = static_cast<int>(meta_.nodeTypes.size()) + 1 + static_cast<int>(meta_.tables.size()) + 1 + 2;
  conv1_ = TreeConv(store_, "conv1", dim_, kConv1);
  conv2_ = TreeConv(store_, "conv2", kConv1, kConv2);
  conv3_ = TreeConv(store_, "conv3", kConv2, kConv3);
  fc1_ = Linear(store_, "fc1", kConv3, kHidden);
  fc2_ = Linear(store_, "fc2", kHidden, 1);
  store_.finalize();
}

void LeroModel::validate(const PlanBatch& b) const {
  if (b.treeOffsets.size == 0) throw InvalidArgument("treeOffsets must have one entry per plan plus one (at least [0])");
  const size_t trees = b.size();
  const size_t nodes = b.nodeTypes.size;
  checkOffsets(b.treeOffsets, trees, nodes, "treeOffsets", "plan");
  checkLength(b.left.size, nodes, "left");
  checkLength(b.right.size, nodes, "right");
  checkLength(b.widths.size, nodes, "widths");
  checkLength(b.rows.size, nodes, "rows");
  checkOffsets(b.nodeTableOffsets, nodes, b.nodeTableIds.size, "nodeTableOffsets", "node");
  checkIds(b.nodeTypes, static_cast<int32_t>(meta_.nodeTypes.size()), "nodeTypes", "nodeTypes");
  checkIds(b.nodeTableIds, static_cast<int32_t>(meta_.tables.size()), "nodeTableIds", "tables");
  checkFinite(b.widths, "widths");
  checkFinite(b.rows, "rows");
  for (size_t i = 0; i < nodes; ++i) {
    if (b.widths[i] < 0) throw InvalidArgument("widths[" + std::to_string(i) + "] is negative");
    if (b.rows[i] < 0) throw InvalidArgument("rows[" + std::to_string(i) + "] is negative");
  }
  std::vector<uint8_t> hasParent;
  for (size_t t = 0; t < trees; ++t) {
    const int32_t begin = b.treeOffsets[t], size = b.treeOffsets[t + 1] - begin;
    if (size == 0) throw InvalidArgument("plan " + std::to_string(t) + " has no nodes");
    hasParent.assign(size, 0);
    for (int32_t i = 0; i < size; ++i) {
      for (const int32_t child : {b.left[begin + i], b.right[begin + i]}) {
        if (child == -1) continue;
        // Preorder: a child comes after its parent and inside the same plan.
        if (child <= i || child >= size)
          throw InvalidArgument("plan " + std::to_string(t) + " node " + std::to_string(i) + " has child index " +
                                std::to_string(child) + ": children are plan-local preorder indices in (" +
                                std::to_string(i) + ", " + std::to_string(size) + ") or -1");
        if (hasParent[child])
          throw InvalidArgument("plan " + std::to_string(t) + " node " + std::to_string(child) +
                                " has two parents: each node must be the child of exactly one node");
        hasParent[child] = 1;
      }
    }
    for (int32_t i = 1; i < size; ++i)
      if (!hasParent[i])
        throw InvalidArgument("plan " + std::to_string(t) + " node " + std::to_string(i) +
                              " is not reachable from the root (node 0): every non-root node needs a parent");
  }
}

void LeroModel::featurize(const PlanBatch& b, Trees& out) const {
  const size_t nodes = b.nodeTypes.size, trees = b.size();
  const int K = static_cast<int>(meta_.nodeTypes.size()), R = static_cast<int>(meta_.tables.size());
  const int tableBase = K + 1;
  out.x.assign(nodes * dim_, 0.0f);
  out.left.resize(nodes);
  out.right.resize(nodes);
  out.offsets.assign(b.treeOffsets.data, b.treeOffsets.data + trees + 1);
  for (size_t t = 0; t < trees; ++t) {
    const int32_t begin = b.treeOffsets[t], end = b.treeOffsets[t + 1];
    // Reverse preorder visits children before parents, so subtree table counts can be summed.
    for (int32_t i = end - 1; i >= begin; --i) {
      float* row = out.x.data() + static_cast<size_t>(i) * dim_;
      const int32_t type = b.nodeTypes[i];
      row[type >= 0 ? type : K] = 1.0f;
      for (int32_t k = b.nodeTableOffsets[i]; k < b.nodeTableOffsets[i + 1]; ++k) {
        const int32_t id = b.nodeTableIds[k];
        row[tableBase + (id >= 0 ? id : R)] += 1.0f;
      }
      out.left[i] = b.left[i] >= 0 ? begin + b.left[i] : -1;
      out.right[i] = b.right[i] >= 0 ? begin + b.right[i] : -1;
      for (const int32_t child : {out.left[i], out.right[i]}) {
        if (child < 0) continue;
        const float* c = out.x.data() + static_cast<size_t>(child) * dim_;
        for (int k = 0; k <= R; ++k) row[tableBase + k] += c[tableBase + k];
      }
      row[dim_ - 2] = static_cast<float>(normalize(std::log1p(b.widths[i]), widthMin_, widthMax_));
      row[dim_ - 1] = static_cast<float>(normalize(std::log1p(b.rows[i]), rowsMin_, rowsMax_));
    }
  }
}

void LeroModel::fitNormalizers(const PlanBatch& b) {
  double rlo = std::numeric_limits<double>::infinity(), rhi = -rlo, wlo = rlo, whi = -rlo;
  for (size_t i = 0; i < b.rows.size; ++i) {
    rlo = std::min(rlo, std::log1p(b.rows[i]));
    rhi = std::max(rhi, std::log1p(b.rows[i]));
    wlo = std::min(wlo, std::log1p(b.widths[i]));
    whi = std::max(whi, std::log1p(b.widths[i]));
  }
  if (!(rhi - rlo > 1e-9)) rhi = rlo + 1.0;
  if (!(whi - wlo > 1e-9)) whi = wlo + 1.0;
  rowsMin_ = rlo;
  rowsMax_ = rhi;
  widthMin_ = wlo;
  widthMax_ = whi;
  fitted_ = true;
}

void LeroModel::forward(const Trees& t, Workspace& ws) const {
  const int n = t.nodes(), trees = t.count();
  const int32_t* off = t.offsets.data();
  grow(ws.g1, static_cast<size_t>(n) * 3 * dim_);
  grow(ws.y1, static_cast<size_t>(n) * kConv1);
  grow(ws.n1, static_cast<size_t>(n) * kConv1);
  grow(ws.g2, static_cast<size_t>(n) * 3 * kConv1);
  grow(ws.y2, static_cast<size_t>(n) * kConv2);
  grow(ws.n2, static_cast<size_t>(n) * kConv2);
  grow(ws.g3, static_cast<size_t>(n) * 3 * kConv2);
  grow(ws.y3, static_cast<size_t>(n) * kConv3);
  grow(ws.stats1, 2 * static_cast<size_t>(trees));
  grow(ws.stats2, 2 * static_cast<size_t>(trees));
  grow(ws.stats3, 2 * static_cast<size_t>(trees));
  grow(ws.pooled, static_cast<size_t>(trees) * kConv3);
  grow(ws.argmax, static_cast<size_t>(trees) * kConv3);
  grow(ws.f1, static_cast<size_t>(trees) * kHidden);
  grow(ws.score, static_cast<size_t>(trees));
  // n1/n2 hold the normalized values; the LeakyReLU outputs go to y1/y2 (pre-norm values are
  // not needed after normalization), which the next convolution gathers from.
  conv1_.forward(store_, t.x.data(), t.left.data(), t.right.data(), n, ws.g1.data(), ws.y1.data());
  treeNormForward(ws.y1.data(), kConv1, off, trees, ws.n1.data(), ws.stats1.data());
  std::memcpy(ws.y1.data(), ws.n1.data(), sizeof(float) * n * kConv1);
  leakyReluForward(ws.y1.data(), static_cast<size_t>(n) * kConv1);
  conv2_.forward(store_, ws.y1.data(), t.left.data(), t.right.data(), n, ws.g2.data(), ws.y2.data());
  treeNormForward(ws.y2.data(), kConv2, off, trees, ws.n2.data(), ws.stats2.data());
  std::memcpy(ws.y2.data(), ws.n2.data(), sizeof(float) * n * kConv2);
  leakyReluForward(ws.y2.data(), static_cast<size_t>(n) * kConv2);
  conv3_.forward(store_, ws.y2.data(), t.left.data(), t.right.data(), n, ws.g3.data(), ws.y3.data());
  treeNormForward(ws.y3.data(), kConv3, off, trees, ws.y3.data(), ws.stats3.data());
  segmentMaxForward(ws.y3.data(), kConv3, off, trees, ws.pooled.data(), ws.argmax.data());
  fc1_.forward(store_, ws.pooled.data(), trees, ws.f1.data());
  leakyReluForward(ws.f1.data(), static_cast<size_t>(trees) * kHidden);
  fc2_.forward(store_, ws.f1.data(), trees, ws.score.data());
}

// Expects ws.dScore filled; accumulates parameter gradients.
void LeroModel::backward(Workspace& ws) {
  const Trees& t = ws.batch;
  const int n = t.nodes(), trees = t.count();
  const int32_t* off = t.offsets.data();
  grow(ws.dF1, static_cast<size_t>(trees) * kHidden);
  grow(ws.dPooled, static_cast<size_t>(trees) * kConv3);
  grow(ws.dN3, static_cast<size_t>(n) * kConv3);
  grow(ws.dH2, static_cast<size_t>(n) * kConv2);
  grow(ws.dH1, static_cast<size_t>(n) * kConv1);
  grow(ws.dG, static_cast<size_t>(n) * 3 * std::max(kConv1, dim_));
  fc2_.backward(store_, ws.f1.data(), ws.dScore.data(), trees, ws.dF1.data());
  leakyReluBackward(ws.f1.data(), ws.dF1.data(), static_cast<size_t>(trees) * kHidden);
  fc1_.backward(store_, ws.pooled.data(), ws.dF1.data(), trees, ws.dPooled.data());
  segmentMaxBackward(ws.dPooled.data(), kConv3, trees, ws.argmax.data(), n, ws.dN3.data());
  treeNormBackward(ws.y3.data(), ws.dN3.data(), kConv3, off, trees, ws.stats3.data(), ws.dN3.data());
  conv3_.backward(store_, ws.g3.data(), ws.dN3.data(), t.left.data(), t.right.data(), n, ws.dG.data(), ws.dH2.data());
  leakyReluBackward(ws.n2.data(), ws.dH2.data(), static_cast<size_t>(n) * kConv2);
  treeNormBackward(ws.n2.data(), ws.dH2.data(), kConv2, off, trees, ws.stats2.data(), ws.dH2.data());
  conv2_.backward(store_, ws.g2.data(), ws.dH2.data(), t.left.data(), t.right.data(), n, ws.dG.data(), ws.dH1.data());
  leakyReluBackward(ws.n1.data(), ws.dH1.data(), static_cast<size_t>(n) * kConv1);
  treeNormBackward(ws.n1.data(), ws.dH1.data(), kConv1, off, trees, ws.stats1.data(), ws.dH1.data());
  conv1_.backward(store_, ws.g1.data(), ws.dH1.data(), t.left.data(), t.right.data(), n, ws.dG.data(), nullptr);
}

void LeroModel::score(const PlanBatch& b, double* out) {
  validate(b);
  if (b.size() == 0) return;
  featurize(b, ws_.batch);
  forward(ws_.batch, ws_);
  for (size_t i = 0; i < b.size(); ++i) out[i] = ws_.score[i];
}

void LeroModel::gatherTrees(const Trees& all, const std::vector<int32_t>& plans, Trees& out) const {
  size_t nodes = 0;
  for (const int32_t p : plans) nodes += all.offsets[p + 1] - all.offsets[p];
  out.x.resize(nodes * dim_);
  out.left.resize(nodes);
  out.right.resize(nodes);
  out.offsets.resize(plans.size() + 1);
  out.offsets[0] = 0;
  int32_t at = 0;
  for (size_t k = 0; k < plans.size(); ++k) {
    const int32_t begin = all.offsets[plans[k]], end = all.offsets[plans[k] + 1];
    std::memcpy(out.x.data() + static_cast<size_t>(at) * dim_, all.x.data() + static_cast<size_t>(begin) * dim_,
                sizeof(float) * (end - begin) * dim_);
    for (int32_t i = begin; i < end; ++i) {
      out.left[at + i - begin] = all.left[i] >= 0 ? all.left[i] - begin + at : -1;
      out.right[at + i - begin] = all.right[i] >= 0 ? all.right[i] - begin + at : -1;
    }
    at += end - begin;
    out.offsets[k + 1] = at;
  }
}

std::vector<PlanPair> LeroModel::makePairs(View<int32_t> groups, View<double> latencies) {
  std::vector<int32_t> order(groups.size);
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return groups[a] < groups[b]; });
  std::vector<PlanPair> pairs;
  for (size_t begin = 0; begin < order.size();) {
    size_t end = begin;
    while (end < order.size() && groups[order[end]] == groups[order[begin]]) ++end;
    for (size_t i = begin; i < end; ++i)
      for (size_t j = i + 1; j < end; ++j) {
        const int32_t a = order[i], b = order[j];
        if (latencies[a] == latencies[b]) continue;  // ties carry no order
        pairs.push_back({a, b, latencies[a] > latencies[b] ? 1.0f : 0.0f});
      }
    begin = end;
  }
  return pairs;
}

// Mean BCE(sigmoid(s_a - s_b), target) over pairs; fills ws.dScore (by batch position).
double LeroModel::pairLoss(const std::vector<PlanPair>& pairs, const std::vector<int32_t>& position, Workspace& ws,
                           int* correct) const {
  const int trees = ws.batch.count();
  grow(ws.dScore, static_cast<size_t>(trees));
  std::fill(ws.dScore.begin(), ws.dScore.begin() + trees, 0.0f);
  double loss = 0.0;
  const double inv = 1.0 / static_cast<double>(pairs.size());
  for (const PlanPair& p : pairs) {
    const int32_t a = position[p.a], b = position[p.b];
    const double diff = static_cast<double>(ws.score[a]) - ws.score[b];
    loss += (softplus(diff) - p.target * diff) * inv;
    const double g = (1.0 / (1.0 + std::exp(-diff)) - p.target) * inv;
    ws.dScore[a] += static_cast<float>(g);
    ws.dScore[b] -= static_cast<float>(g);
    if (correct && ((diff > 0) == (p.target > 0.5f)) && diff != 0) ++*correct;
  }
  return loss;
}

LeroTrainResult LeroModel::train(const PlanBatch& batch, View<int32_t> groups, View<double> latencies,
                                 const LeroTrainOptions& o, const std::function<void(const LeroEpochReport&)>& onEpoch,
                                 const std::atomic<bool>* cancel) {
  validate(batch);
  const size_t plans = batch.size();
  checkLength(groups.size, plans, "groups");
  checkLength(latencies.size, plans, "latencies");
  checkFinite(latencies, "latencies");
  if (o.epochs < 1) throw InvalidArgument("epochs must be at least 1");
  if (o.batchSize < 1) throw InvalidArgument("batchSize must be at least 1");
  if (!(o.learningRate > 0.0f) || !std::isfinite(o.learningRate)) throw InvalidArgument("learningRate must be a positive number");
  std::vector<PlanPair> pairs = makePairs(groups, latencies);
  if (pairs.empty())
    throw InvalidArgument("no training pairs: give at least two plans with different latencies for the same query (group)");

  if (!fitted_) fitNormalizers(batch);  // a trained model keeps its normalizers (fine-tuning)
  Trees all;
  featurize(batch, all);
  Rng rng(o.seed);
  Adam adam(store_.size(), {o.learningRate, 0.9f, 0.999f, 1e-8f});
  Workspace& ws = ws_;
  ws.position.assign(plans, -1);
  std::vector<int32_t> inBatch;
  std::vector<PlanPair> step;
  LeroTrainResult result;
  result.pairs = static_cast<int>(pairs.size());
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    rng.shuffle(pairs);
    double lossSum = 0.0;
    int correct = 0;
    for (size_t begin = 0; begin < pairs.size(); begin += o.batchSize) {
      if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
      const size_t end = std::min(pairs.size(), begin + static_cast<size_t>(o.batchSize));
      step.assign(pairs.begin() + begin, pairs.begin() + end);
      inBatch.clear();
      for (const PlanPair& p : step)
        for (const int32_t plan : {p.a, p.b})
          if (ws.position[plan] < 0) {
            ws.position[plan] = static_cast<int32_t>(inBatch.size());
            inBatch.push_back(plan);
          }
      gatherTrees(all, inBatch, ws.batch);
      forward(ws.batch, ws);
      lossSum += pairLoss(step, ws.position, ws, &correct) * step.size();
      store_.zeroGrads();
      backward(ws);
      adam.step(store_.values(), store_.grads());
      for (const int32_t plan : inBatch) ws.position[plan] = -1;
    }
    LeroEpochReport report;
    report.epoch = epoch;
    report.trainLoss = lossSum / pairs.size();
    report.pairAccuracy = static_cast<double>(correct) / pairs.size();
    result.epochsRun = epoch;
    result.finalLoss = report.trainLoss;
    result.finalPairAccuracy = report.pairAccuracy;
    if (onEpoch) onEpoch(report);
  }
  return result;
}

double LeroModel::lossForTest(const PlanBatch& batch, const std::vector<PlanPair>& pairs, bool computeGrads) {
  validate(batch);
  featurize(batch, ws_.batch);
  forward(ws_.batch, ws_);
  std::vector<int32_t> identity(batch.size());
  for (size_t i = 0; i < identity.size(); ++i) identity[i] = static_cast<int32_t>(i);
  const double loss = pairLoss(pairs, identity, ws_, nullptr);
  if (computeGrads) {
    store_.zeroGrads();
    backward(ws_);
  }
  return loss;
}

std::vector<uint8_t> LeroModel::serialize() const {
  ByteWriter w;
  w.strings(meta_.nodeTypes);
  w.strings(meta_.tables);
  w.u64(meta_.seed);
  w.u32(fitted_ ? 1 : 0);
  w.f64(rowsMin_);
  w.f64(rowsMax_);
  w.f64(widthMin_);
  w.f64(widthMax_);
  w.floats(store_.values());
  return wrapModel(ModelKind::Lero, w.bytes());
}

LeroModel LeroModel::deserialize(const uint8_t* data, size_t size) {
  ByteReader r = unwrapModel(ModelKind::Lero, data, size);
  LeroMetadata m;
  m.nodeTypes = r.strings("node types");
  m.tables = r.strings("tables");
  m.seed = r.u64("seed");
  const uint32_t fitted = r.u32("fitted flag");
  const double rlo = r.f64("rows min"), rhi = r.f64("rows max"), wlo = r.f64("width min"), whi = r.f64("width max");
  std::vector<float> values = r.floats("weights");
  if (!r.atEnd()) throw ModelFormatError("model file is corrupt: unexpected bytes after the weights");
  for (const double v : {rlo, rhi, wlo, whi})
    if (!std::isfinite(v)) throw ModelFormatError("model file is corrupt: bad normalizer");
  LeroModel model(std::move(m));
  if (values.size() != model.store_.size())
    throw ModelFormatError("model file is corrupt: " + std::to_string(values.size()) + " weights, the architecture needs " +
                           std::to_string(model.store_.size()));
  model.store_.values() = std::move(values);
  model.fitted_ = fitted != 0;
  model.rowsMin_ = rlo;
  model.rowsMax_ = rhi;
  model.widthMin_ = wlo;
  model.widthMax_ = whi;
  return model;
}

}  // namespace pilotscope
