// The esandbox vocabulary of Paludis (SPEC §3.3) translated to magic
// commands. Pure: the caller performs stat("/dev/sydbox/" + command).
#pragma once

#include <string>
#include <vector>

#include "util/error.h"

namespace syd::pandora {

struct EsandboxRequest {
  std::vector<std::string> magic;  // commands to apply in order (without /dev/sydbox/)
  bool query = false;              // exit status answers true/false
};

// argv without the program name: {"allow_path", "/var/tmp/x"}, {"check"},
// {"allow_net", "--connect", "inet:127.0.0.1@80"}, ...
Result<EsandboxRequest> TranslateEsandbox(const std::vector<std::string>& args);

}  // namespace syd::pandora
