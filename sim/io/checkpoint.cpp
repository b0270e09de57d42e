#include "io/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "core/rng.hpp"
#include "io/hdf5_writer.hpp"  // IoError

namespace harmsim::io {

namespace {

// The magic ends in the record version. Version 2 added the exposure
// tables; version 3 the stratum totals, and exposure tables by sector with
// three outcomes (docs/output.md, schema version 2); version 4 stores the
// data deflated (zlib), each series time-contiguous, and says how many bytes
// it stores (docs/performance.md "Checkpoint size").
constexpr std::string_view kMagicStem = "HSWUNIT";
constexpr std::string_view kMagic = "HSWUNIT4";
constexpr std::uint64_t kByteOrderMark = 0x0102030405060708ULL;
constexpr std::size_t kIdBytes = 32;
// point, replicate, seed, events, days, strata, metrics, totals_strata,
// encoding, stored (bytes of data that follow the header)
constexpr std::size_t kHeaderWords = 10;

// How the data of a record are stored. Deflate unless that would not make
// them smaller (then as they are, so a record never takes more than
// CheckpointDir::unit_bytes).
enum class Encoding : std::uint64_t { kRaw = 0, kDeflate = 1 };
// zlib's fastest level: a unit of the default comparison (3 MB of series)
// deflates to about 1/18 in about 10 ms, against about 200 ms to simulate
// it; levels 4 and 6 save another 14 and 17 % in 1.5 and 2.2 times the time
// (docs/performance.md "Checkpoint size").
constexpr int kDeflateLevel = 1;
// What the disk checks before a run count a unit for, as a share of its most
// bytes: deflated, units of the default comparison take 1/17 to 1/25 of
// them, a sweep's (no series by stratum) 1/5 (docs/performance.md
// "Checkpoint size"); a quarter keeps above both without refusing runs
// that fit. It is an estimate, not a bound: a run that fills the disk all
// the same stops with its finished units kept, and resumes.
constexpr std::size_t kExpectedShrink = 4;

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
  // Something else where the file belongs (a directory, in a damaged
  // checkpoint directory) is in the way of every rerun: it goes.
  std::error_code ignored;
  if (std::filesystem::is_directory(std::filesystem::symlink_status(path, ignored)))
    std::filesystem::remove_all(path, ignored);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    saved = errno;
    ::unlink(temporary.c_str());
    errno = saved;
    throw IoError(system_error("cannot rename " + temporary.string() + " to " + path.string()));
  }
}

// The header of a record: what says which unit it is and how long it is.
struct RecordHeader {
  std::uint64_t point = 0, replicate = 0, seed = 0, events = 0, days = 0, strata = 0, metrics = 0,
                totals_strata = 0, encoding = 0, stored = 0;
};
constexpr std::size_t kHeaderBytes = 8 + sizeof(std::uint64_t) + kIdBytes + kHeaderWords * sizeof(std::uint64_t);
constexpr std::size_t kChecksumBytes = sizeof(std::uint64_t);

// Bytes of the data of a record as they are (before deflate): totals,
// stratum totals, exposure tables, daily series, series.
std::size_t data_bytes(std::uint64_t days, std::uint64_t strata, std::uint64_t totals_strata) {
  const std::size_t metrics = model::kMetricCount;
  return metrics * sizeof(double) + metrics * totals_strata * sizeof(double) +
         std::tuple_size_v<model::ExposureTable> * sizeof(std::uint64_t) + metrics * days * sizeof(float) +
         metrics * days * strata * sizeof(float);
}

// Bytes of the whole record the header describes.
std::uint64_t record_bytes(const RecordHeader& h) { return kHeaderBytes + h.stored + kChecksumBytes; }

std::string padded_id(const std::string& id) {
  std::string out = id;
  out.resize(kIdBytes, ' ');
  return out;
}

