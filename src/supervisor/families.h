// The handlers of the calls that carry a path or an address, one family a
// file, each shaped like a broker command: resolve and check (paths.h),
// perform as the caller, answer with a Verdict. dispatch.cc says which
// handler answers which system call.
#pragma once

#include "supervisor/call.h"
#include "supervisor/paths.h"

namespace syd::supervisor {

using Handler = Verdict (*)(Call& c, const Intent& in);

// open, openat, openat2, creat (fs_open.cc).
Verdict HandleOpen(Call& c, const Intent& in);
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

}  // namespace syd::supervisor
