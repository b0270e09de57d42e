#include "io/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "core/rng.hpp"
#include "io/hdf5_writer.hpp"  // IoError

namespace harmsim::io {

namespace {

// Version 2 added the exposure tables (runs keep them).
constexpr std::string_view kMagic = "HSWUNIT2";
constexpr std::uint64_t kByteOrderMark = 0x0102030405060708ULL;
constexpr std::size_t kIdBytes = 32;
constexpr std::size_t kHeaderWords = 7;  // point, replicate, seed, events, days, strata, metrics

std::string system_error(const std::string& what) { return what + ": " + std::strerror(errno); }

class Buffer {
 public:
  void bytes(const void* data, std::size_t n) {
    if (n == 0) return;  // data may be null (an empty vector)
    const auto* p = static_cast<const char*>(data);
    text_.append(p, n);
  }
  void u64(std::uint64_t v) { bytes(&v, sizeof v); }
  [[nodiscard]] std::string& text() { return text_; }

 private:
  std::string text_;
};

std::uint64_t checksum(std::string_view bytes) { return core::splitmix64(core::fnv1a64(bytes)); }

// Writes all of `data` to `fd`; false on failure (errno set).
bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t written = ::write(fd, data, n);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += written;
    n -= static_cast<std::size_t>(written);
  }
  return true;
}

// A name no other thread, process or host writing into the same directory
// uses at the same time.
std::string temporary_suffix() {
  static std::atomic<std::uint64_t> counter{0};
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format(".tmp.{}.{}.{}", host, static_cast<long>(getpid()), counter.fetch_add(1));
}

// Messages name `path`, the file the user will look for, not the temporary
// name (which is removed on failure).
void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  const std::filesystem::path temporary = path.string() + temporary_suffix();
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(system_error("cannot create " + path.string()));
  const bool written = write_all(fd, content.data(), content.size());
  int saved = errno;
  // On disk before it gets its final name: a crash never leaves a complete
  // name on incomplete contents.
  const bool synced = written && ::fsync(fd) == 0;
  if (written && !synced) saved = errno;
  ::close(fd);
  if (!written || !synced) {
    ::unlink(temporary.c_str());
    errno = saved;
    throw IoError(system_error("cannot write " + path.string()));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    saved = errno;
    ::unlink(temporary.c_str());
    errno = saved;
    throw IoError(system_error("cannot rename " + temporary.string() + " to " + path.string()));
  }
}

}  // namespace

UnitRecord make_unit_record(std::uint64_t point, const model::ReplicateResult& rep, bool keep_series) {
  UnitRecord r;
  r.point = point;
  r.replicate = rep.replicate;
  r.seed = rep.seed;
  r.events = rep.events;
  r.days = rep.days;
  r.totals = rep.totals;
  r.exposure = rep.exposure;
  r.daily.resize(model::kMetricCount * rep.days);
  for (std::size_t m = 0; m < model::kMetricCount; ++m)
    for (std::size_t d = 0; d < rep.days; ++d)
      r.daily[m * rep.days + d] = rep.at(static_cast<model::Metric>(m), d, 0);  // stratum "all"
  if (keep_series) {
    r.strata = rep.strata;
    r.series = rep.series;
  }
  return r;
}

model::ReplicateResult to_replicate_result(UnitRecord record) {
  model::ReplicateResult rep;
  rep.replicate = record.replicate;
  rep.seed = record.seed;
  rep.days = static_cast<std::size_t>(record.days);
  rep.strata = static_cast<std::size_t>(record.strata);
  rep.series = std::move(record.series);
  rep.totals = record.totals;
  rep.exposure = record.exposure;
  rep.events = record.events;
  return rep;
}

