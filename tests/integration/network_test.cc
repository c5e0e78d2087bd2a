// Network sandboxing (SPEC §2.6) against servers on loopback only: allowed
// and denied destinations are told apart by address and port within
// 127.0.0.0/8 and ::1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <thread>

#include "harness.h"

namespace syd::test {
namespace {

// A listening (TCP, UNIX stream) or bound (UDP, UNIX datagram) socket on
// loopback, with the port the kernel chose.
class Server {
 public:
  Server(int domain, int type, const std::string& addr_or_path = "", bool abstract = false) {
    fd_ = socket(domain, type, 0);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (domain == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&ss);
      in->sin_family = AF_INET;
      inet_pton(AF_INET, addr_or_path.empty() ? "127.0.0.1" : addr_or_path.c_str(), &in->sin_addr);
      len = sizeof *in;
    } else if (domain == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
      in6->sin6_family = AF_INET6;
      inet_pton(AF_INET6, "::1", &in6->sin6_addr);
      len = sizeof *in6;
    } else {
      auto* un = reinterpret_cast<sockaddr_un*>(&ss);
      un->sun_family = AF_UNIX;
      if (abstract) {
        std::memcpy(un->sun_path + 1, addr_or_path.data(), addr_or_path.size());
        len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + addr_or_path.size());
      } else {
        std::memcpy(un->sun_path, addr_or_path.data(), addr_or_path.size());
        len = sizeof *un;
      }
    }
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&ss), len), 0) << strerror(errno);
    if (type == SOCK_STREAM) listen(fd_, 16);
    sockaddr_storage got{};
    socklen_t gl = sizeof got;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&got), &gl);
    if (domain == AF_INET) port_ = ntohs(reinterpret_cast<sockaddr_in*>(&got)->sin_port);
    if (domain == AF_INET6) port_ = ntohs(reinterpret_cast<sockaddr_in6*>(&got)->sin6_port);
  }
  ~Server() { close(fd_); }
  std::string port() const { return std::to_string(port_); }
  int fd() const { return fd_; }
  // Datagrams received so far (non-blocking).
  int Received() {
    char buf[64];
    int n = 0;
    while (recv(fd_, buf, sizeof buf, MSG_DONTWAIT) > 0) ++n;
    return n;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

RunResult Net(std::vector<std::string> magic, std::vector<std::string> helper) {
  std::vector<std::string> args = {"-m", "core/sandbox/network:deny"};
  for (auto& m : magic) args.insert(args.end(), {"-m", m});
  args.push_back("--");
  args.push_back(HelperBin());
  args.insert(args.end(), helper.begin(), helper.end());
  return Sydbox(args);
}

TEST(Network, TcpConnectByAddressAndPort) {
  Server allowed(AF_INET, SOCK_STREAM), other(AF_INET, SOCK_STREAM);
  auto ok = Net({"allowlist/network/connect+inet:127.0.0.1@" + allowed.port()},
                {"net-connect", "tcp4", "127.0.0.1", allowed.port()});
  EXPECT_EQ(ok.code, 0) << ok.err;
  auto denied = Net({"allowlist/network/connect+inet:127.0.0.1@" + allowed.port()},
                    {"net-connect", "tcp4", "127.0.0.1", other.port()});
  EXPECT_EQ(denied.code, EPERM) << denied.err;
  EXPECT_NE(denied.err.find("\"addr\":\"inet:127.0.0.1@" + other.port() + "\""), std::string::npos) << denied.err;
  EXPECT_NE(denied.err.find("\"category\":\"net/connect\""), std::string::npos);
  // Another loopback address, same port: denied by address.
  auto other_addr = Net({"allowlist/network/connect+inet:127.0.0.1@" + allowed.port()},
                        {"net-connect", "tcp4", "127.0.0.2", allowed.port()});
  EXPECT_EQ(other_addr.code, EPERM) << other_addr.err;
}

// A sys/ rule allows connects to one port; a thread flips the port in the
// sockaddr to another one after the rule has read it. The connect must be
// made with the address the rule looked at, or not at all.
TEST(Network, RuleAllowedConnectIsMadeWithTheAddressTheRuleSaw) {
  Server ok(AF_INET, SOCK_STREAM), bad(AF_INET, SOCK_STREAM);
  auto drop_all = [](int fd) {  // accept and drop, so neither backlog fills
    for (;;) {
      int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0 && errno != EINTR) return;  // shutdown() below
      if (c >= 0) close(c);
    }
  };
  for (int fd : {ok.fd(), bad.fd()}) listen(fd, 4096);  // a backlog that keeps up with the loop
  std::thread acceptors[2] = {std::thread(drop_all, ok.fd()), std::thread(drop_all, bad.fd())};
  RunResult native = RunCmd({AttackBin(), "connect-flip", ok.port(), bad.port(), "1"});
  EXPECT_EQ(native.code, 0) << "the attack does not work natively\n" << native.out << native.err;
  RunResult r = Sydbox({"-m", "core/sandbox/network:deny", "-m", "filter/network/connect+inet:127.0.0.1@" + bad.port(),
                        "-m", "sys/trace+connect:arg_@~\"inet:127.0.0.1@" + ok.port() + "\":allow", "--", AttackBin(),
                        "connect-flip", ok.port(), bad.port(), "1.5"});
  for (int fd : {ok.fd(), bad.fd()}) shutdown(fd, SHUT_RDWR);
  for (auto& t : acceptors) t.join();
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("BLOCKED connect-flip"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find(" 0 to the allowed port"), std::string::npos) << "the race was not live\n" << r.out;
  std::cout << "    " << r.out;
}