// The data of a record as they are: totals, stratum totals, exposure
// tables, daily series, then the series of every stratum with each
// (metric, stratum) series time-contiguous ([metric][stratum][day], where
// the record holds [metric][day][stratum]): a stratum's days follow one
// another, so that deflate finds their runs of zeros and repeated values
// (a fifth smaller than in the record's order, docs/performance.md).
std::string data_of(const UnitRecord& r) {
  Buffer out;
  out.text().reserve(data_bytes(r.days, r.strata, r.totals_strata));
  out.bytes(r.totals.data(), sizeof(double) * r.totals.size());
  out.bytes(r.stratum_totals.data(), sizeof(double) * r.stratum_totals.size());
  out.bytes(r.exposure.data(), sizeof(std::uint64_t) * r.exposure.size());
  out.bytes(r.daily.data(), sizeof(float) * r.daily.size());
  const std::size_t days = r.days, strata = r.strata;
  std::vector<float> by_stratum(r.series.size());
  for (std::size_t m = 0; m < model::kMetricCount && !by_stratum.empty(); ++m)
    for (std::size_t d = 0; d < days; ++d)
      for (std::size_t s = 0; s < strata; ++s)
        by_stratum[(m * strata + s) * days + d] = r.series[(m * days + d) * strata + s];
  out.bytes(by_stratum.data(), sizeof(float) * by_stratum.size());
  return std::move(out.text());
}

// The record's bytes: magic, byte-order mark, id, header words, the data
// (deflated unless that does not make them smaller), checksum of all before
// it.
std::string encode(const UnitRecord& r, const std::string& id) {
  if (r.series.size() != model::kMetricCount * r.days * r.strata || r.daily.size() != model::kMetricCount * r.days ||
      r.stratum_totals.size() != model::kMetricCount * r.totals_strata)
    throw std::logic_error(fmt::format("unit p{} replicate {}: a record whose series do not have its sizes",
                                       r.point, r.replicate));
  const std::string data = data_of(r);
  std::string out(kHeaderBytes + data.size() + kChecksumBytes, '\0');
  // Deflated straight after the header; a buffer one byte shorter than the
  // data (never empty: the totals are always there) makes zlib give up
  // (Z_BUF_ERROR) when deflate would not save.
  auto stored = static_cast<uLongf>(data.size() - 1);
  Encoding encoding = Encoding::kDeflate;
  const int status = ::compress2(reinterpret_cast<Bytef*>(out.data() + kHeaderBytes), &stored,
                                 reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()),
                                 kDeflateLevel);
  if (status == Z_BUF_ERROR) {
    encoding = Encoding::kRaw;
    stored = static_cast<uLongf>(data.size());
    std::memcpy(out.data() + kHeaderBytes, data.data(), data.size());
  } else if (status != Z_OK) {
    throw std::runtime_error(fmt::format("zlib cannot deflate unit p{} replicate {} (zlib error {})", r.point,
                                         r.replicate, status));
  }
  out.resize(kHeaderBytes + stored + kChecksumBytes);
  std::size_t at = 0;
  auto put = [&](const void* bytes, std::size_t n) {
    std::memcpy(out.data() + at, bytes, n);
    at += n;
  };
  auto u64 = [&](std::uint64_t v) { put(&v, sizeof v); };
  put(kMagic.data(), kMagic.size());
  u64(kByteOrderMark);
  const std::string padded = padded_id(id);
  put(padded.data(), kIdBytes);
  for (std::uint64_t v : {r.point, r.replicate, r.seed, r.events, r.days, r.strata,
                          static_cast<std::uint64_t>(model::kMetricCount), r.totals_strata,
                          static_cast<std::uint64_t>(encoding), static_cast<std::uint64_t>(stored)})
    u64(v);
  at = kHeaderBytes + stored;
  u64(checksum(std::string_view(out).substr(0, at)));
  return out;
}

