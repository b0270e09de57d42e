#pragma once
// Directories for tests that run harmsim: a fresh scratch directory, removed
// with everything in it, and a small filesystem to fill.
#include <fcntl.h>
#include <stdlib.h>  // mkdtemp
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace harmsim::test {

// A fresh directory under the system temp directory for one test, removed with
// everything in it (permissions a test took away are given back first).
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

// A small tmpfs mounted on `where` for the life of the object (as root; not
// every machine allows it), removed even when a check fails.
class SmallDisk {
 public:
  SmallDisk(const std::filesystem::path& where, const std::string& size) : where_(where) {
    std::filesystem::create_directory(where_);
    mounted_ = geteuid() == 0 && ::mount("tmpfs", where_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(where_.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  [[nodiscard]] bool mounted() const { return mounted_; }

  // Writes a file until the disk is full, as another program would.
  void fill() const {
    std::vector<char> block(64 * 1024, 'x');
    const int fd = ::open((where_ / "filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    const int error = errno;
    ::close(fd);
    REQUIRE(error == ENOSPC);
  }
  void empty() const { std::filesystem::remove(where_ / "filler"); }

 private:
  std::filesystem::path where_;
  bool mounted_ = false;
};

}  // namespace harmsim::test
