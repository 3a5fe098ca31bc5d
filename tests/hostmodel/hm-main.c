/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: libc interposition, the fd table and library setup.
 *
 * Every model file (an iommufd context, a VFIO cdev device file, a
 * vEVENTQ) is backed by a real kernel fd (an eventfd), so that poll(),
 * close() and fd numbering behave like the kernel's.  The table below
 * maps such fds to the model file; anything else goes to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hm-internal.h"

/*
 * mmap and munmap go straight to the kernel: the allocator calls them,
 * from inside dlsym() too, before anything is resolved
 */
static void *hm_sys_mmap(void *addr, size_t len, int prot, int flags, int fd,
                         off_t off)
{
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static int hm_sys_munmap(void *addr, size_t len)
{
    return syscall(SYS_munmap, addr, len);
}

HmState hm = {
    .lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,
};
HmReal hm_real = {
    .mmap = hm_sys_mmap,
    .munmap = hm_sys_munmap,
};

static pthread_once_t hm_real_once = PTHREAD_ONCE_INIT;


static void hm_resolve_real_once(void)
{
    hm_real.open = dlsym(RTLD_NEXT, "open");
    hm_real.openat = dlsym(RTLD_NEXT, "openat");
    hm_real.close = dlsym(RTLD_NEXT, "close");
    hm_real.ioctl = dlsym(RTLD_NEXT, "ioctl");
    hm_real.read = dlsym(RTLD_NEXT, "read");
    hm_real.write = dlsym(RTLD_NEXT, "write");
    hm_real.pread = dlsym(RTLD_NEXT, "pread64");
    hm_real.pwrite = dlsym(RTLD_NEXT, "pwrite64");
    hm_real.dup = dlsym(RTLD_NEXT, "dup");
    hm_real.dup2 = dlsym(RTLD_NEXT, "dup2");
    hm_real.dup3 = dlsym(RTLD_NEXT, "dup3");
    hm_real.fcntl = dlsym(RTLD_NEXT, "fcntl");
    hm_real.fstat = dlsym(RTLD_NEXT, "fstat");
    hm_real.fstat64 = dlsym(RTLD_NEXT, "fstat64");
    hm_real.readlink = dlsym(RTLD_NEXT, "readlink");
    hm_real.prlimit = dlsym(RTLD_NEXT, "prlimit64");
}

void hm_resolve_real(void)
{
    pthread_once(&hm_real_once, hm_resolve_real_once);
}

/* ---- fd table ---- */

static inline HmFile *hm_fd_peek(int fd)
{
    if (fd < 0 || fd >= HM_MAX_FDS) {
        return NULL;
    }
    return __atomic_load_n(&hm.fds[fd], __ATOMIC_ACQUIRE);
}

static inline bool hm_fd_is_model(int fd)
{
    return hm.active && hm_fd_peek(fd) != NULL;
}

HmFile *hm_fd_lookup(int fd)
{
    return hm_fd_peek(fd);
}

int hm_fd_install(HmFile *f, int kfd)
{
    if (kfd < 0 || kfd >= HM_MAX_FDS) {
        return -EMFILE;
    }
    f->refs++;
    __atomic_store_n(&hm.fds[kfd], f, __ATOMIC_RELEASE);
    return kfd;
}

int hm_new_kfd(bool cloexec)
{
    int fd = eventfd(0, cloexec ? EFD_CLOEXEC : 0);

    return fd < 0 ? -errno : fd;
}

/*
 * /dev/iommu is backed by an empty memfd named after it: poll() reports
 * it ready, like a file without a poll operation, and /proc/PID/fd tells
 * what it is.  A VFIO device file is backed by a memfd named after its
 * device, which fstat() shows as the kernel's VFIO cdev (hm_vfio_stat()).
 * The names let a process adopt the files another one opened and passed
 * to it (hm_adopt()).
 */
static int hm_new_file_kfd(const char *name, bool is_device, bool cloexec)
{
    char n[64];
    int fd;

    snprintf(n, sizeof(n), is_device ? "hostmodel:vfio:%s" : "hostmodel:%s",
             name);
    fd = memfd_create(n, cloexec ? MFD_CLOEXEC : 0);
    return fd < 0 ? -errno : fd;
}

void hm_file_put(HmFile *f)
{
    if (--f->refs > 0) {
        return;
    }
    switch (f->type) {
    case HM_FILE_IOMMUFD:
        f->u.ctx->fd_refs--;
        if (f->u.ctx->fd_refs == 0 && !f->u.ctx->closed_reported) {
            /* what a leak check must look at: the kernel frees it all next */
            f->u.ctx->closed_reported = true;
            hm_report("close", f->u.ctx);
        }
        hm_ctx_put(f->u.ctx);
        break;
    case HM_FILE_VFIO:
        hm_vfio_release(f->u.vf);
        break;
    case HM_FILE_VEVENTQ:
        hm_veventq_file_release(f->u.veq);
        break;
    }
    free(f);
}

/* The concurrent poll of veventq_hold_ms ends: its file reference goes */
static void *hm_poll_holder(void *opaque)
{
    HmFile *f = opaque;

    usleep(hm.veventq_hold_ms * 1000);
    pthread_mutex_lock(&hm.lock);
    hm_file_put(f);
    pthread_mutex_unlock(&hm.lock);
    return NULL;
}

/* Forget fd (it is being closed or replaced); the caller holds the lock */
static void hm_fd_forget(int fd)
{
    HmFile *f = hm_fd_peek(fd);
    pthread_t t;

    if (!f) {
        return;
    }
    __atomic_store_n(&hm.fds[fd], NULL, __ATOMIC_RELEASE);
    if (f->type == HM_FILE_VEVENTQ && hm.veventq_hold_ms) {
        f->refs++;
        if (pthread_create(&t, NULL, hm_poll_holder, f) == 0) {
            pthread_detach(t);
        } else {
            f->refs--;
        }
    }
    hm_file_put(f);
}

/* ---- fault injection and statistics ---- */

int hm_fail_check(const char *name)
{
    int err = 0;

    /* Every rule counts every call of its ioctl, from when it was set */
    for (unsigned i = 0; i < sizeof(hm.fail) / sizeof(hm.fail[0]); i++) {
        HmFailRule *r = &hm.fail[i];

        if (!r->active || strcmp(r->name, name)) {
            continue;
        }
        if (--r->remaining == 0) {
            r->active = 0;
            err = err ? err : r->err;
        }
    }
    return err;
}

void hm_stat(const char *name, bool error)
{
    unsigned i;

    for (i = 0; i < hm.n_stats; i++) {
        if (!strcmp(hm.stats[i].name, name)) {
            break;
        }
    }
    if (i == hm.n_stats) {
        if (hm.n_stats == sizeof(hm.stats) / sizeof(hm.stats[0])) {
            return;
        }
        snprintf(hm.stats[i].name, sizeof(hm.stats[i].name), "%s", name);
        hm.n_stats++;
    }
    hm.stats[i].calls++;
    if (error) {
        hm.stats[i].errors++;
    }
}

static void hm_call_finish(HmCall *c, int rc)
{
    if (rc < 0) {
        c->ret = -1;
        c->err = -rc;
    } else {
        c->ret = rc;
        c->err = 0;
    }
    hm_stat(c->name, rc < 0);
    hm_log_call(c);
}

/* ---- opening model files ---- */

static const char *hm_model_path(int dirfd, const char *path)
{
    if (!hm.active || !path || path[0] != '/') {
        (void)dirfd;
        return NULL;
    }
    if (!strcmp(path, "/dev/iommu")) {
        return path;
    }
    if (hm_device_by_path(path)) {
        return path;
    }
    return NULL;
}

/*
 * Open the model file @path; with @kfd >= 0, as that fd, which another
 * process opened (hm_adopt()), else on a new backing fd.
 */
static int hm_open_model_as(const char *path, int flags, int kfd_in)
{
    HmCall call = { .name = kfd_in < 0 ? "open" : "adopt", .fd = kfd_in };
    HmFile *f = NULL;
    HmDevice *dev;
    int kfd, rc;

    pthread_mutex_lock(&hm.lock);
    hm_call_in(&call, "\"path\":\"%s\",\"flags\":\"0x%x\"", path, flags);
    dev = hm_device_by_path(path);
    if (dev) {
        rc = hm_vfio_open(dev, flags, &f);
    } else {
        f = calloc(1, sizeof(*f));
        if (!f) {
            rc = -ENOMEM;
        } else {
            f->type = HM_FILE_IOMMUFD;
            f->u.ctx = hm_ctx_new();
            f->u.ctx->fd_refs = 1;
            rc = 0;
        }
    }
    if (rc == 0) {
        kfd = kfd_in >= 0 ? kfd_in :
              hm_new_file_kfd(dev ? dev->name : "iommu", dev != NULL,
                              flags & O_CLOEXEC);
        if (kfd < 0) {
            rc = kfd;
            f->refs = 1;
            hm_file_put(f);
        } else {
            f->kfd_first = kfd;
            if (!dev) {
                f->u.ctx->kfd = kfd;
                if (kfd_in >= 0) {
                    hm_ctx_adopted(f->u.ctx);
                }
            }
            rc = hm_fd_install(f, kfd);
            call.fd = kfd;
            hm_call_out(&call, "\"file\":\"%s\"",
                        dev ? "vfio" : "iommufd");
        }
    }
    hm_call_finish(&call, rc);
    pthread_mutex_unlock(&hm.lock);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return rc;
}

static int hm_open_model(const char *path, int flags)
{
    return hm_open_model_as(path, flags, -1);
}

/*
 * A model file another process opened and passed here (libvirt opens
 * /dev/iommu and the VFIO cdevs and hands QEMU the fds, at exec or over
 * QMP getfd): the kernel shares the open file between the processes; the
 * model, one per process, learns it on the first ioctl here.  What the
 * opener did to an iommufd that must outlive it, its accounting mode, is
 * kept in the memfd.
 */
static bool hm_adopt(int fd)
{
    char link[64], target[128], path[160];
    const char *name;
    ssize_t n;

    if (fd < 0 || fd >= HM_MAX_FDS || !hm.active) {
        return false;
    }
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = hm_real.readlink(link, target, sizeof(target) - 1);
    if (n <= 0) {
        return false;
    }
    target[n] = '\0';
    if (strncmp(target, "/memfd:hostmodel:", 17)) {
        return false;
    }
    name = target + 17;
    if (!strncmp(name, "iommu ", 6) || !strcmp(name, "iommu")) {
        snprintf(path, sizeof(path), "/dev/iommu");
    } else if (!strncmp(name, "vfio:", 5)) {
        snprintf(path, sizeof(path), "/dev/vfio/devices/%.*s",
                 (int)strcspn(name + 5, " "), name + 5);
    } else {
        return false;
    }
    return hm_open_model_as(path, O_RDWR, fd) == fd;
}

static int hm_do_open(int dirfd, bool at, const char *path, int flags,
                      mode_t mode)
{
    hm_resolve_real();
    if (hm_model_path(dirfd, path)) {
        return hm_open_model(path, flags);
    }
    if (at) {
        return hm_real.openat(dirfd, path, flags, mode);
    }
    return hm_real.open(path, flags, mode);
}

static mode_t hm_mode_arg(int flags, va_list ap)
{
    if ((flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE) {
        return va_arg(ap, mode_t);
    }
    return 0;
}

#define HM_EXPORT __attribute__((visibility("default")))

HM_EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = hm_mode_arg(flags, ap);
    va_end(ap);
    return hm_do_open(AT_FDCWD, false, path, flags, mode);
}

HM_EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = hm_mode_arg(flags, ap);
    va_end(ap);
    return hm_do_open(AT_FDCWD, false, path, flags, mode);
}

