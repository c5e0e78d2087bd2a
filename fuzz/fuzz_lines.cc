// The control socket's input (--ipc, SPEC §3.4) as a peer sends it: any
// bytes, in chunks of any size. Framed into lines, each parsed as a magic
// command and applied to (or queried against) a policy, as the server
// does. Nothing may crash, hang or leak; a line is never longer than the
// bound and never holds a newline.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "lang/lines.h"
#include "lang/magic.h"
#include "policy/apply.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  syd::lang::LineReader reader;
  syd::policy::Policy p;
  syd::policy::ApplyEnv env;
  size_t at = 0;
  while (at < size) {
    // The first byte of each chunk says how long the chunk is.
    const size_t n = std::min<size_t>(size - at, 1 + data[at] % 64);
    reader.Feed(std::string_view(reinterpret_cast<const char*>(data + at), n));
    at += n;
    syd::lang::LineReader::Line line;
    while (reader.Next(&line)) {
      if (line.text.size() > syd::lang::LineReader::kMaxLine || line.text.find('\n') != std::string::npos) abort();
      if (line.too_long && !line.text.empty()) abort();
      auto c = syd::lang::ParseCommand(line.text, {"--ipc", 0});
      if (!c) continue;
      if (c->op == syd::lang::Op::kQuery) (void)syd::policy::Query(p, *c);
      else (void)syd::policy::Apply(p, *c, env);
    }
  }
  return 0;
}