std::string sweep_manifest(const std::string& sweep_id, std::size_t points, std::int64_t replicates,
                           bool per_replicate, std::int64_t shard_index, std::int64_t shard_count,
                           const std::string& harmsim_version, const std::string& git_commit) {
  return fmt::format(
      "harmsim sweep checkpoints 2\nsweep_id = {}\npoints = {}\nreplicates = {}\nper_replicate = {}\n"
      "shard = {}/{}\nharmsim_version = {}\ngit_commit = {}\n",
      sweep_id, points, replicates, per_replicate ? 1 : 0, shard_index, shard_count, harmsim_version, git_commit);
}

RunIdentity run_identity(const std::vector<Scenario>& scenarios, const std::string& harmsim_version,
                         const std::string& git_commit) {
  std::string lines = fmt::format("scenarios = {}\n", scenarios.size());
  std::string everything;
  for (std::size_t k = 0; k < scenarios.size(); ++k) {
    const Scenario& s = scenarios[k];
    const std::string config = to_toml(s);
    lines += fmt::format("scenario {} = {}, {} replicates, config {:016x}\n", k, s.name, s.params.replicates,
                         checksum(config));
    everything += config;
    everything += '\0';
  }
  lines += fmt::format("harmsim_version = {}\ngit_commit = {}\n", harmsim_version, git_commit);
  RunIdentity identity;
  identity.id = fmt::format("{:016x}", checksum(everything + lines));
  // The id last: the first line that differs from another run's is then the
  // one that says what changed.
  identity.manifest = "harmsim run checkpoints 1\n" + lines + "run_id = " + identity.id + "\n";
  return identity;
}

CheckpointDir::CheckpointDir(std::filesystem::path directory, std::string id, std::string manifest,
                             std::string kind)
    : directory_(std::move(directory)), id_(std::move(id)), manifest_(std::move(manifest)), kind_(std::move(kind)) {}

