#pragma once
// Runs scenarios: replicates spread over threads, results in replicate order,
// so the output is the same on any number of threads.
#include <cstdint>
#include <string>
#include <vector>

#include "io/hdf5_writer.hpp"
#include "io/scenario.hpp"

namespace harmsim::app {

struct RunOptions {
  unsigned threads = 0;       // 0: every core
  bool progress = false;      // a progress line on stderr
};

// Runs every replicate of one scenario.
std::vector<model::ReplicateResult> run_scenario(const io::Scenario& s, const RunOptions& opts,
                                                 const std::string& label);

// Bytes a scenario needs while it runs (state of one replicate per thread plus
// the series of every replicate), and a message if that is more than the
// machine has; empty if it fits.
std::uint64_t memory_needed(const io::Scenario& s, unsigned threads);
std::string check_fits(const io::Scenario& s, unsigned threads);
std::uint64_t physical_memory();

}  // namespace harmsim::app
