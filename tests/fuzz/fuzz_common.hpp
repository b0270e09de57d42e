#pragma once
// What the afl++ harnesses of tests/fuzz/ share: how a finding is reported
// (abort, which afl records as a crash), the rule for a message (one line of
// UTF-8 that names the input file), and a main() that runs afl's persistent
// loop when built with afl-clang-fast and otherwise reads the inputs from the
// files named on its command line (or one from stdin), to replay findings.
#include <unistd.h>  // read(), used by afl's __AFL_FUZZ_TESTCASE_LEN

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

namespace harmsim::fuzz {

[[noreturn]] inline void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "harmsim fuzz harness: %s\n%s\n", what, detail.c_str());
  std::abort();
}

inline bool valid_utf8(std::string_view text) {
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

// A message shown to the user: one line of UTF-8, without the characters
// that Unicode-aware readers take as line breaks, beginning with one of
// `files` (the input it is about).
inline void check_message(std::string_view message, std::initializer_list<std::string_view> files) {
  const std::string text(message);
  if (message.find('\n') != std::string_view::npos || message.find('\r') != std::string_view::npos)
    finding("a message of several lines", text);
  if (!valid_utf8(message)) finding("a message that is not UTF-8", text);
  for (std::string_view breaker : {"\u0085", "\u2028", "\u2029"})
    if (message.find(breaker) != std::string_view::npos) finding("a message with a Unicode line break", text);
  for (std::string_view file : files)
    if (message.substr(0, file.size()) == file) return;
  finding("a message that does not begin with the file's name", text);
}

}  // namespace harmsim::fuzz

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#define HARMSIM_FUZZ_MAIN(check)                                                     \
  int main() {                                                                       \
    __AFL_INIT();                                                                    \
    const unsigned char* buffer = __AFL_FUZZ_TESTCASE_BUF;                           \
    while (__AFL_LOOP(10000)) {                                                      \
      const auto length = static_cast<std::size_t>(__AFL_FUZZ_TESTCASE_LEN);        \
      check(std::string_view(reinterpret_cast<const char*>(buffer), length));        \
    }                                                                                \
    return 0;                                                                        \
  }
#else
// Several files are checked one after another in one process, as afl's
// persistent loop does (a finding may need the state earlier inputs left).
#define HARMSIM_FUZZ_MAIN(check)                                                             \
  int main(int argc, char** argv) {                                                          \
    std::string text;                                                                        \
    if (argc == 1) {                                                                         \
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()); \
      check(text);                                                                           \
    }                                                                                        \
    for (int i = 1; i < argc; ++i) {                                                         \
      std::ifstream in(argv[i], std::ios::binary);                                           \
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());     \
      check(text);                                                                           \
    }                                                                                        \
    return 0;                                                                                \
  }
#endif