HM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = hm_mode_arg(flags, ap);
    va_end(ap);
    return hm_do_open(dirfd, true, path, flags, mode);
}

HM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = hm_mode_arg(flags, ap);
    va_end(ap);
    return hm_do_open(dirfd, true, path, flags, mode);
}

/* _FORTIFY_SOURCE variants */
HM_EXPORT int __open_2(const char *path, int flags)
{
    return hm_do_open(AT_FDCWD, false, path, flags, 0);
}

HM_EXPORT int __open64_2(const char *path, int flags)
{
    return hm_do_open(AT_FDCWD, false, path, flags, 0);
}

HM_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    return hm_do_open(dirfd, true, path, flags, 0);
}

HM_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    return hm_do_open(dirfd, true, path, flags, 0);
}

/* ---- close and dup ---- */

HM_EXPORT int close(int fd)
{
    HmCall call = { .name = "close", .fd = fd };
    int rc;

    hm_resolve_real();
    if (!hm_fd_is_model(fd)) {
        return hm_real.close(fd);
    }
    pthread_mutex_lock(&hm.lock);
    if (!hm_fd_peek(fd)) {
        pthread_mutex_unlock(&hm.lock);
        return hm_real.close(fd);
    }
    hm_fd_forget(fd);
    rc = hm_real.close(fd);
    hm_call_finish(&call, rc < 0 ? -errno : 0);
    pthread_mutex_unlock(&hm.lock);
    return rc;
}

