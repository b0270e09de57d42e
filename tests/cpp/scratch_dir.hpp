#pragma once
// A fresh directory under the system temp directory for one test, removed with
// everything in it (permissions a test took away are given back first).
#include <stdlib.h>  // mkdtemp

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <system_error>

namespace harmsim::test {

class ScratchDir {
 public:
  // `tag` names the directory (harmsim-TAG-XXXXXX), to tell whose it is.
  explicit ScratchDir(std::string_view tag) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("harmsim-" + std::string(tag) + "-XXXXXX")).string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    namespace fs = std::filesystem;
    std::error_code ignored;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ignored);
    for (const auto& entry : fs::recursive_directory_iterator(path_, ignored))
      if (entry.is_directory(ignored)) fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // The names in the directory itself, sorted.
  [[nodiscard]] std::set<std::string> entries() const {
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) names.insert(entry.path().filename().string());
    return names;
  }
  void write(const std::string& name, std::string_view text) const {
    std::ofstream out(path_ / name, std::ios::binary);
    out << text;
    REQUIRE(out.good());
  }

 private:
  std::filesystem::path path_;
};

}  // namespace harmsim::test
