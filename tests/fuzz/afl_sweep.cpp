// afl++ harness for the sweep-file parser (docs/errors.md, "Fuzzing"): built
// and run by tests/fuzz/afl.sh sweep, never by CI.
//
// One input is a sweep file, read as if it sat in scenarios/sweeps/ (so
// `base = "small_city.toml"` and `base = "../compare.toml"` resolve). It must
// either parse, or be refused with a ScenarioError whose message is one line
// of UTF-8 that names a file; anything else (a crash, another exception, a
// sanitizer report) is a finding. What parses must have a sweep id of 32 hex
// digits, at least one point, and points that are scenarios `harmsim run`
// could compile. Without afl-clang-fast the same program reads one input from
// the file named on its command line (or stdin), to replay findings.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "io/sweep.hpp"
#include "policy/policies.hpp"

namespace {

using harmsim::fuzz::finding;
using harmsim::fuzz::check_message;

void check(std::string_view text) {
  harmsim::io::Sweep sweep;
  try {
    sweep = harmsim::io::parse_sweep(text, "fuzz_sweep.toml", HARMSIM_SOURCE_DIR "/scenarios/sweeps");
  } catch (const harmsim::io::ScenarioError& e) {
    // The sweep file, or the base file it names (resolved against an
    // absolute directory, so an absolute path).
    check_message(e.what(), {"fuzz_sweep.toml", "/"});
    return;
  }
  if (sweep.sweep_id.size() != 32 || sweep.sweep_id.find_first_not_of("0123456789abcdef") != std::string::npos)
    finding("a sweep id that is not 32 hex digits", sweep.sweep_id);
  if (sweep.points() == 0 || sweep.replicates < 1) finding("a sweep with nothing to run", sweep.canonical_text());
  // The first and the last point, as harmsim sweep makes them (every point
  // was validated by the parser; compiling them all would make a hypercube
  // of a million points take minutes per input).
  for (const std::size_t k : {std::size_t{0}, sweep.points() - 1}) {
    const harmsim::io::Scenario s = sweep.point_scenario(k);
    (void)harmsim::policy::compile(s.policies, s.params);
  }
}

}  // namespace

HARMSIM_FUZZ_MAIN(check)
