#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "errors.h"
#include "lero.h"
#include "test_util.h"

namespace pilotscope {
namespace {

using testing::appendRandomPlan;
using testing::OwnedPlans;
using testing::syntheticLeroMetadata;

TEST(Lero, PairwiseLossGradientsMatchFiniteDifferences) {
  LeroModel model(syntheticLeroMetadata());
  Rng rng(1);
  OwnedPlans p;
  for (int i = 0; i < 4; ++i) appendRandomPlan(p, 2 + i % 3, rng);
  const std::vector<PlanPair> pairs = {{0, 1, 1.0f}, {2, 3, 0.0f}, {0, 3, 1.0f}};
  model.lossForTest(p.view(), pairs, true);
  const std::vector<float> grads = model.params().grads();
  auto loss = [&] { return model.lossForTest(p.view(), pairs, false); };
  ASSERT_EQ(model.params().slots().size(), 10u);
  for (const ParamSlot& slot : model.params().slots()) testing::checkDirectional(loss, model.params(), grads, slot);
}

TEST(Lero, ScoreDoesNotDependOnTheRestOfTheBatch) {
  LeroModel model(syntheticLeroMetadata());
  Rng rng(2);
  OwnedPlans batch, single;
  for (int i = 0; i < 6; ++i) appendRandomPlan(batch, 1 + i, rng);
  Rng again(2);
  for (int i = 0; i < 6; ++i) {
    OwnedPlans one;
    appendRandomPlan(one, 1 + i, again);
    if (i == 4) single = one;
  }
  std::vector<double> scores(6);
  model.score(batch.view(), scores.data());
  double alone;
  model.score(single.view(), &alone);
  EXPECT_EQ(alone, scores[4]);
}

TEST(Lero, LearnsToRankPlansByASyntheticCost) {
  LeroModel model(syntheticLeroMetadata());
  Rng rng(3);
  OwnedPlans train;
  std::vector<int32_t> groups;
  std::vector<double> costs;
  for (int q = 0; q < 60; ++q)
    for (int c = 0; c < 6; ++c) {
      costs.push_back(appendRandomPlan(train, 2 + q % 3, rng));
      groups.push_back(q);
    }
  LeroTrainOptions o;
  o.epochs = 15;
  std::vector<LeroEpochReport> reports;
  const LeroTrainResult res = model.train(train.view(), groups, costs, o, [&](const LeroEpochReport& r) { reports.push_back(r); }, nullptr);
  EXPECT_EQ(res.pairs, 60 * 15);
  EXPECT_LT(reports.back().trainLoss, reports.front().trainLoss);
  // Held-out queries: fraction of plan pairs ordered like the synthetic cost.
  OwnedPlans test;
  std::vector<double> testCosts;
  for (int q = 0; q < 30; ++q)
    for (int c = 0; c < 6; ++c) testCosts.push_back(appendRandomPlan(test, 2 + q % 3, rng));
  std::vector<double> scores(testCosts.size());
  model.score(test.view(), scores.data());
  int right = 0, total = 0;
  for (int q = 0; q < 30; ++q)
    for (int i = 0; i < 6; ++i)
      for (int j = i + 1; j < 6; ++j) {
        const int a = q * 6 + i, b = q * 6 + j;
        ++total;
        right += (scores[a] < scores[b]) == (testCosts[a] < testCosts[b]);
      }
  EXPECT_GT(static_cast<double>(right) / total, 0.8);
}

TEST(Lero, MalformedTreesAreRejected) {
  LeroModel model(syntheticLeroMetadata());
  Rng rng(4);
  OwnedPlans good;
  appendRandomPlan(good, 3, rng);
  double s;
  auto expectThrow = [&](const OwnedPlans& bad, const char* fragment) {
    try {
      model.score(bad.view(), &s);
      ADD_FAILURE() << "no exception for " << fragment;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  OwnedPlans b = good;
  b.left[0] = 0;
  expectThrow(b, "child index 0");
  b = good;
  b.right[1] = b.right[0];
  expectThrow(b, "two parents");
  b = good;
  b.left[0] = -1;
  expectThrow(b, "not reachable");
  b = good;
  b.nodeTypes[0] = 99;
  expectThrow(b, "nodeTypes[0] = 99");
  b = good;
  b.rows[2] = INFINITY;
  expectThrow(b, "finite");
  b = good;
  b.widths.pop_back();
  expectThrow(b, "widths must have");
}

TEST(Lero, UnknownNodeTypesAndTablesAreScored) {
  LeroModel model(syntheticLeroMetadata());
  OwnedPlans p;
  p.nodeTypes = {-1, 0, -1};
  p.left = {1, -1, -1};
  p.right = {2, -1, -1};
  p.widths = {10, 10, 10};
  p.rows = {100, 10, 10};
  p.nodeTableIds = {-1, 2};
  p.nodeTableOffsets = {0, 0, 1, 2};
  p.treeOffsets = {0, 3};
  double s;
  model.score(p.view(), &s);
  EXPECT_TRUE(std::isfinite(s));
}

TEST(Lero, SaveLoadRoundTripAndDeterminism) {
  auto trainOnce = [] {
    LeroModel model(syntheticLeroMetadata());
    Rng rng(5);
    OwnedPlans p;
    std::vector<int32_t> groups;
    std::vector<double> costs;
    for (int q = 0; q < 5; ++q)
      for (int c = 0; c < 4; ++c) {
        costs.push_back(appendRandomPlan(p, 3, rng));
        groups.push_back(q);
      }
    LeroTrainOptions o;
    o.epochs = 2;
    model.train(p.view(), groups, costs, o, nullptr, nullptr);
    return model.serialize();
  };
  const auto bytes = trainOnce();
  EXPECT_EQ(bytes, trainOnce());
  LeroModel loaded = LeroModel::deserialize(bytes.data(), bytes.size());
  EXPECT_EQ(loaded.serialize(), bytes);
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 100);
  EXPECT_THROW(LeroModel::deserialize(cut.data(), cut.size()), ModelFormatError);
}

TEST(Lero, PairsSkipTiesAndCrossQueryComparisons) {
  std::vector<int32_t> groups = {0, 0, 1, 0, 1};
  std::vector<double> lat = {1.0, 2.0, 5.0, 1.0, 3.0};
  const auto pairs = LeroModel::makePairs(groups, lat);
  // group 0: (0,1) (1,3) ; (0,3) is a tie ; group 1: (2,4)
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0].a, 0);
  EXPECT_EQ(pairs[0].b, 1);
  EXPECT_EQ(pairs[0].target, 0.0f);
  EXPECT_EQ(pairs[2].a, 2);
  EXPECT_EQ(pairs[2].target, 1.0f);
}

}  // namespace
}  // namespace pilotscope