// Checks the kHeaderBytes at `bytes` (magic, byte order, id, metrics, sane
// sizes and encoding); the reason in `why` if they are not the header of a
// record of `id`.
std::optional<RecordHeader> decode_header(std::string_view bytes, const std::string& id, const std::string& kind,
                                          std::string& why) {
  if (bytes.size() < kHeaderBytes) {
    why = "too short";
    return std::nullopt;
  }
  std::size_t at = 0;
  auto u64 = [&]() {
    std::uint64_t v = 0;
    std::memcpy(&v, bytes.data() + at, sizeof v);
    at += sizeof v;
    return v;
  };
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    if (bytes.substr(0, kMagicStem.size()) == kMagicStem)
      why = fmt::format("written by another version of harmsim (unit record version {}, this one reads {})",
                        printable(bytes.substr(kMagicStem.size(), kMagic.size() - kMagicStem.size())),
                        kMagic.substr(kMagicStem.size()));
    else
      why = "not a harmsim unit record";
    return std::nullopt;
  }
  at = kMagic.size();
  if (u64() != kByteOrderMark) {
    why = "written on a machine of another byte order";
    return std::nullopt;
  }
  if (bytes.substr(at, kIdBytes) != padded_id(id)) {
    why = "from another " + kind;
    return std::nullopt;
  }
  at += kIdBytes;
  RecordHeader h;
  h.point = u64();
  h.replicate = u64();
  h.seed = u64();
  h.events = u64();
  h.days = u64();
  h.strata = u64();
  h.metrics = u64();
  h.totals_strata = u64();
  h.encoding = u64();
  h.stored = u64();
  if (h.metrics != model::kMetricCount) {
    why = "written by a program with other metrics";
    return std::nullopt;
  }
  if (h.days > (1ULL << 24) || h.strata > (1ULL << 16) || h.totals_strata > (1ULL << 16)) {
    why = "damaged (sizes)";
    return std::nullopt;
  }
  // Deflated data are shorter than the data (encode stores them as they are
  // otherwise): a damaged header never makes a reader take or allocate more.
  const std::size_t data = data_bytes(h.days, h.strata, h.totals_strata);
  const bool raw = h.encoding == static_cast<std::uint64_t>(Encoding::kRaw);
  if ((!raw && h.encoding != static_cast<std::uint64_t>(Encoding::kDeflate)) || (raw && h.stored != data) ||
      (!raw && (h.stored == 0 || h.stored >= data))) {
    why = "damaged (encoding)";
    return std::nullopt;
  }
  return h;
}

// A whole record of unit (point, replicate) of `id` from `bytes`, or nullopt
// with the reason in `why`.
std::optional<UnitRecord> decode(std::string_view bytes, const std::string& id, const std::string& kind,
                                 std::uint64_t point, std::uint64_t replicate, std::string& why) {
  const std::optional<RecordHeader> h = decode_header(bytes, id, kind, why);
  if (!h) return std::nullopt;
  if (h->point != point || h->replicate != replicate) {
    why = "holds another unit";
    return std::nullopt;
  }
  if (bytes.size() != record_bytes(*h)) {
    why = "damaged (wrong size)";
    return std::nullopt;
  }
  // Over what is stored: damage is found before anything is inflated.
  std::uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - sizeof stored, sizeof stored);
  if (stored != checksum(bytes.substr(0, bytes.size() - sizeof stored))) {
    why = "damaged (checksum)";
    return std::nullopt;
  }
  const std::size_t data_size = data_bytes(h->days, h->strata, h->totals_strata);
  std::string_view data = bytes.substr(kHeaderBytes, h->stored);
  std::string inflated;
  if (h->encoding == static_cast<std::uint64_t>(Encoding::kDeflate)) {
    inflated.resize(data_size);
    auto size = static_cast<uLongf>(data_size);
    auto used = static_cast<uLong>(data.size());
    // (zlib checks its own Adler-32 of the data too.) All of it, to exactly
    // the data's size, or it is not what encode wrote.
    if (::uncompress2(reinterpret_cast<Bytef*>(inflated.data()), &size,
                      reinterpret_cast<const Bytef*>(data.data()), &used) != Z_OK ||
        size != data_size || used != data.size()) {
      why = "damaged (does not inflate)";
      return std::nullopt;
    }
    data = inflated;
  }
  UnitRecord r;
  r.point = h->point;
  r.replicate = h->replicate;
  r.seed = h->seed;
  r.events = h->events;
  r.days = h->days;
  r.strata = h->strata;
  r.totals_strata = h->totals_strata;
  std::size_t at = 0;
  auto take = [&](void* out, std::size_t n) {
    if (n == 0) return;  // out may be null (an empty vector)
    std::memcpy(out, data.data() + at, n);
    at += n;
  };
  take(r.totals.data(), sizeof(double) * r.totals.size());
  r.stratum_totals.resize(model::kMetricCount * r.totals_strata);
  take(r.stratum_totals.data(), sizeof(double) * r.stratum_totals.size());
  take(r.exposure.data(), sizeof(std::uint64_t) * r.exposure.size());
  r.daily.resize(model::kMetricCount * r.days);
  take(r.daily.data(), sizeof(float) * r.daily.size());
  // Back from [metric][stratum][day] (data_of).
  const std::size_t days = r.days, strata = r.strata;
  std::vector<float> by_stratum(model::kMetricCount * days * strata);
  take(by_stratum.data(), sizeof(float) * by_stratum.size());
  r.series.resize(by_stratum.size());
  for (std::size_t m = 0; m < model::kMetricCount && !by_stratum.empty(); ++m)
    for (std::size_t s = 0; s < strata; ++s)
      for (std::size_t d = 0; d < days; ++d)
        r.series[(m * days + d) * strata + s] = by_stratum[(m * strata + s) * days + d];
  return r;
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
  r.totals_strata = rep.totals_strata();
  r.stratum_totals = rep.stratum_totals;
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