static int hm_dup_common(int oldfd, int newfd, int flags, int kind)
{
    HmFile *f;
    int rc;

    pthread_mutex_lock(&hm.lock);
    f = hm_fd_peek(oldfd);
    if (kind != 0 && newfd != oldfd && hm_fd_peek(newfd)) {
        /* dup2/dup3 silently close newfd */
        hm_fd_forget(newfd);
    }
    switch (kind) {
    case 0:
        rc = hm_real.dup(oldfd);
        break;
    case 2:
        rc = hm_real.dup2(oldfd, newfd);
        break;
    case 3:
        rc = hm_real.dup3(oldfd, newfd, flags);
        break;
    default:
        rc = hm_real.fcntl(oldfd, flags, newfd);
        break;
    }
    if (rc >= 0 && f && rc != oldfd) {
        if (hm_fd_install(f, rc) < 0) {
            hm_real.close(rc);
            rc = -1;
            errno = EMFILE;
        }
    }
    pthread_mutex_unlock(&hm.lock);
    return rc;
}

HM_EXPORT int dup(int oldfd)
{
    hm_resolve_real();
    if (!hm_fd_is_model(oldfd)) {
        return hm_real.dup(oldfd);
    }
    return hm_dup_common(oldfd, -1, 0, 0);
}

