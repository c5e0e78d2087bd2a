// A record is a fixed header followed by its strings (paths, the sockaddr
// as read, the rule's file), appended to one byte buffer. One buffer and
// one lock rather than a buffer per worker: a caller's next call may be
// answered by another worker, and one append order is then the order of
// each thread's calls with no merging by the writer; the lock is held for
// a memcpy. The writer wakes when the buffer passes kWakeBytes, or every
// kFlushEvery, so a dump read while the command runs is at most that late.
// comm is the one thing read from /proc: once per thread, by the
// answering thread (the writer would be too late for a short-lived
// process), and again after the thread's exec.
#include "supervisor/dump.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "policy/decider.h"
#include "policy/netaddr.h"
#include "policy/syscall_table.h"
#include "supervisor/call.h"
#include "util/strings.h"

namespace syd::supervisor {
namespace {

constexpr size_t kWakeBytes = 64 * 1024;
constexpr size_t kMaxBytes = 16 * 1024 * 1024;  // then answering threads wait for the writer
constexpr auto kFlushEvery = std::chrono::milliseconds(50);

enum class Answer : uint8_t { kContinue, kError, kValue, kFd, kNone };
enum class RuleKind : uint8_t { kNone, kOrigin, kDefault };

struct Header {
  uint32_t size;  // of the whole record
  int32_t tid, tgid, nr;
  int64_t ts_ns;
  uint64_t args[6];
  int64_t ret;
  int32_t err;
  Answer answer;
  uint8_t category;  // policy::Category, or kNoCategory
  DumpNote::Decision decision, would;
  RuleKind rule_kind;
  uint8_t npaths;
  uint32_t rule_line;
  char comm[16];
  uint32_t len[6];  // path[0], path[1], addr_raw, addr_path, rule file, module
};
constexpr uint8_t kNoCategory = 0xff;

thread_local DumpNote tl_note;

const char* DecisionName(DumpNote::Decision d) {
  switch (d) {
    case DumpNote::Decision::kNone: return "none";
    case DumpNote::Decision::kAllow: return "allow";
    case DumpNote::Decision::kDeny: return "deny";
    case DumpNote::Decision::kKill: return "kill";
    case DumpNote::Decision::kKillAll: return "killall";
    case DumpNote::Decision::kCont: return "cont";
    case DumpNote::Decision::kTrap: return "trap";
    case DumpNote::Decision::kDetach: return "detach";
  }
  return "none";
}

const char* AnswerName(Answer a) {
  switch (a) {
    case Answer::kContinue: return "continue";
    case Answer::kError: return "error";
    case Answer::kValue: return "value";
    case Answer::kFd: return "fd";
    case Answer::kNone: return "none";
  }
  return "none";
}

// /proc/TID/comm without formatting: "/proc/" and the number.
std::array<char, 16> ReadCommOf(pid_t tid) {
  std::array<char, 16> out{};
  char path[32] = "/proc/";
  auto [end, ec] = std::to_chars(path + 6, path + 20, tid);
  (void)ec;
  std::memcpy(end, "/comm", 6);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out[0] = '?';
    return out;
  }
  ssize_t n = read(fd, out.data(), out.size() - 1);
  close(fd);
  if (n <= 0) n = 0;
  while (n > 0 && (out[static_cast<size_t>(n) - 1] == '\n' || out[static_cast<size_t>(n) - 1] == '\0')) --n;
  if (n == 0) out[static_cast<size_t>(n++)] = '?';
  out[static_cast<size_t>(n)] = '\0';
  return out;
}

void Append(std::vector<char>& buf, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  buf.insert(buf.end(), c, c + n);
}

double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

void DumpNote::Clear() {
  has_category = false;
  decision = would = Decision::kNone;
  rule = nullptr;
  module = nullptr;
  rule_default = false;
  npaths = 0;
  path[0].clear();
  path[1].clear();
  addr_raw.clear();
  addr_path.clear();
  recorded = false;
}

DumpNote* FreshDumpNote() {
  tl_note.Clear();
  return &tl_note;
}

DumpNote::Decision DumpDecision(policy::Decision d) {
  switch (d) {
    case policy::Decision::kDeny: return DumpNote::Decision::kDeny;
    case policy::Decision::kKill: return DumpNote::Decision::kKill;
    case policy::Decision::kKillAll: return DumpNote::Decision::kKillAll;
    case policy::Decision::kCont: return DumpNote::Decision::kCont;
  }
  return DumpNote::Decision::kDeny;
}

std::shared_ptr<DumpNote> CarryDumpNote(Call& c) {
  if (!c.note) return nullptr;
  auto* n = new DumpNote(*c.note);
  c.note = nullptr;
  // The snapshot keeps the rule the note points to alive.
  return std::shared_ptr<DumpNote>(
      n, [env = &c.env, req = c.req, info = &c.info, snapshot = c.KeepDecider()](DumpNote* p) {
        if (!p->recorded && env->dump) {
          Call cc(req, *env, *info, snapshot);
          cc.note = p;
          env->dump->Record(cc, Verdict::None());
        }
        delete p;
      });
}

void NoteCategory(Call& c, policy::Category cat) {
  if (!c.note) return;
  c.note->has_category = true;
  c.note->category = cat;
}

void NotePath(Call& c, int i, const std::string& seen) {
  if (!c.note || i < 0 || i > 1) return;
  c.note->path[i] = seen;
  if (c.note->npaths < i + 1) c.note->npaths = static_cast<uint8_t>(i + 1);
}

void NoteAddress(Call& c, const void* sockaddr, size_t len, const std::string& unix_path) {
  if (!c.note) return;
  c.note->addr_raw.assign(static_cast<const char*>(sockaddr), len);
  c.note->addr_path = unix_path;
}

void NoteDecision(Call& c, DumpNote::Decision d, const lang::Origin* rule, bool rule_default,
                  DumpNote::Decision would) {
  if (!c.note) return;
  if (d == DumpNote::Decision::kAllow && c.note->decision != DumpNote::Decision::kNone) return;  // no downgrade
  c.note->decision = d;
  c.note->would = would;
  c.note->rule = rule;
  c.note->rule_default = rule_default && !rule;
}

Result<DumpTarget> OpenDumpTarget(const std::string& spec) {
  DumpTarget t;
  if (spec.empty()) return Failf("--dump wants fd:N, PATH or tmp");
  if (StartsWith(spec, "fd:")) {
    auto n = ParseInt(spec.substr(3));
    if (!n || *n < 0 || *n > INT32_MAX) return Failf("--dump {}: N must be a descriptor number", spec);
    const int fd = static_cast<int>(*n);
    const int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return Failf("--dump {}: descriptor {} is not open", spec, fd);
    if ((fl & O_ACCMODE) == O_RDONLY) return Failf("--dump {}: descriptor {} is not open for writing", spec, fd);
    // Not COMMAND's to write into: closed on its exec (0..2 it shares).
    if (fd > 2) fcntl(fd, F_SETFD, FD_CLOEXEC);
    t.fd = UniqueFd(fd);
    t.borrowed = fd <= 2;
    t.shown = spec;
    return t;
  }
  if (spec == "tmp") {
    const char* dir = getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/sydbox-dump.XXXXXX.jsonl";
    int fd = mkostemps(tmpl.data(), 6, O_CLOEXEC);  // mode 0600
    if (fd < 0) return Failf("--dump tmp: cannot create {}: {}", tmpl, strerror(errno));
    t.fd = UniqueFd(fd);
    t.shown = tmpl;
    return t;
  }
  // O_NOFOLLOW: a symlink is refused (ELOOP); O_NONBLOCK: a FIFO does not
  // block the open (ENXIO without a reader), and whatever opens but is not
  // a regular file is refused below.
  int fd = open(spec.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0) {
    if (errno == ELOOP) return Failf("--dump {}: is a symbolic link (refused)", spec);
    if (errno == ENXIO || errno == EISDIR) return Failf("--dump {}: not a regular file (refused)", spec);
    return Failf("--dump {}: {}", spec, strerror(errno));
  }
  t.fd = UniqueFd(fd);
  struct stat st{};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return Failf("--dump {}: not a regular file (refused)", spec);
  if (ftruncate(fd, 0) != 0) return Failf("--dump {}: cannot truncate: {}", spec, strerror(errno));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  t.shown = spec;
  return t;
}

Dump::Dump(DumpTarget target, const events::DumpInit& init) : target_(std::move(target)) {
  active_.reserve(kWakeBytes * 2);
  WriteOut(events::Json(init));
  writer_ = std::thread([this] {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    WriterLoop();
  });
}

Dump::~Dump() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  wake_writer_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (target_.borrowed) (void)target_.fd.Release();
}

