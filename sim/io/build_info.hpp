#pragma once
// Which program this is, as every results file records it (docs/output.md)
// and as a resumed run must match.

namespace harmsim::io {

// The commit the program was built from: 12 hex digits, followed by
// "-dirty-" and 8 more when built from uncommitted changes (a hash of them),
// or "unknown" when built outside git. Set at every build
// (cmake/GitCommit.cmake), so that a rebuilt program never claims an earlier
// build's commit.
const char* git_commit() noexcept;

}  // namespace harmsim::io
