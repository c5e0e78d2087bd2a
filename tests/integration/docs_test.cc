// The documents cannot drift from the programs (issue 11): every option
// that `--help` prints is in the manual page, every key sydbox knows is in
// sydbox.syd(5) and in the bash completion, the pages render without
// warnings, the completion loads and completes, the README's links resolve,
// and `--print-profile` prints what `sydbox check` accepts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <sstream>

#include "harness.h"
#include "policy/apply.h"

namespace syd::test {
namespace {

const std::string kSource = SYD_SOURCE_DIR;

bool Has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }


// The page's source with the roff escapes that appear inside words removed
// (\- \f? \% \& \e), so options and keys read as they are typed.
std::string RoffText(const std::string& file) {
  const std::string src = ReadFile(kSource + "/man/" + file);
  std::string out;
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] != '\\' || i + 1 >= src.size()) {
      out += src[i];
      continue;
    }
    const char c = src[++i];
    if (c == '-') out += '-';
    else if (c == 'e') out += '\\';
    else if (c == 'f') ++i;  // font change: one more character
    else if (c != '%' && c != '&') out += c;
  }
  return out;
}

// Whether `word` occurs in `text` as a whole token: not inside a longer
// option or key.
bool HasToken(const std::string& text, const std::string& word) {
  auto part = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '/'; };
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool start = at == 0 || !part(text[at - 1]);
    const bool end = at + word.size() >= text.size() || !part(text[at + word.size()]);
    if (start && end) return true;
  }
  return false;
}

// The options CLI11 lists in a help text ("  -c,--config TEXT ...").
std::set<std::string> HelpOptions(const std::string& help) {
  std::set<std::string> out;
  static const std::regex kOpt(R"((^|[ ,])(--?[A-Za-z][A-Za-z0-9-]*))");
  std::istringstream in(help);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("  -", 0) != 0) continue;
    const std::string names = line.substr(0, line.find(' ', 2));  // "-c,--config"
    for (std::sregex_iterator it(names.begin(), names.end(), kOpt), end; it != end; ++it) out.insert((*it)[2]);
  }
  return out;
}

std::string Bash() { return FindProgram("bash"); }

// Runs a bash snippet after sourcing a completion file.
RunResult Complete(const std::string& file, const std::string& snippet) {
  return RunCmd({Bash(), "--norc", "--noprofile", "-c",
                 "source '" + kSource + "/completion/" + file + "' && " + snippet});
}

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.insert(line);
  return out;
}

std::vector<std::string> BundledProfiles() {
  RunResult v = RunCmd({SydboxBin(), "--version"});
  std::vector<std::string> names;
  const std::string tag = "bundled profiles:";
  size_t at = v.out.find(tag);
  if (at == std::string::npos) return names;
  std::istringstream in(v.out.substr(at + tag.size(), v.out.find('\n', at) - at - tag.size()));
  std::string w;
  while (in >> w) names.push_back(w.substr(w[0] == '@' ? 1 : 0));
  return names;
}

TEST(Docs, EveryOptionOfHelpIsInTheManualPage) {
  struct Page {
    std::vector<std::string> argv;
    const char* page;
  };
  const Page pages[] = {
      {{SydboxBin(), "--help"}, "sydbox.1"},
      {{SydboxBin(), "match", "--help"}, "sydbox.1"},
      {{SydboxBin(), "check", "--help"}, "sydbox.1"},
      {{SydboxBin(), "syscall", "--help"}, "sydbox.1"},
      {{PandoraBin(), "--help"}, "pandora.1"},
  };
  for (const Page& p : pages) {
    RunResult h = RunCmd(p.argv);
    ASSERT_EQ(h.code, 0) << p.argv[1] << h.err;
    std::set<std::string> options = HelpOptions(h.out);
    if (p.argv[0] == PandoraBin()) {
      // pandora's usage is free text: every --word in it.
      static const std::regex kLong(R"(--[a-z][a-z-]*)");
      for (std::sregex_iterator it(h.out.begin(), h.out.end(), kLong), end; it != end; ++it) options.insert(it->str());
    }
    ASSERT_FALSE(options.empty()) << h.out;
    const std::string man = RoffText(p.page);
    for (const std::string& o : options) EXPECT_TRUE(HasToken(man, o)) << o << " (" << p.argv[1] << ") is not in " << p.page;
  }
  // Spot checks that the extraction sees what it should.
  EXPECT_TRUE(HelpOptions(RunCmd({SydboxBin(), "--help"}).out).count("--print-profile"));
  EXPECT_TRUE(HelpOptions(RunCmd({SydboxBin(), "match", "--help"}).out).count("--explain"));
}

