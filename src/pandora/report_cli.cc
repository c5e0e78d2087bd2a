#include "pandora/report_cli.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "pandora/report.h"

namespace syd::pandora {
namespace {

constexpr const char* kUsage = "Usage: pandora report DUMP|PROFILE [-o OUT.html]\n";

bool ReadAll(const std::string& path, std::string* out) {
  int fd = path == "-" ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      errno = e;
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

}  // namespace

int ReportMain(const std::vector<std::string>& args) {
  std::string input, output;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-h" || args[i] == "--help") {
      fmt::print("{}", kUsage);
      return 0;
    }
    if (args[i] == "-o" || args[i] == "--output") {
      if (i + 1 >= args.size()) {
        fmt::print(stderr, "pandora report: -o needs a file\n{}", kUsage);
        return 2;
      }
      output = args[++i];
    } else if (input.empty()) {
      input = args[i];
    } else {
      fmt::print(stderr, "pandora report: one input only ('{}' is a second)\n{}", args[i], kUsage);
      return 2;
    }
  }
  if (input.empty()) {
    fmt::print(stderr, "pandora report: no input (a sydbox dump or a pandora profile)\n{}", kUsage);
    return 2;
  }
  std::string text;
  if (!ReadAll(input, &text)) {
    fmt::print(stderr, "pandora report: {}: {}\n", input, std::strerror(errno));
    return 1;
  }
  auto data = GatherReport(text);
  if (!data) {
    fmt::print(stderr, "pandora report: {}: {}\n", input, data.error().what);
    return 1;
  }
  const size_t slash = input.rfind('/');
  const std::string page = RenderReport(*data, "pandora report: " + input.substr(slash == std::string::npos ? 0 : slash + 1));
  if (data->problems)
    fmt::print(stderr, "pandora report: {}: {} line{} could not be read (listed in the page)\n", input, data->problems,
               data->problems == 1 ? "" : "s");
  if (output.empty() || output == "-") {
    fmt::print("{}", page);
    return 0;
  }
  int fd = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    fmt::print(stderr, "pandora report: {}: {}\n", output, std::strerror(errno));
    return 1;
  }
  size_t off = 0;
  while (off < page.size()) {
    ssize_t n = write(fd, page.data() + off, page.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fmt::print(stderr, "pandora report: {}: {}\n", output, std::strerror(errno));
      close(fd);
      return 1;
    }
    off += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    fmt::print(stderr, "pandora report: {}: {}\n", output, std::strerror(errno));
    return 1;
  }
  return 0;
}

}  // namespace syd::pandora
