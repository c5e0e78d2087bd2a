// pandora report: what is gathered from a dump and from a profile, and
// that the page escapes what it shows and needs nothing from elsewhere.
#include "pandora/report.h"

#include <gtest/gtest.h>

namespace syd::pandora {
namespace {

const char* kDump =
    R"({"event":"init","version":1,"ts":1.0,"sydbox":"3.0.0","pid":10,"eldest":11,"argv":["make","all"],"dry_run":false}
{"event":"call","ts":1.1,"pid":11,"tgid":11,"comm":"make","syscall":"openat","nr":257,"args":[0,0,0,0,0,0],"path":"/usr/lib/libc.so.6","category":"read","decision":"allow","rule":"-m:2","answer":"fd"}
{"event":"call","ts":1.2,"pid":11,"tgid":11,"comm":"make","syscall":"openat","nr":257,"args":[0,0,0,0,0,0],"path":"/usr/lib/libc.so.6","category":"read","decision":"allow","rule":"-m:2","answer":"fd"}
{"event":"call","ts":1.3,"pid":12,"tgid":12,"comm":"cc","syscall":"openat","nr":257,"args":[0,0,0,0,0,0],"path":"/etc/<script>","category":"write","decision":"deny","rule":"default:write","answer":"error","errno":"EPERM"}
{"event":"call","ts":1.4,"pid":12,"tgid":12,"comm":"cc","syscall":"connect","nr":42,"args":[0,0,0,0,0,0],"addr":"inet:10.0.0.1@80","category":"net/connect","decision":"deny","rule":"default:net/connect","answer":"error","errno":"ECONNREFUSED"}
{"event":"call","ts":1.5,"pid":12,"tgid":12,"comm":"cc","syscall":"execve","nr":59,"args":[0,0,0,0,0,0],"path":"/usr/bin/cc","category":"exec","decision":"allow","rule":null,"answer":"continue"}
not json at all
{"event":"exit","ts":2.0,"code":0,"calls":5}
)";

TEST(Report, GathersFromADump) {
  auto d = GatherReport(kDump);
  ASSERT_TRUE(d) << d.error().what;
  EXPECT_EQ(d->source, ReportData::Source::kDump);
  EXPECT_EQ(d->program, "make all");
  EXPECT_EQ(d->calls, 5u);
  EXPECT_EQ(d->exit_code, 0);
  EXPECT_EQ(d->paths.at("/usr/lib/libc.so.6").read, 2u);
  EXPECT_EQ(d->paths.at("/etc/<script>").write, 1u);
  EXPECT_EQ(d->paths.at("/usr/bin/cc").exec, 1u);
  ASSERT_EQ(d->peers.size(), 1u);
  EXPECT_EQ(d->peers.begin()->first, (std::pair<std::string, std::string>{"connect", "inet:10.0.0.1@80"}));
  EXPECT_EQ(d->peers.begin()->second.denied, 1u);
  ASSERT_EQ(d->denied.size(), 2u);
  EXPECT_EQ(d->problems, 1u);
  EXPECT_EQ(d->first_problems.at(0), "line 7: not a JSON object");
}

TEST(Report, ThePageEscapesAndIsSelfContained) {
  auto d = GatherReport(kDump);
  ASSERT_TRUE(d);
  const std::string page = RenderReport(*d, "t");
  EXPECT_EQ(page.find("<script"), std::string::npos);   // the path "<script>" is text
  EXPECT_NE(page.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);   // nothing from elsewhere
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_NE(page.find("default:write"), std::string::npos);  // the deciding rule
  EXPECT_NE(page.find("<details"), std::string::npos);
  EXPECT_NE(page.find("libc.so.6"), std::string::npos);
}

TEST(Report, GathersFromAProfile) {
  auto d = GatherReport(
      "#! pandora-profile: 1\n#! program: /usr/bin/make\n#! sha256: 00\ncore/sandbox/read:deny\n"
      "allowlist/read+/usr/lib/***\nallowlist/write+/tmp/build/***\nallowlist/network/connect+inet:127.0.0.1@8080\n"
      "allowlist/syscall+^read$\n");
  ASSERT_TRUE(d) << d.error().what;
  EXPECT_EQ(d->source, ReportData::Source::kProfile);
  EXPECT_EQ(d->program, "/usr/bin/make");
  EXPECT_TRUE(d->paths.at("/usr/lib/***").allowed_only);
  EXPECT_EQ(d->paths.at("/tmp/build/***").write, 1u);
  EXPECT_EQ(d->peers.size(), 1u);
  const std::string page = RenderReport(*d, "p");
  EXPECT_EQ(page.find("Denied calls"), std::string::npos);  // a profile has no denials
}

TEST(Report, GarbageIsAnErrorNotACrash) {
  EXPECT_FALSE(GatherReport(""));
  EXPECT_FALSE(GatherReport("\x01\x02 garbage\n{\"x\":1}\n[1,2]\n"));
  EXPECT_FALSE(GatherReport("#! pandora-profile: 1\ncore/sandbox/read:deny\n"));
}

TEST(Report, HtmlTextKeepsUtf8AndShowsOtherBytes) {
  EXPECT_EQ(HtmlText("a&b<c>\"'"), "a&amp;b&lt;c&gt;&quot;&#39;");
  EXPECT_EQ(HtmlText("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(HtmlText("x\xff\x01y"), "x\\xff\\x01y");
}

}  // namespace
}  // namespace syd::pandora
