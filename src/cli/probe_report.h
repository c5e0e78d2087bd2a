// sydbox -t/--test: the report of kernel::ProbeKernel(). The probes are in
// kernel/probe.h; this only formats them and decides the exit status.
//
// Output: one line per feature on stdout, in ProbeKernel()'s order, and
// nothing else there:
//
//   NAME STATUS NEED DETAIL
//
//   NAME    the feature's stable key, [a-z0-9-]+ (seccomp-addfd, landlock...)
//   STATUS  "ok" or "missing"
//   NEED    "required": sydbox cannot enforce its policy without it;
//           "optional": sydbox runs without it, with less (DETAIL says what)
//   DETAIL  required, ok:       USE
//           required, missing:  REASON; needed for USE
//           optional, ok:       [VALUE; ]USE; without it: WHAT SYDBOX DOES
//           optional, missing:  REASON; without it: WHAT SYDBOX DOES
//           USE says what sydbox uses the feature for; VALUE what the probe
//           found when there is more than yes ("ABI 7"); REASON the errno
//           and the call that gave it ("ENOSYS from openat2(...)").
//
// NAME, STATUS and NEED contain no spaces and are padded with spaces to
// fixed columns; DETAIL runs to the end of the line. So each line matches
//   ^([a-z0-9-]+) +(ok|missing) +(required|optional) +(\S.*)$
//
// Exit status: 0 when every required feature is ok (whatever the optional
// ones), 1 otherwise, with one line on stderr naming the missing ones.
#pragma once

#include <string>
#include <vector>

#include "kernel/probe.h"

namespace syd::cli {

struct ProbeReport {
  std::string out;  // the lines for stdout
  std::string err;  // empty, or the line for stderr
  int exit_code = 0;
};

ProbeReport FormatProbeReport(const std::vector<kernel::Feature>& features);

}  // namespace syd::cli
