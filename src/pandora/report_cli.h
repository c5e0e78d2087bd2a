// `pandora report INPUT [-o OUT]`: reads a dump or a profile, writes the
// page (report.h) to OUT, or to standard output.
#pragma once

#include <string>
#include <vector>

namespace syd::pandora {

// args: what follows "report". Returns the exit status (0 written, 1 the
// input could not be read or shows nothing, 2 usage).
int ReportMain(const std::vector<std::string>& args);

}  // namespace syd::pandora
