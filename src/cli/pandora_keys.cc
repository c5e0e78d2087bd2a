// keygen, sign and verify: file handling, password input and messages
// around the format and crypto code of src/pandora/signature.*. Options are
// minisign's letters (-p, -s, -x, -W, -f, -t) so that muscle memory carries
// over.
//
// Passwords (for encrypted secret keys) come from, in this order:
//   1. $PANDORA_PASSWORD, when set: for scripts and tests. Any process of
//      the same user can read another's environment through /proc, so
//      interactive use should not set it.
//   2. The terminal, when standard input is one: prompted on stderr with
//      echo off (keygen asks twice).
//   3. Otherwise the first line of standard input, as minisign reads it, so
//      `printf '%s\n' "$pw" | pandora sign ...` works.
// `-W` makes keygen write an unencrypted secret key (no password at all).
#include "cli/pandora_keys.h"

#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "cli/pandora_opts.h"
#include "pandora/file_io.h"
#include "pandora/settings.h"
#include "pandora/signature.h"

namespace syd::pandora::cli {

const char* const kKeysUsage =
    "       pandora keygen -p PUB -s SEC [-W] [-f]\n"
    "       pandora sign -s SEC [-x SIG] [-t COMMENT] PROFILE\n"
    "       pandora verify [-p PUB]... [-x SIG] PROFILE   (no -p: the keys of the keyring)\n";

namespace {

// -h: what the subcommand does, and the usage, on stdout.
int Help(std::string_view cmd, std::string_view what) {
  fmt::print("pandora {}: {}\nUsage:\n{}", cmd, what, kKeysUsage);
  return 0;
}

int Usage(std::string_view cmd, std::string_view why) {
  fmt::print(stderr, "pandora {}: {}\nUsage:\n{}", cmd, why, kKeysUsage);
  return 2;
}

// Reads one line without its newline; false at end of input.
bool ReadLine(std::FILE* in, std::string& line) {
  line.clear();
  int ch;
  bool any = false;
  while ((ch = std::fgetc(in)) != EOF) {
    any = true;
    if (ch == '\n') break;
    line.push_back(static_cast<char>(ch));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return any;
}

Result<std::string> ReadPassword(const char* prompt, bool twice) {
  if (const char* env = getenv("PANDORA_PASSWORD")) return std::string(env);
  if (isatty(STDIN_FILENO)) {
    struct termios old;
    if (tcgetattr(STDIN_FILENO, &old) != 0) return Fail(errno, "tcgetattr", "stdin");
    struct termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    // Echo goes off before the prompt shows, so nothing typed after the
    // prompt is ever echoed (or flushed away).
    auto ask = [&](const char* p, std::string& out) {
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
      fmt::print(stderr, "{}", p);
      std::fflush(stderr);
      bool ok = ReadLine(stdin, out);
      tcsetattr(STDIN_FILENO, TCSANOW, &old);
      return ok;
    };
    std::string pw, again;
    if (!ask(prompt, pw)) return Failf("no password given");
    if (twice) {
      if (!ask("Password (one more time): ", again)) return Failf("no password given");
      if (pw != again) return Failf("the passwords do not match");
    }
    return pw;
  }
  std::string pw;
  if (!ReadLine(stdin, pw)) return Failf("no password: standard input is empty (set PANDORA_PASSWORD, or use -W)");
  return pw;
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<std::vector<PublicKey>> LoadPublicKeys(const std::vector<std::string>& paths) {
  std::vector<PublicKey> keys;
  for (const std::string& p : paths) {
    SYD_TRY(text, ReadFile(p));
    auto pk = ParsePublicKey(text);
    if (!pk) return Failf("{}: {}", p, pk.error().what);
    keys.push_back(*pk);
  }
  return keys;
}

}  // namespace

int KeygenMain(const std::vector<std::string>& args) {
  auto o = ParseOpts(args, "ps", "Wfh");
  if (!o) return Usage("keygen", o.error().what);
  if (o->flags.count('h')) return Help("keygen", "make a minisign-compatible key pair");
  const std::string* pub = o->Last('p');
  const std::string* sec = o->Last('s');
  if (!pub || !sec) return Usage("keygen", "both -p PUB and -s SEC are needed");
  if (!o->positional.empty()) return Usage("keygen", fmt::format("unexpected argument '{}'", o->positional[0]));
  const Overwrite overwrite = o->flags.count('f') ? Overwrite::kYes : Overwrite::kNo;
  if (overwrite == Overwrite::kNo) {
    for (const std::string* p : {pub, sec}) {
      if (access(p->c_str(), F_OK) == 0) {
        fmt::print(stderr, "pandora keygen: {} already exists (use -f to overwrite it)\n", *p);
        return 1;
      }
    }
  }
  const Encrypt encrypt = o->flags.count('W') ? Encrypt::kNo : Encrypt::kYes;
  std::string password;
  if (encrypt == Encrypt::kYes) {
    auto pw = ReadPassword("Password: ", true);
    if (!pw) {
      fmt::print(stderr, "pandora keygen: {}\n", pw.error().what);
      return 1;
    }
    if (pw->empty()) {
      fmt::print(stderr, "pandora keygen: empty password (use -W for a key without one)\n");
      return 1;
    }
    password = std::move(*pw);
  }
  SecretKey sk = GenerateKey();
  auto sec_text = FormatSecretKey(sk, encrypt, password, SensitiveKdfCost());
  if (!sec_text) {
    fmt::print(stderr, "pandora keygen: {}\n", sec_text.error().what);
    return 1;
  }
  if (auto w = WriteFileAtomic(*sec, *sec_text, 0600, overwrite); !w) {
    fmt::print(stderr, "pandora keygen: {}\n", w.error().what);
    return 1;
  }
  if (auto w = WriteFileAtomic(*pub, FormatPublicKey(sk.Public()), 0644, overwrite); !w) {
    fmt::print(stderr, "pandora keygen: {}\n", w.error().what);
    return 1;
  }
  fmt::print("key {}: secret key {}, public key {}\n", KeyIdHex(sk.key_id), *sec, *pub);
  return 0;
}

int SignMain(const std::vector<std::string>& args) {
  auto o = ParseOpts(args, "sxt", "h");
  if (!o) return Usage("sign", o.error().what);
  if (o->flags.count('h')) return Help("sign", "sign a profile");
  const std::string* sec = o->Last('s');
  if (!sec) return Usage("sign", "-s SEC is needed");
  if (o->positional.size() != 1) return Usage("sign", "one PROFILE is needed");
  const std::string& path = o->positional[0];
  auto fail = [](const std::string& what) {
    fmt::print(stderr, "pandora sign: {}\n", what);
    return 1;
  };
  auto text = ReadFile(path);
  if (!text) return fail(text.error().what);
  auto profile = ParseProfile(*text);
  if (!profile) return fail(fmt::format("{}: {}", path, profile.error().what));
  auto key_text = ReadFile(*sec);
  if (!key_text) return fail(key_text.error().what);
  auto key_file = ParseSecretKeyFile(*key_text);
  if (!key_file) return fail(fmt::format("{}: {}", *sec, key_file.error().what));
  std::string password;
  if (key_file->encrypted) {
    auto pw = ReadPassword("Password: ", false);
    if (!pw) return fail(pw.error().what);
    password = std::move(*pw);
  }
  auto sk = OpenSecretKey(*key_file, password);
  if (!sk) return fail(fmt::format("{}: {}", *sec, sk.error().what));
  auto signed_profile = SignProfile(std::move(*profile), *sk);
  if (!signed_profile) return fail(fmt::format("{}: {}", path, signed_profile.error().what));
  const std::string out = FormatProfileFile(*signed_profile);
  auto mode = FileMode(path);
  if (!mode) return fail(mode.error().what);
  if (auto w = WriteFileAtomic(path, out, *mode, Overwrite::kYes); !w) return fail(w.error().what);
  if (const std::string* sig = o->Last('x')) {
    const std::string* t = o->Last('t');
    const std::string trusted =
        t ? *t : DefaultTrustedComment(static_cast<uint64_t>(time(nullptr)), Basename(path));
    if (trusted.find_first_of("\r\n") != std::string::npos) return fail("-t: the comment must be one line");
    if (auto w = WriteFileAtomic(*sig, SignDetached(*sk, out, trusted), 0644, Overwrite::kYes); !w)
      return fail(w.error().what);
  }
  fmt::print("{}: signed with key {}\n", path, KeyIdHex(sk->key_id));
  return 0;
}

int VerifyMain(const std::vector<std::string>& args) {
  auto o = ParseOpts(args, "px", "h");
  if (!o) return Usage("verify", o.error().what);
  if (o->flags.count('h')) return Help("verify", "verify a signed profile");
  if (o->positional.size() != 1) return Usage("verify", "one PROFILE is needed");
  const std::string& path = o->positional[0];
  auto fail = [&](const std::string& what) {
    fmt::print(stderr, "pandora verify: {}: {}\n", path, what);
    return 1;
  };
  // -p PUB..., else the keyring of the settings.
  std::string keyring;
  Result<std::vector<PublicKey>> keys = std::vector<PublicKey>{};
  if (o->values.count('p')) {
    keys = LoadPublicKeys(o->values['p']);
  } else if (auto settings = LoadSettings(); !settings) {
    keys = Unexpected<Error>(settings.error());
  } else {
    keys = LoadTrustedKeys(*settings, &keyring);
  }
  if (!keys) {
    fmt::print(stderr, "pandora verify: {}\n", keys.error().what);
    return 1;
  }
  if (keys->empty())
    return Usage("verify", fmt::format("-p PUB is needed (the keyring '{}' has no *.pub key)", keyring));
  auto text = ReadFile(path);
  if (!text) {
    fmt::print(stderr, "pandora verify: {}\n", text.error().what);
    return 1;
  }
  auto profile = ParseProfile(*text);
  if (!profile) return fail(profile.error().what);
  if (auto v = VerifyProfile(*profile, *keys, true); !v) return fail(v.error().what);
  if (const std::string* sig_path = o->Last('x')) {
    auto sig_text = ReadFile(*sig_path);
    if (!sig_text) return fail(sig_text.error().what);
    auto sig = ParseDetachedSignature(*sig_text);
    if (!sig) return fail(fmt::format("{}: {}", *sig_path, sig.error().what));
    auto key = std::find_if(keys->begin(), keys->end(), [&](const PublicKey& k) { return k.key_id == sig->key_id; });
    if (key == keys->end())
      return fail(fmt::format("{}: signed by key {}, which is not a trusted key", *sig_path, KeyIdHex(sig->key_id)));
    if (auto v = VerifyDetached(*key, *text, *sig); !v) return fail(fmt::format("{}: {}", *sig_path, v.error().what));
  }
  fmt::print("{}: signature verified (key {}, program {})\n", path, profile->header.key_id, profile->header.program);
  return 0;
}

}  // namespace syd::pandora::cli