HM_EXPORT int dup2(int oldfd, int newfd)
{
    hm_resolve_real();
    if (!hm_fd_is_model(oldfd) && !hm_fd_is_model(newfd)) {
        return hm_real.dup2(oldfd, newfd);
    }
    return hm_dup_common(oldfd, newfd, 0, 2);
}

HM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    hm_resolve_real();
    if (!hm_fd_is_model(oldfd) && !hm_fd_is_model(newfd)) {
        return hm_real.dup3(oldfd, newfd, flags);
    }
    return hm_dup_common(oldfd, newfd, flags, 3);
}

static int hm_fcntl_common(int fd, int cmd, va_list ap)
{
    void *arg = va_arg(ap, void *);

    hm_resolve_real();
    if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && hm_fd_is_model(fd)) {
        return hm_dup_common(fd, (int)(intptr_t)arg, cmd, 4);
    }
    return hm_real.fcntl(fd, cmd, arg);
}

HM_EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    int rc;

    va_start(ap, cmd);
    rc = hm_fcntl_common(fd, cmd, ap);
    va_end(ap);
    return rc;
}

HM_EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    int rc;

    va_start(ap, cmd);
    rc = hm_fcntl_common(fd, cmd, ap);
    va_end(ap);
    return rc;
}

/* ---- ioctl ---- */