std::string encode_unit_record(const UnitRecord& record, const std::string& id) { return encode(record, id); }

std::optional<UnitRecord> decode_unit_record(std::string_view bytes, const std::string& id, const std::string& kind,
                                             std::uint64_t point, std::uint64_t replicate, std::string* problem) {
  std::string why;
  std::optional<UnitRecord> record = decode(bytes, id, kind, point, replicate, why);
  if (!record && problem != nullptr) *problem = why;
  return record;
}

model::ReplicateResult to_replicate_result(UnitRecord record) {
  model::ReplicateResult rep;
  rep.replicate = record.replicate;
  rep.seed = record.seed;
  rep.days = static_cast<std::size_t>(record.days);
  rep.strata = static_cast<std::size_t>(record.strata);
  rep.series = std::move(record.series);
  rep.totals = record.totals;
  rep.stratum_totals = std::move(record.stratum_totals);
  rep.exposure = record.exposure;
  rep.events = record.events;
  return rep;
}

std::string sweep_manifest(const std::string& sweep_id, std::size_t points, std::int64_t replicates,
                           bool per_replicate, std::int64_t shard_index, std::int64_t shard_count,
                           const std::string& harmsim_version, const std::string& git_commit) {
  return fmt::format(
      "harmsim sweep checkpoints 4\nsweep_id = {}\npoints = {}\nreplicates = {}\nper_replicate = {}\n"
      "shard = {}/{}\nharmsim_version = {}\ngit_commit = {}\n",
      sweep_id, points, replicates, per_replicate ? 1 : 0, shard_index, shard_count, harmsim_version, git_commit);
}