uint64_t Dump::recorded() const {
  std::lock_guard<std::mutex> lk(mu_);
  return recorded_;
}

void Dump::Record(Call& c, const Verdict& v) {
  DumpNote& n = *c.note;
  n.recorded = true;
  Header h{};
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  h.ts_ns = static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  h.tid = c.tid();
  h.tgid = c.Tgid();
  h.nr = c.nr();
  for (int i = 0; i < 6; ++i) h.args[i] = c.arg(i);
  switch (v.kind()) {
    case Verdict::Kind::kContinue: h.answer = Answer::kContinue; break;
    case Verdict::Kind::kError: h.answer = Answer::kError; h.err = v.err(); break;
    case Verdict::Kind::kValue: h.answer = Answer::kValue; h.ret = v.value(); break;
    case Verdict::Kind::kFd: h.answer = Answer::kFd; break;
    case Verdict::Kind::kNone: h.answer = Answer::kNone; break;
  }
  h.category = n.has_category ? static_cast<uint8_t>(n.category) : kNoCategory;
  h.decision = n.decision;
  h.would = n.would;
  h.rule_kind = n.rule ? RuleKind::kOrigin : n.rule_default ? RuleKind::kDefault : RuleKind::kNone;
  h.rule_line = n.rule ? n.rule->line : 0;
  h.npaths = n.npaths;
  const std::string empty;
  const std::string* strs[6] = {&n.path[0], &n.path[1], &n.addr_raw, &n.addr_path, n.rule ? &n.rule->file : &empty,
                                n.module ? n.module : &empty};
  size_t size = sizeof h;
  for (int i = 0; i < 6; ++i) {
    h.len[i] = static_cast<uint32_t>(strs[i]->size());
    size += strs[i]->size();
  }
  h.size = static_cast<uint32_t>(size);
  const bool exec = h.nr == __NR_execve || h.nr == __NR_execveat;

  std::unique_lock<std::mutex> lk(mu_);
  auto it = comms_.find(h.tid);
  std::array<char, 16> comm;
  if (it != comms_.end()) {
    comm = it->second;
  } else {
    lk.unlock();
    comm = ReadCommOf(h.tid);
    lk.lock();
    if (comms_.size() >= 65536) comms_.clear();  // bounded; threads that exited are forgotten
    comms_[h.tid] = comm;
  }
  // After an exec the process has a new name: read it again next time.
  if (exec) {
    comms_.erase(h.tid);
    comms_.erase(h.tgid);
  }
  std::memcpy(h.comm, comm.data(), sizeof h.comm);
  if (active_.size() > kMaxBytes && !stop_) {
    lk.unlock();
    c.MayBlock();
    lk.lock();
    room_.wait(lk, [&] { return active_.size() <= kMaxBytes || stop_; });
  }
  const bool was_empty = active_.empty();
  const size_t before = active_.size();
  Append(active_, &h, sizeof h);
  for (const std::string* s : strs) Append(active_, s->data(), s->size());
  ++recorded_;
  const bool wake = was_empty || (before < kWakeBytes && active_.size() >= kWakeBytes);
  lk.unlock();
  if (wake) wake_writer_.notify_one();
}

