# Generates the x86_64 system call table (number, name, argument count,
# strace classes) from data/syscalls/x86_64.tsv.
# Usage: cmake -DTSV=... -DOUT=... -P embed_syscalls.cmake
cmake_minimum_required(VERSION 3.25)  # script mode: no policy warnings
file(STRINGS "${TSV}" lines)
set(body "// Generated from data/syscalls/x86_64.tsv by cmake/embed_syscalls.cmake.\n#include \"policy/syscall_table.h\"\n\nnamespace syd::policy {\n\nstd::span<const SyscallEntry> SyscallTable() {\n  static const SyscallEntry kTable[] = {\n")
foreach(line IN LISTS lines)
  if(line MATCHES "^#" OR line MATCHES "^nr\t")
    continue()
  endif()
  string(REPLACE "\t" ";" cols "${line}")
  list(LENGTH cols n)
  list(GET cols 0 nr)
  list(GET cols 1 name)
  list(GET cols 2 nargs)
  set(classes "")
  if(n GREATER 3)
    list(GET cols 3 classes)
  endif()
  string(APPEND body "      {${nr}, \"${name}\", ${nargs}, \"${classes}\"},\n")
endforeach()
string(APPEND body "  };\n  return kTable;\n}\n\n}  // namespace syd::policy\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