RunIdentity run_identity(const std::vector<Scenario>& scenarios, const std::string& harmsim_version,
                         const std::string& git_commit, const std::string& extra) {
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
  // (Only when there is any, so that the ids of ordinary runs stay.)
  if (!extra.empty()) lines += extra.back() == '\n' ? extra : extra + '\n';
  lines += fmt::format("harmsim_version = {}\ngit_commit = {}\n", harmsim_version, git_commit);
  RunIdentity identity;
  identity.id = fmt::format("{:016x}", checksum(everything + lines));
  // The id last: the first line that differs from another run's is then the
  // one that says what changed.
  identity.manifest = "harmsim run checkpoints 2\n" + lines + "run_id = " + identity.id + "\n";
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
      bool first = true;
      while (std::getline(have, a) && std::getline(want, b) && a == b) first = false;
      // The first line is the kind of work and the format of its records
      // (sweep_manifest, run_identity): the same work in another format
      // cannot be read, whatever else matches.
      const auto kind_of = [](const std::string& line) { return line.substr(0, line.rfind(' ')); };
      if (first && a != b && a.starts_with("harmsim ") && kind_of(a) == kind_of(b))
        throw CheckpointMismatch(fmt::format(
            "{} holds checkpoints in another format, written by another version of harmsim (its manifest says "
            "`{}`, this harmsim writes `{}`); remove the directory, choose another -o, or pass --force to discard "
            "it",
            directory_.string(), shown(a, 120), b));
      throw CheckpointMismatch(fmt::format(
          "{} holds the finished work of another {} (its manifest says `{}`, this {} is `{}`); remove the "
          "directory, choose another -o, or pass --force to discard it",
          directory_.string(), kind_, shown(a, 120), kind_, b));
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

std::size_t CheckpointDir::unit_bytes(std::uint64_t days, std::uint64_t strata, std::uint64_t totals_strata) {
  return kHeaderBytes + data_bytes(days, strata, totals_strata) + kChecksumBytes;
}

std::size_t CheckpointDir::expected_bytes(std::size_t most_bytes) {
  return most_bytes / kExpectedShrink + kHeaderBytes + kChecksumBytes;
}

bool CheckpointDir::has(std::uint64_t point, std::uint64_t replicate, std::size_t most_bytes) const {
  struct stat info {};
  if (::stat(unit_path(point, replicate).c_str(), &info) != 0) return false;
  const auto size = static_cast<std::size_t>(info.st_size);
  return S_ISREG(info.st_mode) && size > kHeaderBytes + kChecksumBytes && size <= most_bytes;
}

void CheckpointDir::write(const UnitRecord& r) const {
  write_file_atomically(unit_path(r.point, r.replicate), encode(r, id_));
}

std::optional<UnitRecord> CheckpointDir::read(std::uint64_t point, std::uint64_t replicate,
                                              std::string* problem) const {
  const std::string where = unit_path(point, replicate).string();
  std::ifstream in(unit_path(point, replicate), std::ios::binary);
  if (!in) {
    if (problem != nullptr) *problem = where + ": missing";
    return std::nullopt;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string why;
  std::optional<UnitRecord> r = decode(bytes, id_, kind_, point, replicate, why);
  if (!r && problem != nullptr) *problem = where + ": " + why;
  return r;
}

void CheckpointDir::remove() const {
  std::error_code error;
  std::filesystem::remove_all(directory_, error);
  if (error) throw IoError("cannot remove " + directory_.string() + ": " + error.message());
}

// --- journals (sweeps) ----------------------------------------------------------

namespace {

constexpr std::string_view kJournalSuffix = ".journal";

// Reads up to n bytes at `offset`; fewer only at the end of the file.
// False on failure (errno set).
bool read_at(int fd, char* data, std::size_t n, std::uint64_t offset, std::size_t& got) {
  got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, data + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

void sync_directory(const std::filesystem::path& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError(system_error("cannot open " + directory.string()));
  const bool synced = ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  // Some filesystems (and some network ones) cannot sync a directory; the
  // name then reaches the disk with the next metadata write.
  if (!synced && saved != EINVAL && saved != EROFS) {
    errno = saved;
    throw IoError(system_error("cannot sync " + directory.string()));
  }
}

}  // namespace

UnitJournal::UnitJournal(const CheckpointDir& directory) : directory_(directory) {}

UnitJournal::~UnitJournal() {
  if (fd_ >= 0) ::close(fd_);
}

void UnitJournal::append(const UnitRecord& record) {
  if (fd_ < 0) {
    // A name no other writer uses: host and process, and a number; a
    // process of an earlier run may have had the same id, hence O_EXCL.
    static std::atomic<std::uint64_t> counter{0};
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    for (int attempt = 0; fd_ < 0; ++attempt) {
      path_ = directory_.directory() /
              fmt::format("{}-{}-{}{}", host, static_cast<long>(getpid()), counter.fetch_add(1), kJournalSuffix);
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd_ < 0 && (errno != EEXIST || attempt > 1000))
        throw IoError(system_error("cannot create " + path_.string()));
    }
  }
  const std::string bytes = encode(record, directory_.id());
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t written =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(size_ + done));
    if (written < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      // Only whole records: the next append starts where this one did.
      [[maybe_unused]] const int cut = ::ftruncate(fd_, static_cast<off_t>(size_));
      errno = saved;
      throw IoError(system_error("cannot write " + path_.string()));
    }
    done += static_cast<std::size_t>(written);
  }
  size_ += bytes.size();
  unsynced_ = true;
}

void UnitJournal::sync() {
  if (!unsynced_) return;
  if (::fsync(fd_) != 0) throw IoError(system_error("cannot sync " + path_.string()));
  if (!directory_synced_) {
    sync_directory(directory_.directory());
    directory_synced_ = true;
  }
  unsynced_ = false;
}

struct JournalIndex::Journal {
  std::filesystem::path path;
  std::uint64_t scanned = 0;  // bytes of whole records indexed
  bool ended = false;         // a record that is not one: nothing after it is read
  int fd = -1;                // kept open while there are few journals

  void open() {
    if (fd >= 0) return;
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(system_error("cannot open " + path.string()));
  }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  ~Journal() { close(); }
};

namespace {
// Journals kept open between reads; beyond this many (hundreds of ranks,
// many resumes) each read opens its journal, to stay far from the limit of
// open files.
constexpr std::size_t kOpenJournals = 256;
}  // namespace

JournalIndex::JournalIndex(const CheckpointDir& directory) : directory_(directory) {}
JournalIndex::~JournalIndex() = default;