HM_EXPORT int ioctl(int fd, unsigned long req, ...)
{
    HmCall call = { .fd = fd };
    char namebuf[32];
    va_list ap;
    void *arg;
    HmFile *f;
    int rc, err;

    va_start(ap, req);
    arg = va_arg(ap, void *);
    va_end(ap);

    hm_resolve_real();
    /* IOMMUFD_TYPE and VFIO_TYPE are both ';' */
    if (!hm_fd_is_model(fd) &&
        (_IOC_TYPE(req) != IOMMUFD_TYPE || !hm_adopt(fd))) {
        return hm_real.ioctl(fd, req, arg);
    }
    pthread_mutex_lock(&hm.lock);
    f = hm_fd_peek(fd);
    if (!f) {
        pthread_mutex_unlock(&hm.lock);
        return hm_real.ioctl(fd, req, arg);
    }
    switch (f->type) {
    case HM_FILE_IOMMUFD:
        call.name = hm_iommufd_ioctl_name(req);
        break;
    case HM_FILE_VFIO:
        call.name = hm_vfio_ioctl_name(req);
        break;
    default:
        call.name = NULL;
        break;
    }
    if (!call.name) {
        snprintf(namebuf, sizeof(namebuf), "ioctl_0x%lx", req);
        call.name = namebuf;
    }
    err = hm_fail_check(call.name);
    if (err) {
        hm_call_in(&call, "\"injected\":true");
        rc = -err;
    } else {
        switch (f->type) {
        case HM_FILE_IOMMUFD:
            rc = hm_iommufd_ioctl(f->u.ctx, req, (uintptr_t)arg, &call);
            break;
        case HM_FILE_VFIO:
            rc = hm_vfio_ioctl(f->u.vf, req, (uintptr_t)arg, &call);
            break;
        default:
            rc = -ENOTTY;
            break;
        }
    }
    hm_call_finish(&call, rc);
    pthread_mutex_unlock(&hm.lock);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return rc;
}

/* ---- read/write ---- */

static ssize_t hm_rw(int fd, void *buf, size_t count, off_t off, bool pos,
                     bool write)
{
    HmCall call = { .fd = fd };
    ssize_t rc;
    HmFile *f;
    int err;

    pthread_mutex_lock(&hm.lock);
    f = hm_fd_peek(fd);
    if (!f) {
        pthread_mutex_unlock(&hm.lock);
        errno = EBADF;
        return -2;  /* caller falls back to libc */
    }
    call.name = write ? (pos ? "pwrite" : "write") : (pos ? "pread" : "read");
    switch (f->type) {
    case HM_FILE_VFIO:
        if (!pos) {
            /* the model keeps no file position: offset 0 */
            off = 0;
        }
        rc = hm_vfio_rw(f->u.vf, (uintptr_t)buf, count, off, write, &call);
        break;
    case HM_FILE_VEVENTQ:
        err = write || pos ? 0 : hm_fail_check("VEVENTQ_READ");
        if (write) {
            rc = -EINVAL;
        } else if (pos) {
            rc = -ESPIPE;
        } else if (err) {
            /* as a copy_to_user() fault would: nothing taken off */
            hm_call_in(&call, "\"injected\":true");
            rc = -err;
        } else {
            rc = hm_veventq_read(f->u.veq, (uintptr_t)buf, count, &call);
        }
        break;
    default:
        /* /dev/iommu has no read or write file operation */
        rc = -EINVAL;
        break;
    }
    hm_call_finish(&call, (int)rc);
    pthread_mutex_unlock(&hm.lock);
    if (rc < 0) {
        errno = (int)-rc;
        return -1;
    }
    return rc;
}

HM_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
    ssize_t rc;

    hm_resolve_real();
    if (!hm_fd_is_model(fd)) {
        return hm_real.read(fd, buf, count);
    }
    rc = hm_rw(fd, buf, count, 0, false, false);
    return rc == -2 ? hm_real.read(fd, buf, count) : rc;
}

HM_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
    ssize_t rc;

    hm_resolve_real();
    if (!hm_fd_is_model(fd)) {
        return hm_real.write(fd, buf, count);
    }
    rc = hm_rw(fd, (void *)buf, count, 0, false, true);
    return rc == -2 ? hm_real.write(fd, buf, count) : rc;
}

