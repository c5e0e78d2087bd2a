#include "lang/magic.h"

#include <gtest/gtest.h>

namespace syd::lang {
namespace {

TEST(ParseCommand, Operators) {
  struct Case { const char* text; const char* key; Op op; const char* value; };
  const Case cases[] = {
      {"core/sandbox/write:deny", "core/sandbox/write", Op::kSet, "deny"},
      {"allowlist/write+/tmp/***", "allowlist/write", Op::kAppend, "/tmp/***"},
      {"denylist/read^/etc/shadow", "denylist/read", Op::kPrepend, "/etc/shadow"},
      {"allowlist/write-/tmp/***", "allowlist/write", Op::kRemove, "/tmp/***"},
      {"core/sandbox/write?", "core/sandbox/write", Op::kQuery, ""},
      {"allowlist/network/bind+inet:127.0.0.1@0", "allowlist/network/bind", Op::kAppend, "inet:127.0.0.1@0"},
      {"whitelist/write+/x", "allowlist/write", Op::kAppend, "/x"},
      {"blacklist/exec+/x", "denylist/exec", Op::kAppend, "/x"},
      {"core/whitelist/per_process_directories:true", "core/allowlist/per_process_directories", Op::kSet, "true"},
      {"cmd/exec!foo", "cmd/exec", Op::kExec, "foo"},
      {"allowlist/write+a b", "allowlist/write", Op::kAppend, "a b"},
  };
  for (const Case& c : cases) {
    auto r = ParseCommand(c.text, {"t", 1});
    ASSERT_TRUE(r) << c.text << ": " << r.error().what;
    EXPECT_EQ(r->key, c.key) << c.text;
    EXPECT_EQ(r->op, c.op) << c.text;
    EXPECT_EQ(r->value, c.value) << c.text;
    EXPECT_EQ(r->origin.ToString(), "t:1");
  }
}

TEST(ParseCommand, Rejects) {
  for (const char* bad : {"", "core", "core/sandbox/write", "Core/x:1", "/x:1", "core/x=1", "sandbox:1", "?"}) {
    EXPECT_FALSE(ParseCommand(bad, {})) << bad;
  }
}

TEST(ParseCommand, RuleKey) {
  auto r = ParseCommand("sys/kill_process+ptrace", {});
  ASSERT_TRUE(r);
  EXPECT_TRUE(IsRuleKey(r->key));
}

}  // namespace
}  // namespace syd::lang
