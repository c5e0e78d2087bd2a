// pandora keygen / sign / verify (SPEC §1.2, §5.2): main()s for the
// subcommands, called from pandora_main.cc with the words after the
// subcommand's name. Each returns the exit status: 0 done, 1 refused (a
// check failed, a file could not be written), 2 usage error.
#pragma once

#include <string>
#include <vector>

namespace syd::pandora::cli {

int KeygenMain(const std::vector<std::string>& args);
int SignMain(const std::vector<std::string>& args);
int VerifyMain(const std::vector<std::string>& args);

// The usage lines of the three, for pandora --help.
extern const char* const kKeysUsage;

}  // namespace syd::pandora::cli
