// Bundled profiles (data/profiles/*.syd-3), compiled into the binary.
#pragma once

#include <string_view>
#include <vector>

namespace syd::cli {

struct EmbeddedProfile {
  std::string_view name;  // "paludis"
  std::string_view file;  // "paludis.syd-3", as reports name it
  std::string_view text;
};

const std::vector<EmbeddedProfile>& EmbeddedProfiles();

}  // namespace syd::cli
