// push and pull: argument handling and messages around src/pandora/share.*.
// The base URL, --cacert and --timeout default to pandora's settings
// (src/pandora/settings.h); the command line wins.
#include "cli/pandora_share.h"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "cli/pandora_opts.h"
#include "pandora/file_io.h"
#include "pandora/settings.h"
#include "pandora/share.h"

namespace syd::pandora::cli {

const char* const kShareUsage =
    "       pandora push [URL] PROFILE [--cacert FILE] [--timeout SECS]\n"
    "       pandora pull [URL] BINARY [-o FILE] [-p PUB]... [--cacert FILE] [--timeout SECS]\n";

namespace {

const std::vector<LongOpt> kLongs = {{"cacert", 'C'}, {"timeout", 'T'}, {"output", 'o'}, {"key", 'p'}};

// -h: what the subcommand does, and the usage, on stdout.
int Help(std::string_view cmd, std::string_view what) {
  fmt::print("pandora {}: {}\nUsage:\n{}", cmd, what, kShareUsage);
  return 0;
}

int Usage(std::string_view cmd, std::string_view why) {
  fmt::print(stderr, "pandora {}: {}\nUsage:\n{}", cmd, why, kShareUsage);
  return 2;
}

// Settings, then the command line's --cacert/--timeout over them.
Result<HttpOptions> Http(const Settings& s, const Opts& o) {
  HttpOptions h = HttpOptionsFrom(s);
  if (const std::string* c = o.Last('C')) h.ca_file = *c;
  if (const std::string* t = o.Last('T')) {
    char* end = nullptr;
    long v = strtol(t->c_str(), &end, 10);
    if (t->empty() || *end || v < 1 || v > 86400) return Failf("--timeout: '{}' is not a number of seconds (1-86400)", *t);
    h.timeout_s = v;
    h.connect_timeout_s = std::min(h.connect_timeout_s, v);
  }
  return h;
}

// [URL] THING: the URL from the command line or the settings.
Result<std::pair<std::string, std::string>> UrlAndArg(const Opts& o, const Settings& s, std::string_view what) {
  if (o.positional.size() == 2) return std::make_pair(o.positional[0], o.positional[1]);
  if (o.positional.size() == 1) {
    if (s.url.empty())
      return Failf("URL is needed (or set url in {})",
                   s.file.empty() ? SettingsPath(getenv("XDG_CONFIG_HOME"), getenv("HOME")) : s.file);
    return std::make_pair(s.url, o.positional[0]);
  }
  return Failf("expected [URL] {}", what);
}

}  // namespace

int PushMain(const std::vector<std::string>& args) {
  auto o = ParseOpts(args, "CT", "h", kLongs);
  if (!o) return Usage("push", o.error().what);
  if (o->flags.count('h')) return Help("push", "upload a profile, keyed by its program's SHA-256");
  auto settings = LoadSettings();
  if (!settings) {
    fmt::print(stderr, "pandora push: {}\n", settings.error().what);
    return 1;
  }
  auto ua = UrlAndArg(*o, *settings, "PROFILE");
  if (!ua) return Usage("push", ua.error().what);
  const auto& [base, path] = *ua;
  auto http = Http(*settings, *o);
  if (!http) return Usage("push", http.error().what);
  auto fail = [](const std::string& what) {
    fmt::print(stderr, "pandora push: {}\n", what);
    return 1;
  };
  auto text = ReadFile(path);
  if (!text) return fail(text.error().what);
  auto profile = ParseProfile(*text);
  if (!profile) return fail(fmt::format("{}: {}", path, profile.error().what));
  // Nobody can use a profile whose body does not match: do not publish it.
  if (auto b = CheckBody(*profile); !b) return fail(fmt::format("{}: {}", path, b.error().what));
  auto url = ProfileUrl(base, profile->header.sha256);
  if (!url) return Usage("push", url.error().what);
  if (auto put = HttpPut(*url, *text, *http); !put) return fail(put.error().what);
  fmt::print("{}: pushed to {} ({})\n", path, RedactUrl(*url), profile->header.signature.empty() ? "unsigned" : "signed by key " + profile->header.key_id);
  return 0;
}

int PullMain(const std::vector<std::string>& args) {
  auto o = ParseOpts(args, "CTop", "h", kLongs);
  if (!o) return Usage("pull", o.error().what);
  if (o->flags.count('h')) return Help("pull", "download and verify the profile of a program");
  auto settings = LoadSettings();
  if (!settings) {
    fmt::print(stderr, "pandora pull: {}\n", settings.error().what);
    return 1;
  }
  auto ua = UrlAndArg(*o, *settings, "BINARY");
  if (!ua) return Usage("pull", ua.error().what);
  const auto& [base, binary] = *ua;
  auto http = Http(*settings, *o);
  if (!http) return Usage("pull", http.error().what);
  auto fail = [](const std::string& what) {
    fmt::print(stderr, "pandora pull: {}\n", what);
    return 1;
  };
  auto program = FindExecutable(binary, getenv("PATH"));
  if (!program) return fail(program.error().what);
  auto sha = FileSha256(*program);
  if (!sha) return fail(sha.error().what);
  FetchChecks checks;
  checks.program_sha256 = *sha;
  // Named keys make a signature mandatory; the keyring only checks the
  // profiles that are signed.
  std::string keyring;
  if (o->values.count('p')) {
    checks.require_signature = true;
    for (const std::string& p : o->values['p']) {
      auto t = ReadFile(p);
      if (!t) return fail(t.error().what);
      auto pk = ParsePublicKey(*t);
      if (!pk) return fail(fmt::format("{}: {}", p, pk.error().what));
      checks.trusted.push_back(*pk);
    }
  } else {
    auto keys = LoadTrustedKeys(*settings, &keyring);
    if (!keys) return fail(keys.error().what);
    checks.trusted = std::move(*keys);
  }
  auto text = FetchProfile(base, checks, *http);
  if (!text) return fail(fmt::format("{} (sha256 {}): {}", *program, *sha, text.error().what));
  auto f = ParseProfile(*text);  // cannot fail: FetchProfile parsed it
  const std::string how = f && !f->header.signature.empty() ? "signature verified, key " + f->header.key_id
                                                            : "unsigned";
  if (const std::string* out = o->Last('o')) {
    if (auto w = WriteFileAtomic(*out, *text, 0644, Overwrite::kYes); !w) return fail(w.error().what);
    fmt::print(stderr, "pandora pull: {}: profile for {} ({}) written\n", *out, *program, how);
  } else {
    fmt::print("{}", *text);
    fmt::print(stderr, "pandora pull: profile for {} ({})\n", *program, how);
  }
  return 0;
}

}  // namespace syd::pandora::cli
