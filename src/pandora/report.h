// pandora report: what a program did, as one self-contained HTML page for
// people who would rather look than read (issue 14, item 6). Pure: the
// dump or profile comes in as text, the page goes out as text; reading and
// writing files is pandora_main's.
//
// From a dump (sydbox --dump): a collapsible tree of every path with how
// often it was read, written, executed and looked at (stat), the network
// peers with their direction and counts, and the denied calls with the
// rule that decided each. From a profile: the same tree and peers from its
// allowlists (what the program may do), without counts or denials.
//
// The page has no script, font, style sheet or image from anywhere else:
// the tree collapses with <details> elements, the style is inline.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace syd::pandora {

// What the report shows, gathered first (tested on its own).
struct ReportData {
  enum class Source { kDump, kProfile };
  Source source = Source::kDump;
  std::string program;               // COMMAND (dump: the init line's argv) or the profile's program
  struct Counts {
    uint64_t read = 0, write = 0, exec = 0, stat = 0;
    bool allowed_only = false;  // from a profile: allowed, no counts
    uint64_t total() const { return read + write + exec + stat; }
  };
  std::map<std::string, Counts> paths;  // absolute path (or pattern, from a profile) -> counts
  struct Peer {
    uint64_t count = 0;
    uint64_t denied = 0;
  };
  std::map<std::pair<std::string, std::string>, Peer> peers;  // (bind|connect, address) -> counts
  struct Denial {
    std::string syscall, target, category, decision, errno_name, rule, comm;
    bool operator<(const Denial& o) const;
  };
  std::map<Denial, uint64_t> denied;  // each different denial, with how often it happened
  uint64_t calls = 0;                 // call lines read (dump)
  uint64_t problems = 0;              // lines that were neither (shown, never fatal)
  std::vector<std::string> first_problems;  // "line N: what", the first few
  int exit_code = -1;                 // the dump's exit line, when there is one
};

// Gathers from a dump (JSON lines) or a profile (#! pandora-profile: 1
// header, then configuration lines): chosen by the first line. Lines it
// cannot read are counted and named, never fatal; an input with nothing of
// either kind is an error.
Result<ReportData> GatherReport(std::string_view text);

// The page.
std::string RenderReport(const ReportData& d, const std::string& title);

// Text for HTML: & < > " ' escaped; bytes that are not UTF-8 shown as \xNN.
std::string HtmlText(std::string_view s);

}  // namespace syd::pandora
