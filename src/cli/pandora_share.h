// pandora push / pull (SPEC §5.3): main()s called from pandora_main.cc with
// the words after the subcommand. Exit status 0 done, 1 failed or refused
// (transfer error, a check of the downloaded profile), 2 usage error.
#pragma once

#include <string>
#include <vector>

namespace syd::pandora::cli {

int PushMain(const std::vector<std::string>& args);
int PullMain(const std::vector<std::string>& args);

extern const char* const kShareUsage;

}  // namespace syd::pandora::cli
