// `harmsim merge OUT SHARD...`: joins the shard files of one sweep (job-array
// tasks run with --shard i/n) into the sweep file an unsharded run writes,
// byte for byte (its datasets). Refuses shards of different sweeps or
// programs, and any unit missing or present twice.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/runner.hpp"
#include "app/sweep.hpp"
#include "io/hdf5_file.hpp"
#include "io/sweep_output.hpp"

namespace harmsim::app {

namespace {

void merge_error(const std::string& message) { print_error("merge: " + message); }

}  // namespace

int merge_command(const MergeCommand& cmd) {
  if (cmd.shards.empty()) {
    merge_error("no shard files given (harmsim merge OUT shard1.h5 shard2.h5 ...)");
    return kExitBadInput;
  }
  // A shard still being written (its sweep runs, or is assembling it) is
  // refused as such, before it is opened, whether or not an older one is
  // there.
  for (const std::string& path : cmd.shards)
    if (const std::string busy = being_written(path); !busy.empty()) {
      merge_error(fmt::format("{}; wait for it to finish, then merge", busy));
      return kExitBadInput;
    }
  // A shard the HDF5 library crashes on is named like any other bad shard.
  io::h5::set_read_guard_prefix("harmsim: merge: ");
  // The shards are never closed: a damaged one can leave the HDF5 library in
  // a state where closing any file crashes it (found by afl: a good shard's
  // close crashed after a damaged one was refused). They are read-only, and
  // the process ends with the merge. (Held by a static pointer, so that
  // LeakSanitizer sees them as reachable.)
  static auto* const kept_open = new std::vector<io::ShardReader>();
  std::vector<io::ShardReader>& shards = *kept_open;
  shards.clear();
  try {
    for (const std::string& path : cmd.shards) shards.emplace_back(path);
  } catch (const io::IoError& e) {
    merge_error(e.what());
    return kExitBadInput;
  }

  // One sweep, one program.
  const io::SweepHeader& first = shards.front().header();
  const std::string first_name = shards.front().path().string();
  for (const io::ShardReader& shard : shards) {
    const io::SweepHeader& h = shard.header();
    std::string differs;
    if (h.sweep_id != first.sweep_id)
      differs = fmt::format("sweep_id {} and {}: they are shards of different sweeps", io::shown(first.sweep_id),
                            io::shown(h.sweep_id));
    else if (h.per_replicate != first.per_replicate)
      differs = "one was run with --per-replicate and the other without";
    else if (h.harmsim_version != first.harmsim_version || h.git_commit != first.git_commit)
      differs = fmt::format("written by different programs (harmsim {} ({}) and {} ({})), whose results may differ",
                            io::shown(first.harmsim_version), io::shown(first.git_commit),
                            io::shown(h.harmsim_version), io::shown(h.git_commit));
    else if (h.points.size() != first.points.size() || h.replicates != first.replicates)
      differs = fmt::format("the same sweep_id with {} points × {} replicates and {} × {}: one of them is damaged",
                            first.points.size(), first.replicates, h.points.size(), h.replicates);
    for (std::size_t k = 0; differs.empty() && k < h.points.size(); ++k)
      if (h.points[k].days != first.points[k].days || h.points[k].communities != first.points[k].communities)
        differs = fmt::format("point p{} has {} days and {} communities in one and {} and {} in the other: one of "
                              "them is damaged",
                              k, first.points[k].days, first.points[k].communities, h.points[k].days,
                              h.points[k].communities);
    if (!differs.empty()) {
      merge_error(fmt::format("{} and {} cannot be merged: {}", first_name, shard.path().string(), differs));
      return kExitBadInput;
    }
  }

  // Every unit exactly once.
  const auto replicates = static_cast<std::uint64_t>(first.replicates);
  const std::size_t points = first.points.size();
  std::vector<int> owner(points * replicates, -1);
  for (std::size_t s = 0; s < shards.size(); ++s) {
    for (std::size_t k = 0; k < points; ++k) {
      for (std::uint64_t r : shards[s].replicates(k)) {
        const std::size_t unit = k * replicates + r;
        if (r >= replicates) {
          merge_error(fmt::format("{}: point p{} has replicate {} of {}", shards[s].path().string(), k, r, replicates));
          return kExitBadInput;
        }
        if (owner[unit] >= 0) {
          merge_error(fmt::format("{} and {} overlap: both hold point p{} replicate {} (shards {}/{} and {}/{})",
                                  shards[static_cast<std::size_t>(owner[unit])].path().string(),
                                  shards[s].path().string(), k, r,
                                  shards[static_cast<std::size_t>(owner[unit])].header().shard_index,
                                  shards[static_cast<std::size_t>(owner[unit])].header().shard_count,
                                  shards[s].header().shard_index, shards[s].header().shard_count));
          return kExitBadInput;
        }
        owner[unit] = static_cast<int>(s);
      }
    }
  }
  const auto missing = static_cast<std::size_t>(std::count(owner.begin(), owner.end(), -1));
  if (missing > 0) {
    const std::size_t unit = static_cast<std::size_t>(std::find(owner.begin(), owner.end(), -1) - owner.begin());
    std::set<std::int64_t> present;
    for (const io::ShardReader& shard : shards)
      if (shard.header().shard_count == first.shard_count) present.insert(shard.header().shard_index);
    std::vector<std::string> absent;
    for (std::int64_t i = 1; i <= first.shard_count; ++i)
      if (present.count(i) == 0) absent.push_back(fmt::format("{}/{}", i, first.shard_count));
    merge_error(
        fmt::format("{} of {} units are in no shard (the first: point p{} replicate {}){}", missing, owner.size(),
                    unit / replicates, unit % replicates,
                    absent.empty() ? std::string() : fmt::format("; missing shards: {}", fmt::join(absent, ", "))));
    return kExitBadInput;
  }

  const std::filesystem::path out(cmd.output);
  OutputLock lock(out);
  if (const std::string busy = lock.acquire(); !busy.empty()) {
    merge_error(busy);
    return kExitBadInput;
  }
  std::error_code error;
  if (std::filesystem::exists(out, error) && !cmd.force) {
    // The merge of these shards, finished: a merge killed after its rename,
    // or a job requeued, is rerun with the same command and has nothing to do.
    const io::SweepFileStatus status = io::inspect_sweep_file(out);
    if (status.sweep && status.complete && status.shard_count == 0 && status.sweep_id == first.sweep_id &&
        status.per_replicate == first.per_replicate) {
      if (!cmd.quiet) std::printf("%s is already complete: nothing to do\n", cmd.output.c_str());
      return kExitOk;
    }
    merge_error(fmt::format("{} exists; choose another name or pass --force to replace it", cmd.output));
    return kExitBadInput;
  }
  // A shard whose points cannot be read (damaged after its header) is bad
  // input, like one refused above; a failure to write the output is not.
  // Either way the output is only ever OUT.partial, and a merge has nothing
  // to resume, so the .partial of a damaged shard is removed.
  std::optional<io::SweepWriter> writer;
  bool reading = false;
  try {
    io::SweepHeader header = first;
    header.shard_index = 0;
    header.shard_count = 0;
    writer.emplace(out, header, cmd.command_line, io::iso8601_utc_now());
    for (std::size_t k = 0; k < points; ++k) {
      std::vector<io::UnitRecord> records;
      for (const io::ShardReader& shard : shards) {
        if (shard.replicates(k).empty()) continue;
        reading = true;
        std::vector<io::UnitRecord> part = shard.read_point(k);
        reading = false;
        std::move(part.begin(), part.end(), std::back_inserter(records));
      }
      std::sort(records.begin(), records.end(),
                [](const io::UnitRecord& a, const io::UnitRecord& b) { return a.replicate < b.replicate; });
      writer->write_point(k, records);
    }
    writer->finish();
  } catch (const io::IoError& e) {
    if (!reading) {
      std::string message = e.what();
      if (out_of_room(message) && message.rfind(cmd.output + ".partial", 0) == 0) {
        io::SweepHeader header = first;
        header.shard_index = header.shard_count = 0;
        message += fmt::format("; writing {} needs up to {}, {}.partial included; free space and rerun the same "
                               "command",
                               cmd.output, size_text(static_cast<double>(io::sweep_file_bytes_at_most(header))),
                               cmd.output);
      }
      merge_error(message);
      return kExitFailure;
    }
    merge_error(e.what());
    const std::filesystem::path partial = writer ? writer->partial_path() : std::filesystem::path();
    writer.reset();
    if (!partial.empty()) std::filesystem::remove(partial, error);
    return kExitBadInput;
  } catch (const std::exception& e) {
    merge_error(fmt::format("internal error: {}", e.what()));
    return kExitFailure;
  }
  if (!cmd.quiet)
    std::printf("Merged %zu shards (%zu points x %lld replicates) into %s\n", shards.size(), points,
                static_cast<long long>(first.replicates), cmd.output.c_str());
  return kExitOk;
}

}  // namespace harmsim::app
