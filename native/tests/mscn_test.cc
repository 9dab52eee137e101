#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "errors.h"
#include "model_file.h"
#include "mscn.h"
#include "test_util.h"

namespace pilotscope {
namespace {

using testing::OwnedRelSets;
using testing::syntheticMscnMetadata;
using testing::syntheticRelSets;

double meanQError(MscnModel& model, const OwnedRelSets& data) {
  std::vector<double> pred(data.cards.size());
  model.predict(data.view(), pred.data());
  double sum = 0;
  for (size_t i = 0; i < pred.size(); ++i)
    sum += std::max((pred[i] + 1) / (data.cards[i] + 1), (data.cards[i] + 1) / (pred[i] + 1));
  return sum / pred.size();
}

TEST(Mscn, LossGradientsMatchFiniteDifferences) {
  MscnModel model(syntheticMscnMetadata(8));
  OwnedRelSets data = syntheticRelSets(6, 1);
  // Fit the label range, then check d(mean q-error)/d(weights) on a subset of weights.
  MscnTrainOptions once;
  once.epochs = 1;
  once.validationFraction = 0;
  model.train(data.view(), data.cards, once, nullptr, nullptr);
  model.lossForTest(data.view(), data.cards, true);
  const std::vector<float> grads = model.params().grads();
  auto loss = [&] { return model.lossForTest(data.view(), data.cards, false); };
  ASSERT_EQ(model.params().slots().size(), 16u);
  for (const ParamSlot& slot : model.params().slots()) testing::checkDirectional(loss, model.params(), grads, slot);
}

TEST(Mscn, LogSquaredLossGradientsMatchFiniteDifferences) {
  MscnModel model(syntheticMscnMetadata(8));
  OwnedRelSets data = syntheticRelSets(6, 5);
  MscnTrainOptions once;
  once.epochs = 1;
  once.validationFraction = 0;
  once.loss = MscnLoss::LogSquared;
  model.train(data.view(), data.cards, once, nullptr, nullptr);
  model.lossForTest(data.view(), data.cards, true, MscnLoss::LogSquared);
  const std::vector<float> grads = model.params().grads();
  auto loss = [&] { return model.lossForTest(data.view(), data.cards, false, MscnLoss::LogSquared); };
  for (const ParamSlot& slot : model.params().slots()) testing::checkDirectional(loss, model.params(), grads, slot);
}

TEST(Mscn, LogSquaredLossAlsoLearnsTheSyntheticFunction) {
  MscnModel model(syntheticMscnMetadata(64));
  OwnedRelSets train = syntheticRelSets(1500, 3), test = syntheticRelSets(300, 4);
  const double before = meanQError(model, test);
  MscnTrainOptions o;
  o.epochs = 40;
  o.batchSize = 64;
  o.loss = MscnLoss::LogSquared;
  model.train(train.view(), train.cards, o, nullptr, nullptr);
  const double after = meanQError(model, test);
  EXPECT_LT(after, before / 2);
  EXPECT_LT(after, 3.0);
}

TEST(Mscn, PredictEqualsTrainingForwardAndIsBatchIndependent) {
  MscnModel model(syntheticMscnMetadata(16));
  OwnedRelSets all = syntheticRelSets(20, 2);
  std::vector<double> batchPred(20);
  model.predict(all.view(), batchPred.data());
  for (int s : {0, 7, 19}) {
    OwnedRelSets one = syntheticRelSets(20, 2);
    // Build a batch holding only relation set s.
    OwnedRelSets single;
    for (int32_t i = one.tableOffsets[s]; i < one.tableOffsets[s + 1]; ++i) single.tableIds.push_back(one.tableIds[i]);
    for (int32_t i = one.joinOffsets[s]; i < one.joinOffsets[s + 1]; ++i) single.joinIds.push_back(one.joinIds[i]);
    for (int32_t i = one.predicateOffsets[s]; i < one.predicateOffsets[s + 1]; ++i) {
      single.predicateColumns.push_back(one.predicateColumns[i]);
      single.predicateOperators.push_back(one.predicateOperators[i]);
      single.predicateLow.push_back(one.predicateLow[i]);
      single.predicateHigh.push_back(one.predicateHigh[i]);
      single.predicateArg.push_back(one.predicateArg[i]);
    }
    single.tableOffsets.push_back(static_cast<int32_t>(single.tableIds.size()));
    single.joinOffsets.push_back(static_cast<int32_t>(single.joinIds.size()));
    single.predicateOffsets.push_back(static_cast<int32_t>(single.predicateColumns.size()));
    double alone;
    model.predict(single.view(), &alone);
    EXPECT_NEAR(alone, batchPred[s], 1e-4 * (1 + batchPred[s]));
  }
}

TEST(Mscn, LearnsASyntheticCardinalityFunction) {
  MscnModel model(syntheticMscnMetadata(64));
  OwnedRelSets train = syntheticRelSets(1500, 3), test = syntheticRelSets(300, 4);
  MscnTrainOptions o;
  o.epochs = 40;
  o.batchSize = 64;
  std::vector<MscnEpochReport> reports;
  const MscnTrainResult result = model.train(train.view(), train.cards, o, [&](const MscnEpochReport& r) { reports.push_back(r); }, nullptr);
  EXPECT_EQ(result.epochsRun, 40);
  EXPECT_EQ(result.validationSamples, 150);
  ASSERT_EQ(reports.size(), 40u);
  EXPECT_TRUE(std::isfinite(reports.back().validationQErrorMedian));
  EXPECT_NEAR(result.bestValidationQError, reports[result.bestEpoch - 1].validationQErrorGeoMean, 1e-9);
  for (const MscnEpochReport& r : reports) EXPECT_GE(r.validationQErrorGeoMean, result.bestValidationQError);
  // A constant predictor at the geometric mean of the training labels.
  double logSum = 0;
  for (double c : train.cards) logSum += std::log1p(c);
  const double constant = std::exp(logSum / train.cards.size());
  double constQ = 0;
  for (double c : test.cards) constQ += std::max(constant / (c + 1), (c + 1) / constant);
  constQ /= test.cards.size();
  const double modelQ = meanQError(model, test);
  EXPECT_LT(modelQ, constQ / 5) << "model " << modelQ << " constant " << constQ;
  EXPECT_LT(modelQ, 4.0);
}

TEST(Mscn, UnknownVocabularyIsRepresentedNotFatal) {
  MscnModel model(syntheticMscnMetadata(8));
  OwnedRelSets r;
  r.tableIds = {-1, 0};
  r.joinIds = {-1};
  r.predicateColumns = {-1};
  r.predicateOperators = {-1};
  r.predicateLow = {5};
  r.predicateHigh = {5};
  r.predicateArg = {3};
  r.tableOffsets = {0, 2};
  r.joinOffsets = {0, 1};
  r.predicateOffsets = {0, 1};
  double out = -1;
  model.predict(r.view(), &out);
  EXPECT_TRUE(std::isfinite(out));
  EXPECT_GE(out, 0.0);
}

TEST(Mscn, BadInputsThrowInvalidArgument) {
  MscnModel model(syntheticMscnMetadata(8));
  OwnedRelSets good = syntheticRelSets(3, 5);
  double out[3];
  auto expectThrow = [&](OwnedRelSets bad, const char* fragment) {
    try {
      model.predict(bad.view(), out);
      ADD_FAILURE() << "no exception for " << fragment;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  OwnedRelSets b = good;
  b.tableIds[0] = 4;
  expectThrow(b, "tableIds[0] = 4 is out of range");
  b = good;
  b.predicateLow.push_back(1);
  expectThrow(b, "predicateLow must have");
  b = good;
  if (!b.predicateLow.empty()) {
    b.predicateLow[0] = std::nan("");
    expectThrow(b, "finite");
  }
  b = good;
  b.tableOffsets[1] = b.tableOffsets[2] + 1;
  expectThrow(b, "must not decrease");
  b = good;
  b.tableOffsets.back() += 1;
  expectThrow(b, "must equal the length");
  b = good;
  b.joinIds.push_back(-2);
  b.joinOffsets.back() += 1;
  expectThrow(b, "-2 is out of range");
  b = good;
  b.tableOffsets[1] = 0;
  b.tableOffsets[2] = 0;
  b.tableOffsets[3] = static_cast<int32_t>(b.tableIds.size());
  expectThrow(b, "has no tables");
}

TEST(Mscn, SaveLoadRoundTripIsBitExact) {
  MscnModel model(syntheticMscnMetadata(16));
  model.train(syntheticRelSets(100, 6).view(), syntheticRelSets(100, 6).cards, MscnTrainOptions{3, 32}, nullptr, nullptr);
  const std::vector<uint8_t> bytes = model.serialize();
  MscnModel loaded = MscnModel::deserialize(bytes.data(), bytes.size());
  EXPECT_EQ(loaded.serialize(), bytes);
  EXPECT_EQ(loaded.params().values(), model.params().values());
  EXPECT_EQ(loaded.metadata().columns[3].name, "b.y");
  OwnedRelSets probe = syntheticRelSets(10, 7);
  std::vector<double> a(10), b(10);
  model.predict(probe.view(), a.data());
  loaded.predict(probe.view(), b.data());
  EXPECT_EQ(a, b);
  // through a file
  const std::string path = ::testing::TempDir() + "mscn_roundtrip.model";
  writeFile(path, bytes);
  EXPECT_EQ(readFile(path), bytes);
  std::remove(path.c_str());
}

TEST(Mscn, CorruptedAndTruncatedFilesAreRejected) {
  MscnModel model(syntheticMscnMetadata(8));
  const std::vector<uint8_t> bytes = model.serialize();
  auto expectReject = [&](std::vector<uint8_t> b, const char* fragment) {
    try {
      MscnModel::deserialize(b.data(), b.size());
      ADD_FAILURE() << "accepted a bad file: " << fragment;
    } catch (const ModelFormatError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expectReject(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 10), "truncated");
  expectReject(std::vector<uint8_t>(bytes.begin(), bytes.end() - 1), "truncated");
  std::vector<uint8_t> flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  expectReject(flipped, "checksum");
  std::vector<uint8_t> magic = bytes;
  magic[0] = 'X';
  expectReject(magic, "bad magic");
  std::vector<uint8_t> version = bytes;
  version[8] = 9;
  expectReject(version, "format version 9");
  LeroModel lero(testing::syntheticLeroMetadata());
  expectReject(lero.serialize(), "holds a Lero model");
}

TEST(Mscn, SameSeedSameDataGivesSameBytes) {
  auto trainOnce = [] {
    MscnModel model(syntheticMscnMetadata(16));
    OwnedRelSets d = syntheticRelSets(200, 8);
    MscnTrainOptions o;
    o.epochs = 3;
    o.batchSize = 32;
    model.train(d.view(), d.cards, o, nullptr, nullptr);
    return model.serialize();
  };
  EXPECT_EQ(trainOnce(), trainOnce());
}

TEST(Mscn, CancellationStopsTraining) {
  MscnModel model(syntheticMscnMetadata(8));
  OwnedRelSets d = syntheticRelSets(50, 9);
  std::atomic<bool> cancel{false};
  int epochs = 0;
  MscnTrainOptions o;
  o.epochs = 50;
  EXPECT_THROW(model.train(d.view(), d.cards, o, [&](const MscnEpochReport&) { if (++epochs == 2) cancel = true; }, &cancel),
               Cancelled);
  EXPECT_EQ(epochs, 2);
}

}  // namespace
}  // namespace pilotscope
