// HTTP(S) transfers with libcurl's easy interface: one handle per transfer,
// no signals (CURLOPT_NOSIGNAL, pandora may be threaded later), http and
// https only (also after redirects, and never https -> http), bounded in
// time and size. libcurl's error codes are turned into the few messages a
// user can act on: not found, connection refused, TLS, timeout.
#include "pandora/share.h"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#ifndef SYD_VERSION
#define SYD_VERSION "0"
#endif

namespace syd::pandora {
namespace {

bool CurlReady() {
  static const bool ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ready;
}

struct Handle {
  CURL* h = curl_easy_init();
  curl_slist* headers = nullptr;
  ~Handle() {
    curl_slist_free_all(headers);
    if (h) curl_easy_cleanup(h);
  }
};

struct Sink {
  std::string data;
  size_t max = 0;
  bool overflow = false;
};

size_t Write(char* ptr, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t len = size * n;
  if (sink->data.size() + len > sink->max) {
    sink->overflow = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  sink->data.append(ptr, len);
  return len;
}

struct Source {
  const std::string* data;
  size_t off = 0;
};

size_t Read(char* buf, size_t size, size_t n, void* user) {
  auto* src = static_cast<Source*>(user);
  const size_t len = std::min(size * n, src->data->size() - src->off);
  memcpy(buf, src->data->data() + src->off, len);
  src->off += len;
  return len;
}

bool IsTlsError(CURLcode c) {
  switch (c) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return true;
    default:
      return false;
  }
}

// Runs a prepared transfer; the body (GET) or nothing (PUT) on 2xx.
Result<std::string> Perform(Handle& c, const char* method, const std::string& url, const HttpOptions& opts) {
  char errbuf[CURL_ERROR_SIZE] = "";
  Sink sink;
  sink.max = opts.max_bytes;
  const bool https = url.starts_with("https://");
  curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
  curl_easy_setopt(c.h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c.h, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT, opts.connect_timeout_s);
  curl_easy_setopt(c.h, CURLOPT_TIMEOUT, opts.timeout_s);
  curl_easy_setopt(c.h, CURLOPT_USERAGENT, "pandora/" SYD_VERSION);
  curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, Write);
  curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &sink);
  if (!opts.ca_file.empty()) curl_easy_setopt(c.h, CURLOPT_CAINFO, opts.ca_file.c_str());
  const CURLcode rc = curl_easy_perform(c.h);
  const std::string what = fmt::format("{} {}", method, RedactUrl(url));
  if (rc != CURLE_OK) {
    std::string detail = *errbuf ? errbuf : curl_easy_strerror(rc);
    long os_errno = 0;
    curl_easy_getinfo(c.h, CURLINFO_OS_ERRNO, &os_errno);
    if (sink.overflow) return Failf("{}: the answer is larger than {} bytes", what, opts.max_bytes);
    if (rc == CURLE_COULDNT_CONNECT && os_errno == ECONNREFUSED)
      return Failf("{}: connection refused (is the server running?)", what);
    if (rc == CURLE_COULDNT_CONNECT) return Failf("{}: cannot connect: {}", what, detail);
    if (rc == CURLE_COULDNT_RESOLVE_HOST) return Failf("{}: cannot resolve the host name: {}", what, detail);
    if (rc == CURLE_OPERATION_TIMEDOUT)
      return Failf("{}: timed out (limits: {} s to connect, {} s in all): {}", what, opts.connect_timeout_s,
                   opts.timeout_s, detail);
    if (IsTlsError(rc)) return Failf("{}: TLS failure: {}", what, detail);
    return Failf("{}: {}", what, detail);
  }
  long status = 0;
  curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &status);
  if (status == 404) return Failf("{}: HTTP 404, not found (no profile for this checksum there)", what);
  if (status < 200 || status > 299) return Failf("{}: HTTP {}", what, status);
  return std::move(sink.data);
}

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t host = scheme + 3;
  size_t end = url.find_first_of("/?#", host);
  size_t at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < host) return std::string(url);
  std::string_view userinfo = url.substr(host, at - host);
  size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return std::string(url);
  return fmt::format("{}{}:***{}", url.substr(0, host), userinfo.substr(0, colon), url.substr(at));
}

HttpOptions HttpOptionsFrom(const Settings& s) {
  HttpOptions h;
  h.ca_file = s.cacert;
  if (s.timeout) {
    h.timeout_s = *s.timeout;
    h.connect_timeout_s = std::min(h.connect_timeout_s, *s.timeout);
  }
  return h;
}

Result<std::string> ProfileUrl(std::string_view base, std::string_view program_sha256) {
  if (!base.starts_with("http://") && !base.starts_with("https://"))
    return Failf("URL '{}' must start with http:// or https://", RedactUrl(base));
  if (!IsLowerHex64(program_sha256)) return Failf("'{}' is not a SHA-256 in lowercase hex", program_sha256);
  while (base.ends_with('/')) base.remove_suffix(1);
  return fmt::format("{}/sha256/{}.syd-3", base, program_sha256);
}

Result<std::string> HttpGet(const std::string& url, const HttpOptions& opts) {
  if (!CurlReady()) return Failf("libcurl cannot start");
  Handle c;
  if (!c.h) return Failf("libcurl cannot start");
  return Perform(c, "GET", url, opts);
}

Status HttpPut(const std::string& url, const std::string& body, const HttpOptions& opts) {
  if (!CurlReady()) return Failf("libcurl cannot start");
  Handle c;
  if (!c.h) return Failf("libcurl cannot start");
  Source src{&body};
  curl_easy_setopt(c.h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c.h, CURLOPT_READFUNCTION, Read);
  curl_easy_setopt(c.h, CURLOPT_READDATA, &src);
  curl_easy_setopt(c.h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
  c.headers = curl_slist_append(c.headers, "Content-Type: text/plain; charset=utf-8");
  c.headers = curl_slist_append(c.headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, c.headers);
  SYD_TRY(answer, Perform(c, "PUT", url, opts));
  (void)answer;
  return {};
}

Result<ProfileFile> VerifyFetched(std::string_view text, const FetchChecks& checks) {
  auto f = ParseProfile(text);
  if (!f) return Failf("downloaded profile: {}", f.error().what);
  if (f->header.sha256 != checks.program_sha256)
    return Failf("downloaded profile is for another binary: its sha256 is {} ({}), the local binary's is {}",
                 f->header.sha256, f->header.program, checks.program_sha256);
  if (auto v = VerifyProfile(*f, checks.trusted, checks.require_signature); !v)
    return Failf("downloaded profile: {}", v.error().what);
  return f;
}

Result<std::string> FetchProfile(const std::string& base_url, const FetchChecks& checks, const HttpOptions& opts) {
  SYD_TRY(url, ProfileUrl(base_url, checks.program_sha256));
  SYD_TRY(text, HttpGet(url, opts));
  SYD_TRY_STATUS(VerifyFetched(text, checks));
  return text;
}

}  // namespace syd::pandora