void Dump::WriterLoop() {
  std::vector<char> batch;
  batch.reserve(kWakeBytes * 2);
  std::string out;
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    wake_writer_.wait(lk, [&] { return stop_ || !active_.empty(); });
    // Let a batch gather, unless it is big already or sydbox is ending.
    wake_writer_.wait_for(lk, kFlushEvery, [&] { return stop_ || active_.size() >= kWakeBytes; });
    if (active_.empty()) {
      if (stop_) return;
      continue;
    }
    batch.swap(active_);
    lk.unlock();
    room_.notify_all();
    out.clear();
    Format(batch, &out);
    WriteOut(out);
    batch.clear();
    lk.lock();
  }
}

void Dump::Format(const std::vector<char>& batch, std::string* out) {
  size_t off = 0;
  events::DumpCall e;
  while (off + sizeof(Header) <= batch.size()) {
    Header h;
    std::memcpy(&h, batch.data() + off, sizeof h);
    const char* p = batch.data() + off + sizeof h;
    std::string_view s[6];
    for (int i = 0; i < 6; ++i) {
      s[i] = std::string_view(p, h.len[i]);
      p += h.len[i];
    }
    off += h.size;
    e = events::DumpCall{};
    e.ts = Seconds(h.ts_ns);
    e.pid = h.tid;
    e.tgid = h.tgid;
    e.comm = std::string(h.comm, strnlen(h.comm, sizeof h.comm));
    e.syscall = std::string(policy::SyscallName(h.nr));
    if (e.syscall.empty()) e.syscall = "?";
    e.nr = h.nr;
    for (size_t i = 0; i < 6; ++i) e.args[i] = h.args[i];
    if (h.npaths >= 1) e.path = std::string(s[0]);
    if (h.npaths >= 2) e.path2 = std::string(s[1]);
    if (!s[2].empty()) {
      auto a = policy::ParseSockaddr(s[2].data(), s[2].size());
      if (a) {
        if (!s[3].empty()) a->path = std::string(s[3]);
        e.addr = a->ToString();
      } else {
        e.addr = "?";
      }
    }
    if (h.category != kNoCategory) e.category = std::string(policy::CategoryName(static_cast<policy::Category>(h.category)));
    e.decision = DecisionName(h.decision);
    if (h.would != DumpNote::Decision::kNone) e.would = DecisionName(h.would);
    if (h.rule_kind == RuleKind::kOrigin) e.rule = lang::Origin{std::string(s[4]), h.rule_line}.ToString();
    else if (h.rule_kind == RuleKind::kDefault && h.category != kNoCategory)
      e.rule = policy::DefaultRuleName(static_cast<policy::Category>(h.category));
    e.module = std::string(s[5]);
    e.answer = AnswerName(h.answer);
    if (h.answer == Answer::kError) e.errno_name = ErrnoName(h.err);
    if (h.answer == Answer::kValue) e.ret = h.ret;
    *out += events::Json(e);
    ++written_;
  }
}

void Dump::WriteOut(const std::string& s) {
  if (broken_) return;
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(target_.fd.get(), s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {  // a non-blocking descriptor given as fd:N
        usleep(1000);
        continue;
      }
      fmt::print(stderr, "sydbox: --dump {}: write failed ({}): the dump is incomplete from here\n", target_.shown,
                 strerror(errno));
      broken_ = true;
      return;
    }
    off += static_cast<size_t>(n);
  }
}

void Dump::Finish(int code, int signal) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  wake_writer_.notify_all();
  room_.notify_all();
  if (writer_.joinable()) writer_.join();
  events::DumpExit e;
  e.ts = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  e.code = code;
  e.signal = signal;
  e.calls = written_;
  WriteOut(events::Json(e));
}

}  // namespace syd::supervisor
