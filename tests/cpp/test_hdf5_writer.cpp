// The results writer (sim/io/hdf5_writer.hpp) against docs/output.md: the
// .partial → final protocol, shapes, and values read back with the HDF5 C API.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <hdf5.h>

#include "io/hdf5_file.hpp"
#include "io/hdf5_writer.hpp"
#include "model/summary.hpp"
#include "scratch_dir.hpp"

namespace fs = std::filesystem;
using harmsim::io::IoError;
using harmsim::io::ResultsWriter;
using harmsim::io::RunInfo;
using harmsim::io::ScenarioOutput;
using harmsim::model::kMetricCount;
using harmsim::model::Metric;
using harmsim::model::ReplicateResult;

using harmsim::test::ScratchDir;

namespace {

constexpr std::size_t kCommunities = 2;

RunInfo run_info() {
  return {"0.1.0-test", "abc123", "harmsim run test.toml", "2024-01-01T00:00:00Z"};
}

// A value that identifies its metric, replicate, day and stratum exactly in float32.
float series_value(std::size_t metric, std::size_t replicate, std::size_t day,
                   std::size_t stratum) {
  return static_cast<float>(metric * 1000 + replicate * 100 + day * 10) +
         static_cast<float>(stratum) * 0.125f;
}

ScenarioOutput scenario(const std::string& name, std::size_t replicates, std::size_t days) {
  ScenarioOutput s;
  s.name = name;
  s.description = "test scenario " + name;
  s.config_toml = "[scenario]\nname = \"" + name + "\"\n";
  s.seed = 0xFFFF'FFFF'FFFF'FFF0ULL;  // beyond int64, to check it is stored unsigned
  s.warmup_days = 30;
  const std::size_t strata = harmsim::model::strata_count(kCommunities);
  for (std::size_t r = 0; r < replicates; ++r) {
    ReplicateResult rep;
    rep.replicate = r;
    rep.seed = 1000 + r;
    rep.days = days;
    rep.strata = strata;
    rep.events = 50'000 + r;
    rep.series.resize(kMetricCount * days * strata);
    for (std::size_t m = 0; m < kMetricCount; ++m) {
      for (std::size_t d = 0; d < days; ++d) {
        for (std::size_t st = 0; st < strata; ++st) {
          rep.at(static_cast<Metric>(m), d, st) = series_value(m, r, d, st);
        }
      }
      rep.totals[m] = static_cast<double>(m) + 0.5 * static_cast<double>(r);
    }
    rep.stratum_totals.resize(kMetricCount * strata);
    for (std::size_t k = 0; k < rep.stratum_totals.size(); ++k)
      rep.stratum_totals[k] = static_cast<double>(r) * 1e4 + static_cast<double>(k) + 0.25;
    for (std::size_t k = 0; k < rep.exposure.size(); ++k) rep.exposure[k] = r * 1000 + k;
    s.replicates.push_back(std::move(rep));
  }
  return s;
}

// --- reading back -------------------------------------------------------------
class H5 {
 public:
  H5(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) { REQUIRE(id_ >= 0); }
  H5(H5&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  ~H5() {
    if (id_ >= 0) closer_(id_);
  }
  H5(const H5&) = delete;
  H5& operator=(const H5&) = delete;
  [[nodiscard]] hid_t get() const { return id_; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

H5 open_file(const fs::path& path) {
  return {H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
}

std::int64_t int_attribute(hid_t object, const char* name) {
  const H5 attribute(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  std::int64_t value = 0;
  REQUIRE(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value) >= 0);
  return value;
}

std::uint64_t uint_attribute(hid_t object, const char* name) {
  const H5 attribute(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  std::uint64_t value = 0;
  REQUIRE(H5Aread(attribute.get(), H5T_NATIVE_UINT64, &value) >= 0);
  return value;
}

H5 string_memory_type() {
  H5 type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

std::vector<std::string> read_strings(hid_t space,
                                      const std::function<herr_t(hid_t, void*)>& read) {
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
  std::vector<char*> texts(n, nullptr);
  const H5 type = string_memory_type();
  REQUIRE(read(type.get(), texts.data()) >= 0);
  std::vector<std::string> values(texts.begin(), texts.end());
  H5Dvlen_reclaim(type.get(), space, H5P_DEFAULT, texts.data());
  return values;
}

std::vector<std::string> string_attribute(hid_t object, const char* name) {
  const H5 attribute(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  const H5 space(H5Aget_space(attribute.get()), H5Sclose);
  return read_strings(space.get(), [&](hid_t type, void* buffer) {
    return H5Aread(attribute.get(), type, buffer);
  });
}

std::vector<std::string> string_dataset(hid_t file, const char* path) {
  const H5 dataset(H5Dopen2(file, path, H5P_DEFAULT), H5Dclose);
  const H5 space(H5Dget_space(dataset.get()), H5Sclose);
  return read_strings(space.get(), [&](hid_t type, void* buffer) {
    return H5Dread(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
  });
}

std::vector<hsize_t> shape(hid_t file, const std::string& path) {
  const H5 dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  const H5 space(H5Dget_space(dataset.get()), H5Sclose);
  std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space.get())));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

template <class T>
std::vector<T> read_all(hid_t file, const std::string& path, hid_t memory_type) {
  const H5 dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  const H5 space(H5Dget_space(dataset.get()), H5Sclose);
  std::vector<T> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
  REQUIRE(H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
  return values;
}

bool has_attribute(hid_t object, const char* name) { return H5Aexists(object, name) > 0; }

std::vector<char> bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("a results file is NAME.partial until finish, then NAME with complete = 1") {
  ScratchDir dir("writer");
  const fs::path final_path = dir.path() / "results.h5";
  {
    ResultsWriter writer(final_path, run_info(), kCommunities);
    writer.write_scenario(scenario("baseline", 3, 4));
    CHECK(dir.entries() == std::set<std::string>{"results.h5.partial"});
    writer.write_scenario(scenario("street_sting", 2, 4));
    CHECK(dir.entries() == std::set<std::string>{"results.h5.partial"});
    writer.finish();
    CHECK(dir.entries() == std::set<std::string>{"results.h5"});
    CHECK_THROWS_AS(writer.write_scenario(scenario("late", 1, 4)), std::logic_error);
  }
  CHECK(dir.entries() == std::set<std::string>{"results.h5"});

  const H5 file = open_file(final_path);
  CHECK(int_attribute(file.get(), "complete") == 1);
  CHECK(int_attribute(file.get(), "schema_version") == harmsim::io::kSchemaVersion);
  CHECK(string_attribute(file.get(), "git_commit") == std::vector<std::string>{"abc123"});
  CHECK(string_attribute(file.get(), "command_line") ==
        std::vector<std::string>{"harmsim run test.toml"});
  CHECK(string_attribute(file.get(), "finished_at").at(0).size() == 20);  // YYYY-MM-DDTHH:MM:SSZ
  CHECK(string_dataset(file.get(), "/scenario_names") ==
        std::vector<std::string>{"baseline", "street_sting"});
}

TEST_CASE("a writer destroyed without finish leaves only the .partial file, without complete") {
  ScratchDir dir("writer");
  const fs::path final_path = dir.path() / "results.h5";
  {
    ResultsWriter writer(final_path, run_info(), kCommunities);
    writer.write_scenario(scenario("baseline", 2, 3));
  }
  CHECK(dir.entries() == std::set<std::string>{"results.h5.partial"});
  const H5 file = open_file(dir.path() / "results.h5.partial");
  CHECK_FALSE(has_attribute(file.get(), "complete"));
  CHECK_FALSE(has_attribute(file.get(), "finished_at"));
}

TEST_CASE("a new run truncates an old .partial and replaces an old final file") {
  ScratchDir dir("writer");
  const fs::path final_path = dir.path() / "results.h5";
  std::ofstream(dir.path() / "results.h5.partial") << "stale";
  std::ofstream(final_path) << "old";
  ResultsWriter writer(final_path, run_info(), kCommunities);
  writer.write_scenario(scenario("baseline", 1, 2));
  writer.finish();
  CHECK(dir.entries() == std::set<std::string>{"results.h5"});
  const H5 file = open_file(final_path);
  CHECK(int_attribute(file.get(), "complete") == 1);
}

TEST_CASE("series, summaries, totals and exposure tables have the documented shapes and values") {
  ScratchDir dir("writer");
  const fs::path final_path = dir.path() / "results.h5";
  const std::size_t replicates = 3, days = 4;
  const std::size_t strata = harmsim::model::strata_count(kCommunities);
  const ScenarioOutput baseline = scenario("baseline", replicates, days);
  {
    ResultsWriter writer(final_path, run_info(), kCommunities);
    writer.write_scenario(baseline);
    writer.finish();
  }
  const H5 file = open_file(final_path);

  CHECK(string_dataset(file.get(), "/metrics/name").size() == kMetricCount);
  CHECK(string_dataset(file.get(), "/metrics/name").at(0) == "encounters");
  CHECK(string_dataset(file.get(), "/metrics/kind").at(0) == "count");
  CHECK(string_dataset(file.get(), "/strata") == harmsim::model::strata_names(kCommunities));

  const H5 group(H5Gopen2(file.get(), "/scenarios/baseline", H5P_DEFAULT), H5Gclose);
  CHECK(int_attribute(group.get(), "replicates") == 3);
  CHECK(int_attribute(group.get(), "days") == 4);
  CHECK(int_attribute(group.get(), "warmup_days") == 30);
  CHECK(uint_attribute(group.get(), "seed") == 0xFFFF'FFFF'FFFF'FFF0ULL);
  CHECK(string_attribute(group.get(), "description") ==
        std::vector<std::string>{"test scenario baseline"});
  CHECK(string_dataset(file.get(), "/scenarios/baseline/config") ==
        std::vector<std::string>{baseline.config_toml});
  CHECK(read_all<std::uint64_t>(file.get(), "/scenarios/baseline/replicate_seeds",
                                H5T_NATIVE_UINT64) == std::vector<std::uint64_t>{1000, 1001, 1002});
  CHECK(read_all<std::uint64_t>(file.get(), "/scenarios/baseline/events", H5T_NATIVE_UINT64) ==
        std::vector<std::uint64_t>{50'000, 50'001, 50'002});

  const std::string series = "/scenarios/baseline/series/arrests_worker";
  const std::string summary = "/scenarios/baseline/summary/arrests_worker";
  CHECK(shape(file.get(), series) == std::vector<hsize_t>{replicates, days, strata});
  CHECK(shape(file.get(), summary) == std::vector<hsize_t>{5, days, strata});
  CHECK(shape(file.get(), "/scenarios/baseline/totals/arrests_worker") ==
        std::vector<hsize_t>{replicates});
  CHECK(shape(file.get(), "/scenarios/baseline/exposure") ==
        std::vector<hsize_t>{replicates, 3, 3, 3, 4});
  CHECK(shape(file.get(), "/scenarios/baseline/stratum_totals") ==
        std::vector<hsize_t>{replicates, kMetricCount, strata});

  // Every metric has its three datasets.
  for (const auto& metric : harmsim::model::kMetrics) {
    const std::string name(metric.name);
    CHECK(H5Lexists(file.get(), ("/scenarios/baseline/series/" + name).c_str(), H5P_DEFAULT) > 0);
    CHECK(H5Lexists(file.get(), ("/scenarios/baseline/summary/" + name).c_str(), H5P_DEFAULT) > 0);
    CHECK(H5Lexists(file.get(), ("/scenarios/baseline/totals/" + name).c_str(), H5P_DEFAULT) > 0);
  }

  const auto m = harmsim::model::index(Metric::arrests_worker);
  const auto values = read_all<float>(file.get(), series, H5T_NATIVE_FLOAT);
  // [r=2, d=3, s=5]
  CHECK(values.at((2 * days + 3) * strata + 5) == series_value(m, 2, 3, 5));
  std::vector<float> expected;  // each replicate's [D, S] block of this metric, in order
  for (const ReplicateResult& rep : baseline.replicates) {
    const auto block = rep.series.begin() + static_cast<std::ptrdiff_t>(m * days * strata);
    expected.insert(expected.end(), block, block + static_cast<std::ptrdiff_t>(days * strata));
  }
  CHECK(values == expected);

  const auto written_summary = read_all<double>(file.get(), summary, H5T_NATIVE_DOUBLE);
  CHECK(written_summary ==
        harmsim::model::summarize_series(baseline.replicates, Metric::arrests_worker));
  {
    const H5 dataset(H5Dopen2(file.get(), summary.c_str(), H5P_DEFAULT), H5Dclose);
    CHECK(string_attribute(dataset.get(), "statistics") ==
          std::vector<std::string>{"mean", "sd", "q025", "q500", "q975"});
  }

  CHECK(read_all<double>(file.get(), "/scenarios/baseline/totals/arrests_worker",
                         H5T_NATIVE_DOUBLE) ==
        std::vector<double>{static_cast<double>(m), m + 0.5, m + 1.0});

  const auto exposure =
      read_all<std::uint64_t>(file.get(), "/scenarios/baseline/exposure", H5T_NATIVE_UINT64);
  // replicate 2, sector venue (1), exposure policed_180d (2), outcome
  // buyer_violence_180d (1), cell unexposed_outcome (2)
  const std::size_t cell = ((1 * 3 + 2) * 3 + 1) * 4 + 2;
  CHECK(cell == harmsim::model::exposure_index(1, 2, 1, 2));
  CHECK(exposure.at(2 * 108 + cell) == 2000 + cell);
  const H5 exposure_set(H5Dopen2(file.get(), "/scenarios/baseline/exposure", H5P_DEFAULT),
                        H5Dclose);
  CHECK(string_attribute(exposure_set.get(), "strata") ==
        std::vector<std::string>{"street", "venue", "online"});
  CHECK(string_attribute(exposure_set.get(), "exposures") ==
        std::vector<std::string>{"arrested_180d", "displaced_180d", "policed_180d"});
  CHECK(string_attribute(exposure_set.get(), "outcomes") ==
        std::vector<std::string>{"violence_180d", "buyer_violence_180d", "condomless_180d"});
  CHECK(string_attribute(exposure_set.get(), "cells") ==
        std::vector<std::string>{"exposed_outcome", "exposed_no_outcome", "unexposed_outcome",
                                 "unexposed_no_outcome"});

  // stratum_totals [R, M, S]: each replicate's [metric][stratum] block, in order.
  const auto stratum_totals =
      read_all<double>(file.get(), "/scenarios/baseline/stratum_totals", H5T_NATIVE_DOUBLE);
  std::vector<double> expected_totals;
  for (const ReplicateResult& rep : baseline.replicates)
    expected_totals.insert(expected_totals.end(), rep.stratum_totals.begin(), rep.stratum_totals.end());
  CHECK(stratum_totals == expected_totals);
  CHECK(stratum_totals.at((1 * kMetricCount + m) * strata + 4) == 1e4 + static_cast<double>(m * strata + 4) + 0.25);
}

TEST_CASE("series are chunked one replicate at a time with shuffle and gzip") {
  ScratchDir dir("writer");
  const fs::path final_path = dir.path() / "results.h5";
  {
    ResultsWriter writer(final_path, run_info(), kCommunities);
    writer.write_scenario(scenario("baseline", 2, 5));
    writer.finish();
  }
  const H5 file = open_file(final_path);
  const H5 dataset(H5Dopen2(file.get(), "/scenarios/baseline/series/encounters", H5P_DEFAULT),
                   H5Dclose);
  const H5 properties(H5Dget_create_plist(dataset.get()), H5Pclose);
  REQUIRE(H5Pget_layout(properties.get()) == H5D_CHUNKED);
  std::vector<hsize_t> chunk(3);
  H5Pget_chunk(properties.get(), 3, chunk.data());
  CHECK(chunk == std::vector<hsize_t>{1, 5, harmsim::model::strata_count(kCommunities)});
  CHECK(H5Pget_nfilters(properties.get()) == 2);
  auto filter = [&](unsigned position, unsigned& first_value) {
    unsigned flags = 0;
    std::array<unsigned, 8> values{};
    std::size_t n_values = values.size();
    const H5Z_filter_t id = H5Pget_filter2(properties.get(), position, &flags, &n_values,
                                           values.data(), 0, nullptr, nullptr);
    first_value = values[0];
    return id;
  };
  unsigned level = 0, ignored = 0;
  CHECK(filter(0, ignored) == H5Z_FILTER_SHUFFLE);
  CHECK(filter(1, level) == H5Z_FILTER_DEFLATE);
  CHECK(level == 4);
}

TEST_CASE("the same results written twice differ only in the finishing time") {
  ScratchDir dir("writer");
  std::vector<std::vector<char>> files;
  for (const char* name : {"a.h5", "b.h5"}) {
    ResultsWriter writer(dir.path() / name, run_info(), kCommunities);
    writer.write_scenario(scenario("baseline", 2, 3));
    writer.write_scenario(scenario("street_sting", 2, 3));
    writer.finish();
    files.push_back(bytes_of(dir.path() / name));
  }
  REQUIRE(files[0].size() == files[1].size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < files[0].size(); ++i) differing += files[0][i] != files[1][i];
  CHECK(differing <= 20);  // at most the characters of finished_at
}

TEST_CASE("strata are named all, then the 36 cells in cell_stratum order, then communities") {
  const auto names = harmsim::model::strata_names(2);
  REQUIRE(names.size() == 1 + 36 + 2);
  CHECK(names[0] == "all");
  CHECK(names[1] == "street/documented/adult/central");
  CHECK(names[harmsim::model::cell_stratum(0, true, true, 2)] ==
        "street/undocumented/minor/isolated");
  CHECK(names[harmsim::model::cell_stratum(1, false, true, 1)] ==
        "venue/documented/minor/peripheral");
  CHECK(names[36] == "online/undocumented/minor/isolated");
  CHECK(names[37] == "community/0");
  CHECK(names[38] == "community/1");
}

TEST_CASE("a results file in a missing directory raises an IoError naming the file") {
  ScratchDir dir("writer");
  const fs::path final_path = dir.path() / "no_such_dir" / "results.h5";
  try {
    ResultsWriter writer(final_path, run_info(), kCommunities);
    FAIL("no error");
  } catch (const IoError& error) {
    const std::string message = error.what();
    CHECK_THAT(message, Catch::Contains("results.h5.partial"));
    CHECK_THAT(message, Catch::Contains("create"));
  }
}

TEST_CASE("a malformed scenario is refused with the scenario's name") {
  ScratchDir dir("writer");
  ResultsWriter writer(dir.path() / "results.h5", run_info(), kCommunities);

  auto out_of_order = scenario("shuffled", 2, 3);
  std::swap(out_of_order.replicates[0], out_of_order.replicates[1]);
  CHECK_THROWS_WITH(writer.write_scenario(out_of_order), Catch::Contains("shuffled"));

  auto wrong_strata = scenario("wrong_strata", 2, 3);
  wrong_strata.replicates[1].strata = 5;
  CHECK_THROWS_AS(writer.write_scenario(wrong_strata), std::invalid_argument);

  auto short_totals = scenario("short_totals", 2, 3);
  short_totals.replicates[1].stratum_totals.pop_back();
  CHECK_THROWS_WITH(writer.write_scenario(short_totals), Catch::Contains("stratum totals"));

  CHECK_THROWS_AS(writer.write_scenario(scenario("a/b", 1, 3)), std::invalid_argument);
  CHECK_THROWS_AS(writer.write_scenario(scenario("empty", 0, 3)), std::invalid_argument);

  writer.write_scenario(scenario("baseline", 1, 3));
  CHECK_THROWS_AS(writer.write_scenario(scenario("baseline", 1, 3)), std::invalid_argument);
}

TEST_CASE("harmsim has the HDF5 library load no filter plugin when it writes or reads a file") {
  // A plugin links the shared libhdf5: a second copy of the library beside
  // the static one harmsim links (cmake/Dependencies.cmake).
  ScratchDir dir("plugins");
  const auto loading_state = [] {
    unsigned state = 0;
    REQUIRE(H5PLget_loading_state(&state) >= 0);
    return state;
  };
  // The library's default: every kind of plugin (unless HDF5_PLUGIN_PRELOAD
  // says otherwise, which would make this test prove nothing).
  const auto allow_every_plugin = [&] {
    REQUIRE(H5PLset_loading_state(H5PL_ALL_PLUGIN) >= 0);
    REQUIRE(loading_state() == H5PL_ALL_PLUGIN);
  };

  allow_every_plugin();
  {
    ResultsWriter writer(dir.path() / "r.h5", run_info(), kCommunities);
    writer.write_scenario(scenario("baseline", 1, 2));
    writer.finish();
  }
  CHECK(loading_state() == 0);

  allow_every_plugin();
  {
    harmsim::io::h5::Reader reader;
    reader.open(dir.path() / "r.h5");
  }
  CHECK(loading_state() == 0);
}
