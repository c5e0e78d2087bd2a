#include "policy/netaddr.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <gtest/gtest.h>

namespace syd::policy {
namespace {

SockAddr V4(const char* a, uint16_t port) {
  SockAddr s;
  s.family = AddrFamily::kInet;
  uint8_t b[4];
  inet_pton(AF_INET, a, b);
  s.addr[10] = s.addr[11] = 0xff;
  for (int i = 0; i < 4; ++i) s.addr[12 + i] = b[i];
  s.port = port;
  return s;
}

SockAddr V6(const char* a, uint16_t port) {
  SockAddr s;
  s.family = AddrFamily::kInet6;
  inet_pton(AF_INET6, a, s.addr.data());
  s.port = port;
  return s;
}

AddrPattern Parse(const char* t) {
  auto p = ParseAddrPattern(t, nullptr);
  EXPECT_TRUE(p) << t << ": " << (p ? "" : p.error().what);
  return *p;
}

TEST(AddrPattern, InetCidrAndPorts) {
  auto p = Parse("inet:10.0.0.0/8@1024-2048");
  EXPECT_TRUE(p.Matches(V4("10.1.2.3", 1024)));
  EXPECT_FALSE(p.Matches(V4("10.1.2.3", 80)));
  EXPECT_FALSE(p.Matches(V4("11.1.2.3", 1500)));
  EXPECT_TRUE(Parse("inet://127.0.0.1@9050").Matches(V4("127.0.0.1", 9050)));
}

TEST(AddrPattern, Aliases) {
  EXPECT_TRUE(Parse("LOOPBACK@0").Matches(V4("127.3.4.5", 0)));
  EXPECT_TRUE(Parse("LOOPBACK6").Matches(V6("::1", 22)));
  EXPECT_TRUE(Parse("LOCAL").Matches(V4("192.168.1.1", 1)));
  EXPECT_TRUE(Parse("LOCAL").Matches(V4("172.31.0.1", 1)));
  EXPECT_FALSE(Parse("LOCAL").Matches(V4("172.32.0.1", 1)));
  EXPECT_TRUE(Parse("LOCAL6").Matches(V6("fe80::1", 1)));
  EXPECT_TRUE(Parse("ANY").Matches(V4("8.8.8.8", 53)));
  EXPECT_TRUE(Parse("ANY6@53").Matches(V6("2001:db8::1", 53)));
}

TEST(AddrPattern, MappedV6MatchesV4Rules) {
  EXPECT_TRUE(Parse("LOOPBACK").Matches(V6("::ffff:127.0.0.1", 80)));
  // ...but IPv4 does not match IPv6 rules, not even ::/0.
  EXPECT_FALSE(Parse("ANY6").Matches(V4("127.0.0.1", 80)));
  EXPECT_FALSE(Parse("LOOPBACK6").Matches(V4("127.0.0.1", 80)));
}

TEST(Sockaddr, Decode) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(8080);
  inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
  auto a = ParseSockaddr(&in, sizeof in);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->ToString(), "inet:10.1.2.3@8080");
  EXPECT_FALSE(ParseSockaddr(&in, 4));
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, "\0abs", 4);
  auto ab = ParseSockaddr(&un, offsetof(sockaddr_un, sun_path) + 4);
  ASSERT_TRUE(ab);
  EXPECT_EQ(ab->ToString(), "unix-abstract:abs");
  std::strcpy(un.sun_path, "/run/x.sock");
  EXPECT_EQ(ParseSockaddr(&un, sizeof un)->ToString(), "unix:/run/x.sock");
  sa_family_t nl = AF_NETLINK;
  EXPECT_EQ(ParseSockaddr(&nl, sizeof nl)->family, AddrFamily::kOther);
}

TEST(AddrPattern, Unix) {
  SockAddr u;
  u.family = AddrFamily::kUnix;
  u.path = "/var/run/nscd/socket";
  EXPECT_TRUE(Parse("unix:/var/run/nscd/*").Matches(u));
  u.family = AddrFamily::kUnixAbstract;
  EXPECT_FALSE(Parse("unix:/var/run/nscd/*").Matches(u));
  u.path = "dbus-123";
  EXPECT_TRUE(Parse("unix-abstract:dbus-*").Matches(u));
}

TEST(AddrPattern, ServiceNames) {
  auto p = ParseAddrPattern("inet:1.2.3.4@http", [](std::string_view n) -> std::optional<uint16_t> {
    return n == "http" ? std::optional<uint16_t>(80) : std::nullopt;
  });
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->Matches(V4("1.2.3.4", 80)));
}

TEST(AddrPattern, Errors) {
  for (const char* bad : {"inet:1.2.3.4/33", "inet6:zz::1", "inet:1.2.3.4@70000", "inet:1.2.3.4@9-1", "unix:",
                          "tcp:1.2.3.4", "LOOPBACK@x"}) {
    EXPECT_FALSE(ParseAddrPattern(bad, nullptr)) << bad;
  }
}

}  // namespace
}  // namespace syd::policy
