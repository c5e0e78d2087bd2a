// pandora report: a dump of a real run becomes one HTML page that headless
// Chromium renders: the DOM has the path tree, the peers and the denied
// call with its rule, and the screenshot is not a blank page.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "harness.h"

namespace syd::test {
namespace {

// Chromium from PATH ("chromium", Debian's package), or "".
std::string Chromium() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const std::string p = std::string(dir) + "/" + name;
      if (access(p.c_str(), X_OK) == 0) return p;
    }
  }
  return "";
}

RunResult Headless(const TempDir& d, std::vector<std::string> args) {
  std::vector<std::string> argv = {Chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                                   "--no-first-run", "--user-data-dir=" + d / "profile"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCmd(argv);
}

off_t SizeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

TEST(PandoraReport, ARunsDumpRendersInChromium) {
  TempDir d;
  const std::string dump = d / "dump.json", page = d / "report.html";
  // A run that reads, is denied a write, and connects nowhere allowed.
  RunResult run = Sydbox({"-d", dump, "-m", "core/sandbox/write:deny", "-m", "allowlist/write+/dev/null", "--",
                          "sh", "-c", "cat /etc/hostname >/dev/null; echo x > " + (d / "denied.txt") + " || true"});
  ASSERT_EQ(run.code, 0) << run.err;
  ASSERT_FALSE(Exists(d / "denied.txt"));
  RunResult rep = RunCmd({PandoraBin(), "report", dump, "-o", page});
  ASSERT_EQ(rep.code, 0) << rep.err;
  const std::string html = ReadFile(page);
  ASSERT_NE(html.find("denied.txt"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos) << "the page fetches nothing";

  const std::string chromium = Chromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/test.sh installs it as root)";
  RunResult dom = Headless(d, {"--dump-dom", "file://" + page});
  ASSERT_EQ(dom.code, 0) << dom.err;
  EXPECT_NE(dom.out.find("id=\"tree\""), std::string::npos) << dom.out.substr(0, 500);
  EXPECT_NE(dom.out.find("<details"), std::string::npos);
  EXPECT_NE(dom.out.find("hostname"), std::string::npos);
  EXPECT_NE(dom.out.find("id=\"denied\""), std::string::npos);
  EXPECT_NE(dom.out.find("default:write"), std::string::npos);
  EXPECT_NE(dom.out.find("denied.txt"), std::string::npos);

  // The screenshot is not a blank page: a page with nothing on it, taken the
  // same way, compresses to a fraction of the report's.
  WriteFile(d / "blank.html", "<!DOCTYPE html><html><body></body></html>\n");
  RunResult shot = Headless(d, {"--window-size=1000,800", "--screenshot=" + d / "report.png", "file://" + page});
  ASSERT_EQ(shot.code, 0) << shot.err;
  RunResult blank = Headless(d, {"--window-size=1000,800", "--screenshot=" + d / "blank.png", "file://" + d / "blank.html"});
  ASSERT_EQ(blank.code, 0) << blank.err;
  const std::string png = ReadFile(d / "report.png");
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_GT(SizeOf(d / "report.png"), 3 * SizeOf(d / "blank.png"))
      << "report " << SizeOf(d / "report.png") << " bytes, blank " << SizeOf(d / "blank.png");
}

TEST(PandoraReport, BadInputIsAnError) {
  TempDir d;
  WriteFile(d / "junk", "\x01\x02 not a dump\n");
  RunResult r = RunCmd({PandoraBin(), "report", d / "junk", "-o", d / "out.html"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("neither a sydbox dump"), std::string::npos) << r.err;
  EXPECT_FALSE(Exists(d / "out.html"));
  EXPECT_EQ(RunCmd({PandoraBin(), "report"}).code, 2);
  EXPECT_EQ(RunCmd({PandoraBin(), "report", d / "missing"}).code, 1);
}

}  // namespace
}  // namespace syd::test
