// A pandora profile file as downloaded from anywhere (SPEC §5.1, §5.3):
// ParseProfile, and on success the round trip (formatting what was parsed
// gives the same bytes back: what a signature covers is unambiguous), then
// the body and signature checks against a fixed key. Nothing may crash,
// hang or leak.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pandora/profile_file.h"
#include "pandora/share.h"
#include "pandora/signature.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const syd::pandora::SecretKey key = syd::pandora::GenerateKey();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = syd::pandora::ParseProfile(text);
  if (!f) return 0;
  if (syd::pandora::FormatProfileFile(*f) != text) abort();
  (void)syd::pandora::CheckBody(*f);
  (void)syd::pandora::VerifyProfile(*f, {key.Public()}, true);
  syd::pandora::FetchChecks checks;
  checks.program_sha256 = f->header.sha256;
  checks.trusted = {key.Public()};
  (void)syd::pandora::VerifyFetched(text, checks);
  return 0;
}