TEST(Network, PortRangesCidrAndAliases) {
  Server s(AF_INET, SOCK_STREAM);
  int p = std::stoi(s.port());
  std::string range = std::to_string(p - 1) + "-" + std::to_string(p + 1);
  EXPECT_EQ(Net({"allowlist/network/connect+inet:127.0.0.0/8@" + range}, {"net-connect", "tcp4", "127.0.0.1", s.port()}).code, 0);
  EXPECT_EQ(Net({"allowlist/network/connect+inet:127.0.0.0/8@" + std::to_string(p + 1) + "-" + std::to_string(p + 5)},
                {"net-connect", "tcp4", "127.0.0.1", s.port()}).code, EPERM);
  for (const char* alias : {"LOOPBACK", "LOCAL", "ANY"}) {
    EXPECT_EQ(Net({std::string("allowlist/network/connect+") + alias + "@" + s.port()},
                  {"net-connect", "tcp4", "127.0.0.1", s.port()}).code, 0) << alias;
  }
  for (const char* alias : {"LOOPBACK6", "LOCAL6", "ANY6"}) {
    EXPECT_EQ(Net({std::string("allowlist/network/connect+") + alias + "@" + s.port()},
                  {"net-connect", "tcp4", "127.0.0.1", s.port()}).code, EPERM) << alias;
  }
  // A denylist entry first wins over a broad allow.
  EXPECT_EQ(Net({"denylist/network/connect+LOOPBACK@" + s.port(), "allowlist/network/connect+ANY"},
                {"net-connect", "tcp4", "127.0.0.1", s.port()}).code, EPERM);
}

