# Generates a C++ file holding every bundled profile as a string, so that
# `sydbox -p NAME` works without the installed files.
# Usage: cmake -DOUT=... -DFILES="a|b" -P embed_profiles.cmake
cmake_minimum_required(VERSION 3.25)  # script mode: no policy warnings
set(body "// Generated from data/profiles by cmake/embed_profiles.cmake.\n#include \"cli/profiles.h\"\n\nnamespace syd::cli {\n\nconst std::vector<EmbeddedProfile>& EmbeddedProfiles() {\n  static const std::vector<EmbeddedProfile> kProfiles = {\n")
string(REPLACE "|" ";" FILES "${FILES}")
foreach(f IN LISTS FILES)
  get_filename_component(name "${f}" NAME_WE)
  get_filename_component(file "${f}" NAME)
  file(READ "${f}" text)
  string(APPEND body "      {\"${name}\", \"${file}\", R\"sydprofile(${text})sydprofile\"},\n")
endforeach()
string(APPEND body "  };\n  return kProfiles;\n}\n\n}  // namespace syd::cli\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
