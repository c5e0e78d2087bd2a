#include "lang/rule.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "lang/constants.h"

namespace syd::lang {
namespace {

Result<Rule> Parse(const std::string& text) {
  auto c = ParseCommand(text, {"t", 1});
  EXPECT_TRUE(c) << text;
  return ParseRule(*c);
}

TEST(Rule, Examples) {
  auto a = Parse("sys/kill_process+/setuid(32)?:arg0=0");
  ASSERT_TRUE(a) << a.error().what;
  EXPECT_EQ(a->action, RuleAction::kKillProcess);
  EXPECT_EQ(a->set_text, "/setuid(32)?");
  ASSERT_EQ(a->conds.size(), 1u);
  EXPECT_EQ(a->conds[0].arg, 0);
  EXPECT_EQ(a->conds[0].op, CondOp::kEq);
  EXPECT_EQ(a->conds[0].value, 0u);

  auto b = Parse("sys/allow+/open(at)?:arg1!&O_WRONLY|O_RDWR|O_CREAT");
  ASSERT_TRUE(b) << b.error().what;
  EXPECT_EQ(b->conds[0].op, CondOp::kNoBits);
  EXPECT_EQ(b->conds[0].value, static_cast<uint64_t>(O_WRONLY | O_RDWR | O_CREAT));

  auto c = Parse(R"(sys/trace+%file:arg_=~"/home/[^/]+/\.(gnupg|netrc).*":fault=EPERM:log=2)");
  ASSERT_TRUE(c) << c.error().what;
  EXPECT_EQ(c->action, RuleAction::kTrace);
  EXPECT_EQ(c->conds[0].arg, -1);
  EXPECT_EQ(c->conds[0].op, CondOp::kRegex);
  EXPECT_EQ(c->conds[0].text, R"(/home/[^/]+/\.(gnupg|netrc).*)");
  ASSERT_EQ(c->options.size(), 2u);
  EXPECT_EQ(c->options[0].kind, OptKind::kFault);
  EXPECT_EQ(c->options[0].number, EPERM);
  EXPECT_EQ(c->options[1].kind, OptKind::kLog);
  EXPECT_EQ(c->options[1].number, 2);

  auto d = Parse(R"(sys/trace+%net:arg_@!"inet://127.0.0.1@9050":fault=ECONNREFUSED)");
  ASSERT_TRUE(d) << d.error().what;
  EXPECT_EQ(d->conds[0].op, CondOp::kAddrNotIn);
  EXPECT_EQ(d->conds[0].text, "inet://127.0.0.1@9050");
  EXPECT_EQ(d->options[0].number, ECONNREFUSED);

  // Options and conditions in any order; user is an alias of trace.
  auto e = Parse("sys/user+kill:kill_process=SIGTERM:arg1=SIGKILL:command=^make$");
  ASSERT_TRUE(e) << e.error().what;
  EXPECT_EQ(e->action, RuleAction::kTrace);
  EXPECT_EQ(e->options[0].number, SIGTERM);
  EXPECT_EQ(e->conds[0].value, static_cast<uint64_t>(SIGKILL));
  EXPECT_EQ(e->options[1].text, "^make$");
}

// = and != are exact string comparisons when given a string (SPEC §4
// lists them among the string operators), arithmetic with a number.
TEST(Rule, EqualityOnStrings) {
  auto a = Parse(R"(sys/fault+mkdir,rmdir:arg_="/tmp/x":arg1!="b \"q\"")");
  ASSERT_TRUE(a) << a.error().what;
  ASSERT_EQ(a->conds.size(), 2u);
  EXPECT_EQ(a->conds[0].arg, -1);
  EXPECT_EQ(a->conds[0].op, CondOp::kStrEq);
  EXPECT_EQ(a->conds[0].text, "/tmp/x");
  EXPECT_EQ(a->conds[1].arg, 1);
  EXPECT_EQ(a->conds[1].op, CondOp::kStrNe);
  EXPECT_EQ(a->conds[1].text, "b \"q\"");
  EXPECT_TRUE(IsStringOp(CondOp::kStrEq) && IsStringOp(CondOp::kStrNe));
  EXPECT_FALSE(IsArithmetic(CondOp::kStrEq) || IsArithmetic(CondOp::kStrNe));
  EXPECT_EQ(CondOpText(CondOp::kStrEq), "=");
  EXPECT_EQ(CondOpText(CondOp::kStrNe), "!=");
  EXPECT_EQ(CondOpText(CondOp::kAddrIn), "@~");
  // The empty string is a value like any other for an exact comparison.
  auto e = Parse(R"(sys/fault+execveat:arg1="")");
  ASSERT_TRUE(e) << e.error().what;
  EXPECT_EQ(e->conds[0].op, CondOp::kStrEq);
  EXPECT_EQ(e->conds[0].text, "");
  // With a number, the same operators stay arithmetic.
  auto n = Parse("sys/fault+setuid:arg0=0:arg1!=O_RDONLY|1");
  ASSERT_TRUE(n) << n.error().what;
  EXPECT_EQ(n->conds[0].op, CondOp::kEq);
  EXPECT_EQ(n->conds[1].op, CondOp::kNe);
  EXPECT_EQ(n->conds[1].value, 1u);
}

TEST(Rule, Expressions) {
  EXPECT_EQ(*EvalExpression("1|2|4"), 7u);
  EXPECT_EQ(*EvalExpression("1 + 2 * 3"), 7u);
  EXPECT_EQ(*EvalExpression("(1 + 2) * 3"), 9u);
  EXPECT_EQ(*EvalExpression("1 << 4 | 1"), 17u);
  EXPECT_EQ(*EvalExpression("0x10 ^ 0x11"), 1u);
  EXPECT_EQ(*EvalExpression("~0"), ~0ull);
  EXPECT_EQ(*EvalExpression("-1"), ~0ull);
  EXPECT_EQ(*EvalExpression("010"), 8u);
  EXPECT_EQ(*EvalExpression("PROT_WRITE|PROT_EXEC"), static_cast<uint64_t>(PROT_WRITE | PROT_EXEC));
  EXPECT_EQ(*EvalExpression("CLONE_NEWUSER"), static_cast<uint64_t>(CLONE_NEWUSER));
  EXPECT_EQ(*EvalExpression("AT_FDCWD"), static_cast<uint64_t>(static_cast<int64_t>(AT_FDCWD)));
  EXPECT_EQ(*EvalExpression("AF_INET6"), static_cast<uint64_t>(AF_INET6));
  EXPECT_EQ(*EvalExpression("S_IFREG|S_ISUID"), static_cast<uint64_t>(S_IFREG | S_ISUID));
  EXPECT_EQ(*EvalExpression("IPPROTO_TCP + PR_SET_NO_NEW_PRIVS + F_GETFL + EPERM"),
            static_cast<uint64_t>(IPPROTO_TCP + PR_SET_NO_NEW_PRIVS + F_GETFL + EPERM));
  EXPECT_EQ(*EvalExpression("SOCK_STREAM|SOCK_CLOEXEC"), static_cast<uint64_t>(SOCK_STREAM | SOCK_CLOEXEC));
  EXPECT_EQ(*EvalExpression("MAP_SHARED"), static_cast<uint64_t>(MAP_SHARED));
  EXPECT_GT(Constants().size(), 500u);
  EXPECT_FALSE(LookupConstant("SIG_DFL"));  // a pointer, not an integer
}

// Hostile nesting is an error at its column, not a stack overflow (the
// fuzzer found a SIGSEGV at 300,000 levels of '-' and of '(').
TEST(Rule, DeepExpressionsAreRefused) {
  for (const std::string& deep : {std::string(300000, '-') + "1",
                                   std::string(300000, '(') + "1" + std::string(300000, ')'),
                                   std::string(300000, '~') + "1"}) {
    auto r = EvalExpression(deep);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().what.find("nested deeper than"), std::string::npos) << r.error().what;
    EXPECT_LE(r.error().column, static_cast<uint32_t>(kMaxExprDepth + 1));
  }
  auto plus = EvalExpression("1" + std::string(300000, '+') + "1");
  ASSERT_FALSE(plus);
  EXPECT_NE(plus.error().what.find("nested deeper than"), std::string::npos);
  // Reasonable nesting still works.
  EXPECT_EQ(*EvalExpression(std::string(20, '(') + "3" + std::string(20, ')')), 3u);
  EXPECT_EQ(*EvalExpression("--1"), 1u);
  auto cmd = ParseCommand("sys/fault+getppid:arg0=" + std::string(100000, '-') + "1", {"deep.syd-3", 1});
  ASSERT_TRUE(cmd);
  auto rule = ParseRule(*cmd);
  ASSERT_FALSE(rule);
  EXPECT_NE(rule.error().what.find("nested deeper than"), std::string::npos);
}

// Rules that must fail, with where: kafel's broken.c, as a config file.
// load= takes the rest of the rule: the module's name or path, then its
// options as written, whatever they are called.
TEST(Rule, LoadTakesTheRest) {
  auto r = Parse("sys/trace+getuid,geteuid:command=^make$:load=fakeid:uid=0:log=x:allow");
  ASSERT_TRUE(r) << r.error().what;
  ASSERT_EQ(r->options.size(), 2u);
  EXPECT_EQ(r->options[1].kind, OptKind::kLoad);
  EXPECT_EQ(r->options[1].text, "fakeid:uid=0:log=x:allow");
  EXPECT_EQ(r->options[1].column, 41u);
  auto p = Parse("sys/trace+uname:load=/opt/m.so");
  ASSERT_TRUE(p) << p.error().what;
  EXPECT_EQ(p->options[0].text, "/opt/m.so");
}

TEST(Rule, BrokenRulesNameLineAndColumn) {
  struct Case { const char* text; int col; const char* what; };
  const Case kBroken[] = {
      {"sys/explode+read", 5, "unknown action"},
      {"sys/allow:read", 10, "takes '+', '^' or '-'"},
      {"sys/allow+", 11, "missing system call set"},
      {"sys/allow+nosuchcall", 11, "unknown system call"},
      {"sys/allow+read,nosuchcall", 16, "unknown system call"},
      {"sys/allow+%nosuchclass", 11, "unknown class"},
      {"sys/allow+/(unclosed", 11, "bad regex"},
      {"sys/allow+/^zzz$", 11, "matches no system call"},
      {"sys/allow+read:arg7=1", 19, "arg0..arg5"},
      {"sys/allow+read:arg0", 20, "expected an operator"},
      {"sys/allow+read:arg", 16, "incomplete"},
      {"sys/allow+read:arg0?1", 20, "expected an operator"},
      {"sys/allow+read:arg0=", 21, "missing value"},
      {"sys/allow+read:arg0=O_NOPE", 21, "unknown constant"},
      {"sys/allow+read:arg0=1+", 23, "expected a number"},
      {"sys/allow+read:arg0=(1", 23, "expected ')'"},
      {"sys/allow+read:arg0=1/0", 22, "division by zero"},
      {"sys/allow+read:arg0>\"x\"", 21, "compares numbers, not strings"},
      {"sys/allow+read:arg0&\"x\"", 21, "compares numbers, not strings"},
      {"sys/allow+open:arg_=\"x", 21, "double-quoted"},
      {"sys/allow+read:arg0=~1", 22, "double-quoted"},
      {"sys/allow+read:arg_=1", 15, "arg_"},
      {"sys/allow+connect:arg0@~\"LOOPBACK\"", 19, "apply to arg_"},
      {"sys/allow+connect:arg_@~\"bogus:1\"", 19, "unknown address"},
      {"sys/allow+open:arg_=~\"(x\"", 16, "bad regex"},
      {"sys/allow+open:arg_=*\"[x\"", 16, "bad pattern"},
      {"sys/allow+read:bogus=1", 16, "unknown option"},
      {"sys/allow+read:fault=EPERM", 16, "does not apply"},
      {"sys/fault+read:error=ENOTANERRNO", 22, "unknown errno"},
      {"sys/trace+read:kill_process=SIGNOPE", 29, "unknown signal"},
      {"sys/trace+read:log=stderr", 20, "descriptor number or 'syslog'"},
      {"sys/trace+read:allow=1", 22, "takes no value"},
      {"sys/allow+read:load=mod.so", 16, "does not apply to a allow rule"},
      {"sys/trace+read:allow:load=mod.so", 16, "lets its module decide"},
      {"sys/trace+read:load=", 21, "needs a module"},
      {"sys/allow+read::arg0=1", 16, "empty condition"},
  };
  int line = 0;
  for (const Case& c : kBroken) {
    ++line;
    auto cmd = ParseCommand(c.text, {"broken.syd-3", static_cast<uint32_t>(line)});
    ASSERT_TRUE(cmd) << c.text;
    auto r = ParseRule(*cmd);
    if (r) {
      // Some errors are only found when the rule is resolved (policy/);
      // those are checked by the policy tests with the same table.
      continue;
    }
    EXPECT_EQ(r.error().column, static_cast<uint32_t>(c.col)) << c.text << ": " << r.error().what;
    EXPECT_NE(r.error().what.find(c.what), std::string::npos) << c.text << ": " << r.error().what;
  }
}

}  // namespace
}  // namespace syd::lang