HM_EXPORT ssize_t pread64(int fd, void *buf, size_t count, off_t off)
{
    ssize_t rc;

    hm_resolve_real();
    if (!hm_fd_is_model(fd)) {
        return hm_real.pread(fd, buf, count, off);
    }
    rc = hm_rw(fd, buf, count, off, true, false);
    return rc == -2 ? hm_real.pread(fd, buf, count, off) : rc;
}

HM_EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
    return pread64(fd, buf, count, off);
}

HM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off)
{
    ssize_t rc;

    hm_resolve_real();
    if (!hm_fd_is_model(fd)) {
        return hm_real.pwrite(fd, buf, count, off);
    }
    rc = hm_rw(fd, (void *)buf, count, off, true, true);
    return rc == -2 ? hm_real.pwrite(fd, buf, count, off) : rc;
}

HM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
    return pwrite64(fd, buf, count, off);
}

/* ---- setup ---- */

static void hm_expand_path(char *dst, size_t len, const char *src)
{
    size_t o = 0;

    for (const char *p = src; *p && o + 1 < len; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            o += snprintf(dst + o, len - o, "%d", (int)getpid());
            p++;
        } else {
            dst[o++] = *p;
        }
    }
    dst[o < len ? o : len - 1] = '\0';
}

static void hm_fatal(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "hostmodel: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    _exit(70);
}

/* HOSTMODEL_FAIL="NAME:NTH:ERRNO,..." installs rules at load time */
static void hm_parse_fail_env(const char *s)
{
    char buf[1024], *save = NULL, *tok;
    unsigned n = 0;

    snprintf(buf, sizeof(buf), "%s", s);
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char name[48];
        unsigned nth;
        char errs[32];

        if (sscanf(tok, "%47[^:]:%u:%31s", name, &nth, errs) != 3 ||
            nth == 0 || hm_errno_parse(errs) <= 0) {
            hm_fatal("bad HOSTMODEL_FAIL entry '%s'%s", tok, "");
        }
        if (n == sizeof(hm.fail) / sizeof(hm.fail[0])) {
            break;
        }
        hm.fail[n].active = 1;
        snprintf(hm.fail[n].name, sizeof(hm.fail[n].name), "%s", name);
        hm.fail[n].remaining = nth;
        hm.fail[n].err = hm_errno_parse(errs);
        n++;
    }
}

/* HOSTMODEL_PREOPEN="100=/dev/vfio/devices/vfio0,101=/dev/iommu" */
static void hm_preopen(const char *s)
{
    char buf[1024], *save = NULL, *tok;

    snprintf(buf, sizeof(buf), "%s", s);
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char path[256];
        int want, fd;

        if (sscanf(tok, "%d=%255s", &want, path) != 2 || want < 0 ||
            want >= HM_MAX_FDS) {
            hm_fatal("bad HOSTMODEL_PREOPEN entry '%s'%s", tok, "");
        }
        if (!hm_model_path(AT_FDCWD, path)) {
            hm_fatal("HOSTMODEL_PREOPEN: '%s' is not a model path%s",
                     path, "");
        }
        fd = hm_open_model(path, O_RDWR);
        if (fd < 0) {
            hm_fatal("HOSTMODEL_PREOPEN: cannot open '%s': %s", path,
                     strerror(errno));
        }
        if (fd != want) {
            /* not CLOEXEC: the fd is meant to be inherited by QEMU */
            if (dup2(fd, want) < 0) {
                hm_fatal("HOSTMODEL_PREOPEN: dup2 to %s failed%s", tok, "");
            }
            close(fd);
        }
    }
}

/* Never fork while another thread holds the model lock */
static void hm_atfork_prepare(void)
{
    pthread_mutex_lock(&hm.lock);
}

static void hm_atfork_parent(void)
{
    pthread_mutex_unlock(&hm.lock);
}

/*
 * The child's only thread has a new thread id, and a recursive mutex only
 * unlocks for the id that locked it: start the child on a fresh one (else
 * a process that forks twice, as -daemonize does, deadlocks).
 */
static void hm_atfork_child(void)
{
    pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

    memcpy(&hm.lock, &fresh, sizeof(fresh));
    hm_cmdqv_fork_child();
}

