#include "vm/Fragments.h"

#include <cstdio>
#include <cstdlib>

namespace tessel::vm {
namespace {
Layout known(const char *text) {
  std::string error;
  std::optional<Layout> layout = Layout::parse(text, &error);
  if (!layout) { // the texts are constants checked by the tests: this cannot happen
    std::fprintf(stderr, "tessel: bad built-in layout %s: %s\n", text, error.c_str());
    std::abort();
  }
  return *layout;
}
} // namespace

const Layout &mmaALayout() {
  static const Layout layout = known("column_local(2,2).spatial(8,4).local(1,2)");
  return layout;
}
const Layout &mmaBLayout() {
  static const Layout layout = known("local(2,1).column_spatial(4,8).local(2,1)");
  return layout;
}
const Layout &mmaCLayout() {
  static const Layout layout = known("local(2,1).spatial(8,4).local(1,2)");
  return layout;
}
const Layout &mmaA8Layout() {
  static const Layout layout = known("column_local(2,2).spatial(8,4).local(1,4)");
  return layout;
}
const Layout &mmaB8Layout() {
  static const Layout layout = known("local(2,1).column_spatial(4,8).local(4,1)");
  return layout;
}
const Layout &mmaSpBLayout() {
  static const Layout layout = known("local(4,1).column_spatial(4,8).local(2,1)");
  return layout;
}
const Layout &mmaSpMetaLayout() {
  static const Layout layout =
      known("local(2,1).spatial(8,1).replicate(2).spatial(1,2).local(1,4)");
  return layout;
}
const Layout &ldmatrixLayout(bool transpose) {
  static const Layout plain = known("spatial(8,4).local(1,2)");
  static const Layout transposed = known("column_spatial(4,8).local(2,1)");
  return transpose ? transposed : plain;
}

} // namespace tessel::vm
