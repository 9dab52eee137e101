// MSCN (multi-set convolutional network) cardinality estimation: featurization of relation sets,
// the set-convolution model, training and batched inference. The input format is documented in
// native/README.md ("MSCN input").
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gemm.h"
#include "layers.h"
#include "params.h"
#include "view.h"

namespace pilotscope {

struct MscnColumn {
  std::string name;  // "table.column"
  double min = 0.0, max = 0.0;  // numeric range of the column (dates: epoch seconds; strings: dictionary ranks)
  std::vector<std::string> strings;  // optional sorted dictionary of string values (TS maps literals through it)
};

struct MscnMetadata {
  std::vector<std::string> tables;
  std::vector<MscnColumn> columns;
  std::vector<std::string> joins;
  std::vector<std::string> operators;
  int hidden = 256;
  uint64_t seed = 1;  // weight initialization
};

// A batch of relation sets in CSR form; ids are vocabulary indices or -1 (unknown).
struct RelSetBatch {
  View<int32_t> tableOffsets, tableIds;
  View<int32_t> joinOffsets, joinIds;
  View<int32_t> predicateOffsets, predicateColumns, predicateOperators;
  View<double> predicateLow, predicateHigh, predicateArg;
  size_t size() const { return tableOffsets.size == 0 ? 0 : tableOffsets.size - 1; }
};

// What training minimizes. QError: mean q-error exp(|d|) (upstream), where d is the error of the
// predicted ln(card+1). LogSquared: mean d^2, whose gradient stays bounded when a few estimates
// are off by orders of magnitude (the q-error gradient grows like exp(|d|) and swamps Adam).
enum class MscnLoss { QError, LogSquared };

struct MscnTrainOptions {
  int epochs = 100;
  int batchSize = 256;
  float learningRate = 1e-3f;
  double validationFraction = 0.1;
  int patience = 0;  // stop after this many epochs without validation improvement; 0 = never
  uint64_t seed = 1;  // split and shuffling
  MscnLoss loss = MscnLoss::QError;
};

struct MscnEpochReport {
  int epoch = 0;  // 1-based
  double trainLoss = 0.0;  // mean q-error over the epoch's training batches
  double validationQErrorMean = 0.0, validationQErrorMedian = 0.0, validationQError95 = 0.0;  // NaN: no split
  // exp(mean ln q-error): the epoch-selection score. The arithmetic mean is dominated by a few
  // samples off by orders of magnitude and jumps from epoch to epoch, which stopped training early.
  double validationQErrorGeoMean = 0.0;
  bool best = false;
};

struct MscnTrainResult {
  int epochsRun = 0;
  int bestEpoch = 0;
  double bestValidationQError = 0.0;  // geometric-mean q-error of the kept epoch; NaN without a validation split
  int trainSamples = 0, validationSamples = 0;
};

using CancelFlag = std::atomic<bool>;

class MscnModel {
 public:
  explicit MscnModel(MscnMetadata metadata);

  const MscnMetadata& metadata() const { return meta_; }
  int tableFeatureDim() const { return tableDim_; }
  int joinFeatureDim() const { return joinDim_; }
  int predicateFeatureDim() const { return predDim_; }
  bool trained() const { return fitted_; }
  double labelLogMin() const { return labelMin_; }
  double labelLogMax() const { return labelMax_; }

  // Throws InvalidArgument describing the first problem in the batch.
  void validate(const RelSetBatch& batch) const;

  // Estimated cardinalities (rows, >= 0), one per relation set.
  void predict(const RelSetBatch& batch, double* out);

  MscnTrainResult train(const RelSetBatch& batch, View<double> cards, const MscnTrainOptions& options,
                        const std::function<void(const MscnEpochReport&)>& onEpoch, const CancelFlag* cancel);

  std::vector<uint8_t> serialize() const;
  static MscnModel deserialize(const uint8_t* data, size_t size);

  // For gradient checks: the mean q-error loss of the batch (forward only) and, with
  // computeGrads, the gradients of it in params().grads().
  double lossForTest(const RelSetBatch& batch, View<double> cards, bool computeGrads, MscnLoss loss = MscnLoss::QError);
  ParamStore& params() {
    iws_.packed = false;  // the caller may change weights
    return store_;
  }

 private:
  struct Elements {  // featurized set elements, rows grouped per relation set
    std::vector<float> x;
    std::vector<int32_t> offsets;
  };
  struct Features {
    Elements tables, joins, predicates;
  };
  // Activations and gradients of one training (or evaluation) batch; reused across batches.
  struct Workspace {
    Features batch;
    std::vector<float> a1[3], a2[3], pooled[3], concat, o1, out;
    std::vector<float> dOut, dO1, dConcat, dPooled, dA2, dA1;
  };
  // Inference: set elements are deduplicated across the batch (the relation sets of one query
  // share their tables, joins and predicates), encoded once, and pooled per relation set.
  struct PredicateKey {
    int32_t column, op;
    double low, high, arg;
    bool operator==(const PredicateKey& o) const {
      return column == o.column && op == o.op && low == o.low && high == o.high && arg == o.arg;
    }
  };
  struct InferenceWorkspace {
    std::vector<float> rows[3], h1, h2, z[3];
    std::vector<int32_t> index[3], offsets[3];
    std::vector<PredicateKey> predKeys;
    std::vector<int32_t> hashSlots;
    std::vector<float> hidden;
    // Weights packed for the GEMM kernel once (mlp1, mlp2, out_mlp1 block per kind).
    PackedMatrix w1[3], w2[3], wz[3];
    // Tables and joins are one-hot over a fixed vocabulary, so their encodings z are constants of
    // the weights: computed for the whole vocabulary when the weights are packed (row = id + 1;
    // joins: row J + 1 is the "no join" element).
    std::vector<float> zVocabulary[2];
    bool packed = false;
  };

  void build();
  void featurize(const RelSetBatch& batch, Features& f) const;
  void tableRow(int32_t id, float* row) const;
  void joinRow(int32_t id, float* row) const;  // id -2: the "no join" element
  void predicateRow(int32_t column, int32_t op, double low, double high, double arg, float* row) const;
  double normalizeValue(int32_t column, double v) const;
  void fitLabels(View<double> cards);
  // Forward over a contiguous sub-batch; returns normalized outputs in ws.out.
  void forward(const Features& f, Workspace& ws) const;
  void backward(Workspace& ws);
  int32_t predicateSlot(const PredicateKey& key, InferenceWorkspace& iw) const;
  void gatherBatch(const Features& all, const std::vector<int32_t>& index, size_t begin, size_t end,
                   Features& out) const;
  double predictedLog(float normalized) const;

  MscnMetadata meta_;
  int tableDim_ = 0, joinDim_ = 0, predDim_ = 0;
  ParamStore store_;
  Linear tableMlp1_, tableMlp2_, joinMlp1_, joinMlp2_, predMlp1_, predMlp2_, outMlp1_, outMlp2_;
  Workspace ws_;
  InferenceWorkspace iws_;
  bool fitted_ = false;
  double labelMin_ = 0.0, labelMax_ = 1.0;  // ln(card + 1) range of the training labels
};

}  // namespace pilotscope
