// pandora.toml (pandora's own settings) through ParseSettings: TOML via
// lang::AsciiToml and toml++, then the key checks. Errors are fine;
// crashes, hangs and leaks are not.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pandora/settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)syd::pandora::ParseSettings(text, "pandora.toml", "/home/fuzz");
  return 0;
}
