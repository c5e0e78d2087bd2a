// The handlers of the calls that carry a path or an address, one family a
// file, each shaped like a broker command: resolve and check (paths.h),
// perform as the caller, answer with a Verdict. dispatch.cc says which
// handler answers which system call.
#pragma once

#include <span>

#include "supervisor/call.h"
#include "supervisor/paths.h"

namespace syd::supervisor {

using Handler = Verdict (*)(Call& c, const Intent& in);

// open, openat, openat2, creat (fs_open.cc).
Verdict HandleOpen(Call& c, const Intent& in);
// An open for writing that must be performed here even where no category
// checks it: while a process is locked or released, so that no write
// into another process's memory (/proc/PID/mem) goes unseen. From the
// registers (open, openat, creat); openat2 is always performed here.
bool WriteOpenToPerform(Call& c, uint64_t open_flags);
// Path calls not performed by the supervisor yet: checked, then CONTINUE
// (fs_path.cc; docs/SECURITY.md lists each and what a race could do).
Verdict HandleChecked(Call& c, const Intent& in);
// mkdir(at), mknod(at), symlink(at), link(at), unlink(at), rmdir,
// rename(at, at2): performed on handles of the resolved parents (fs_write.cc).
Verdict HandleNameChange(Call& c, const Intent& in);
// execve, execveat (exec.cc).
Verdict HandleExec(Call& c, const Intent& in);
// getdents64 (fs_dir.cc).
Verdict HandleGetdents(Call& c);
// bind, connect, sendto, sendmsg, sendmmsg (net.cc).
Verdict HandleNet(Call& c, const Intent& in);

// Calls that change a file's attributes: truncate, chmod, chown, utime and
// xattr families, file_setattr (fs_attr.cc), and the attribute ioctls.
Verdict HandleAttrChange(Call& c, const Intent& in);
Verdict HandleAttrIoctl(Call& c, const Intent& in);
std::span<const int> AttrChangeSyscalls();
// Calls that read them: access, the getxattr/listxattr families, and with
// stat sandboxing the stat family, readlink, statfs, file_getattr
// (fs_query.cc).
Verdict HandleAttrQuery(Call& c, const Intent& in);
std::span<const int> AttrQuerySyscalls();

}  // namespace syd::supervisor
