// --dump (SPEC §6.2): every call the supervisor answers, as JSON lines.
//
// The answering thread only copies: Respond() (call.h) hands the call, its
// verdict and what the handlers noted on the way (DumpNote: the resolved
// paths, the address, the category, the decision and the deciding rule)
// to Dump::Record, which appends one compact binary record to a shared
// buffer under a short lock. A writer thread of its own swaps the buffer
// out, formats each record as a JSON line (events/json.cc) and writes it.
// Records are appended before the kernel is answered, so the calls of one
// thread are in the buffer, and in the dump, in the order they were made.
// Nothing is dropped: when the writer falls far behind, an answering
// thread waits for room (after handing the receiving role over).
#pragma once

#include <sys/types.h>

#include <array>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "events/events.h"
#include "lang/magic.h"
#include "policy/policy.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace syd::supervisor {

struct Call;
class Verdict;

// What the handlers of one call found that the registers do not say.
// Filled on the answering thread (no allocation once its strings have
// grown); Respond() records it with the verdict.
struct DumpNote {
  enum class Decision : uint8_t { kNone, kAllow, kDeny, kKill, kKillAll, kCont, kTrap, kDetach };
  bool has_category = false;
  policy::Category category = policy::Category::kRead;
  Decision decision = Decision::kNone;
  Decision would = Decision::kNone;  // --dry-run: what would have been decided
  const lang::Origin* rule = nullptr;  // valid while the call's policy snapshot is
  bool rule_default = false;           // the category's mode decided: default:CATEGORY
  const std::string* module = nullptr; // the module that decided (load=), valid as `rule` is
  uint8_t npaths = 0;
  std::string path[2];
  std::string addr_raw;   // the sockaddr as read
  std::string addr_path;  // a named UNIX socket's path, resolved
  bool recorded = false;
  void Clear();
};

// The dump's name for a violation decision.
DumpNote::Decision DumpDecision(policy::Decision d);

// Hooks for handlers: each is a no-op when the call is not dumped.
void NoteCategory(Call& c, policy::Category cat);
void NotePath(Call& c, int i, const std::string& seen);
void NoteAddress(Call& c, const void* sockaddr, size_t len, const std::string& unix_path);
void NoteDecision(Call& c, DumpNote::Decision d, const lang::Origin* rule, bool rule_default,
                  DumpNote::Decision would = DumpNote::Decision::kNone);

// The note of the current notification on this thread, cleared.
DumpNote* FreshDumpNote();
// For a call answered on another thread (RunBlocking): takes the note from
// `c` (null when not dumped). If the note is dropped unrecorded (the call
// was cancelled before it ran), the call is recorded then, answer "none".
std::shared_ptr<DumpNote> CarryDumpNote(Call& c);

// Where --dump writes, from its argument: "fd:N" (an open descriptor),
// "tmp" (a new file in $TMPDIR, named on stderr) or a PATH (created 0600;
// an existing regular file is truncated; a symlink, a FIFO or anything but
// a regular file is refused). `shown` is what to call it in messages.
struct DumpTarget {
  UniqueFd fd;
  bool borrowed = false;  // fd:0..2: shared with COMMAND, not closed
  std::string shown;
};
Result<DumpTarget> OpenDumpTarget(const std::string& spec);

class Dump {
 public:
  // Starts the writer thread and writes the init line. The thread blocks
  // SIGPIPE (a closed reader ends the dump with a warning, not sydbox).
  Dump(DumpTarget target, const events::DumpInit& init);
  ~Dump();
  Dump(const Dump&) = delete;
  Dump& operator=(const Dump&) = delete;

  // On the answering thread, before the kernel is answered: copies the call.
  void Record(Call& c, const Verdict& v);
  // Writes everything recorded, then the exit line, and stops the writer.
  void Finish(int code, int signal);

  const std::string& shown() const { return target_.shown; }
  uint64_t recorded() const;

 private:
  void WriterLoop();
  void Format(const std::vector<char>& batch, std::string* out);
  void WriteOut(const std::string& s);
  // comm of `tid`, read once per thread (and again after its exec).
  std::array<char, 16> Comm(pid_t tid, pid_t tgid, bool exec);

  DumpTarget target_;
  mutable std::mutex mu_;
  std::condition_variable wake_writer_, room_;
  std::vector<char> active_;  // records not yet taken by the writer (mu_)
  bool stop_ = false;         // (mu_)
  uint64_t recorded_ = 0;     // (mu_)
  uint64_t written_ = 0;      // writer thread only
  bool broken_ = false;       // writer thread only: a write failed
  std::mutex comm_mu_;
  std::unordered_map<pid_t, std::array<char, 16>> comms_;  // (comm_mu_)
  std::thread writer_;
};

}  // namespace syd::supervisor