TEST(Docs, EveryKeyIsInTheConfigurationPage) {
  const std::string man = RoffText("sydbox.syd.5");
  ASSERT_GT(policy::KnownKeys().size(), 40u);
  for (const std::string& key : policy::KnownKeys()) EXPECT_TRUE(HasToken(man, key)) << key << " is not in sydbox.syd.5";
  const std::string reference = ReadFile(kSource + "/docs/CONFIGURATION.md");
  for (const std::string& key : policy::KnownKeys())
    EXPECT_TRUE(Has(reference, "`" + key)) << key << " is not in docs/CONFIGURATION.md";
}

TEST(Docs, ManualPagesRenderWithoutWarnings) {
  const std::string groff = FindProgram("groff");
  if (groff.empty()) GTEST_SKIP() << "groff is not installed: the manual pages were not rendered";
  for (const char* page : {"sydbox.1", "sydbox.syd.5", "pandora.1"}) {
    RunResult r = RunCmd({groff, "-man", "-Tutf8", "-ww", "-z", kSource + "/man/" + page});
    EXPECT_EQ(r.code, 0) << page;
    EXPECT_EQ(r.err, "") << page;
  }
}

TEST(Docs, BashCompletionLoadsAndCompletes) {
  if (Bash().empty()) GTEST_SKIP() << "bash is not installed";
  RunResult p = Complete("sydbox", "complete -p sydbox");
  EXPECT_EQ(p.code, 0) << p.err;
  EXPECT_TRUE(Has(p.out, "-F _sydbox")) << p.out;
  EXPECT_EQ(p.err, "");

  const std::string reply = " && _sydbox && printf '%s\\n' \"${COMPREPLY[@]}\"";
  RunResult lo = Complete("sydbox", "COMP_WORDS=(sydbox --lo) && COMP_CWORD=1" + reply);
  EXPECT_EQ(Lines(lo.out), (std::set<std::string>{"--lock", "--log-format", "--log-fd", "--log-file"})) << lo.err;

  // The completion offers exactly the options of --help ...
  RunResult all = Complete("sydbox", "COMP_WORDS=(sydbox -) && COMP_CWORD=1" + reply);
  EXPECT_EQ(Lines(all.out), HelpOptions(RunCmd({SydboxBin(), "--help"}).out)) << all.err;
  // ... exactly the keys sydbox knows ...
  RunResult keys = Complete("sydbox", "printf '%s\\n' $_sydbox_keys");
  const std::set<std::string> known(policy::KnownKeys().begin(), policy::KnownKeys().end());
  EXPECT_EQ(Lines(keys.out), known);
  // ... option values, after -m a key's values, and the bundled profiles.
  RunResult ll = Complete("sydbox", "COMP_WORDS=(sydbox --landlock '') && COMP_CWORD=2" + reply);
  EXPECT_EQ(Lines(ll.out), (std::set<std::string>{"off", "best-effort", "require"}));
  RunResult lf = Complete("sydbox", "COMP_WORDS=(sydbox --log-format '') && COMP_CWORD=2" + reply);
  EXPECT_EQ(Lines(lf.out), (std::set<std::string>{"json", "human"}));
  RunResult mode = Complete("sydbox", "COMP_WORDBREAKS=' ' && COMP_WORDS=(sydbox -m core/sandbox/write:d) && COMP_CWORD=2" + reply);
  EXPECT_EQ(Lines(mode.out), (std::set<std::string>{"core/sandbox/write:deny"}));
  RunResult prof = Complete("sydbox", "COMP_WORDS=('" + SydboxBin() + "' -p '') && COMP_CWORD=2" + reply);
  const std::vector<std::string> bundled = BundledProfiles();
  ASSERT_FALSE(bundled.empty());
  EXPECT_EQ(Lines(prof.out), std::set<std::string>(bundled.begin(), bundled.end()));
  RunResult sub = Complete("sydbox", "COMP_WORDS=(sydbox match --e) && COMP_CWORD=2" + reply);
  EXPECT_EQ(Lines(sub.out), (std::set<std::string>{"--explain"}));

  RunResult pan = Complete("pandora", "complete -p pandora && COMP_WORDS=(pandora sandbox allow_n) && COMP_CWORD=2 && "
                                      "_pandora && printf '%s\\n' \"${COMPREPLY[@]}\"");
  EXPECT_EQ(pan.code, 0) << pan.err;
  EXPECT_TRUE(Has(pan.out, "-F _pandora")) << pan.out;
  EXPECT_TRUE(Has(pan.out, "\nallow_net\n")) << pan.out;
}

