#include "policy/netaddr.h"

#include <arpa/inet.h>  // inet_pton/ntop: pure text conversion, no system call
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "policy/wildmatch.h"
#include "util/strings.h"

namespace syd::policy {
namespace {

std::array<uint8_t, 16> Mapped(const uint8_t v4[4]) {
  std::array<uint8_t, 16> a{};
  a[10] = 0xff;
  a[11] = 0xff;
  for (int i = 0; i < 4; ++i) a[12 + i] = v4[i];
  return a;
}

bool PrefixEqual(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

Result<std::pair<uint16_t, uint16_t>> ParsePorts(std::string_view s, const ServiceLookup& services) {
  auto one = [&](std::string_view p) -> Result<uint16_t> {
    if (auto n = ParseInt(p)) {
      if (*n < 0 || *n > 65535) return Failf("port {} out of range", p);
      return static_cast<uint16_t>(*n);
    }
    if (services) {
      if (auto n = services(p)) return *n;
    }
    return Failf("unknown port or service '{}'", p);
  };
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) {
    SYD_TRY(p, one(s));
    return std::pair{p, p};
  }
  SYD_TRY(lo, one(s.substr(0, dash)));
  SYD_TRY(hi, one(s.substr(dash + 1)));
  if (lo > hi) return Failf("port range {} is backwards", s);
  return std::pair{lo, hi};
}

struct Alias {
  std::string_view name;
  std::vector<std::string_view> nets;
};

const std::vector<Alias>& Aliases() {
  static const std::vector<Alias> kAliases = {
      {"ANY", {"inet:0.0.0.0/0"}},
      {"ANY6", {"inet6:::/0"}},
      {"LOOPBACK", {"inet:127.0.0.0/8"}},
      {"LOOPBACK6", {"inet6:::1/128"}},
      {"LOCAL", {"inet:127.0.0.0/8", "inet:10.0.0.0/8", "inet:172.16.0.0/12", "inet:192.168.0.0/16"}},
      {"LOCAL6", {"inet6:::1/128", "inet6:fe80::/7", "inet6:fc00::/7", "inet6:fec0::/7"}},
  };
  return kAliases;
}

Result<AddrAlt> ParseInetAlt(std::string_view rest, bool v6) {
  AddrAlt alt;
  alt.family = v6 ? AddrFamily::kInet6 : AddrFamily::kInet;
  std::string_view addr = rest;
  int bits = v6 ? 128 : 32;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    addr = rest.substr(0, slash);
    auto n = ParseInt(rest.substr(slash + 1));
    if (!n || *n < 0 || *n > bits) return Failf("bad prefix length in '{}'", rest);
    bits = static_cast<int>(*n);
  }
  std::string a(addr);
  if (v6) {
    if (inet_pton(AF_INET6, a.c_str(), alt.addr.data()) != 1) return Failf("bad IPv6 address '{}'", a);
    alt.prefix = bits;
  } else {
    uint8_t v4[4];
    if (inet_pton(AF_INET, a.c_str(), v4) != 1) return Failf("bad IPv4 address '{}'", a);
    alt.addr = Mapped(v4);
    alt.prefix = 96 + bits;
  }
  return alt;
}

}  // namespace

std::string SockAddr::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  switch (family) {
    case AddrFamily::kUnix: return unnamed ? "unix:" : "unix:" + path;
    case AddrFamily::kUnixAbstract: return "unix-abstract:" + path;
    case AddrFamily::kInet:
      inet_ntop(AF_INET, addr.data() + 12, buf, sizeof buf);
      return fmt::format("inet:{}@{}", buf, port);
    case AddrFamily::kInet6:
      inet_ntop(AF_INET6, addr.data(), buf, sizeof buf);
      return fmt::format("inet6:{}@{}", buf, port);
    case AddrFamily::kOther: return fmt::format("family:{}", raw_family);
  }
  return "?";
}