void JournalIndex::scan(bool verify) {
  std::error_code error;
  std::filesystem::directory_iterator it(directory_.directory(), error);
  if (error) throw IoError("cannot list " + directory_.directory().string() + ": " + error.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (error) throw IoError("cannot list " + directory_.directory().string() + ": " + error.message());
    const std::string name = it->path().filename().string();
    if (name.size() <= kJournalSuffix.size() || !name.ends_with(kJournalSuffix)) continue;
    std::error_code kind_error;
    if (!it->is_regular_file(kind_error)) continue;  // not a journal, whatever its name (a damaged directory)
    if (!journal_by_name_.contains(name)) {
      journal_by_name_.emplace(name, journals_.size());
      journals_.push_back(std::make_unique<Journal>());
      journals_.back()->path = it->path();
    }
  }
  std::string header(kHeaderBytes, '\0'), whole;
  for (std::size_t j = 0; j < journals_.size(); ++j) {
    Journal& journal = *journals_[j];
    if (journal.ended) continue;
    journal.open();
    struct stat info {};
    if (::fstat(journal.fd, &info) != 0) throw IoError(system_error("cannot read " + journal.path.string()));
    const auto end = static_cast<std::uint64_t>(info.st_size);
    while (journal.scanned < end) {
      std::size_t got = 0;
      if (!read_at(journal.fd, header.data(), kHeaderBytes, journal.scanned, got))
        throw IoError(system_error("cannot read " + journal.path.string()));
      std::string why;
      const std::optional<RecordHeader> h =
          got == kHeaderBytes ? decode_header(header, directory_.id(), directory_.kind(), why) : std::nullopt;
      const std::uint64_t bytes = h ? record_bytes(*h) : 0;
      if (!h || h->point >= (1ULL << 32) || h->replicate >= (1ULL << 32) || journal.scanned + bytes > end) {
        // The tail of an append that was killed or cut short by a crash, or
        // not a record at all: nothing after it can be trusted.
        journal.ended = true;
        break;
      }
      bool valid = true;
      if (verify) {
        whole.resize(bytes);
        if (!read_at(journal.fd, whole.data(), bytes, journal.scanned, got))
          throw IoError(system_error("cannot read " + journal.path.string()));
        valid = got == bytes && decode(whole, directory_.id(), directory_.kind(), h->point, h->replicate, why);
        if (!valid)
          damaged_.push_back(fmt::format("{} at byte {}: unit p{} replicate {}: {}", journal.path.string(),
                                         journal.scanned, h->point, h->replicate, got == bytes ? why : "cut short"));
      }
      // A unit found twice (run again after a crash, or by rank 0 when it
      // could not see another rank's journal) has the same record: the first
      // one found is kept.
      if (valid)
        where_.try_emplace(h->point << 32 | h->replicate,
                           Location{static_cast<std::uint32_t>(j), journal.scanned, bytes});
      journal.scanned += bytes;
    }
    if (journals_.size() > kOpenJournals) journal.close();
  }
}

bool JournalIndex::has(std::uint64_t point, std::uint64_t replicate) const {
  return point < (1ULL << 32) && replicate < (1ULL << 32) && where_.contains(point << 32 | replicate);
}

std::optional<UnitRecord> JournalIndex::read(std::uint64_t point, std::uint64_t replicate,
                                             std::string* problem) const {
  const auto it = has(point, replicate) ? where_.find(point << 32 | replicate) : where_.end();
  if (it == where_.end()) {
    if (problem != nullptr)
      *problem = fmt::format("{}: unit p{} replicate {}: in no journal", directory_.directory().string(), point,
                             replicate);
    return std::nullopt;
  }
  const Location& at = it->second;
  Journal& journal = *journals_[at.journal];
  journal.open();
  std::string bytes(at.bytes, '\0');
  std::size_t got = 0;
  std::string why;
  std::optional<UnitRecord> record;
  if (!read_at(journal.fd, bytes.data(), bytes.size(), at.offset, got)) why = std::strerror(errno);
  else if (got != bytes.size()) why = "cut short";
  else record = decode(bytes, directory_.id(), directory_.kind(), point, replicate, why);
  if (journals_.size() > kOpenJournals) journal.close();
  if (!record && problem != nullptr)
    *problem = fmt::format("{} at byte {}: unit p{} replicate {}: {}", journal.path.string(), at.offset, point,
                           replicate, why);
  return record;
}

}  // namespace harmsim::io