// Relative Markdown links of a document, resolved against its directory.
void CheckLinks(const std::string& rel) {
  const std::string text = ReadFile(kSource + "/" + rel);
  ASSERT_FALSE(text.empty()) << rel;
  const std::string dir = rel.find('/') == std::string::npos ? "" : rel.substr(0, rel.rfind('/') + 1);
  static const std::regex kLink(R"(\]\(([^)\s]+)\))");
  int n = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), kLink), end; it != end; ++it) {
    std::string target = (*it)[1];
    if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0 || target[0] == '#') continue;
    target = target.substr(0, target.find('#'));
    EXPECT_TRUE(Exists(kSource + "/" + dir + target)) << rel << " links to " << target << ", which does not exist";
    ++n;
  }
  if (rel == "README.md") {
    EXPECT_GE(n, 6) << "README.md should link the documents";
  }
}

TEST(Docs, LinksResolveToFiles) {
  for (const char* doc : {"README.md", "docs/REFERENCE.md", "docs/CONFIGURATION.md", "docs/FUZZING.md", "docs/STATUS.md"})
    CheckLinks(doc);
  // The contract the project was built against is not in the repository:
  // the documents must not send readers to it.
  for (const char* doc : {"README.md", "docs/STATUS.md"}) {
    const std::string text = ReadFile(kSource + "/" + doc);
    EXPECT_FALSE(Has(text, "SPEC.md") || Has(text, "DESIGN.md")) << doc;
  }
}

TEST(Docs, PrintProfileRoundTrips) {
  TempDir d;
  const std::vector<std::string> bundled = BundledProfiles();
  ASSERT_FALSE(bundled.empty());
  for (const std::string& name : bundled) {
    RunResult p = RunCmd({SydboxBin(), "--print-profile", name});
    ASSERT_EQ(p.code, 0) << name << p.err;
    EXPECT_EQ(RunCmd({SydboxBin(), "--print-profile", "@" + name}).out, p.out);
    WriteFile(d / (name + ".syd-3"), p.out);
    RunResult file = RunCmd({SydboxBin(), "check", d / (name + ".syd-3")});
    RunResult builtin = RunCmd({SydboxBin(), "check", "@" + name});
    EXPECT_EQ(file.code, 0) << name << file.err;
    EXPECT_EQ(builtin.code, 0) << name << builtin.err;
    // "FILE: ok (N commands)": the same N.
    EXPECT_EQ(file.out.substr(file.out.find(": ok")), builtin.out.substr(builtin.out.find(": ok"))) << name;
  }
  std::string list;
  for (const std::string& name : bundled) list += " " + name;
  RunResult bad = RunCmd({SydboxBin(), "--print-profile", "usr"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.out, "");
  EXPECT_EQ(bad.err.rfind("sydbox: no bundled profile named 'usr' (did you mean 'user'?) (bundled:", 0), 0u) << bad.err;
  for (const std::string& name : bundled) EXPECT_TRUE(HasToken(bad.err, name)) << bad.err;
  RunResult far = RunCmd({SydboxBin(), "--print-profile", "zzzzzzzz"});
  EXPECT_EQ(far.code, 2);
  EXPECT_EQ(far.err.rfind("sydbox: no bundled profile named 'zzzzzzzz' (bundled:", 0), 0u) << far.err;
}

TEST(Docs, EveryFuzzTargetIsDocumented) {
  const std::string cmake = ReadFile(kSource + "/fuzz/CMakeLists.txt");
  const std::string doc = ReadFile(kSource + "/docs/FUZZING.md");
  static const std::regex kTarget(R"(syd_fuzzer\((fuzz_[a-z_]+))");
  int n = 0;
  for (std::sregex_iterator it(cmake.begin(), cmake.end(), kTarget), end; it != end; ++it, ++n)
    EXPECT_TRUE(Has(doc, "`" + (*it)[1].str() + "`")) << (*it)[1] << " is not described in docs/FUZZING.md";
  EXPECT_GT(n, 0);
}

}  // namespace
}  // namespace syd::test
