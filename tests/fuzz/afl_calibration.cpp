// afl++ harness for the calibration-file parser (docs/errors.md, "Fuzzing"):
// built (when sim/io/calibration.hpp exists) and run by tests/fuzz/afl.sh
// calibration, never by CI.
//
// One input is a calibration file, read as if it sat in scenarios/ (so
// `targets = "targets.toml"` resolves, and that file's scenario files). It
// must either parse, or be refused with a ScenarioError whose message is one
// line of UTF-8 that names a file (the calibration file, or the targets or
// scenario file it leads to); anything else (a crash, another exception, a
// sanitizer report) is a finding. What parses must have a calibration id of
// 32 hex digits and a base scenario for each scenario it runs.
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "io/calibration.hpp"

namespace {

void check(std::string_view text) {
  harmsim::io::Calibration calibration;
  try {
    calibration = harmsim::io::parse_calibration(text, "fuzz_calibration.toml", HARMSIM_SOURCE_DIR "/scenarios");
  } catch (const harmsim::io::ScenarioError& e) {
    // The calibration file, or a file it leads to (resolved against an
    // absolute directory, so an absolute path).
    harmsim::fuzz::check_message(e.what(), {"fuzz_calibration.toml", "/"});
    return;
  }
  if (calibration.calibration_id.size() != 32 ||
      calibration.calibration_id.find_first_not_of("0123456789abcdef") != std::string::npos)
    harmsim::fuzz::finding("a calibration id that is not 32 hex digits", calibration.calibration_id);
  if (calibration.fitted.empty() || calibration.parameters.empty())
    harmsim::fuzz::finding("a calibration without fitted targets or parameters", calibration.canonical_text());
  for (std::size_t s : calibration.scenarios) (void)calibration.base_scenario(s);
}

}  // namespace

HARMSIM_FUZZ_MAIN(check)
