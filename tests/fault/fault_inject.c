/* A fault at a named moment, for the fault tests (tests/python/test_faults.py,
 * tests/fault/soak.py, scripts/soak): loaded into harmsim with LD_PRELOAD, it
 * watches the calls by which harmsim writes its files and, at the N-th call
 * that matches a rule, kills or stops the process, or makes the call fail.
 * harmsim itself has no test hook: this library is the only difference.
 *
 *   HARMSIM_FAULT="ACTION:CALL:N:GLOB[;ACTION:CALL:N:GLOB...]"   e.g. "kill-mid:write:3:*.journal"
 *   HARMSIM_FAULT_COUNTS=FILE     with ACTION count: "CALL GLOB COUNT" lines appended at exit
 *
 * CALL     write   write, pwrite, pwrite64, writev to a file whose path matches
 *          fsync   fsync, fdatasync of such a file
 *          rename  rename, renameat, renameat2 from or to a matching path
 *          unlink  unlink, unlinkat, rmdir, remove of a matching path
 * GLOB     fnmatch(3) pattern on the absolute path ('*' crosses '/'), e.g.
 *          "*.partial", "* /out.h5.work/ *.journal" (without the spaces)
 * N        the N-th matching call (1-based, counted across threads); "N+"
 *          every call from the N-th on
 * ACTION   kill        SIGKILL before the call (it never happens)
 *          kill-after  the call, then SIGKILL (it happened, nothing after it)
 *          kill-mid    write only: half of the bytes, then SIGKILL (a torn write)
 *          stop        SIGSTOP before the call (the test sends SIGCONT)
 *          enospc      the call fails with ENOSPC (No space left on device)
 *          count       nothing; counted for HARMSIM_FAULT_COUNTS
 *
 * Paths of file descriptors come from /proc/self/fd. Not for sanitizer
 * builds (their runtime must come first in the library list).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum call { CALL_WRITE, CALL_FSYNC, CALL_RENAME, CALL_UNLINK };
enum action { ACT_KILL, ACT_KILL_AFTER, ACT_KILL_MID, ACT_STOP, ACT_ENOSPC, ACT_COUNT };
static const char* const kCallNames[] = {"write", "fsync", "rename", "unlink"};

struct rule {
  enum action action;
  enum call call;
  char glob[1024];
  long nth;
  int from_on; /* "N+" */
  long seen;   /* matching calls so far */
};

#define MAX_RULES 8
static struct rule g_rules[MAX_RULES];
static int g_rule_count = 0;

static ssize_t (*real_write)(int, const void*, size_t);
static ssize_t (*real_pwrite)(int, const void*, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void*, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec*, int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char*, const char*);
static int (*real_renameat)(int, const char*, int, const char*);
static int (*real_renameat2)(int, const char*, int, const char*, unsigned int);
static int (*real_unlink)(const char*);
static int (*real_unlinkat)(int, const char*, int);
static int (*real_rmdir)(const char*);
static int (*real_remove)(const char*);

static void die(const char* what) {
  static const char prefix[] = "fault_inject: ";
  ssize_t ignored = real_write(2, prefix, sizeof prefix - 1);
  ignored = real_write(2, what, strlen(what));
  ignored = real_write(2, "\n", 1);
  (void)ignored;
  _exit(125);
}

static void parse_rules(const char* text) {
  char copy[8192];
  if (strlen(text) >= sizeof copy) die("HARMSIM_FAULT is too long");
  strcpy(copy, text);
  char* save = NULL;
  for (char* item = strtok_r(copy, ";", &save); item != NULL; item = strtok_r(NULL, ";", &save)) {
    if (g_rule_count == MAX_RULES) die("too many rules in HARMSIM_FAULT");
    struct rule* r = &g_rules[g_rule_count++];
    /* ACTION:CALL:N:GLOB; the glob is the rest, colons and all. */
    char* fields[4];
    char* rest = item;
    for (int i = 0; i < 3; ++i) {
      fields[i] = rest;
      char* colon = strchr(rest, ':');
      if (colon == NULL) die("expected ACTION:CALL:N:GLOB in HARMSIM_FAULT");
      *colon = '\0';
      rest = colon + 1;
    }
    fields[3] = rest;
    const char* action = fields[0];
    const char* call = fields[1];
    if (strcmp(action, "kill") == 0) r->action = ACT_KILL;
    else if (strcmp(action, "kill-after") == 0) r->action = ACT_KILL_AFTER;
    else if (strcmp(action, "kill-mid") == 0) r->action = ACT_KILL_MID;
    else if (strcmp(action, "stop") == 0) r->action = ACT_STOP;
    else if (strcmp(action, "enospc") == 0) r->action = ACT_ENOSPC;
    else if (strcmp(action, "count") == 0) r->action = ACT_COUNT;
    else die("unknown ACTION in HARMSIM_FAULT");
    int found = 0;
    for (int c = 0; c < 4; ++c)
      if (strcmp(call, kCallNames[c]) == 0) {
        r->call = (enum call)c;
        found = 1;
      }
    if (!found) die("unknown CALL in HARMSIM_FAULT");
    if (strlen(fields[3]) >= sizeof r->glob || fields[3][0] == '\0') die("bad GLOB in HARMSIM_FAULT");
    strcpy(r->glob, fields[3]);
    char* end = NULL;
    r->nth = strtol(fields[2], &end, 10);
    r->from_on = end != NULL && *end == '+';
    if (r->nth < 1 || end == fields[2] || (*end != '\0' && strcmp(end, "+") != 0)) die("bad N in HARMSIM_FAULT");
  }
}

