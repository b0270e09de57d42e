// afl++ harness for the scenario parser (docs/errors.md, "Fuzzing"): built
// and run by tests/fuzz/afl.sh, never by CI.
//
// One input is a scenario file. It must either parse, or be refused with a
// ScenarioError whose message is one line of UTF-8 that begins with the
// file's name; anything else (a crash, another exception, a sanitizer
// report, another message) is a finding. What parses must also survive a
// round trip through to_toml and compile into interventions, as `harmsim
// run` does with it. Without afl-clang-fast the same program reads one input
// from the file named on its command line (or stdin), to replay findings.
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.hpp"
#include "io/scenario.hpp"
#include "policy/policies.hpp"

namespace {

using harmsim::fuzz::finding;

void check(std::string_view text) {
  using harmsim::io::ScenarioError;
  std::vector<harmsim::io::Scenario> scenarios;
  try {
    scenarios = harmsim::io::parse_scenarios(text, "fuzz.toml");
  } catch (const ScenarioError& e) {
    harmsim::fuzz::check_message(e.what(), {"fuzz.toml"});
    return;
  }
  for (const harmsim::io::Scenario& s : scenarios) {
    const std::string toml = harmsim::io::to_toml(s);
    std::vector<harmsim::io::Scenario> back;
    try {
      back = harmsim::io::parse_scenarios(toml, "roundtrip.toml");
    } catch (const ScenarioError& e) {
      finding("to_toml wrote a file the parser refuses", std::string(e.what()) + "\n" + toml);
    }
    if (back.size() != 1 || harmsim::io::to_toml(back.front()) != toml)
      finding("to_toml does not round-trip", toml);
    (void)harmsim::policy::compile(s.policies, s.params);
  }
}

}  // namespace

HARMSIM_FUZZ_MAIN(check)
