// Lero learned plan ranking: plan-tree featurization, the tree convolution network (TCNN) and
// pairwise training. The input format is documented in native/README.md ("Lero input").
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "layers.h"
#include "params.h"
#include "view.h"

namespace pilotscope {

struct LeroMetadata {
  std::vector<std::string> nodeTypes;  // operator names; id -1 = unknown type
  std::vector<std::string> tables;     // relation names; id -1 = unknown table
  uint64_t seed = 1;                   // weight initialization
};

// A batch of binary plan trees in flat preorder; child indices are local to the tree (-1: none).
struct PlanBatch {
  View<int32_t> treeOffsets;  // nTrees + 1, into the node arrays
  View<int32_t> nodeTypes, left, right;
  View<double> widths, rows;
  View<int32_t> nodeTableOffsets;  // nNodes + 1, into nodeTableIds: the node's own relations
  View<int32_t> nodeTableIds;
  size_t size() const { return treeOffsets.size == 0 ? 0 : treeOffsets.size - 1; }
};

struct LeroTrainOptions {
  int epochs = 100;
  int batchSize = 64;  // pairs per step
  float learningRate = 1e-3f;
  uint64_t seed = 1;
};

struct LeroEpochReport {
  int epoch = 0;
  double trainLoss = 0.0;       // mean pairwise BCE
  double pairAccuracy = 0.0;    // fraction of training pairs ordered correctly during the epoch
};

struct LeroTrainResult {
  int epochsRun = 0;
  int pairs = 0;
  double finalLoss = 0.0, finalPairAccuracy = 0.0;
};

struct PlanPair {
  int32_t a, b;  // plan indices in the batch
  float target;  // 1: plan a is slower than plan b (a should score higher)
};

class LeroModel {
 public:
  static constexpr int kConv1 = 256, kConv2 = 128, kConv3 = 64, kHidden = 32;

  explicit LeroModel(LeroMetadata metadata);

  const LeroMetadata& metadata() const { return meta_; }
  int nodeFeatureDim() const { return dim_; }
  bool trained() const { return fitted_; }

  void validate(const PlanBatch& batch) const;
  // One score per plan; lower is better. A plan's score does not depend on the rest of the batch.
  void score(const PlanBatch& batch, double* out);

  // groups: one id per plan (plans of the same query share it); latencies: seconds, finite.
  // Pairs are all i < j in the same group with different latencies.
  LeroTrainResult train(const PlanBatch& batch, View<int32_t> groups, View<double> latencies,
                        const LeroTrainOptions& options, const std::function<void(const LeroEpochReport&)>& onEpoch,
                        const std::atomic<bool>* cancel);

  static std::vector<PlanPair> makePairs(View<int32_t> groups, View<double> latencies);

  std::vector<uint8_t> serialize() const;
  static LeroModel deserialize(const uint8_t* data, size_t size);

  // For gradient checks: mean pairwise BCE over `pairs` of the batch, gradients with computeGrads.
  double lossForTest(const PlanBatch& batch, const std::vector<PlanPair>& pairs, bool computeGrads);
  ParamStore& params() { return store_; }

 private:
  struct Trees {  // featurized nodes of several trees, children as global row indices
    std::vector<float> x;
    std::vector<int32_t> left, right, offsets;
    int count() const { return static_cast<int>(offsets.size()) - 1; }
    int nodes() const { return offsets.empty() ? 0 : offsets.back(); }
  };
  struct Workspace {
    Trees batch;
    std::vector<float> g1, y1, n1, g2, y2, n2, g3, y3, pooled, f1, score;
    std::vector<float> stats1, stats2, stats3;
    std::vector<int32_t> argmax, position;
    std::vector<float> dScore, dF1, dPooled, dN3, dH2, dH1, dG;
  };

  void build();
  void featurize(const PlanBatch& batch, Trees& out) const;
  void fitNormalizers(const PlanBatch& batch);
  void forward(const Trees& t, Workspace& ws) const;
  void backward(Workspace& ws);
  void gatherTrees(const Trees& all, const std::vector<int32_t>& plans, Trees& out) const;
  double pairLoss(const std::vector<PlanPair>& pairs, const std::vector<int32_t>& position, Workspace& ws,
                  int* correct) const;

  LeroMetadata meta_;
  int dim_ = 0;
  ParamStore store_;
  TreeConv conv1_, conv2_, conv3_;
  Linear fc1_, fc2_;
  Workspace ws_;
  bool fitted_ = false;
  double rowsMin_ = 0.0, rowsMax_ = 20.0, widthMin_ = 0.0, widthMax_ = 10.0;  // of ln(1 + x)
};

}  // namespace pilotscope
