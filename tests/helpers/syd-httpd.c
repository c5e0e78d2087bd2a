/* syd-httpd: a minimal HTTP/1.1 file server for pandora's push/pull tests,
 * on 127.0.0.1 only. One request per connection, one connection at a time.
 *
 *   syd-httpd [--tls CERT KEY] [--stall] ROOT
 *
 * Prints the port it listens on (one line on stdout), then serves:
 *   GET /PATH  -> ROOT/PATH, 200 with the file, or 404
 *   PUT /PATH  -> writes ROOT/PATH (creating directories), 201
 * Every request is logged on stderr as "METHOD PATH STATUS".
 * --tls serves HTTPS with the given PEM certificate and key (OpenSSL).
 * --stall accepts connections and never answers (timeouts).
 * Dies with its parent (PR_SET_PDEATHSIG), so a failed test leaves no server. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static SSL_CTX* ctx;

struct conn {
  int fd;
  SSL* ssl;
};

static int conn_read(struct conn* c, char* buf, int len) {
  if (c->ssl) return SSL_read(c->ssl, buf, len);
  return (int)read(c->fd, buf, (size_t)len);
}

static int conn_write(struct conn* c, const char* buf, size_t len) {
  while (len > 0) {
    int n = c->ssl ? SSL_write(c->ssl, buf, (int)len) : (int)write(c->fd, buf, len);
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* The request being answered, for the log line: written before the answer,
 * so a client that has its answer finds its line in the log. */
static const char* log_method = "-";
static const char* log_path = "-";

static void respond(struct conn* c, int status, const char* reason, const char* body, size_t len) {
  fprintf(stderr, "%s %s %d\n", log_method, log_path, status);
  fflush(stderr);
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
                   status, reason, len);
  if (conn_write(c, head, (size_t)n) == 0 && len) conn_write(c, body, len);
}

/* ROOT/PATH for a request path without "..", or NULL. */
static char* local_path(const char* root, const char* path) {
  if (path[0] != '/' || strstr(path, "..")) return NULL;
  char* out;
  if (asprintf(&out, "%s%s", root, path) < 0) return NULL;
  return out;
}

static void mkdirs(char* path) {
  for (char* p = path + 1; *p; ++p) {
    if (*p != '/') continue;
    *p = 0;
    mkdir(path, 0755);
    *p = '/';
  }
}

static void serve(struct conn* c, const char* root) {
  char req[65536];
  size_t got = 0;
  char* end = NULL;
  log_method = log_path = "-";
  while (!end && got < sizeof req - 1) {
    int n = conn_read(c, req + got, (int)(sizeof req - 1 - got));
    if (n <= 0) return;
    got += (size_t)n;
    req[got] = 0;
    end = strstr(req, "\r\n\r\n");
  }
  if (!end) return;
  char method[16], path[4096];
  if (sscanf(req, "%15s %4095s", method, path) != 2) {
    respond(c, 400, "Bad Request", "", 0);
    return;
  }
  log_method = method;
  log_path = path;
  char* file = local_path(root, path);
  int status = 0;
  if (!file) {
    status = 400;
    respond(c, 400, "Bad Request", "", 0);
  } else if (strcmp(method, "GET") == 0) {
    FILE* f = fopen(file, "rb");
    if (!f) {
      status = 404;
      respond(c, 404, "Not Found", "not found\n", 10);
    } else {
      static char body[1 << 20];
      size_t len = fread(body, 1, sizeof body, f);
      fclose(f);
      status = 200;
      respond(c, 200, "OK", body, len);
    }
  } else if (strcmp(method, "PUT") == 0) {
    const char* cl = strcasestr(req, "\r\nContent-Length:");
    size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
    size_t have = got - (size_t)(end + 4 - req);
    static char body[1 << 20];
    if (want > sizeof body) {
      status = 413;
      respond(c, 413, "Payload Too Large", "", 0);
    } else {
      memcpy(body, end + 4, have);
      while (have < want) {
        int n = conn_read(c, body + have, (int)(want - have));
        if (n <= 0) break;
        have += (size_t)n;
      }
      mkdirs(file);
      FILE* f = fopen(file, "wb");
      if (have == want && f && fwrite(body, 1, have, f) == have && fclose(f) == 0) {
        status = 201;
        respond(c, 201, "Created", "", 0);
      } else {
        status = 500;
        respond(c, 500, "Internal Server Error", "", 0);
      }
    }
  } else {
    status = 405;
    respond(c, 405, "Method Not Allowed", "", 0);
  }
  (void)status;
  free(file);
}

int main(int argc, char** argv) {
  const char *cert = NULL, *key = NULL, *root = NULL;
  int stall = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--tls") == 0 && i + 2 < argc) {
      cert = argv[++i];
      key = argv[++i];
    } else if (strcmp(argv[i], "--stall") == 0) {
      stall = 1;
    } else {
      root = argv[i];
    }
  }
  if (!root) {
    fprintf(stderr, "usage: syd-httpd [--tls CERT KEY] [--stall] ROOT\n");
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_IGN);
  if (cert) {
    ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
      ERR_print_errors_fp(stderr);
      return 1;
    }
  }
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (s < 0 || bind(s, (struct sockaddr*)&a, sizeof a) != 0 || listen(s, 16) != 0 ||
      getsockname(s, (struct sockaddr*)&a, &alen) != 0) {
    perror("syd-httpd: listen");
    return 1;
  }
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  for (;;) {
    int fd = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (stall) continue; /* keep it open, never answer */
    struct conn c = {fd, NULL};
    if (ctx) {
      c.ssl = SSL_new(ctx);
      SSL_set_fd(c.ssl, fd);
      if (SSL_accept(c.ssl) != 1) {
        fprintf(stderr, "TLS handshake failed\n");
        SSL_free(c.ssl);
        close(fd);
        continue;
      }
    }
    serve(&c, root);
    if (c.ssl) {
      SSL_shutdown(c.ssl);
      SSL_free(c.ssl);
    }
    close(fd);
  }
}
