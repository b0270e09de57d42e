#pragma once
// Reading a results or sweep file back for the tests that compare two runs:
// every dataset and attribute as raw bytes, so that "the same results" means
// the same bits.
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <hdf5.h>
#include <catch2/catch.hpp>

namespace harmsim::test {

// An HDF5 identifier closed when it goes out of scope.
struct H5Id {
  hid_t id;
  herr_t (*closer)(hid_t);
  H5Id(hid_t i, herr_t (*c)(hid_t)) : id(i), closer(c) { REQUIRE(id >= 0); }
  ~H5Id() { closer(id); }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
};

// The content of a dataset or attribute: raw bytes in the file's own type,
// variable-length strings as their text.
inline std::string read_content(hid_t type, hid_t space, bool is_attribute, hid_t object) {
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
  if (H5Tis_variable_str(type) > 0) {
    std::vector<char*> texts(n, nullptr);
    const H5Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.id, H5T_VARIABLE);
    H5Tset_cset(mem.id, H5Tget_cset(type));
    const herr_t status = is_attribute ? H5Aread(object, mem.id, texts.data())
                                       : H5Dread(object, mem.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data());
    REQUIRE(status >= 0);
    std::string out;
    for (char* t : texts) {
      out += t != nullptr ? t : "<null>";
      out += '\0';
    }
    H5Dvlen_reclaim(mem.id, space, H5P_DEFAULT, texts.data());
    return out;
  }
  std::string bytes(n * H5Tget_size(type), '\0');
  if (n > 0) {
    const herr_t status = is_attribute ? H5Aread(object, type, bytes.data())
                                       : H5Dread(object, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
    REQUIRE(status >= 0);
  }
  return bytes;
}

// Every dataset ("/path") and attribute ("/path@name", "@name" at the root)
// of a file: its bytes.
using H5Contents = std::map<std::string, std::string>;

namespace detail {
inline herr_t collect_attribute(hid_t owner, const char* name, const H5A_info_t*, void* data) {
  auto& [contents, path] = *static_cast<std::pair<H5Contents*, std::string>*>(data);
  const H5Id attribute(H5Aopen(owner, name, H5P_DEFAULT), H5Aclose);
  const H5Id type(H5Aget_type(attribute.id), H5Tclose);
  const H5Id space(H5Aget_space(attribute.id), H5Sclose);
  (*contents)[path + "@" + name] = read_content(type.id, space.id, true, attribute.id);
  return 0;
}

inline void collect_attributes(hid_t object, const std::string& path, H5Contents& contents) {
  std::pair<H5Contents*, std::string> data{&contents, path};
  hsize_t index = 0;
  REQUIRE(H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute, &data) >= 0);
}

inline herr_t collect_link(hid_t root, const char* name, const H5L_info_t*, void* data) {
  auto& contents = *static_cast<H5Contents*>(data);
  const H5Id object(H5Oopen(root, name, H5P_DEFAULT), H5Oclose);
  const std::string path = std::string("/") + name;
  collect_attributes(object.id, path, contents);
  if (H5Iget_type(object.id) == H5I_DATASET) {
    const H5Id type(H5Dget_type(object.id), H5Tclose);
    const H5Id space(H5Dget_space(object.id), H5Sclose);
    contents[path] = read_content(type.id, space.id, false, object.id);
  }
  return 0;
}
}  // namespace detail

// Every dataset and attribute of a results or sweep file, except the root
// attributes that legitimately differ between runs (docs/output.md): when it
// started and finished, and its command line.
inline H5Contents read_h5_contents(const std::filesystem::path& file) {
  INFO("reading " << file);
  REQUIRE(H5Fis_hdf5(file.c_str()) > 0);
  const H5Id f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  H5Contents contents;
  detail::collect_attributes(f.id, "", contents);
  for (const char* varying : {"@started_at", "@finished_at", "@command_line"}) {
    CHECK(contents.count(varying) == 1);
    contents.erase(varying);
  }
  REQUIRE(H5Lvisit(f.id, H5_INDEX_NAME, H5_ITER_INC, detail::collect_link, &contents) >= 0);
  return contents;
}

// "" when equal, else where they first differ (raw bytes make unreadable
// failure messages).
inline std::string difference(const std::string& a, const std::string& b) {
  if (a == b) return {};
  if (a.size() != b.size()) return std::to_string(a.size()) + " bytes against " + std::to_string(b.size());
  std::size_t i = 0;
  while (a[i] == b[i]) ++i;
  return "first difference at byte " + std::to_string(i) + " of " + std::to_string(a.size());
}

// The same objects with the same bytes.
inline void check_identical(const H5Contents& a, const H5Contents& b) {
  REQUIRE(a.size() == b.size());
  for (const auto& [path, bytes] : a) {
    INFO("object " << path);
    REQUIRE(b.count(path) == 1);
    CHECK(difference(b.at(path), bytes) == "");
  }
}

}  // namespace harmsim::test
