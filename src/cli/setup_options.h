// The process-setup options (-C, -R, -D, -E, -u, -g, -G, --umask, --nice,
// --ionice, --unshare-*, --close-fds, --stdout, --stderr, --alias,
// --background, --allow-daemonize) on a
// CLI11 app, turned into one spawn::ProcessSetup. sydbox uses them; pandora
// box will take the same.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "spawn/setup.h"
#include "util/error.h"

namespace syd::cli {

struct SetupArgs {
  std::string chroot, chdir, uid, gid, umask, ionice, stdout_file, stderr_file, alias, pivot_root;
  std::vector<std::string> env, add_gids, close_fds;
  int nice = 0;
  bool has_nice = false;
  std::vector<std::string> unshare;  // namespace names, in the order given
  bool background = false;           // --background: sydbox's own, not the child's (sydbox_main.cc)
  bool allow_daemonize = false;
};

// -D tmp: a fresh private directory instead of a given one.
inline bool ChdirIsTmp(const SetupArgs& a) { return a.chdir == "tmp"; }

// Registers the options on `app`, storing into `args`.
void AddSetupOptions(CLI::App& app, SetupArgs& args);

// Parses and checks the values; user and group names are looked up here.
Result<spawn::ProcessSetup> BuildSetup(const SetupArgs& args);

// The options again, as arguments for another program that takes them
// (pandora box passes them on to sydbox): parsing the result with
// AddSetupOptions gives back `args`.
std::vector<std::string> SetupArgv(const SetupArgs& args);

}  // namespace syd::cli
