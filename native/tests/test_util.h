// Helpers shared by the unit tests: finite-difference gradient checks and synthetic inputs.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "lero.h"
#include "mscn.h"
#include "rng.h"

namespace pilotscope::testing {

struct GradCheckResult {
  int checked = 0, skipped = 0, failed = 0;
  double worst = 0.0;
};

// Compares d loss / d *x by central differences with `analytic`. A coordinate whose difference
// quotient changes with the step size (a ReLU/max kink nearby) is skipped, not compared.
inline void checkCoordinate(const std::function<double()>& loss, float* x, double analytic, GradCheckResult& r,
                            float eps = 2e-3f, double rtol = 3e-2, double atol = 2e-4) {
  const float orig = *x;
  auto quotient = [&](float e) {
    const float xp = orig + e, xm = orig - e;
    *x = xp;
    const double lp = loss();
    *x = xm;
    const double lm = loss();
    *x = orig;
    return (lp - lm) / (static_cast<double>(xp) - xm);
  };
  const double d1 = quotient(eps), d2 = quotient(eps / 2);
  if (std::fabs(d1 - d2) > rtol * std::max(std::fabs(d1), std::fabs(d2)) + atol) {
    ++r.skipped;
    return;
  }
  ++r.checked;
  const double err = std::fabs(analytic - d2) / (std::max(std::fabs(analytic), std::fabs(d2)) + atol / rtol);
  r.worst = std::max(r.worst, err);
  if (std::fabs(analytic - d2) > rtol * std::max(std::fabs(analytic), std::fabs(d2)) + atol) {
    ++r.failed;
    ADD_FAILURE() << "gradient mismatch: analytic " << analytic << " vs numeric " << d2;
  }
}

inline void expectGoodCheck(const GradCheckResult& r, int minChecked) {
  EXPECT_EQ(r.failed, 0);
  EXPECT_GE(r.checked, minChecked) << "too many coordinates skipped near kinks: " << r.skipped;
}

// End-to-end check for one parameter tensor: the derivative of the loss along the normalized
// analytic gradient must equal the gradient's norm. Robust to ReLU/max kinks and float32 noise,
// which make per-coordinate quotients of a deep network unreliable.
inline void checkDirectional(const std::function<double()>& loss, ParamStore& store, const std::vector<float>& grads,
                             const ParamSlot& slot, float eps = 1e-3f, double rtol = 3e-2) {
  std::vector<float>& w = store.values();
  const std::vector<float> saved(w.begin() + slot.offset, w.begin() + slot.offset + slot.size);
  double norm = 0;
  for (size_t i = 0; i < slot.size; ++i) norm += static_cast<double>(grads[slot.offset + i]) * grads[slot.offset + i];
  norm = std::sqrt(norm);
  if (norm < 1e-6) return;  // e.g. the output bias of a pairwise loss has no gradient
  auto shifted = [&](float e) {
    for (size_t i = 0; i < slot.size; ++i) w[slot.offset + i] = saved[i] + static_cast<float>(e * grads[slot.offset + i] / norm);
    const double l = loss();
    std::copy(saved.begin(), saved.end(), w.begin() + slot.offset);
    return l;
  };
  const double numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
  EXPECT_NEAR(numeric, norm, rtol * norm + 1e-4) << "directional derivative of " << slot.name;
}

inline std::vector<float> randomVector(size_t n, Rng& rng, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniform(lo, hi);
  return v;
}

// ---- MSCN synthetic workload: 4 tables, 6 columns, a known cardinality function ----------------

struct OwnedRelSets {
  std::vector<int32_t> tableOffsets{0}, tableIds, joinOffsets{0}, joinIds, predicateOffsets{0}, predicateColumns,
      predicateOperators;
  std::vector<double> predicateLow, predicateHigh, predicateArg;
  std::vector<double> cards;
  RelSetBatch view() const {
    RelSetBatch b;
    b.tableOffsets = tableOffsets;
    b.tableIds = tableIds;
    b.joinOffsets = joinOffsets;
    b.joinIds = joinIds;
    b.predicateOffsets = predicateOffsets;
    b.predicateColumns = predicateColumns;
    b.predicateOperators = predicateOperators;
    b.predicateLow = predicateLow;
    b.predicateHigh = predicateHigh;
    b.predicateArg = predicateArg;
    return b;
  }
};

inline MscnMetadata syntheticMscnMetadata(int hidden = 32) {
  MscnMetadata m;
  m.tables = {"a", "b", "c", "d"};
  for (const char* t : {"a", "b", "c"}) {
    m.columns.push_back({std::string(t) + ".x", 0.0, 100.0, {}});
    m.columns.push_back({std::string(t) + ".y", 0.0, 1000.0, {}});
  }
  m.joins = {"a.id=b.aid", "b.id=c.bid", "c.id=d.cid"};
  m.operators = {"=", "<", ">"};
  m.hidden = hidden;
  m.seed = 7;
  return m;
}

// Chain relation sets a..d with "<"/">" range predicates; card = product of table sizes times
// predicate selectivities (a known function the model can learn).
inline OwnedRelSets syntheticRelSets(int count, uint64_t seed) {
  Rng rng(seed);
  OwnedRelSets r;
  const double tableRows[4] = {1e3, 5e3, 2e4, 1e5};
  for (int s = 0; s < count; ++s) {
    const int first = static_cast<int>(rng.below(4));
    const int last = first + static_cast<int>(rng.below(4 - first));
    double card = 1.0;
    for (int t = first; t <= last; ++t) {
      r.tableIds.push_back(t);
      card *= tableRows[t] / (t > first ? tableRows[t - 1] : 1.0);
    }
    for (int t = first; t < last; ++t) r.joinIds.push_back(t);
    for (int t = first; t <= last && t < 3; ++t) {
      if (rng.below(2) == 0) continue;
      const int column = t * 2 + static_cast<int>(rng.below(2));
      const double max = column % 2 == 0 ? 100.0 : 1000.0;
      const double v = rng.uniform01() * max;
      const bool less = rng.below(2) == 0;
      r.predicateColumns.push_back(column);
      r.predicateOperators.push_back(less ? 1 : 2);
      r.predicateLow.push_back(v);
      r.predicateHigh.push_back(v);
      r.predicateArg.push_back(0.0);
      card *= less ? v / max : 1.0 - v / max;
    }
    r.tableOffsets.push_back(static_cast<int32_t>(r.tableIds.size()));
    r.joinOffsets.push_back(static_cast<int32_t>(r.joinIds.size()));
    r.predicateOffsets.push_back(static_cast<int32_t>(r.predicateColumns.size()));
    r.cards.push_back(std::floor(card));
  }
  return r;
}

// ---- Lero synthetic plans ----------------------------------------------------------------------

struct OwnedPlans {
  std::vector<int32_t> treeOffsets{0}, nodeTypes, left, right, nodeTableOffsets{0}, nodeTableIds;
  std::vector<double> widths, rows;
  PlanBatch view() const {
    PlanBatch b;
    b.treeOffsets = treeOffsets;
    b.nodeTypes = nodeTypes;
    b.left = left;
    b.right = right;
    b.widths = widths;
    b.rows = rows;
    b.nodeTableOffsets = nodeTableOffsets;
    b.nodeTableIds = nodeTableIds;
    return b;
  }
};

inline LeroMetadata syntheticLeroMetadata() {
  LeroMetadata m;
  m.nodeTypes = {"Seq Scan", "Index Scan", "Hash Join", "Nested Loop", "Hash", "Sort"};
  m.tables = {"a", "b", "c", "d"};
  m.seed = 11;
  return m;
}

// Appends a random left-deep join plan over `tables` tables; returns its synthetic cost.
inline double appendRandomPlan(OwnedPlans& p, int tables, Rng& rng) {
  struct Node { int type; int table; double rows; int left = -1, right = -1; };
  std::vector<Node> nodes;
  double cost = 0.0;
  // Build preorder recursively: join(left subtree, scan).
  std::function<int(int)> build = [&](int k) -> int {
    const int self = static_cast<int>(nodes.size());
    if (k == 1) {
      const int type = static_cast<int>(rng.below(2));
      const double rows = std::pow(10.0, 1 + 4 * rng.uniform01());
      nodes.push_back({type, static_cast<int>(rng.below(4)), rows});
      cost += rows * (type == 0 ? 1.0 : 3.0);
      return self;
    }
    const int type = 2 + static_cast<int>(rng.below(2));
    nodes.push_back({type, -1, 0.0});
    const int l = build(k - 1);
    const int r = build(1);
    nodes[self].left = l;
    nodes[self].right = r;
    nodes[self].rows = std::sqrt(nodes[l].rows * nodes[r].rows);
    cost += nodes[self].rows * (type == 2 ? 1.0 : 5.0);
    return self;
  };
  build(tables);
  for (const Node& n : nodes) {
    p.nodeTypes.push_back(n.type);
    p.left.push_back(n.left);
    p.right.push_back(n.right);
    p.widths.push_back(8 + rng.below(64));
    p.rows.push_back(n.rows);
    if (n.table >= 0) p.nodeTableIds.push_back(n.table);
    p.nodeTableOffsets.push_back(static_cast<int32_t>(p.nodeTableIds.size()));
  }
  p.treeOffsets.push_back(p.treeOffsets.back() + static_cast<int32_t>(nodes.size()));
  return cost;
}

}  // namespace pilotscope::testing
