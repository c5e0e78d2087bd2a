// The sys/ rule language (SPEC §4), as syntax:
//   sys/ACTION(+|^|-)SYSCALL_SET[:ARG_EXPR|:OPTION]...
// Parsing is pure; names of system calls, address patterns and regexes are
// checked when the rule is lowered (policy/), with the columns kept here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lang/magic.h"

namespace syd::lang {

// How deeply an argument expression may nest (parentheses, unary and
// binary operators); deeper is an error at its column, not a crash.
inline constexpr int kMaxExprDepth = 64;

enum class RuleAction : uint8_t { kKillProcess, kKillThread, kFault, kTrap, kLog, kAllow, kTrace };

// `=` and `!=` are arithmetic with a number and string comparisons (exact,
// kStrEq/kStrNe) with a double-quoted string.
enum class CondOp : uint8_t {
  kEq, kNe, kGt, kGe, kLt, kLe, kAnyBits, kNoBits,     // arithmetic
  kRegex, kNotRegex, kGlob, kNotGlob, kStrEq, kStrNe,  // strings
  kAddrIn, kAddrNotIn,                                 // addresses
};

bool IsArithmetic(CondOp op);
bool IsStringOp(CondOp op);
bool IsAddressOp(CondOp op);
std::string_view CondOpText(CondOp op);

struct RuleCond {
  int arg = 0;         // 0..5, or -1 for arg_ (the path or address argument)
  CondOp op = CondOp::kEq;
  uint64_t value = 0;  // arithmetic operand
  std::string text;    // regex, glob, exact string or address pattern
  uint32_t column = 0;
};

enum class OptKind : uint8_t {
  kAllow, kFault, kTrap, kRetval, kError, kKillProcess, kKillThread,
  kDetachProcess, kDetachThread, kLog, kCommand, kCmdline, kLoad,
};

struct RuleOption {
  OptKind kind = OptKind::kAllow;
  int64_t number = 0;  // errno, signal, retval or fd (-1 = syslog for log=)
  std::string text;    // regex for command=/cmdline=, module spec for load=
  uint32_t column = 0;
};

struct Rule {
  RuleAction action = RuleAction::kAllow;
  std::string set_text;      // the SYSCALL_SET as written
  uint32_t set_column = 0;
  std::vector<RuleCond> conds;
  std::vector<RuleOption> options;
};

std::string_view RuleActionName(RuleAction a);

// Parses the command of a sys/ rule. Errors carry Error::column, 1-based
// within the whole command text "sys/ACTION+...".
Result<Rule> ParseRule(const Command& cmd);

// Evaluates an integer expression: numbers (decimal, 0x, 0 octal), named
// constants, | & ^ ~ + - * / << >> and parentheses, C precedence.
Result<uint64_t> EvalExpression(std::string_view text);

}  // namespace syd::lang
