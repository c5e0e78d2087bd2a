// pandora profile, inspect and box (SPEC §1.2, §5; issue 14). Each takes
// the arguments after its own name (argv[0] is the subcommand) and returns
// pandora's exit status.
#pragma once

namespace syd::cli {

// Runs CMD under `sydbox --dry-run` with every category denied and every
// system call traced, reads the dump live, writes the profile.
int ProfileMain(int argc, char** argv);
// The same from a dump file.
int InspectMain(int argc, char** argv);
// Checks a profile against CMD (program checksum, body-sha256, signature),
// then runs CMD under sydbox with it.
int BoxMain(int argc, char** argv);

}  // namespace syd::cli
