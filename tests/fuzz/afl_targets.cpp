// afl++ harness for the targets-file parser (docs/errors.md, "Fuzzing"):
// built (when sim/io/targets.hpp exists) and run by tests/fuzz/afl.sh
// targets, never by CI.
//
// One input is a targets file, read as if it sat in scenarios/ (so
// `scenarios = "compare.toml"` resolves). It must either parse, or be
// refused with a ScenarioError whose message is one line of UTF-8 that names
// a file (the targets file, or a scenario file it names); anything else (a
// crash, another exception, a sanitizer report) is a finding. What parses
// must describe each of its targets (the words `harmsim targets` prints).
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "io/targets.hpp"

namespace {

void check(std::string_view text) {
  harmsim::io::TargetsFile file;
  try {
    file = harmsim::io::parse_targets(text, "fuzz_targets.toml", HARMSIM_SOURCE_DIR "/scenarios");
  } catch (const harmsim::io::ScenarioError& e) {
    // The targets file, or a scenario file it names (resolved against an
    // absolute directory, so an absolute path).
    harmsim::fuzz::check_message(e.what(), {"fuzz_targets.toml", "/"});
    return;
  }
  for (const harmsim::io::PublishedTarget& t : file.targets) (void)harmsim::io::describe_target(file, t);
}

}  // namespace

HARMSIM_FUZZ_MAIN(check)
