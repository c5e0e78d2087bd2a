// pandora's dump reader (profile_gen): any bytes as a dump, fed in chunks
// of any size, then the profile body. Nothing may crash or hang; the fast
// reader must never take a line nlohmann-json rejects; the body must parse
// as configuration (no line of the dump can inject a command) and every
// allowlist line must come from the dump's paths, addresses or calls.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "lang/config_text.h"
#include "pandora/profile_gen.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  syd::pandora::GenOptions o;
  o.limit = size > 0 ? data[0] % 4 : 0;
  o.home = "/home/u";
  o.syscalls = syd::pandora::GenOptions::Syscalls::kYes;
  syd::pandora::ProfileBuilder b(o);
  size_t at = 0;
  while (at < size) {
    const size_t n = std::min<size_t>(size - at, 1 + data[at] % 97);
    b.Feed(all.substr(at, n));
    at += n;
  }
  b.Finish();
  const std::string body = b.Body();
  auto items = syd::lang::ParseConfigText(body, "fuzz.syd-3", syd::lang::ConfigFormat::kSyd);
  if (!items) abort();
  for (const auto& item : *items)
    if (!std::holds_alternative<syd::lang::Command>(item)) abort();  // no include from a dump
  // Line by line: what the fast reader takes is JSON.
  size_t start = 0;
  while (start <= all.size()) {
    size_t nl = all.find('\n', start);
    if (nl == std::string_view::npos) nl = all.size();
    const std::string_view line = all.substr(start, nl - start);
    if (syd::pandora::FastReaderAccepts(line) && !nlohmann::json::accept(line)) abort();
    start = nl + 1;
  }
  if (b.stats().problems > b.stats().lines) abort();
  return 0;
}