#define LOAD(name) real_##name = dlsym(RTLD_NEXT, #name)

__attribute__((constructor)) static void fault_inject_init(void) {
  LOAD(write);
  LOAD(pwrite);
  LOAD(pwrite64);
  LOAD(writev);
  LOAD(fsync);
  LOAD(fdatasync);
  LOAD(rename);
  LOAD(renameat);
  LOAD(renameat2);
  LOAD(unlink);
  LOAD(unlinkat);
  LOAD(rmdir);
  LOAD(remove);
  const char* text = getenv("HARMSIM_FAULT");
  if (text != NULL && text[0] != '\0') parse_rules(text);
}

__attribute__((destructor)) static void fault_inject_report(void) {
  const char* file = getenv("HARMSIM_FAULT_COUNTS");
  if (file == NULL || file[0] == '\0') return;
  FILE* out = fopen(file, "a");
  if (out == NULL) return;
  for (int i = 0; i < g_rule_count; ++i)
    if (g_rules[i].action == ACT_COUNT)
      fprintf(out, "%s %s %ld\n", kCallNames[g_rules[i].call], g_rules[i].glob,
              __atomic_load_n(&g_rules[i].seen, __ATOMIC_SEQ_CST));
  fclose(out);
}

static int fd_path(int fd, char* path, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, size - 1);
  if (n < 0) return 0;
  path[n] = '\0';
  return 1;
}

/* An absolute path for `name` relative to directory `dirfd` (AT_FDCWD: the
 * current directory), without resolving links. */
static int at_path(int dirfd, const char* name, char* path, size_t size) {
  if (name == NULL) return 0;
  if (name[0] == '/') return snprintf(path, size, "%s", name) < (int)size;
  char base[4096];
  if (dirfd == AT_FDCWD) {
    if (getcwd(base, sizeof base) == NULL) return 0;
  } else if (!fd_path(dirfd, base, sizeof base)) {
    return 0;
  }
  /* A path too long to hold matches nothing rather than a cut one. */
  return snprintf(path, size, "%s/%s", base, name) < (int)size;
}

/* The rule that fires for this call on `path` (and `other`), or NULL; counts
 * every matching call. */
static struct rule* fires(enum call call, const char* path, const char* other) {
  if (g_rule_count == 0) return NULL;
  struct rule* chosen = NULL;
  for (int i = 0; i < g_rule_count; ++i) {
    struct rule* r = &g_rules[i];
    if (r->call != call) continue;
    const int match = (path != NULL && fnmatch(r->glob, path, 0) == 0) ||
                      (other != NULL && fnmatch(r->glob, other, 0) == 0);
    if (!match) continue;
    const long n = __atomic_add_fetch(&r->seen, 1, __ATOMIC_SEQ_CST);
    if (r->action != ACT_COUNT && chosen == NULL && (n == r->nth || (r->from_on && n > r->nth))) chosen = r;
  }
  return chosen;
}

static struct rule* fires_fd(enum call call, int fd) {
  if (g_rule_count == 0) return NULL;
  char path[4096];
  if (!fd_path(fd, path, sizeof path)) return NULL;
  return fires(call, path, NULL);
}

/* Before the call: kill, stop or fail. Returns 1 if the call is to fail with
 * ENOSPC. */
static int before(struct rule* r) {
  if (r == NULL) return 0;
  switch (r->action) {
    case ACT_KILL:
      raise(SIGKILL);
      break;
    case ACT_STOP:
      raise(SIGSTOP);
      break;
    case ACT_ENOSPC:
      return 1;
    default:
      break;
  }
  return 0;
}

