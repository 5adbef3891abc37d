// The CUDA backend's spill variants (PtxEmitter.h: spillVariants), in the order the
// backend tries them; test/Integration/Inputs/lowbit_cases.py (SPILL_VARIANTS) mirrors
// this list for the SASS and bench tests, so a change here goes there too.
#include "cuda/PtxEmitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tessel::cuda {
namespace {

// "rows", "slackN", "narrow", "exact": how a variant differs from the default target.
std::string describe(const Target &t) {
  std::string s;
  auto add = [&](const std::string &part) { s += (s.empty() ? "" : " ") + part; };
  if (!t.rowPairsByLdmatrix)
    add("rows");
  if (t.registerSlack != 0)
    add("slack" + std::to_string(t.registerSlack));
  if (t.narrowCastViews)
    add("narrow");
  if (!t.foldCastConstants)
    add("exact");
  return s;
}

std::vector<std::string> describeAll(const Target &target) {
  std::vector<std::string> out;
  for (const Target &t : spillVariants(target))
    out.push_back(describe(t));
  return out;
}

TEST(SpillVariantsTest, DefaultTargetOrder) {
  Target t = *Target::parse("sm_90");
  EXPECT_EQ(describeAll(t), (std::vector<std::string>{"rows", "rows slack8", "rows slack16", "rows slack24",
                                                      "rows narrow", "rows exact", "rows slack8 exact"}));
}

TEST(SpillVariantsTest, KnobsAlreadySetAreNotRepeated) {
  Target t = *Target::parse("sm_80");
  t.rowPairsByLdmatrix = false; // $TESSEL_CUDA_ROW_PAIR_LDMATRIX=0
  t.foldCastConstants = false;  // $TESSEL_CUDA_EXACT_CASTS=1
  EXPECT_EQ(describeAll(t), (std::vector<std::string>{"rows slack8 exact", "rows slack16 exact",
                                                      "rows slack24 exact", "rows narrow exact"}));
}

} // namespace
} // namespace tessel::cuda
