// pandora report's input (a dump or a profile, any bytes): gathered and
// rendered. Nothing may crash or hang; the page never carries a raw '<'
// from the input outside the markup it writes itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pandora/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto d = syd::pandora::GatherReport(text);
  if (d) (void)syd::pandora::RenderReport(*d, "fuzz");
  const std::string esc = syd::pandora::HtmlText(text);
  if (esc.find('<') != std::string::npos || esc.find('>') != std::string::npos) abort();
  return 0;
}
