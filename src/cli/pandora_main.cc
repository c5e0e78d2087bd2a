// pandora: profile tool and in-sandbox helper (SPEC §1.2): `sandbox`
// (esandbox) here; profile, inspect and box in pandora_profile.cc;
// keygen, sign and verify in pandora_keys.cc; push and pull in
// pandora_share.cc.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/pandora_keys.h"
#include "cli/pandora_profile.h"
#include "cli/pandora_share.h"
#include "pandora/control_client.h"
#include "pandora/esandbox.h"
#include "pandora/report_cli.h"
#include "util/strings.h"

#ifndef SYD_VERSION
#define SYD_VERSION "0"
#endif

namespace {

constexpr const char* kUsage =
    "Usage: pandora profile [-o OUT] [--limit N] [--sydbox BIN] -- CMD [ARG...]\n"
    "       pandora inspect -i DUMP [-o OUT] [--limit N] [--program PATH]\n"
    "       pandora box -c PROFILE|--fetch URL [--key PUB]... [--sydbox BIN] [process setup options] -- CMD [ARG...]\n"
    "       pandora keygen|sign|verify ... (minisign-compatible keys and profile signatures)\n"
    "       pandora push|pull ... (share profiles by the program's SHA-256)\n"
    "       pandora report DUMP|PROFILE [-o OUT.html] (one self-contained HTML page)\n"
    "       pandora sandbox COMMAND [ARG...]\n"
    "       pandora --version\n"
    "pandora SUBCOMMAND --help for a subcommand's options. sandbox commands:\n"
    "  check | enabled[_path|_exec|_net] | enable[...] | disable[...]\n"
    "  allow[_path|_exec|_net] ARG... | disallow[...] ARG... (_net: --connect for the connect list)\n"
    "  addfilter[...] ARG... | rmfilter[...] ARG... | wait_eldest | wait_all\n"
    "Exit status: 0 done (or true), 1 refused (or false), 2 usage error.\n"
    "With SYDBOX_IPC=PATH the commands go to sydbox's control socket (sydbox --ipc PATH)\n"
    "instead of /dev/sydbox.\n";

// The same commands through sydbox's control socket (--ipc PATH), for a
// process that talks to sydbox from outside the sandbox, or inside it when
// the socket is reachable (only the sandbox owner's uid is served).
int SandboxOverSocket(const syd::pandora::EsandboxRequest& req, const std::string& path) {
  auto client = syd::pandora::ControlClient::Connect(path);
  if (!client) {
    fmt::print(stderr, "pandora: SYDBOX_IPC: {}\n", client.error().what);
    return 1;
  }
  // check: the socket answers a query.
  const std::vector<std::string> cmds = req.magic.empty() ? std::vector<std::string>{"core/trace/exit_wait_all?"}
                                                          : req.magic;
  for (const std::string& cmd : cmds) {
    auto reply = client->Ask(cmd);
    if (!reply) {
      fmt::print(stderr, "pandora: SYDBOX_IPC: {}\n", reply.error().what);
      return 1;
    }
    switch (syd::pandora::ClassifyReply(*reply)) {
      case syd::pandora::Reply::kOk:
      case syd::pandora::Reply::kTrue: break;
      case syd::pandora::Reply::kFalse:
        if (req.magic.empty()) break;  // check: answered
        return 1;
      case syd::pandora::Reply::kErr:
      case syd::pandora::Reply::kUnknown:
        if (!req.query || req.magic.empty()) fmt::print(stderr, "pandora: {}: {}\n", cmd, *reply);
        return 1;
    }
  }
  return 0;
}

int SandboxMain(const std::vector<std::string>& args) {
  auto req = syd::pandora::TranslateEsandbox(args);
  if (!req) {
    fmt::print(stderr, "pandora sandbox: {}\n{}", req.error().what, kUsage);
    return 2;
  }
  if (const char* ipc = getenv("SYDBOX_IPC"); ipc && *ipc) return SandboxOverSocket(*req, ipc);
  struct stat st;
  if (req->magic.empty()) {  // check
    return stat("/dev/sydbox", &st) == 0 ? 0 : 1;
  }
  for (const std::string& cmd : req->magic) {
    std::string path = "/dev/sydbox/" + cmd;
    if (stat(path.c_str(), &st) != 0) {
      if (!req->query) {
        fmt::print(stderr, "pandora: {}: {}\n", cmd,
                   errno == ENOENT ? "not in a sydbox sandbox, or its configuration is locked"
                   : errno == EINVAL ? "refused by sydbox (see its messages)"
                                     : std::strerror(errno));
      }
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    fmt::print(args.empty() ? stderr : stdout, "{}", kUsage);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "-V" || args[0] == "--version") {
    fmt::print("pandora {}\n", SYD_VERSION);
    return 0;
  }
  if (args[0] == "sandbox") return SandboxMain(std::vector<std::string>(args.begin() + 1, args.end()));
  if (args[0] == "report") return syd::pandora::ReportMain(std::vector<std::string>(args.begin() + 1, args.end()));
  if (args[0] == "profile") return syd::cli::ProfileMain(argc - 1, argv + 1);
  if (args[0] == "inspect") return syd::cli::InspectMain(argc - 1, argv + 1);
  if (args[0] == "box") return syd::cli::BoxMain(argc - 1, argv + 1);
  // keygen/sign/verify/push/pull: src/cli/pandora_keys.cc, pandora_share.cc.
  if (args[0] == "keygen") return syd::pandora::cli::KeygenMain({args.begin() + 1, args.end()});
  if (args[0] == "sign") return syd::pandora::cli::SignMain({args.begin() + 1, args.end()});
  if (args[0] == "verify") return syd::pandora::cli::VerifyMain({args.begin() + 1, args.end()});
  if (args[0] == "push") return syd::pandora::cli::PushMain({args.begin() + 1, args.end()});
  if (args[0] == "pull") return syd::pandora::cli::PullMain({args.begin() + 1, args.end()});
  const std::vector<std::string> subcommands = {"sandbox", "profile", "inspect", "box",   "keygen",
                                                "sign",    "verify",  "push",    "pull", "report"};
  fmt::print(stderr, "pandora: unknown subcommand '{}'{}\n{}", args[0], syd::DidYouMean(args[0], subcommands), kUsage);
  return 2;
}
