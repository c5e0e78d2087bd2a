// Path resolution as the kernel does it for one call, but from outside the
// caller: inside its root, from its cwd or a dirfd, following symlinks
// except where the call does not, rewriting /proc/self. The walk goes
// through the real file system one component at a time with O_PATH
// descriptors, so paths longer than PATH_MAX work and no string is ever
// handed to the kernel whole.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "util/error.h"
#include "util/unique_fd.h"

namespace syd::supervisor {

struct Resolved;

struct ResolveRequest {
  int root_fd = -1;          // O_PATH descriptor of the caller's "/"
  std::string start;         // absolute path of the cwd or dirfd (for relative paths)
  std::string path;          // as passed by the caller
  bool follow_last = true;   // follow a trailing symlink
  bool slash_follows = true;  // a trailing slash follows a final symlink and wants a directory
                              // (false: calls on the name itself, which leave that to the kernel)
  bool want_parent = false;  // keep a handle of the directory holding the last component
  bool may_be_missing = false;  // the call may create the last component
  bool no_symlinks = false;  // RESOLVE_NO_SYMLINKS: any symlink is ELOOP
  bool beneath = false;      // RESOLVE_BENEATH / IN_ROOT: stay below `start`
  bool in_root = false;      // RESOLVE_IN_ROOT: "/" and ".." stop at `start`
  pid_t tgid = 0;            // for /proc/self
  pid_t tid = 0;             // for /proc/thread-self
  bool keep_handle = false;  // also hand back the object found (Resolved::handle)
  // With want_parent and !follow_last: the name in the parent need not be
  // looked at on the fast path (Resolved::unlooked; see LookAtName).
  bool may_defer_name = false;
  // With follow_last: the caller needs no Resolved::type of what is found
  // (the fast path then spares an fstat; type stays 0).
  bool may_skip_type = false;
  // A /proc fd link to a file that has no name left (unlinked, a memfd, an
  // O_TMPFILE file: no link count) is that file, as for a pipe
  // (Resolved::magic_link, ::deleted), not the text "/x (deleted)". For
  // opens no category checks: the kernel reopens such a file.
  bool deleted_as_object = false;
  // With want_parent: a handle of the directory `path`'s parent names,
  // found by this resolution for another argument of the same call
  // (rename a b in one directory): used instead of opening it again.
  const Resolved* sibling = nullptr;
};

struct Resolved {
  std::string path;       // canonical absolute path in the caller's root
  bool exists = false;
  mode_t type = 0;        // S_IFMT bits of the final object when it exists
  bool magic_link = false;  // a /proc fd/cwd link to something without a path (pipe:[..])
  bool deleted = false;     // with magic_link: a file with no name left (ResolveRequest::deleted_as_object)
  // With keep_handle, where the walk has it at hand: an O_PATH handle of
  // the object found (a final symlink the call does not follow is held
  // as the symlink), opened by the supervisor during the walk with no
  // symlink followed on the way. Null otherwise. Shared: Resolved stays
  // copyable.
  std::shared_ptr<const UniqueFd> handle;
  // With want_parent, when the last component is a name (not ".", "..",
  // "/" or a followed symlink): an O_PATH handle of the directory holding
  // it, reached without following a symlink to it, and the name. What the
  // walk found at `path`, for calls performed on (parent, name).
  std::shared_ptr<const UniqueFd> parent;
  std::string name;
  // With may_defer_name: `name` in `parent` was not looked at, so `exists`
  // and `type` are unknown. A call performed on (parent, name) gets the
  // kernel's own answer for a missing name; LookAtName gives the rest.
  bool unlooked = false;
};

// Looks at an unlooked name (Resolved::unlooked): sets exists and type, or
// returns the errno resolution would have failed with (ENOENT for a name
// that must exist, ...). 0 when done.
int LookAtName(Resolved* r, bool may_be_missing);

// Errors carry the errno the kernel would give (ENOENT, ENOTDIR, ELOOP,
// ENAMETOOLONG, EXDEV, EACCES...).
// With `take_path` (the string req.path is): where the path is its own
// canonical form (the fast path), it is moved into the result instead of
// copied, and left empty.
Result<Resolved> Resolve(const ResolveRequest& req, std::string* take_path = nullptr);

// Opens `path` (absolute, already resolved) relative to `root_fd` refusing
// any symlink on the way, splitting paths longer than PATH_MAX.
Result<UniqueFd> OpenResolved(int root_fd, const std::string& path, uint64_t flags, uint64_t mode);

// The directory holding `path` (absolute, resolved, inside the root) and
// the name in it, for calls performed on (parent, name) with *at()
// system calls. The parent is opened like OpenResolved (no symlink on the
// way): a symlink swapped in after the check makes it fail (ELOOP), never
// redirects it. For "/" the parent is the root itself and the name ".".
struct ParentHandle {
  UniqueFd dir;
  std::string name;
};
Result<ParentHandle> OpenParent(int root_fd, const std::string& path);

// The absolute path (inside the caller's root `root_fd`) of a directory we
// hold a descriptor for, found by walking ".." and looking each directory
// up in its parent, as getcwd(3) does. For directories whose path is too
// long for readlink(/proc/PID/cwd).
Result<std::string> PathOfDirectory(int dir_fd, int root_fd);

// Lexically joins a path to a base directory ("a/../b" stays unresolved).
std::string JoinPath(const std::string& base, const std::string& rel);

}  // namespace syd::supervisor