TEST(Network, Ipv6AndMappedAddresses) {
  Server s6(AF_INET6, SOCK_STREAM);
  EXPECT_EQ(Net({"allowlist/network/connect+LOOPBACK6@" + s6.port()}, {"net-connect", "tcp6", "::1", s6.port()}).code, 0);
  EXPECT_EQ(Net({"allowlist/network/connect+LOOPBACK@" + s6.port()}, {"net-connect", "tcp6", "::1", s6.port()}).code, EPERM);
  EXPECT_EQ(Net({"allowlist/network/connect+inet6:::1/128@" + s6.port()}, {"net-connect", "tcp6", "::1", s6.port()}).code, 0);
  for (const char* alias : {"LOCAL6", "ANY6"}) {
    EXPECT_EQ(Net({std::string("allowlist/network/connect+") + alias + "@" + s6.port()},
                  {"net-connect", "tcp6", "::1", s6.port()}).code, 0) << alias;
  }
  // IPv4-mapped IPv6 matches IPv4 rules.
  Server s4(AF_INET, SOCK_STREAM);
  auto r = Net({"allowlist/network/connect+LOOPBACK@" + s4.port()}, {"net-connect", "tcp6", "::ffff:127.0.0.1", s4.port()});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(Network, Bind) {
  auto ok = Net({"allowlist/network/bind+LOOPBACK@0"}, {"net-bind", "tcp4", "127.0.0.1", "0"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out.rfind("OK ", 0), 0u) << ok.out;
  EXPECT_NE(ok.out, "OK 0\n");  // the kernel chose a port
  auto denied = Net({"allowlist/network/bind+LOOPBACK@0"}, {"net-bind", "tcp4", "127.0.0.1", "45999"});
  EXPECT_EQ(denied.code, EPERM) << denied.err;
  EXPECT_NE(denied.err.find("\"category\":\"net/bind\""), std::string::npos);
  auto range = Net({"allowlist/network/bind+LOOPBACK@1024-65535"}, {"net-bind", "udp4", "127.0.0.1", "45998"});
  EXPECT_EQ(range.code, 0) << range.err;
}

TEST(Network, SuccessfulBindAllowsConnectingBack) {
  auto without = Net({"allowlist/network/bind+LOOPBACK@0"}, {"net-bind-connect", "tcp4", "127.0.0.1", "0"});
  EXPECT_EQ(without.code, EPERM) << without.err;
  auto with = Net({"allowlist/network/bind+LOOPBACK@0", "core/allowlist/successful_bind:true"},
                  {"net-bind-connect", "tcp4", "127.0.0.1", "0"});
  EXPECT_EQ(with.code, 0) << with.err;
}

TEST(Network, UdpSendtoSendmsgSendmmsg) {
  Server a(AF_INET, SOCK_DGRAM), b(AF_INET, SOCK_DGRAM);
  const std::string allow = "allowlist/network/connect+inet:127.0.0.1@" + a.port();
  EXPECT_EQ(Net({allow}, {"net-sendto", "udp4", "127.0.0.1", a.port()}).code, 0);
  EXPECT_EQ(Net({allow}, {"net-sendto", "udp4", "127.0.0.1", b.port()}).code, EPERM);
  EXPECT_EQ(Net({allow}, {"net-sendmsg", "udp4", "127.0.0.1", a.port()}).code, 0);
  EXPECT_EQ(Net({allow}, {"net-sendmsg", "udp4", "127.0.0.1", b.port()}).code, EPERM);
  EXPECT_EQ(a.Received(), 2);
  EXPECT_EQ(b.Received(), 0);
  // sendmmsg: every message's address is checked; one denied address sends nothing.
  auto both_ok = Net({allow, "allowlist/network/connect+inet:127.0.0.1@" + b.port()},
                     {"net-sendmmsg", "udp4", "127.0.0.1", a.port(), "127.0.0.1", b.port()});
  EXPECT_EQ(both_ok.code, 0) << both_ok.err;
  EXPECT_EQ(both_ok.out, "SENT 2 3 3\n");
  EXPECT_EQ(a.Received(), 1);
  EXPECT_EQ(b.Received(), 1);
  auto mixed = Net({allow}, {"net-sendmmsg", "udp4", "127.0.0.1", a.port(), "127.0.0.1", b.port()});
  EXPECT_EQ(mixed.code, EPERM) << mixed.err;
  EXPECT_EQ(a.Received(), 0);
  EXPECT_EQ(b.Received(), 0);
}

TEST(Network, UnixAndAbstractSockets) {
  TempDir d;
  Server unix_srv(AF_UNIX, SOCK_STREAM, d / "sock");
  EXPECT_EQ(Net({"allowlist/network/connect+unix:" + d.path() + "/*"}, {"net-connect", "unix", d / "sock"}).code, 0);
  EXPECT_EQ(Net({"allowlist/network/connect+unix:/var/run/*"}, {"net-connect", "unix", d / "sock"}).code, EPERM);
  // A relative socket path is resolved against the caller's cwd.
  auto rel = Sydbox({"-m", "core/sandbox/network:deny", "-m", "allowlist/network/connect+unix:" + d / "sock", "--",
                     HelperBin(), "net-connect", "unix", "sock"},
                    d.path());
  EXPECT_EQ(rel.code, 0) << rel.err;
  // Binding a new socket file: created with the caller's identity.
  auto bind = Net({"allowlist/network/bind+unix:" + d.path() + "/***"}, {"net-bind", "unix", d / "new.sock"});
  EXPECT_EQ(bind.code, 0) << bind.err;
  EXPECT_TRUE(Exists(d / "new.sock"));
  EXPECT_EQ(Net({"allowlist/network/bind+unix:/nowhere/*"}, {"net-bind", "unix", d / "other.sock"}).code, EPERM);
  EXPECT_FALSE(Exists(d / "other.sock"));
  std::string name = "syd-test-abstract-" + std::to_string(getpid());
  Server abs_srv(AF_UNIX, SOCK_STREAM, name, true);
  EXPECT_EQ(Net({"allowlist/network/connect+unix-abstract:syd-test-*"}, {"net-connect", "abstract", name}).code, 0);
  EXPECT_EQ(Net({"allowlist/network/connect+unix:syd-test-*"}, {"net-connect", "abstract", name}).code, EPERM);
  // Datagrams to a unix path.
  Server dgram(AF_UNIX, SOCK_DGRAM, d / "dgram");
  EXPECT_EQ(Net({"allowlist/network/connect+unix:" + d / "dgram"}, {"net-sendto", "unixdgram", d / "dgram"}).code, 0);
  EXPECT_EQ(dgram.Received(), 1);
}

TEST(Network, OffAllowAndBpfModes) {
  Server s(AF_INET, SOCK_STREAM);
  auto off = Sydbox({"--", HelperBin(), "net-connect", "tcp4", "127.0.0.1", s.port()});
  EXPECT_EQ(off.code, 0);
  auto allow = Sydbox({"-m", "core/sandbox/network:allow", "-m", "denylist/network/connect+LOOPBACK@" + s.port(), "--",
                       HelperBin(), "net-connect", "tcp4", "127.0.0.1", s.port()});
  EXPECT_EQ(allow.code, EPERM);
  auto bpf = Sydbox({"-m", "core/sandbox/network:bpf", "--", HelperBin(), "net-connect", "tcp4", "127.0.0.1", s.port()});
  EXPECT_EQ(bpf.code, EPERM);
  EXPECT_EQ(CountLines(bpf.err, "\"event\":\"violation\""), 0) << bpf.err;
}

// Outside loopback only inside a network namespace the test creates: the
// sandbox must refuse a connection to a public address before any packet
// could leave (the namespace has no route anyway).
TEST(Network, NonLoopbackInOwnNetns) {
  RunResult probe = RunCmd({"/usr/bin/unshare", "-Urn", "true"});
  if (probe.code != 0) GTEST_SKIP() << "cannot create a network namespace here: " << probe.err;
  RunResult r = RunCmd({"/usr/bin/unshare", "-Urn", SydboxBin(), "--log-format", "json", "-m",
                        "core/sandbox/network:deny", "-m", "allowlist/network/connect+LOOPBACK", "--", HelperBin(),
                        "net-connect", "tcp4", "192.0.2.1", "80"});
  EXPECT_EQ(r.code, EPERM) << r.err;
  EXPECT_NE(r.err.find("inet:192.0.2.1@80"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace syd::test