static void __attribute__((constructor)) hm_init(void)
{
    const char *host, *s;
    char err[512];

    hm_resolve_real();
    pthread_atfork(hm_atfork_prepare, hm_atfork_parent, hm_atfork_child);
    host = getenv("HOSTMODEL_HOST");
    if (!host || !*host) {
        return;     /* inert: everything goes to libc */
    }
    if (hm_config_load(&hm.cfg, host, err, sizeof(err)) < 0) {
        hm_fatal("HOSTMODEL_HOST=%s: %s", host, err);
    }
    s = getenv("HOSTMODEL_LOG");
    if (s && *s) {
        hm_expand_path(hm.log_path, sizeof(hm.log_path), s);
        hm_log_open();
    }
    s = getenv("HOSTMODEL_REPORT");
    if (s && *s) {
        hm_expand_path(hm.report_path, sizeof(hm.report_path), s);
    }
    s = getenv("HOSTMODEL_FAIL");
    if (s && *s) {
        hm_parse_fail_env(s);
    }
    s = getenv("HOSTMODEL_CAPS");
    if (s && *s) {
        if (strcmp(s, "sys_resource")) {
            hm_fatal("HOSTMODEL_CAPS=%s: only sys_resource is known%s", s,
                     "");
        }
        hm.cap_sys_resource = true;
    }
    hm.active = true;
    s = getenv("HOSTMODEL_PREOPEN");
    if (s && *s) {
        hm_preopen(s);
    }
    s = getenv("HOSTMODEL_CONTROL");
    if (s && *s) {
        hm_expand_path(hm.control_path, sizeof(hm.control_path), s);
        hm_control_start();
    }
}

static void __attribute__((destructor)) hm_fini(void)
{
    if (!hm.active) {
        return;
    }
    hm_control_stop();
    pthread_mutex_lock(&hm.lock);
    hm_report("exit", NULL);
    if (hm.log) {
        fflush(hm.log);
    }
    pthread_mutex_unlock(&hm.lock);
}

/* ---- stat and sysfs of the VFIO device files ---- */

/*
 * The kernel's VFIO cdevs are character devices of a dynamic major, the
 * minor being N of vfioN; /sys/dev/char/MAJ:MIN is the vfio-dev device,
 * whose "device" link is the PCI device with its iommu_group link.  The
 * model's device files look the same to fstat(), and readlink() of that
 * iommu_group answers for them; [host] sysfs = off stops it, as in a
 * sandbox without /sys.  (A test that fakes a sysfsdev= directory writes
 * HM_VFIO_MAJOR:N in its vfio-dev/vfioN/dev.)
 */
static unsigned hm_vfio_minor(const HmDevice *d)
{
    unsigned n;
    char tail;

    if (sscanf(d->name, "vfio%u%c", &n, &tail) == 1) {
        return n;
    }
    return 1000 + (unsigned)(d - hm.cfg.devices);
}

static void hm_vfio_stat(int fd, struct stat *st)
{
    HmFile *f;

    pthread_mutex_lock(&hm.lock);
    f = hm_fd_peek(fd);
    if (f && f->type == HM_FILE_VFIO) {
        st->st_mode = S_IFCHR | 0600;
        st->st_rdev = makedev(HM_VFIO_MAJOR, hm_vfio_minor(f->u.vf->dev));
    }
    pthread_mutex_unlock(&hm.lock);
}

HM_EXPORT int fstat(int fd, struct stat *st)
{
    int rc;

    hm_resolve_real();
    rc = hm_real.fstat(fd, st);
    if (rc == 0 && hm_fd_is_model(fd)) {
        hm_vfio_stat(fd, st);
    }
    return rc;
}

HM_EXPORT int fstat64(int fd, struct stat64 *st)
{
    int rc;

    hm_resolve_real();
    rc = hm_real.fstat64(fd, st);
    if (rc == 0 && hm_fd_is_model(fd)) {
        hm_vfio_stat(fd, (struct stat *)st);
    }
    return rc;
}

/* ---- mmap of an iommufd: a CMDQV vIOMMU's VINTF page (hm-cmdqv.c) ---- */

