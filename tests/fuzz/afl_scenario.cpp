// afl++ harness for the scenario parser (docs/errors.md, "Fuzzing"): built
// and run by tests/fuzz/afl.sh, never by CI.
//
// One input is a scenario file. It must either parse, or be refused with a
// ScenarioError whose message is one line; anything else (a crash, another
// exception, a sanitizer report, a message that is not one line of UTF-8)
// is a finding. What parses must also survive
// a round trip through to_toml and compile into interventions, as `harmsim
// run` does with it. Without afl-clang-fast the same program reads one input
// from the file named on its command line (or stdin), to replay findings.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "io/scenario.hpp"
#include "policy/policies.hpp"

namespace {

[[noreturn]] void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "harmsim_fuzz_scenario: %s\n%s\n", what, detail.c_str());
  std::abort();
}

bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t n = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > text.size()) return false;
    for (std::size_t j = 1; j < n; ++j)
      if ((static_cast<unsigned char>(text[i + j]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

void check(std::string_view text) {
  using harmsim::io::ScenarioError;
  std::vector<harmsim::io::Scenario> scenarios;
  try {
    scenarios = harmsim::io::parse_scenarios(text, "fuzz.toml");
  } catch (const ScenarioError& e) {
    const std::string_view message = e.what();
    if (message.find('\n') != std::string_view::npos) finding("a message of several lines", e.what());
    if (!valid_utf8(message)) finding("a message that is not UTF-8", e.what());
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

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

int main(int argc, char** argv) {
#ifdef __AFL_FUZZ_TESTCASE_LEN
  (void)argc;
  (void)argv;
  __AFL_INIT();
  const unsigned char* buffer = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(10000)) {
    const auto length = static_cast<std::size_t>(__AFL_FUZZ_TESTCASE_LEN);
    check(std::string_view(reinterpret_cast<const char*>(buffer), length));
  }
#else
  std::string text;
  if (argc > 1) {
    std::ifstream in(argv[1], std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  check(text);
#endif
  return 0;
}