Result<SockAddr> ParseSockaddr(const void* data, size_t len) {
  SockAddr a;
  if (len < sizeof(sa_family_t)) return Fail(EINVAL, "sockaddr too short");
  sa_family_t fam;
  std::memcpy(&fam, data, sizeof fam);
  a.raw_family = fam;
  const char* bytes = static_cast<const char*>(data);
  switch (fam) {
    case AF_UNIX: {
      size_t n = len - offsetof(sockaddr_un, sun_path);
      const char* p = bytes + offsetof(sockaddr_un, sun_path);
      if (n == 0) {
        a.family = AddrFamily::kUnix;
        a.unnamed = true;
      } else if (p[0] == '\0') {
        a.family = AddrFamily::kUnixAbstract;
        a.path.assign(p + 1, n - 1);  // abstract names may hold NULs; keep them all
      } else {
        a.family = AddrFamily::kUnix;
        a.path.assign(p, strnlen(p, n));
      }
      return a;
    }
    case AF_INET: {
      if (len < sizeof(sockaddr_in)) return Fail(EINVAL, "sockaddr_in too short");
      sockaddr_in in;
      std::memcpy(&in, data, sizeof in);
      a.family = AddrFamily::kInet;
      a.addr = Mapped(reinterpret_cast<const uint8_t*>(&in.sin_addr));
      a.port = ntohs(in.sin_port);
      return a;
    }
    case AF_INET6: {
      if (len < sizeof(sockaddr_in6)) return Fail(EINVAL, "sockaddr_in6 too short");
      sockaddr_in6 in6;
      std::memcpy(&in6, data, sizeof in6);
      // v4-mapped addresses stay mapped, so they match IPv4 rules.
      a.family = AddrFamily::kInet6;
      std::memcpy(a.addr.data(), &in6.sin6_addr, 16);
      a.port = ntohs(in6.sin6_port);
      return a;
    }
    default:
      a.family = AddrFamily::kOther;
      return a;
  }
}

bool AddrPattern::Matches(const SockAddr& a) const {
  for (const AddrAlt& alt : alts) {
    switch (alt.family) {
      case AddrFamily::kUnix:
      case AddrFamily::kUnixAbstract:
        if (a.family == alt.family && WildMatch(alt.glob, a.path)) return true;
        break;
      case AddrFamily::kOther:
        break;
      case AddrFamily::kInet:
      case AddrFamily::kInet6: {
        // IPv4 is stored v4-mapped, so an IPv4-mapped IPv6 address matches
        // inet rules; an IPv4 address never matches an inet6 rule.
        bool family_ok = alt.family == AddrFamily::kInet
                             ? (a.family == AddrFamily::kInet || a.family == AddrFamily::kInet6)
                             : a.family == AddrFamily::kInet6;
        if (family_ok && PrefixEqual(alt.addr, a.addr, alt.prefix) && a.port >= alt.port_lo &&
            a.port <= alt.port_hi)
          return true;
        break;
      }
    }
  }
  return false;
}

Result<AddrPattern> ParseAddrPattern(std::string_view text, const ServiceLookup& services) {
  AddrPattern pat;
  pat.text = std::string(text);
  if (StartsWith(text, "unix:") || StartsWith(text, "unix-abstract:")) {
    bool abstract = StartsWith(text, "unix-abstract:");
    AddrAlt alt;
    alt.family = abstract ? AddrFamily::kUnixAbstract : AddrFamily::kUnix;
    alt.glob = std::string(text.substr(abstract ? 14 : 5));
    if (alt.glob.empty()) return Failf("'{}': empty socket path", text);
    if (std::string_view err = PatternError(alt.glob); !err.empty())
      return Failf("'{}': {}", text, err);
    pat.alts.push_back(std::move(alt));
    return pat;
  }
  // Split off "@PORTS"; for inet6 the address itself has colons, never '@'.
  std::string_view body = text;
  std::optional<std::pair<uint16_t, uint16_t>> ports;
  if (size_t at = text.rfind('@'); at != std::string_view::npos) {
    body = text.substr(0, at);
    SYD_TRY(p, ParsePorts(text.substr(at + 1), services));
    ports = p;
  }
  std::vector<std::string> specs;
  for (const Alias& al : Aliases()) {
    if (body == al.name) {
      for (auto n : al.nets) specs.emplace_back(n);
    }
  }
  if (specs.empty()) specs.emplace_back(body);
  for (const std::string& spec : specs) {
    std::string_view s = spec;
    bool v6;
    if (StartsWith(s, "inet6://")) { v6 = true; s.remove_prefix(8); }
    else if (StartsWith(s, "inet://")) { v6 = false; s.remove_prefix(7); }
    else if (StartsWith(s, "inet6:")) { v6 = true; s.remove_prefix(6); }
    else if (StartsWith(s, "inet:")) { v6 = false; s.remove_prefix(5); }
    else return Failf("unknown address '{}' (want unix:, unix-abstract:, inet:, inet6: or an alias)", text);
    SYD_TRY(alt, ParseInetAlt(s, v6));
    if (ports) {
      alt.port_lo = ports->first;
      alt.port_hi = ports->second;
    }
    pat.alts.push_back(std::move(alt));
  }
  return pat;
}

}  // namespace syd::policy
