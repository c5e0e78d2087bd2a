// Why a component-by-component walk instead of realpath(3) on
// /proc/PID/root/...: realpath would follow symlinks as the supervisor, in
// its own root, give up past PATH_MAX and cannot leave the last component
// unfollowed. The walk keeps one O_PATH descriptor for the current
// directory and the canonical string beside it; ".." is asked of the file
// system (so it crosses mount points correctly) except at the root, where
// it stays, as the kernel does.
#include "supervisor/resolve.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>

#include "kernel/proc.h"
#include "util/strings.h"

namespace syd::supervisor {
namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's MAXSYMLINKS

void PushComponents(std::deque<std::string>* q, std::string_view path) {
  std::vector<std::string> comps;
  for (std::string_view c : Split(path, '/'))
    if (!c.empty()) comps.emplace_back(c);
  for (auto it = comps.rbegin(); it != comps.rend(); ++it) q->push_front(std::move(*it));
}

std::string Parent(const std::string& p) {
  size_t slash = p.rfind('/');
  if (slash == 0 || slash == std::string::npos) return "/";
  return p.substr(0, slash);
}

bool LooksMagic(const std::string& cur, const std::string& target) {
  // Links under /proc/PID/{fd,cwd,root,exe,...} to objects without a path.
  if (!StartsWith(cur, "/proc/")) return false;
  return !target.empty() && target[0] != '/' &&
         (target.find(":[") != std::string::npos || StartsWith(target, "anon_inode:"));
}

// A /proc/PID/fd/N link to a file with no name left: the kernel prints
// "/path (deleted)" (a memfd: "/memfd:NAME (deleted)"), and the file
// itself has no link count. Both asked: a live file may be named so.
bool LooksDeleted(const std::string& cur, const std::string& target, int dirfd, const std::string& name) {
  static constexpr std::string_view kSuffix = " (deleted)";
  if (!StartsWith(cur, "/proc/") || target.size() <= kSuffix.size() ||
      target.compare(target.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
    return false;
  struct stat st;
  return fstatat(dirfd, name.c_str(), &st, 0) == 0 && st.st_nlink == 0;
}

Result<UniqueFd> OpenDir(int dirfd, const char* name) {
  int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Fail(errno, "openat", name);
  return UniqueFd(fd);
}

// A path with no ".", ".." or empty components and not under /proc (whose
// self/thread-self and magic links need the walk).
bool Plain(std::string_view p) {
  if (p.size() < 2 || p[0] != '/' || StartsWith(p, "/proc/") || p == "/proc") return false;
  size_t start = 1;
  for (;;) {
    const size_t end = std::min(p.find('/', start), p.size());
    const std::string_view c = p.substr(start, end - start);
    if (c.empty() || c == "." || c == ".." || c.size() > NAME_MAX) return false;
    if (end == p.size()) return true;
    start = end + 1;
  }
}

long Openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  return syscall(__NR_openat2, dirfd, path, &how, sizeof how);
}

// The fast path: a plain absolute path whose directories are no symlinks
// resolves in one openat2 (two when the last component is missing). Any
// symlink, error or doubt returns nullopt and the caller walks instead, so
// the answer (errno included) is always the walk's.
std::optional<Resolved> TryPlain(const ResolveRequest& req, std::string* take_path) {
  // The path is its own canonical form here: moved into the result when
  // the caller lends it (the last use of req.path below), else copied.
  auto path = [&]() -> std::string { return take_path ? std::move(*take_path) : req.path; };
  if (req.in_root || req.beneath || req.no_symlinks || !Plain(req.path) || req.path.size() >= PATH_MAX) return std::nullopt;
  const bool trailing_slash = req.path.back() == '/';
  if (trailing_slash) return std::nullopt;
  // No RESOLVE_BENEATH: a plain path has no ".." and, with no symlink
  // followed, cannot leave the root it is opened from; the flag cost the
  // kernel 60 ns of a 700 ns openat2 here.
  constexpr uint64_t kRes = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const char* rel = req.path.c_str() + 1;
  if (req.want_parent) {
    // The parent, then the name in it: two calls, and the handle is kept.
    const size_t slash = req.path.rfind('/');
    std::shared_ptr<const UniqueFd> p;
    const Resolved* sib = req.sibling;
    if (sib && sib->parent && sib->path.rfind('/') == slash && sib->path.compare(0, slash, req.path, 0, slash) == 0) {
      // The same directory, reached by the same symlink-free walk a moment
      // ago: the kernel's own rename also looks its two paths up one after
      // the other.
      p = sib->parent;
    } else {
      // The parent's name, terminated on the stack (Plain: < PATH_MAX).
      char parent[PATH_MAX];
      if (slash == 0) {
        parent[0] = '.';
        parent[1] = '\0';
      } else {
        std::memcpy(parent, rel, slash - 1);
        parent[slash - 1] = '\0';
      }
      long pfd = Openat2(req.root_fd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, kRes);
      if (pfd < 0) return std::nullopt;
      p = std::make_shared<const UniqueFd>(static_cast<int>(pfd));
    }
    Resolved r;
    r.name = req.path.substr(slash + 1);
    if (req.may_defer_name && !req.follow_last) {
      // The call acts on (parent, name) and the kernel answers for the
      // name itself: an fstatat saved on every mkdir, unlink, rename...
      r.path = path();
      r.parent = std::move(p);
      r.unlooked = true;
      return r;
    }
    struct stat st;
    if (fstatat(p->get(), r.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(st.st_mode) && req.follow_last) return std::nullopt;  // a trailing link to follow
      r.exists = true;
      r.type = st.st_mode & S_IFMT;
    } else if (errno != ENOENT || !req.may_be_missing) {
      return std::nullopt;
    }
    r.path = path();
    r.parent = std::move(p);
    return r;
  }
  if (req.follow_last && req.may_skip_type) {
    // RESOLVE_NO_SYMLINKS refuses a final symlink too (ELOOP: walked
    // below), so what opens is the object itself, no symlink.
    long fd = Openat2(req.root_fd, rel, O_PATH | O_CLOEXEC, kRes);
    if (fd >= 0) {
      UniqueFd f(static_cast<int>(fd));
      Resolved r;
      r.path = path();
      r.exists = true;
      if (req.keep_handle) r.handle = std::make_shared<const UniqueFd>(std::move(f));
      return r;
    }
    if (errno != ENOENT || !req.may_be_missing) return std::nullopt;
  }
  long fd = Openat2(req.root_fd, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC, kRes);
  if (fd >= 0) {
    UniqueFd f(static_cast<int>(fd));
    struct stat st;
    if (fstat(f.get(), &st) != 0) return std::nullopt;
    if (S_ISLNK(st.st_mode) && req.follow_last) return std::nullopt;  // a trailing link to follow
    Resolved r;
    r.path = path();
    r.exists = true;
    r.type = st.st_mode & S_IFMT;
    if (req.keep_handle) r.handle = std::make_shared<const UniqueFd>(std::move(f));
    return r;
  }
  if (errno != ENOENT || !req.may_be_missing) return std::nullopt;
  // Missing last component: its parent must resolve plainly and the name
  // must be absent (not a dangling symlink).
  size_t slash = req.path.rfind('/');
  std::string parent = slash == 0 ? std::string(".") : req.path.substr(1, slash - 1);
  long pfd = Openat2(req.root_fd, parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, kRes);
  if (pfd < 0) return std::nullopt;
  UniqueFd p(static_cast<int>(pfd));
  struct stat st;
  if (fstatat(p.get(), req.path.c_str() + slash + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
    return std::nullopt;
  Resolved r;
  r.path = path();
  r.exists = false;
  return r;
}

}  // namespace

std::string JoinPath(const std::string& base, const std::string& rel) {
  if (!rel.empty() && rel[0] == '/') return rel;
  if (base.empty() || base == "/") return "/" + rel;
  return base + "/" + rel;
}

Result<Resolved> Resolve(const ResolveRequest& req, std::string* take_path) {
  if (req.path.empty()) return Fail(ENOENT, "empty path");
  if (auto fast = TryPlain(req, take_path)) return std::move(*fast);
  // The anchor is where "/" leads (the caller's root, or the dirfd with
  // RESOLVE_IN_ROOT) and where relative walks start.
  const bool absolute = req.path[0] == '/';
  if (req.beneath && !req.in_root && absolute) return Fail(EXDEV, "absolute path with RESOLVE_BENEATH");

  // The canonical string of the anchor's "/": for IN_ROOT it is `start`.
  const std::string anchor = req.in_root ? req.start : std::string("/");
  UniqueFd anchor_fd;
  {
    std::string rel = anchor == "/" ? "." : anchor.substr(1);
    int fd = openat(req.root_fd, rel.size() < PATH_MAX ? rel.c_str() : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Fail(errno, "open root");
    anchor_fd.Reset(fd);
  }
  // The floor below which ".." may not go (RESOLVE_BENEATH / IN_ROOT).
  const std::string floor = (req.beneath || req.in_root) ? req.start : std::string("/");

  std::string cur;
  UniqueFd cur_fd;
  auto go_to_anchor = [&]() -> Status {
    cur = anchor;
    int fd = fcntl(anchor_fd.get(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return Fail(errno, "dup");
    cur_fd.Reset(fd);
    return {};
  };
  auto go_to_start = [&]() -> Status {
    // Walk to `start` from the caller's root (it may exceed PATH_MAX).
    cur.assign(1, '/');  // (not = "/": GCC 12 -Wrestrict false positive)
    int fd = openat(req.root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Fail(errno, "open root");
    cur_fd.Reset(fd);
    for (std::string_view c : Split(req.start, '/')) {
      if (c.empty()) continue;
      std::string name(c);
      SYD_TRY(next, OpenDir(cur_fd.get(), name.c_str()));
      cur_fd = std::move(next);
      cur = JoinPath(cur, name);
    }
    return {};
  };
  if (absolute) SYD_TRY_STATUS(go_to_anchor());
  else SYD_TRY_STATUS(go_to_start());

  std::deque<std::string> queue;
  PushComponents(&queue, req.path);
  // A trailing slash asks for a directory and follows a final symlink
  // (unless the call acts on the name itself: mkdir("link/") is EEXIST).
  const bool trailing_slash = req.path.size() > 1 && req.path.back() == '/' && req.slash_follows;
  const bool follow_last = req.follow_last || trailing_slash;
  int links = 0;
  Resolved out;
  // The walk ended on the current directory ("/", ".", "..", a link to "/").
  auto here = [&]() {
    Resolved r;
    r.path = cur;
    r.exists = true;
    r.type = S_IFDIR;
    return r;
  };
  if (queue.empty()) return here();

  while (!queue.empty()) {
    std::string comp = std::move(queue.front());
    queue.pop_front();
    const bool last = queue.empty();
    if (comp == ".") {
      if (last) return here();
      continue;
    }
    if (comp == "..") {
      if (cur == floor) {
        if (req.beneath && !req.in_root) return Fail(EXDEV, "'..' escapes RESOLVE_BENEATH");
      } else {
        SYD_TRY(up, OpenDir(cur_fd.get(), ".."));
        cur_fd = std::move(up);
        cur = Parent(cur);
      }
      if (last) return here();
      continue;
    }
    if (comp.size() > NAME_MAX) return Fail(ENAMETOOLONG, "path component too long");
    if (cur == "/proc" && (comp == "self" || comp == "thread-self")) {
      // The supervisor's /proc/self is not the caller's.
      if (comp == "thread-self") {
        queue.push_front(std::to_string(req.tid));
        queue.push_front("task");
      }
      comp = std::to_string(req.tgid);
    }
    struct stat st;
    if (fstatat(cur_fd.get(), comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      int e = errno;
      if (e == ENOENT && last && req.may_be_missing) {  // also mkdir("dir/")
        out.path = JoinPath(cur, comp);
        out.exists = false;
        if (req.want_parent) {
          out.parent = std::make_shared<const UniqueFd>(std::move(cur_fd));
          out.name = comp;
        }
        return out;
      }
      return Fail(e, "fstatat", JoinPath(cur, comp));
    }
    if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
      if (req.no_symlinks) return Fail(ELOOP, "symlink with RESOLVE_NO_SYMLINKS");
      if (++links > kMaxSymlinks) return Fail(ELOOP, "too many levels of symbolic links");
      SYD_TRY(target, kernel::ReadLink(cur_fd.get(), comp));
      const bool deleted = last && req.deleted_as_object && LooksDeleted(cur, target, cur_fd.get(), comp);
      if (deleted || LooksMagic(cur, target)) {
        if (!last) return Fail(ENOTDIR, "not a directory", JoinPath(cur, comp));
        out.path = JoinPath(cur, comp);
        out.exists = true;
        out.magic_link = true;
        out.deleted = deleted;
        struct stat tst;
        // What the link leads to (a pipe, a socket...), as the caller would see it.
        if (fstatat(cur_fd.get(), comp.c_str(), &tst, 0) == 0) out.type = tst.st_mode & S_IFMT;
        return out;
      }
      if (target.empty()) return Fail(ENOENT, "empty symlink");
      PushComponents(&queue, target);
      if (target[0] == '/') {
        if (req.beneath && !req.in_root) return Fail(EXDEV, "absolute symlink with RESOLVE_BENEATH");
        SYD_TRY_STATUS(go_to_anchor());
      }
      if (queue.empty()) return here();  // the link pointed at "/"

      continue;
    }
    if (last) {
      if (trailing_slash && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
        return Fail(ENOTDIR, "not a directory", JoinPath(cur, comp));
      out.path = JoinPath(cur, comp);
      out.exists = true;
      out.type = st.st_mode & S_IFMT;
      if (req.keep_handle) {
        // The name in the directory the walk holds: no symlink on the way.
        // Kept only if it is what was looked at (not swapped since).
        UniqueFd fd(openat(cur_fd.get(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        struct stat hst;
        if (fd.valid() && fstat(fd.get(), &hst) == 0 && hst.st_ino == st.st_ino && hst.st_dev == st.st_dev)
          out.handle = std::make_shared<const UniqueFd>(std::move(fd));
      }
      if (req.want_parent) {
        out.parent = std::make_shared<const UniqueFd>(std::move(cur_fd));
        out.name = comp;
      }
      return out;
    }
    if (!S_ISDIR(st.st_mode)) return Fail(ENOTDIR, "not a directory", JoinPath(cur, comp));
    SYD_TRY(next, OpenDir(cur_fd.get(), comp.c_str()));
    cur_fd = std::move(next);
    cur = JoinPath(cur, comp);
  }
  return Fail(ENOENT, "unreachable");
}

int LookAtName(Resolved* r, bool may_be_missing) {
  if (!r->unlooked) return 0;
  // What the walk would have found at the name in the same directory (the
  // fast path leaves only plain names to look at: no symlink to follow).
  struct stat st;
  if (fstatat(r->parent->get(), r->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    r->exists = true;
    r->type = st.st_mode & S_IFMT;
  } else if (errno == ENOENT && may_be_missing) {
    r->exists = false;
  } else {
    return errno;
  }
  r->unlooked = false;
  return 0;
}

Result<std::string> PathOfDirectory(int dir_fd, int root_fd) {
  struct stat root_st;
  if (fstat(root_fd, &root_st) != 0) return Fail(errno, "fstat root");
  int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return Fail(errno, "dup");
  UniqueFd cur(fd);
  std::vector<std::string> names;
  for (int depth = 0; depth < 4096; ++depth) {
    struct stat st;
    if (fstat(cur.get(), &st) != 0) return Fail(errno, "fstat");
    if (st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino) break;
    int pfd = openat(cur.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0) return Fail(errno, "open ..");
    UniqueFd parent(pfd);
    struct stat pst;
    if (fstat(parent.get(), &pst) != 0) return Fail(errno, "fstat ..");
    if (pst.st_dev == st.st_dev && pst.st_ino == st.st_ino) break;  // the real root
    int rfd = fcntl(parent.get(), F_DUPFD_CLOEXEC, 0);
    DIR* d = rfd >= 0 ? fdopendir(rfd) : nullptr;
    if (!d) return Fail(errno, "opendir ..");
    std::string found;
    while (dirent* e = readdir(d)) {
      std::string_view n = e->d_name;
      if (n == "." || n == "..") continue;
      // d_ino is the inode under any mount on top; confirm with fstatat.
      struct stat est;
      if (fstatat(parent.get(), e->d_name, &est, AT_SYMLINK_NOFOLLOW) == 0 && est.st_dev == st.st_dev &&
          est.st_ino == st.st_ino) {
        found = e->d_name;
        break;
      }
    }
    closedir(d);
    if (found.empty()) return Fail(ENOENT, "directory not found in its parent (deleted?)");
    names.push_back(std::move(found));
    cur = std::move(parent);
  }
  std::string out;
  for (auto it = names.rbegin(); it != names.rend(); ++it) out += "/" + *it;
  return out.empty() ? std::string("/") : out;
}

Result<UniqueFd> OpenResolved(int root_fd, const std::string& path, uint64_t flags, uint64_t mode) {
  // Split into chunks below PATH_MAX at '/' boundaries; every chunk but the
  // last is opened as an O_PATH directory, each step refusing symlinks.
  std::string_view rest = std::string_view(path).substr(path.empty() || path[0] != '/' ? 0 : 1);
  UniqueFd dir;
  int base = root_fd;
  constexpr size_t kChunk = PATH_MAX - 256;
  while (rest.size() >= kChunk) {
    size_t cut = rest.rfind('/', kChunk);
    if (cut == std::string_view::npos || cut == 0) return Fail(ENAMETOOLONG, "path component too long");
    std::string head(rest.substr(0, cut));
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(__NR_openat2, base, head.c_str(), &how, sizeof how);
    if (fd < 0) return Fail(errno, "openat2", head);
    dir.Reset(static_cast<int>(fd));
    base = dir.get();
    rest = rest.substr(cut + 1);
  }
  std::string last = rest.empty() ? std::string(".") : std::string(rest);
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & (O_CREAT | 020000000)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(__NR_openat2, base, last.c_str(), &how, sizeof how);
  if (fd < 0) return Fail(errno, "openat2", last);
  return UniqueFd(static_cast<int>(fd));
}

}  // namespace syd::supervisor

namespace syd::supervisor {

Result<ParentHandle> OpenParent(int root_fd, const std::string& path) {
  ParentHandle out;
  const size_t slash = path.rfind('/');
  if (path.empty() || path[0] != '/' || slash == std::string::npos) return Fail(EINVAL, "not an absolute path", path);
  if (path == "/") {
    SYD_TRY(root, OpenResolved(root_fd, "/", O_PATH | O_DIRECTORY, 0));
    out.dir = std::move(root);
    out.name = ".";
    return out;
  }
  SYD_TRY(dir, OpenResolved(root_fd, slash == 0 ? std::string("/") : path.substr(0, slash), O_PATH | O_DIRECTORY, 0));
  out.dir = std::move(dir);
  out.name = path.substr(slash + 1);
  return out;
}

}  // namespace syd::supervisor