static void after(struct rule* r) {
  if (r != NULL && r->action == ACT_KILL_AFTER) raise(SIGKILL);
}

#define FAIL_ENOSPC() \
  do {                \
    errno = ENOSPC;   \
    return -1;        \
  } while (0)

ssize_t write(int fd, const void* data, size_t n) {
  struct rule* r = fires_fd(CALL_WRITE, fd);
  if (before(r)) FAIL_ENOSPC();
  if (r != NULL && r->action == ACT_KILL_MID) {
    real_write(fd, data, n / 2);
    raise(SIGKILL);
  }
  const ssize_t result = real_write(fd, data, n);
  after(r);
  return result;
}

static ssize_t pwrite_common(ssize_t (*real)(int, const void*, size_t, off_t), int fd, const void* data, size_t n,
                             off_t offset) {
  struct rule* r = fires_fd(CALL_WRITE, fd);
  if (before(r)) FAIL_ENOSPC();
  if (r != NULL && r->action == ACT_KILL_MID) {
    real(fd, data, n / 2, offset);
    raise(SIGKILL);
  }
  const ssize_t result = real(fd, data, n, offset);
  after(r);
  return result;
}

ssize_t pwrite(int fd, const void* data, size_t n, off_t offset) { return pwrite_common(real_pwrite, fd, data, n, offset); }
ssize_t pwrite64(int fd, const void* data, size_t n, off_t offset) {
  return pwrite_common(real_pwrite64, fd, data, n, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  struct rule* r = fires_fd(CALL_WRITE, fd);
  if (before(r)) FAIL_ENOSPC();
  if (r != NULL && r->action == ACT_KILL_MID && count > 0) {
    real_write(fd, iov[0].iov_base, iov[0].iov_len / 2);
    raise(SIGKILL);
  }
  const ssize_t result = real_writev(fd, iov, count);
  after(r);
  return result;
}

int fsync(int fd) {
  struct rule* r = fires_fd(CALL_FSYNC, fd);
  if (before(r)) FAIL_ENOSPC();
  const int result = real_fsync(fd);
  after(r);
  return result;
}

int fdatasync(int fd) {
  struct rule* r = fires_fd(CALL_FSYNC, fd);
  if (before(r)) FAIL_ENOSPC();
  const int result = real_fdatasync(fd);
  after(r);
  return result;
}

static struct rule* fires_rename(int from_dir, const char* from, int to_dir, const char* to) {
  if (g_rule_count == 0) return NULL;
  char a[4096], b[4096];
  const int have_a = at_path(from_dir, from, a, sizeof a), have_b = at_path(to_dir, to, b, sizeof b);
  return fires(CALL_RENAME, have_a ? a : NULL, have_b ? b : NULL);
}

int rename(const char* from, const char* to) {
  struct rule* r = fires_rename(AT_FDCWD, from, AT_FDCWD, to);
  if (before(r)) FAIL_ENOSPC();
  const int result = real_rename(from, to);
  after(r);
  return result;
}

int renameat(int from_dir, const char* from, int to_dir, const char* to) {
  struct rule* r = fires_rename(from_dir, from, to_dir, to);
  if (before(r)) FAIL_ENOSPC();
  const int result = real_renameat(from_dir, from, to_dir, to);
  after(r);
  return result;
}

int renameat2(int from_dir, const char* from, int to_dir, const char* to, unsigned int flags) {
  struct rule* r = fires_rename(from_dir, from, to_dir, to);
  if (before(r)) FAIL_ENOSPC();
  const int result = real_renameat2(from_dir, from, to_dir, to, flags);
  after(r);
  return result;
}

static struct rule* fires_unlink(int dir, const char* name) {
  if (g_rule_count == 0) return NULL;
  char path[4096];
  if (!at_path(dir, name, path, sizeof path)) return NULL;
  return fires(CALL_UNLINK, path, NULL);
}

#define UNLINK_LIKE(call_expr, dir, name) \
  struct rule* r = fires_unlink(dir, name); \
  if (before(r)) FAIL_ENOSPC();             \
  const int result = call_expr;             \
  after(r);                                 \
  return result

int unlink(const char* name) { UNLINK_LIKE(real_unlink(name), AT_FDCWD, name); }
int unlinkat(int dir, const char* name, int flags) { UNLINK_LIKE(real_unlinkat(dir, name, flags), dir, name); }
int rmdir(const char* name) { UNLINK_LIKE(real_rmdir(name), AT_FDCWD, name); }
int remove(const char* name) { UNLINK_LIKE(real_remove(name), AT_FDCWD, name); }