HM_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
                     off_t off)
{
    HmCall call = { .name = "mmap", .fd = fd };
    HmFile *f;
    void *p;
    int err;

    if (!hm_fd_is_model(fd)) {
        return hm_sys_mmap(addr, len, prot, flags, fd, off);
    }
    pthread_mutex_lock(&hm.lock);
    f = hm_fd_peek(fd);
    if (!f || f->type != HM_FILE_IOMMUFD) {
        pthread_mutex_unlock(&hm.lock);
        errno = ENODEV;
        return MAP_FAILED;
    }
    hm_call_in(&call, "\"len\":%zu,\"prot\":%d,\"flags\":%d,"
               "\"offset\":%lld", len, prot, flags, (long long)off);
    p = hm_cmdqv_mmap(f->u.ctx, fd, len, prot, flags, off);
    err = errno;
    hm_call_finish(&call, p == MAP_FAILED ? -err : 0);
    pthread_mutex_unlock(&hm.lock);
    errno = err;
    return p;
}

HM_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
                       off_t off) __attribute__((alias("mmap")));

HM_EXPORT int munmap(void *addr, size_t len)
{
    int rc = hm_sys_munmap(addr, len);

    if (rc == 0 && hm.active) {
        pthread_mutex_lock(&hm.lock);
        hm_cmdqv_munmap(addr, len);
        pthread_mutex_unlock(&hm.lock);
    }
    return rc;
}

HM_EXPORT ssize_t readlink(const char *path, char *buf, size_t len)
{
    unsigned maj, min;
    char target[64];
    int end = 0;
    size_t n;

    hm_resolve_real();
    if (!hm.active || hm.cfg.no_sysfs ||
        sscanf(path, "/sys/dev/char/%u:%u/device/iommu_group%n",
               &maj, &min, &end) != 2 || !end || path[end] ||
        maj != HM_VFIO_MAJOR) {
        return hm_real.readlink(path, buf, len);
    }
    for (unsigned i = 0; i < hm.cfg.n_devices; i++) {
        if (hm_vfio_minor(&hm.cfg.devices[i]) != min) {
            continue;
        }
        n = snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d",
                     hm.cfg.devices[i].group);
        n = n < len ? n : len;
        memcpy(buf, target, n);
        return n;
    }
    errno = ENOENT;
    return -1;
}

HM_EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t len,
                                 size_t buflen)
{
    if (len > buflen) {
        abort();    /* what glibc's check does: a caller's overflow */
    }
    return readlink(path, buf, len);
}

/* ---- what CAP_SYS_RESOURCE allows ---- */

/*
 * With HOSTMODEL_CAPS=sys_resource, raising RLIMIT_MEMLOCK (libvirt does
 * it for QEMU, to cover the pinned guest memory) succeeds where only the
 * missing capability refused it; the limit itself stays, and the model
 * does not account pinned pages against it.
 */
HM_EXPORT int prlimit64(pid_t pid, __rlimit_resource_t resource,
                        const struct rlimit64 *new_limit,
                        struct rlimit64 *old_limit)
{
    int rc;

    hm_resolve_real();
    rc = hm_real.prlimit(pid, resource, new_limit, old_limit);
    if (rc < 0 && errno == EPERM && hm.cap_sys_resource &&
        resource == RLIMIT_MEMLOCK && new_limit) {
        hm_log_event("\"event\":\"memlock_raise_granted\",\"pid\":%d",
                     (int)pid);
        return 0;
    }
    return rc;
}

HM_EXPORT int prlimit(pid_t pid, __rlimit_resource_t resource,
                      const struct rlimit *new_limit, struct rlimit *old_limit)
{
    return prlimit64(pid, resource, (const struct rlimit64 *)new_limit,
                     (struct rlimit64 *)old_limit);
}

HM_EXPORT int setrlimit(__rlimit_resource_t resource,
                        const struct rlimit *limit)
{
    return prlimit(0, resource, limit, NULL);
}

HM_EXPORT int setrlimit64(__rlimit_resource_t resource,
                          const struct rlimit64 *limit)
{
    return prlimit64(0, resource, limit, NULL);
}