void CheckpointDir::open_or_create(std::size_t points) const {
  std::error_code error;
  const std::filesystem::path manifest = directory_ / "manifest";
  if (std::filesystem::exists(manifest, error)) {
    std::ifstream in(manifest, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw IoError("cannot read " + manifest.string());
    if (text.str() != manifest_) {
      // Name the first line that differs.
      std::istringstream have(text.str()), want(manifest_);
      std::string a, b;
      while (std::getline(have, a) && std::getline(want, b) && a == b) {
      }
      throw CheckpointMismatch(fmt::format(
          "{} holds the finished work of another {} (its manifest says `{}`, this {} is `{}`); remove the "
          "directory, choose another -o, or pass --force to discard it",
          directory_.string(), kind_, a, kind_, b));
    }
  } else {
    std::filesystem::create_directories(directory_, error);
    if (error) throw IoError("cannot create " + directory_.string() + ": " + error.message());
    write_file_atomically(manifest, manifest_);
  }
  for (std::size_t k = 0; k < points; ++k) {
    const std::filesystem::path folder = directory_ / fmt::format("p{}", k);
    if (::mkdir(folder.c_str(), 0755) != 0 && errno != EEXIST)
      throw IoError(system_error("cannot create " + folder.string()));
  }
}

std::filesystem::path CheckpointDir::unit_path(std::uint64_t point, std::uint64_t replicate) const {
  return directory_ / fmt::format("p{}", point) / fmt::format("r{}.unit", replicate);
}

std::size_t CheckpointDir::unit_bytes(std::uint64_t days, std::uint64_t strata) {
  const std::size_t metrics = model::kMetricCount;
  return kMagic.size() + sizeof(std::uint64_t) + kIdBytes + kHeaderWords * sizeof(std::uint64_t) +
         metrics * sizeof(double) + std::tuple_size_v<model::ExposureTable> * sizeof(std::uint64_t) + metrics * days * sizeof(float) + metrics * days * strata * sizeof(float) +
         sizeof(std::uint64_t);
}

bool CheckpointDir::has(std::uint64_t point, std::uint64_t replicate, std::size_t expected_bytes) const {
  struct stat info {};
  if (::stat(unit_path(point, replicate).c_str(), &info) != 0) return false;
  return S_ISREG(info.st_mode) && static_cast<std::size_t>(info.st_size) == expected_bytes;
}

void CheckpointDir::write(const UnitRecord& r) const {
  Buffer out;
  out.bytes(kMagic.data(), kMagic.size());
  out.u64(kByteOrderMark);
  std::string id = id_;
  id.resize(kIdBytes, ' ');
  out.bytes(id.data(), kIdBytes);
  for (std::uint64_t v : {r.point, r.replicate, r.seed, r.events, r.days, r.strata,
                          static_cast<std::uint64_t>(model::kMetricCount)})
    out.u64(v);
  out.bytes(r.totals.data(), sizeof(double) * r.totals.size());
  out.bytes(r.exposure.data(), sizeof(std::uint64_t) * r.exposure.size());
  out.bytes(r.daily.data(), sizeof(float) * r.daily.size());
  out.bytes(r.series.data(), sizeof(float) * r.series.size());
  out.u64(checksum(out.text()));
  write_file_atomically(unit_path(r.point, r.replicate), out.text());
}

std::optional<UnitRecord> CheckpointDir::read(std::uint64_t point, std::uint64_t replicate,
                                              std::string* problem) const {
  auto bad = [&](const std::string& why) -> std::optional<UnitRecord> {
    if (problem != nullptr) *problem = unit_path(point, replicate).string() + ": " + why;
    return std::nullopt;
  };
  std::ifstream in(unit_path(point, replicate), std::ios::binary);
  if (!in) return bad("missing");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t fixed = unit_bytes(0, 0);
  if (bytes.size() < fixed) return bad("too short");
  std::size_t at = 0;
  auto take = [&](void* data, std::size_t n) {
    if (n == 0) return;  // data may be null (an empty vector)
    std::memcpy(data, bytes.data() + at, n);
    at += n;
  };
  auto u64 = [&]() {
    std::uint64_t v = 0;
    take(&v, sizeof v);
    return v;
  };
  if (std::string_view(bytes.data(), kMagic.size()) != kMagic) return bad("not a harmsim unit file");
  at = kMagic.size();
  if (u64() != kByteOrderMark) return bad("written on a machine of another byte order");
  std::string id(bytes.data() + at, kIdBytes);
  at += kIdBytes;
  std::string want = id_;
  want.resize(kIdBytes, ' ');
  if (id != want) return bad("from another " + kind_);
  UnitRecord r;
  r.point = u64();
  r.replicate = u64();
  r.seed = u64();
  r.events = u64();
  r.days = u64();
  r.strata = u64();
  const std::uint64_t metrics = u64();
  if (r.point != point || r.replicate != replicate) return bad("holds another unit");
  if (metrics != model::kMetricCount) return bad("written by a program with other metrics");
  if (r.days > (1ULL << 24) || r.strata > (1ULL << 16) || bytes.size() != unit_bytes(r.days, r.strata))
    return bad("damaged (wrong size)");
  std::uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - sizeof stored, sizeof stored);
  if (stored != checksum(std::string_view(bytes.data(), bytes.size() - sizeof stored)))
    return bad("damaged (checksum)");
  take(r.totals.data(), sizeof(double) * r.totals.size());
  take(r.exposure.data(), sizeof(std::uint64_t) * r.exposure.size());
  r.daily.resize(model::kMetricCount * r.days);
  take(r.daily.data(), sizeof(float) * r.daily.size());
  r.series.resize(model::kMetricCount * r.days * r.strata);
  take(r.series.data(), sizeof(float) * r.series.size());
  return r;
}

void CheckpointDir::remove() const {
  std::error_code error;
  std::filesystem::remove_all(directory_, error);
  if (error) throw IoError("cannot remove " + directory_.string() + ": " + error.message());
}

}  // namespace harmsim::io
