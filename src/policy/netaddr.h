// Network address patterns of SPEC §2.6 and the socket addresses they are
// matched against. Pure: service names come through a caller-supplied
// lookup so this layer never reads /etc/services itself.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace syd::policy {

enum class AddrFamily : uint8_t { kUnix, kUnixAbstract, kInet, kInet6, kOther };

// One alternative of an address pattern. IPv4 is kept as an IPv4-mapped
// IPv6 address with the prefix shifted by 96, so one comparison serves both.
struct AddrAlt {
  AddrFamily family = AddrFamily::kInet;
  std::string glob;                 // unix / unix-abstract
  std::array<uint8_t, 16> addr{};   // inet / inet6 (v4 mapped)
  int prefix = 128;                 // bits of addr that must match
  uint16_t port_lo = 0, port_hi = 65535;
};

// A concrete socket address as read from a tracee.
struct SockAddr {
  AddrFamily family = AddrFamily::kInet;
  int raw_family = 0;              // the sa_family as given (for kOther)
  std::string path;                // unix path or abstract name (without NUL)
  std::array<uint8_t, 16> addr{};  // v4 mapped for inet
  uint16_t port = 0;
  bool unnamed = false;            // AF_UNIX with no path (autobind)
  // "inet:127.0.0.1@80", "unix:/run/x", ... as a pattern would be written.
  std::string ToString() const;
};

// Decodes a struct sockaddr of `len` bytes. EINVAL-style errors for a
// length too short for its family.
Result<SockAddr> ParseSockaddr(const void* data, size_t len);

struct AddrPattern {
  std::string text;  // as written
  std::vector<AddrAlt> alts;
  bool Matches(const SockAddr& a) const;
};

using ServiceLookup = std::function<std::optional<uint16_t>(std::string_view name)>;

// Parses `unix:GLOB`, `unix-abstract:GLOB`, `inet:ADDR[/BITS][@PORT[-PORT]]`,
// `inet6:...`, `inet://`, `inet6://` and the aliases (ANY, LOCAL, ...).
Result<AddrPattern> ParseAddrPattern(std::string_view text, const ServiceLookup& services);

}  // namespace syd::policy
