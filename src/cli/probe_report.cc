#include "cli/probe_report.h"

#include <fmt/format.h>

namespace syd::cli {

ProbeReport FormatProbeReport(const std::vector<kernel::Feature>& features) {
  ProbeReport r;
  std::string lacking;
  for (const kernel::Feature& f : features) {
    const bool required = f.need == kernel::Need::kRequired;
    std::string detail;
    if (f.ok) detail = f.value.empty() ? f.use : f.value + "; " + f.use;
    else if (required) detail = f.reason + "; needed for " + f.use;
    else detail = f.reason;
    if (!required) detail += "; without it: " + f.without;
    r.out += fmt::format("{:<26} {:<7} {:<8} {}\n", f.name, f.ok ? "ok" : "missing",
                         required ? "required" : "optional", detail);
    if (required && !f.ok) lacking += (lacking.empty() ? "" : ", ") + f.name;
  }
  if (!lacking.empty()) {
    r.err = fmt::format("sydbox: this kernel lacks what sydbox requires: {}\n", lacking);
    r.exit_code = 1;
  }
  return r;
}

}  // namespace syd::cli
