/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the host model, one per kernel rule it reproduces.
 *
 * Run with libhostmodel.so preloaded, HOSTMODEL_HOST=hosts/test.conf
 * and HOSTMODEL_CONTROL set (see hostmodel.mk, check-hostmodel).  Prints
 * TAP.  Every test closes what it opened; the runner then checks that no
 * iommufd object is left, so a test that leaks fails too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "hostmodel-client.h"

/* ---- a tiny TAP harness ---- */

static HmClient *cl;
static int tfds[128];
static unsigned n_tfds;
static unsigned n_run, n_failed;
static const char *cur_test;

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            printf("# %s:%d: check failed: %s (errno %d %s)\n", cur_test, \
                   __LINE__, #cond, errno, strerror(errno)); \
            return false; \
        } \
    } while (0)

/* check that an expression returns the expected errno (0 == success) */
#define CHECK_ERR(expr, want) \
    do { \
        int e_ = (expr); \
        if (e_ != (want)) { \
            printf("# %s:%d: %s gave %d (%s), expected %d (%s)\n", cur_test, \
                   __LINE__, #expr, e_, strerror(e_), (want), \
                   strerror(want)); \
            return false; \
        } \
    } while (0)

static int track(int fd)
{
    if (fd >= 0 && n_tfds < sizeof(tfds) / sizeof(tfds[0])) {
        tfds[n_tfds++] = fd;
    }
    return fd;
}

static void untrack_close(int fd)
{
    for (unsigned i = 0; i < n_tfds; i++) {
        if (tfds[i] == fd) {
            tfds[i] = tfds[--n_tfds];
            break;
        }
    }
    close(fd);
}

static void run(const char *name, bool (*fn)(void))
{
    bool ok;
    int left;

    cur_test = name;
    n_tfds = 0;
    ok = fn();
    /* devices first: a bound device holds its iommufd context */
    for (unsigned i = n_tfds; i-- > 0;) {
        close(tfds[i]);
    }
    n_tfds = 0;
    hm_client_fail_clear(cl);
    left = hm_client_count_objects(cl, NULL);
    if (ok && left != 0) {
        printf("# %s: %d iommufd objects left after closing everything: %s\n",
               name, left, (hm_client_command(cl, "objects"),
                            hm_client_last_reply(cl)));
        ok = false;
    }
    n_run++;
    if (!ok) {
        n_failed++;
    }
    printf("%s %u - %s\n", ok ? "ok" : "not ok", n_run, name);
    fflush(stdout);
}

/* a pointer the kernel (and the model) must answer EFAULT to */
static __attribute__((noinline)) void *bad_ptr(void)
{
    /* volatile: the compiler must not see (and fold) the constant */
    static volatile uintptr_t p = 8;

    return (void *)p;
}

/* ---- uAPI helpers: each returns 0 or the errno ---- */

static int io(int fd, unsigned long req, void *arg)
{
    return ioctl(fd, req, arg) ? errno : 0;
}

static int open_iommufd(void)
{
    return track(open("/dev/iommu", O_RDWR | O_CLOEXEC));
}

static int open_dev(const char *name)
{
    char path[64];

    snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
    return track(open(path, O_RDWR | O_CLOEXEC));
}

static int bind_dev(int dfd, int ifd, uint32_t *devid)
{
    struct vfio_device_bind_iommufd b = {
        .argsz = sizeof(b), .iommufd = ifd,
    };
    int rc = io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b);

    if (!rc && devid) {
        *devid = b.out_devid;
    }
    return rc;
}

static int ioas_alloc(int ifd, uint32_t *id)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };
    int rc = io(ifd, IOMMU_IOAS_ALLOC, &a);

    *id = a.out_ioas_id;
    return rc;
}

static int destroy(int ifd, uint32_t id)
{
    struct iommu_destroy d = { .size = sizeof(d), .id = id };

    return io(ifd, IOMMU_DESTROY, &d);
}

static int hwpt_alloc(int ifd, uint32_t dev, uint32_t pt, uint32_t flags,
                      uint32_t type, void *data, uint32_t len, uint32_t *out)
{
    struct iommu_hwpt_alloc h = {
        .size = sizeof(h), .flags = flags, .dev_id = dev, .pt_id = pt,
        .data_type = type, .data_len = len, .data_uptr = (uintptr_t)data,
    };
    int rc = io(ifd, IOMMU_HWPT_ALLOC, &h);

    if (out) {
        *out = h.out_hwpt_id;
    }
    return rc;
}

static int nested_alloc(int ifd, uint32_t dev, uint32_t viommu,
                        uint64_t ste0, uint64_t ste1, uint32_t *out)
{
    struct iommu_hwpt_arm_smmuv3 d = { .ste = { ste0, ste1 } };

    return hwpt_alloc(ifd, dev, viommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, &d,
                      sizeof(d), out);
}

static int viommu_alloc(int ifd, uint32_t dev, uint32_t s2, uint32_t type,
                        uint32_t *out)
{
    struct iommu_viommu_alloc v = {
        .size = sizeof(v), .type = type, .dev_id = dev, .hwpt_id = s2,
    };
    int rc = io(ifd, IOMMU_VIOMMU_ALLOC, &v);

    if (out) {
        *out = v.out_viommu_id;
    }
    return rc;
}

static int vdev_alloc(int ifd, uint32_t viommu, uint32_t dev, uint64_t vsid,
                      uint32_t *out)
{
    struct iommu_vdevice_alloc v = {
        .size = sizeof(v), .viommu_id = viommu, .dev_id = dev,
        .virt_id = vsid,
    };
    int rc = io(ifd, IOMMU_VDEVICE_ALLOC, &v);

    if (out) {
        *out = v.out_vdevice_id;
    }
    return rc;
}

static int attach(int dfd, uint32_t pt, uint32_t *out)
{
    struct vfio_device_attach_iommufd_pt a = {
        .argsz = sizeof(a), .pt_id = pt,
    };
    int rc = io(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

    if (out) {
        *out = a.pt_id;
    }
    return rc;
}

static int detach(int dfd)
{
    struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

    return io(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static int invalidate(int ifd, uint32_t id, const void *data, uint32_t type,
                      uint32_t len, uint32_t num, uint32_t *done)
{
    struct iommu_hwpt_invalidate inv = {
        .size = sizeof(inv), .hwpt_id = id, .data_uptr = (uintptr_t)data,
        .data_type = type, .entry_len = len, .entry_num = num,
    };
    int rc = io(ifd, IOMMU_HWPT_INVALIDATE, &inv);

    if (done) {
        *done = inv.entry_num;
    }
    return rc;
}

static int inv_cmds(int ifd, uint32_t viommu, uint64_t (*cmds)[2],
                    uint32_t num, uint32_t *done)
{
    return invalidate(ifd, viommu, cmds,
                      IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, num, done);
}

static int veventq_alloc(int ifd, uint32_t viommu, uint32_t depth,
                         uint32_t *id, int *fd)
{
    struct iommu_veventq_alloc q = {
        .size = sizeof(q), .viommu_id = viommu,
        .type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, .veventq_depth = depth,
    };
    int rc = io(ifd, IOMMU_VEVENTQ_ALLOC, &q);

    if (!rc) {
        *id = q.out_veventq_id;
        *fd = track(q.out_veventq_fd);
    }
    return rc;
}

static int ioas_map(int ifd, uint32_t ioas, void *va, uint64_t len,
                    uint64_t *iova, bool fixed)
{
    struct iommu_ioas_map m = {
        .size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)va,
        .length = len, .iova = *iova,
        .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
                 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
    };
    int rc = io(ifd, IOMMU_IOAS_MAP, &m);

    *iova = m.iova;
    return rc;
}

static int ioas_unmap(int ifd, uint32_t ioas, uint64_t iova, uint64_t len,
                      uint64_t *unmapped)
{
    struct iommu_ioas_unmap u = {
        .size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len,
    };
    int rc = io(ifd, IOMMU_IOAS_UNMAP, &u);

    if (unmapped) {
        *unmapped = u.length;
    }
    return rc;
}

/* A nesting setup: ctx, bound device, IOAS, S2 parent, vIOMMU */
typedef struct Nest {
    int ifd, dfd;
    uint32_t devid, ioas, s2, viommu;
} Nest;

static bool nest_setup(Nest *n, const char *dev)
{
    n->ifd = open_iommufd();
    n->dfd = open_dev(dev);
    CHECK(n->ifd >= 0 && n->dfd >= 0);
    CHECK_ERR(bind_dev(n->dfd, n->ifd, &n->devid), 0);
    CHECK_ERR(ioas_alloc(n->ifd, &n->ioas), 0);
    CHECK_ERR(hwpt_alloc(n->ifd, n->devid, n->ioas,
                         IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0, &n->s2), 0);
    CHECK_ERR(viommu_alloc(n->ifd, n->devid, n->s2,
                           IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &n->viommu), 0);
    return true;
}

#define STE_V           1ULL
#define STE_CFG(c)      ((uint64_t)(c) << 1)
#define STE_S1          (STE_V | STE_CFG(5) | 0x12345000ULL)
#define STE_BYPASS      (STE_V | STE_CFG(4))
#define STE_ABORT       (STE_V | STE_CFG(0))
#define STE1_EATS(e)    ((uint64_t)(e) << 28)

static uint64_t read_ull(const char *cmd, const char *dev)
{
    char line[128];
    uint64_t v;

    snprintf(line, sizeof(line), "%s %s", cmd, dev);
    hm_client_command(cl, line);
    hm_strtou64(hm_client_last_reply(cl) + 3, NULL, 16, &v);
    return v;
}

/* ---- basic file and ioctl behaviour ---- */

static bool t_open_paths(void)
{
    int fd = open_iommufd();

    CHECK(fd >= 0);
    CHECK(open("/dev/vfio/devices/vfio99", O_RDWR) < 0 && errno == ENOENT);
    CHECK(open_dev("vfio0") >= 0);
    return true;
}

static bool t_unknown_ioctl(void)
{
    int fd = open_iommufd();
    uint32_t arg[8] = { 32 };

    CHECK_ERR(io(fd, _IO(IOMMUFD_TYPE, 0xfe), arg), ENOTTY);
    CHECK_ERR(io(fd, _IO(IOMMUFD_TYPE, 0x70), arg), ENOTTY);
    /* read/write are not file operations of /dev/iommu */
    CHECK(read(fd, arg, 4) < 0 && errno == EINVAL);
    return true;
}

static bool t_ioctl_size_rules(void)
{
    int fd = open_iommufd();
    struct {
        struct iommu_ioas_alloc a;
        uint32_t tail[2];
    } big = { .a = { .size = sizeof(big) } };
    struct iommu_ioas_alloc a = { .size = 8 };

    CHECK_ERR(io(fd, IOMMU_IOAS_ALLOC, &a), EINVAL);
    big.tail[1] = 1;
    CHECK_ERR(io(fd, IOMMU_IOAS_ALLOC, &big), E2BIG);
    big.tail[1] = 0;
    CHECK_ERR(io(fd, IOMMU_IOAS_ALLOC, &big), 0);
    CHECK(big.a.out_ioas_id == 1);
    a.size = sizeof(a);
    a.flags = 1;
    CHECK_ERR(io(fd, IOMMU_IOAS_ALLOC, &a), EOPNOTSUPP);
    CHECK_ERR(io(fd, IOMMU_IOAS_ALLOC, NULL), EFAULT);
    return true;
}

static bool t_ids_lowest_free(void)
{
    int fd = open_iommufd();
    uint32_t a, b, c, d;

    CHECK_ERR(ioas_alloc(fd, &a), 0);
    CHECK_ERR(ioas_alloc(fd, &b), 0);
    CHECK_ERR(ioas_alloc(fd, &c), 0);
    CHECK(a == 1 && b == 2 && c == 3);
    CHECK_ERR(destroy(fd, b), 0);
    CHECK_ERR(destroy(fd, b), ENOENT);
    CHECK_ERR(ioas_alloc(fd, &d), 0);
    CHECK(d == 2);
    CHECK_ERR(destroy(fd, 99), ENOENT);
    CHECK_ERR(destroy(fd, 0), ENOENT);
    return true;
}

static bool t_dup_shares_file(void)
{
    int fd = open_iommufd();
    int fd2 = track(dup(fd));
    int fd3 = track(fcntl(fd, F_DUPFD_CLOEXEC, 200));
    uint32_t id;

    CHECK(fd2 >= 0 && fd3 >= 200);
    CHECK_ERR(ioas_alloc(fd, &id), 0);
    untrack_close(fd);
    CHECK_ERR(destroy(fd2, id), 0);
    CHECK_ERR(ioas_alloc(fd3, &id), 0);
    CHECK(hm_client_count_objects(cl, "IOAS") == 1);
    return true;
}

static bool t_ctx_release_frees(void)
{
    int fd = open_iommufd();
    uint32_t id;

    CHECK_ERR(ioas_alloc(fd, &id), 0);
    CHECK(hm_client_count_objects(cl, "IOAS") == 1);
    untrack_close(fd);
    CHECK(hm_client_count_objects(cl, "IOAS") == 0);
    return true;
}

/* ---- VFIO bind ---- */

static bool t_device_needs_bind(void)
{
    int dfd = open_dev("vfio0");
    struct vfio_device_info info = { .argsz = sizeof(info) };
    char buf[4];

    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_INFO, &info), EINVAL);
    CHECK(pread(dfd, buf, 4, 7ULL << 40) < 0 && errno == EINVAL);
    return true;
}

static bool t_bind_rules(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    int dfd2 = open_dev("vfio0");
    int p[2];
    uint32_t devid;
    struct vfio_device_bind_iommufd b = { .argsz = 8, .iommufd = ifd };

    CHECK(pipe(p) == 0);
    track(p[0]);
    track(p[1]);
    CHECK_ERR(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
    b.argsz = sizeof(b);
    b.flags = 2;
    CHECK_ERR(io(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
    CHECK_ERR(bind_dev(dfd, p[0], NULL), EBADFD);
    CHECK_ERR(bind_dev(dfd, 999, NULL), EBADF);
    CHECK_ERR(bind_dev(dfd, -1, NULL), EINVAL);
    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK(devid == 1);
    CHECK_ERR(bind_dev(dfd, ifd, NULL), EINVAL);
    /* a cdev can be opened twice, but bound once */
    CHECK_ERR(bind_dev(dfd2, ifd, NULL), EINVAL);
    /* the VFIO driver holds the device object */
    CHECK_ERR(destroy(ifd, devid), EBUSY);
    return true;
}

static bool t_bind_group_one_owner(void)
{
    int a = open_iommufd(), b = open_iommufd();
    int d1 = open_dev("vfio1"), d2 = open_dev("vfio2");

    CHECK_ERR(bind_dev(d1, a, NULL), 0);
    CHECK_ERR(bind_dev(d2, b, NULL), EPERM);
    CHECK_ERR(bind_dev(d2, a, NULL), 0);
    return true;
}

static bool t_close_device_unbinds(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");

    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    CHECK(hm_client_count_objects(cl, "DEVICE") == 1);
    untrack_close(dfd);
    CHECK(hm_client_count_objects(cl, "DEVICE") == 0);
    dfd = open_dev("vfio0");
    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    return true;
}

/* ---- IOAS ---- */

static bool t_ioas_map_unmap(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    size_t len = 64 * 1024;
    void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint32_t ioas, devid, pt;
    uint64_t iova, n;
    bool ok = false;

    CHECK(buf != MAP_FAILED);
    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(attach(dfd, ioas, &pt), 0);
    iova = 0x40000000;
    CHECK_ERR(ioas_map(ifd, ioas, buf, len, &iova, true), 0);
    iova = 0x40001000;
    CHECK_ERR(ioas_map(ifd, ioas, buf, 4096, &iova, true), EEXIST);
    iova = 0x50000800;
    CHECK_ERR(ioas_map(ifd, ioas, buf, 4096, &iova, true), EINVAL);
    iova = 0x50000000;
    CHECK_ERR(ioas_map(ifd, ioas, buf, 100, &iova, true), EINVAL);
    /* a domain pins the pages: an unmapped VA is EFAULT */
    CHECK_ERR(ioas_map(ifd, ioas, (void *)0x1000, 4096, &iova, true),
              EFAULT);
    CHECK_ERR(ioas_unmap(ifd, ioas, 0x40000000, 4096, NULL), ENOENT);
    CHECK_ERR(ioas_unmap(ifd, ioas, 0x40000000, len, &n), 0);
    CHECK(n == len);
    CHECK_ERR(ioas_unmap(ifd, ioas, 0, UINT64_MAX, NULL), ENOENT);
    ok = true;
    munmap(buf, len);
    return ok;
}

static int iova_ranges(int ifd, uint32_t ioas, struct iommu_iova_range *r,
                       uint32_t *num, uint64_t *align)
{
    struct iommu_ioas_iova_ranges q = {
        .size = sizeof(q), .ioas_id = ioas, .num_iovas = *num,
        .allowed_iovas = (uintptr_t)r,
    };
    int rc = io(ifd, IOMMU_IOAS_IOVA_RANGES, &q);

    *num = q.num_iovas;
    *align = q.out_iova_alignment;
    return rc;
}

static bool t_iova_ranges_sw_msi(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    struct iommu_iova_range r[4];
    uint32_t ioas, devid, n = 4;
    uint64_t align, iova = 0x8000000;
    char page[4096] __attribute__((aligned(4096)));

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(iova_ranges(ifd, ioas, r, &n, &align), 0);
    CHECK(n == 1 && r[0].start == 0 && r[0].last == UINT64_MAX && align == 1);
    CHECK_ERR(attach(dfd, ioas, NULL), 0);
    n = 0;
    CHECK_ERR(iova_ranges(ifd, ioas, r, &n, &align), EMSGSIZE);
    CHECK(n == 2);
    n = 4;
    CHECK_ERR(iova_ranges(ifd, ioas, r, &n, &align), 0);
    CHECK(n == 2 && align == 4096);
    CHECK(r[0].start == 0 && r[0].last == 0x7ffffff);
    CHECK(r[1].start == 0x8100000 && r[1].last == 0xffffffffffffULL);
    /* the SW_MSI window cannot be mapped */
    CHECK_ERR(ioas_map(ifd, ioas, page, 4096, &iova, true), EINVAL);
    /* detaching widens the ranges again, minus the domain */
    CHECK_ERR(detach(dfd), 0);
    n = 4;
    CHECK_ERR(iova_ranges(ifd, ioas, r, &n, &align), 0);
    CHECK(n == 1 && r[0].last == UINT64_MAX);
    return true;
}

static bool t_ioas_map_alloc_iova(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    static char buf[3 * 4096] __attribute__((aligned(4096)));
    uint32_t ioas;
    uint64_t iova = 0, iova2 = 0;

    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(attach(dfd, ioas, NULL), 0);
    CHECK_ERR(ioas_map(ifd, ioas, buf, sizeof(buf), &iova, false), 0);
    CHECK_ERR(ioas_map(ifd, ioas, buf, sizeof(buf), &iova2, false), 0);
    CHECK(iova % 4096 == 0 && iova2 != iova);
    CHECK(iova2 >= iova + sizeof(buf) || iova2 + sizeof(buf) <= iova);
    return true;
}

static bool t_ioas_option(void)
{
    int ifd = open_iommufd();
    struct iommu_option o = {
        .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
        .op = IOMMU_OPTION_OP_GET,
    };
    uint32_t ioas;

    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    o.object_id = ioas;
    CHECK_ERR(io(ifd, IOMMU_OPTION, &o), 0);
    CHECK(o.val64 == 1);
    o.op = IOMMU_OPTION_OP_SET;
    o.val64 = 0;
    CHECK_ERR(io(ifd, IOMMU_OPTION, &o), 0);
    o.op = IOMMU_OPTION_OP_GET;
    o.val64 = 7;
    CHECK_ERR(io(ifd, IOMMU_OPTION, &o), 0);
    CHECK(o.val64 == 0);
    o.op = IOMMU_OPTION_OP_SET;
    o.val64 = 2;
    CHECK_ERR(io(ifd, IOMMU_OPTION, &o), EINVAL);
    o.op = 5;
    CHECK_ERR(io(ifd, IOMMU_OPTION, &o), EOPNOTSUPP);
    o.object_id = 77;
    o.op = IOMMU_OPTION_OP_GET;
    CHECK_ERR(io(ifd, IOMMU_OPTION, &o), ENOENT);
    o.option_id = IOMMU_OPTION_RLIMIT_MODE;
    CHECK_ERR(io(ifd, IOMMU_OPTION, &o), EOPNOTSUPP);
    o.object_id = 0;
    CHECK_ERR(io(ifd, IOMMU_OPTION, &o), 0);
    CHECK(o.val64 == 0);
    o.option_id = 9;
    CHECK_ERR(io(ifd, IOMMU_OPTION, &o), EOPNOTSUPP);
    return true;
}

static bool t_ioas_copy_and_map_file(void)
{
    int ifd = open_iommufd();
    int mfd = track(memfd_create("hm-test", MFD_CLOEXEC));
    static char buf[8192] __attribute__((aligned(4096)));
    struct iommu_ioas_map_file mf = {
        .size = sizeof(mf), .flags = IOMMU_IOAS_MAP_READABLE |
        IOMMU_IOAS_MAP_FIXED_IOVA, .fd = mfd, .start = 0, .length = 8192,
        .iova = 0x100000,
    };
    struct iommu_ioas_copy cp = {
        .size = sizeof(cp), .flags = IOMMU_IOAS_MAP_READABLE |
        IOMMU_IOAS_MAP_FIXED_IOVA, .length = 8192, .src_iova = 0x10000,
        .dst_iova = 0x20000,
    };
    struct iommu_ioas_change_process chg = { .size = sizeof(chg) };
    uint32_t a, b;
    uint64_t iova = 0x10000;

    CHECK(mfd >= 0 && ftruncate(mfd, 8192) == 0);
    CHECK_ERR(ioas_alloc(ifd, &a), 0);
    CHECK_ERR(ioas_alloc(ifd, &b), 0);
    mf.ioas_id = b;
    CHECK_ERR(io(ifd, IOMMU_IOAS_MAP_FILE, &mf), 0);
    CHECK_ERR(io(ifd, IOMMU_IOAS_CHANGE_PROCESS, &chg), 0);
    mf.iova = 0x200000;
    mf.length = 16384;
    CHECK_ERR(io(ifd, IOMMU_IOAS_MAP_FILE, &mf), EINVAL);
    mf.fd = 9999;
    CHECK_ERR(io(ifd, IOMMU_IOAS_MAP_FILE, &mf), EBADF);
    CHECK_ERR(ioas_map(ifd, a, buf, sizeof(buf), &iova, true), 0);
    /* only file mappings can change process */
    CHECK_ERR(io(ifd, IOMMU_IOAS_CHANGE_PROCESS, &chg), EINVAL);
    cp.src_ioas_id = a;
    cp.dst_ioas_id = b;
    CHECK_ERR(io(ifd, IOMMU_IOAS_COPY, &cp), 0);
    cp.src_iova = 0x50000;
    CHECK_ERR(io(ifd, IOMMU_IOAS_COPY, &cp), ENOENT);
    CHECK_ERR(ioas_unmap(ifd, b, 0x20000, 8192, NULL), 0);
    return true;
}

static bool t_destroy_ioas_busy(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    uint32_t ioas, devid, hwpt;

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, &hwpt), 0);
    CHECK_ERR(destroy(ifd, ioas), EBUSY);
    CHECK_ERR(destroy(ifd, hwpt), 0);
    CHECK_ERR(destroy(ifd, ioas), 0);
    return true;
}

/* ---- HWPT ---- */

static bool t_hwpt_paging_rules(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    int d6 = open_dev("vfio6");
    uint32_t ioas, devid, dev6, h, pt;
    uint64_t data[2] = { 0 };

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(bind_dev(d6, ifd, &dev6), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 1u << 7, 0, NULL, 0, &h),
              EOPNOTSUPP);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT |
                         IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0, &h),
              EOPNOTSUPP);
    /* grace has HTTU access+dirty, small has no HTTU */
    CHECK_ERR(hwpt_alloc(ifd, dev6, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0,
                         NULL, 0, &h), EOPNOTSUPP);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
                         0, NULL, 0, &h), 0);
    CHECK_ERR(destroy(ifd, h), 0);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, IOMMU_HWPT_DATA_ARM_SMMUV3,
                         data, sizeof(data), &h), EOPNOTSUPP);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, 0, data, 16, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, IOMMU_HWPT_DATA_ARM_SMMUV3,
                         data, 0, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(ifd, devid, 77, 0, 0, NULL, 0, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(ifd, 77, ioas, 0, 0, NULL, 0, &h), ENOENT);
    CHECK_ERR(hwpt_alloc(ifd, devid, devid, 0, 0, NULL, 0, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, &h), 0);
    CHECK_ERR(attach(dfd, h, &pt), 0);
    CHECK(pt == h);
    CHECK_ERR(destroy(ifd, h), EBUSY);
    CHECK_ERR(detach(dfd), 0);
    CHECK_ERR(detach(dfd), 0);
    CHECK_ERR(destroy(ifd, h), 0);
    return true;
}

static bool t_hwpt_auto_domain(void)
{
    int ifd = open_iommufd(), d0 = open_dev("vfio0"), d3 = open_dev("vfio3");
    uint32_t ioas, pt0, pt0b, pt3;

    CHECK_ERR(bind_dev(d0, ifd, NULL), 0);
    CHECK_ERR(bind_dev(d3, ifd, NULL), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(attach(d0, ioas, &pt0), 0);
    CHECK(pt0 != ioas);
    /* re-attaching to the same IOAS replaces with the same auto domain */
    CHECK_ERR(attach(d0, ioas, &pt0b), 0);
    CHECK(pt0b == pt0);
    /* another SMMU cannot share the domain: a second auto domain */
    CHECK_ERR(attach(d3, ioas, &pt3), 0);
    CHECK(pt3 != pt0);
    CHECK(hm_client_count_objects(cl, "HWPT_PAGING") == 2);
    CHECK_ERR(destroy(ifd, pt0), EBUSY);
    CHECK_ERR(detach(d0), 0);
    CHECK_ERR(detach(d3), 0);
    /* auto domains go away with their last device */
    CHECK(hm_client_count_objects(cl, "HWPT_PAGING") == 0);
    CHECK_ERR(destroy(ifd, ioas), 0);
    return true;
}

static bool t_attach_paging_other_smmu(void)
{
    int ifd = open_iommufd(), d0 = open_dev("vfio0"), d3 = open_dev("vfio3");
    uint32_t ioas, dev0, h;

    CHECK_ERR(bind_dev(d0, ifd, &dev0), 0);
    CHECK_ERR(bind_dev(d3, ifd, NULL), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, dev0, ioas, 0, 0, NULL, 0, &h), 0);
    CHECK_ERR(attach(d3, h, NULL), EINVAL);
    CHECK_ERR(attach(d3, 999, NULL), ENOENT);
    CHECK_ERR(attach(d3, dev0, NULL), EINVAL);
    return true;
}

static bool t_attach_replace(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    uint32_t ioas, devid, a, b;

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, &a), 0);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, &b), 0);
    CHECK_ERR(attach(dfd, a, NULL), 0);
    CHECK_ERR(attach(dfd, b, NULL), 0);
    CHECK_ERR(destroy(ifd, a), 0);
    CHECK_ERR(destroy(ifd, b), EBUSY);
    return true;
}

static bool t_group_shares_domain(void)
{
    int ifd = open_iommufd(), d1 = open_dev("vfio1"), d2 = open_dev("vfio2");
    uint32_t ioas, dev1, a, b;
    uint64_t ste1[4], ste2[4];

    CHECK_ERR(bind_dev(d1, ifd, &dev1), 0);
    CHECK_ERR(bind_dev(d2, ifd, NULL), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, dev1, ioas, 0, 0, NULL, 0, &a), 0);
    CHECK_ERR(hwpt_alloc(ifd, dev1, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
                         NULL, 0, &b), 0);
    CHECK_ERR(attach(d1, a, NULL), 0);
    /* the group's domain is a: the other device must follow it */
    CHECK_ERR(attach(d2, b, NULL), EINVAL);
    CHECK_ERR(attach(d2, a, NULL), 0);
    /* replacing through one device moves the whole group */
    CHECK_ERR(attach(d2, b, NULL), 0);
    CHECK_ERR(destroy(ifd, a), 0);
    CHECK_ERR(hm_client_get_ste(cl, "vfio1", ste1, NULL), 0);
    CHECK_ERR(hm_client_get_ste(cl, "vfio2", ste2, NULL), 0);
    CHECK(((ste1[0] >> 1) & 7) == 6 && ((ste2[0] >> 1) & 7) == 6);
    CHECK_ERR(detach(d1), 0);
    CHECK_ERR(destroy(ifd, b), EBUSY);
    CHECK_ERR(detach(d2), 0);
    CHECK_ERR(destroy(ifd, b), 0);
    return true;
}

/* ---- vIOMMU ---- */

static bool t_viommu_alloc_rules(void)
{
    Nest n;
    uint32_t plain, v;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.ioas, 0, 0, NULL, 0, &plain), 0);
    CHECK_ERR(viommu_alloc(n.ifd, n.devid, plain,
                           IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &v), EINVAL);
    CHECK_ERR(viommu_alloc(n.ifd, n.devid, n.s2, IOMMU_VIOMMU_TYPE_DEFAULT,
                           &v), EOPNOTSUPP);
    CHECK_ERR(viommu_alloc(n.ifd, n.devid, n.s2,
                           IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, &v), EOPNOTSUPP);
    CHECK_ERR(viommu_alloc(n.ifd, 99, n.s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                           &v), ENOENT);
    CHECK_ERR(viommu_alloc(n.ifd, n.devid, 99, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                           &v), ENOENT);
    {
        struct iommu_viommu_alloc va = {
            .size = sizeof(va), .flags = 1, .dev_id = n.devid,
            .hwpt_id = n.s2, .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
        };
        CHECK_ERR(io(n.ifd, IOMMU_VIOMMU_ALLOC, &va), EOPNOTSUPP);
    }
    /* a second vIOMMU may share the S2 */
    CHECK_ERR(viommu_alloc(n.ifd, n.devid, n.s2,
                           IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &v), 0);
    CHECK_ERR(destroy(n.ifd, n.s2), EBUSY);
    CHECK_ERR(destroy(n.ifd, v), 0);
    CHECK_ERR(destroy(n.ifd, n.viommu), 0);
    CHECK_ERR(destroy(n.ifd, n.s2), 0);
    return true;
}

static bool t_viommu_nonest_refused(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio5");
    uint32_t devid, ioas, s2, v;

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    /* S1P and S2P are there: a nesting parent is fine */
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
                         NULL, 0, &s2), 0);
    /* no S2FWB and not CANWBS: no vIOMMU */
    CHECK_ERR(viommu_alloc(ifd, devid, s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &v),
              EOPNOTSUPP);
    return true;
}

/*
 * arm_smmu_device_iidr_probe(): Linux turns nesting off on an Arm MMU-700
 * (errata 2268618, 2812531), whatever its ID registers say: no nesting
 * parent, no vIOMMU; a plain paging HWPT is fine.
 */
static bool t_mmu700_erratum_no_nesting(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio8");
    uint32_t devid, ioas, s2, h;

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
                         NULL, 0, &s2), EOPNOTSUPP);
    CHECK_ERR(hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, &h), 0);
    CHECK_ERR(viommu_alloc(ifd, devid, h, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &s2),
              EOPNOTSUPP);
    return true;
}

static bool t_viommu_foreign_s2(void)
{
    int ifd = open_iommufd(), d0 = open_dev("vfio0"), d3 = open_dev("vfio3");
    uint32_t dev0, dev3, ioas, s2_3, v;

    CHECK_ERR(bind_dev(d0, ifd, &dev0), 0);
    CHECK_ERR(bind_dev(d3, ifd, &dev3), 0);
    CHECK_ERR(ioas_alloc(ifd, &ioas), 0);
    CHECK_ERR(hwpt_alloc(ifd, dev3, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
                         NULL, 0, &s2_3), 0);
    CHECK_ERR(viommu_alloc(ifd, dev0, s2_3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                           &v), EINVAL);
    CHECK_ERR(viommu_alloc(ifd, dev3, s2_3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                           &v), 0);
    return true;
}

static bool t_destroy_viommu_busy(void)
{
    Nest n;
    uint32_t vd, nested, qid;
    int qfd;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, &vd), 0);
    CHECK_ERR(destroy(n.ifd, n.viommu), EBUSY);
    CHECK_ERR(destroy(n.ifd, vd), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_ABORT, 0, &nested),
              0);
    CHECK_ERR(destroy(n.ifd, n.viommu), EBUSY);
    CHECK_ERR(destroy(n.ifd, nested), 0);
    CHECK_ERR(veventq_alloc(n.ifd, n.viommu, 4, &qid, &qfd), 0);
    CHECK_ERR(destroy(n.ifd, n.viommu), EBUSY);
    /* the open vEVENTQ fd holds the vEVENTQ */
    CHECK_ERR(destroy(n.ifd, qid), EBUSY);
    untrack_close(qfd);
    CHECK_ERR(destroy(n.ifd, qid), 0);
    CHECK_ERR(destroy(n.ifd, n.viommu), 0);
    CHECK_ERR(destroy(n.ifd, n.s2), 0);
    CHECK_ERR(destroy(n.ifd, n.ioas), 0);
    return true;
}

/* ---- vDEVICE ---- */

static bool t_vdevice_rules(void)
{
    Nest n;
    int d1 = open_dev("vfio1"), d3 = open_dev("vfio3");
    uint32_t dev1, dev3, vd;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(bind_dev(d1, n.ifd, &dev1), 0);
    CHECK_ERR(bind_dev(d3, n.ifd, &dev3), 0);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, &vd), 0);
    /* one vDEVICE per device */
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x11, NULL), EEXIST);
    /* a vSID is unique within a vIOMMU */
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, dev1, 0x10, NULL), EEXIST);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, dev1, 0x11, NULL), 0);
    /* the device must be behind the vIOMMU's SMMU */
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, dev3, 0x12, NULL), EINVAL);
    CHECK_ERR(vdev_alloc(n.ifd, 99, dev3, 0x12, NULL), ENOENT);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, 99, 0x12, NULL), ENOENT);
    CHECK_ERR(destroy(n.ifd, vd), 0);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, NULL), 0);
    return true;
}

static bool t_vdevice_goes_with_device(void)
{
    Nest n;
    uint32_t vd, ioas2;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, &vd), 0);
    untrack_close(n.dfd);
    /* destroyed with the device (6.17+); its id stays reserved */
    CHECK(hm_client_count_objects(cl, "VDEVICE") == 0);
    CHECK_ERR(destroy(n.ifd, vd), ENOENT);
    CHECK_ERR(ioas_alloc(n.ifd, &ioas2), 0);
    CHECK(ioas2 != vd);
    CHECK_ERR(destroy(n.ifd, n.viommu), 0);
    return true;
}

/* ---- nested HWPT: vSTE validation ---- */

static bool t_vste_v0_accepted(void)
{
    Nest n;
    uint32_t h;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    /* V=0: everything else ignored, installed as abort */
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, ~1ULL, ~0ULL, &h), 0);
    CHECK_ERR(attach(n.dfd, h, NULL), 0);
    CHECK(((read_ull("ste", "vfio0") >> 1) & 7) == 0);
    return true;
}

static bool t_vste_word0_bits(void)
{
    const uint64_t allowed = 0xf80fffffffffffffULL;
    Nest n;
    unsigned bad = 0;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    for (int b = 0; b < 64; b++) {
        uint64_t bit = 1ULL << b;
        int rc;
        uint32_t h;

        if (allowed & bit) {
            continue;
        }
        bad++;
        rc = nested_alloc(n.ifd, n.devid, n.viommu, STE_S1 | bit, 0, &h);
        if (rc != EIO) {
            printf("# word0 bit %d: errno %d, expected EIO\n", b, rc);
            return false;
        }
    }
    CHECK(bad == 7);
    /* all allowed bits at once are fine (with a legal Config) */
    {
        uint32_t h;

        CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu,
                               (allowed & ~0xeULL) | STE_CFG(5), 0, &h), 0);
        CHECK_ERR(destroy(n.ifd, h), 0);
    }
    return true;
}

static bool t_vste_word1_bits(void)
{
    const uint64_t allowed = 0x380000ffULL;
    Nest n;
    unsigned bad = 0;
    uint32_t h;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    for (int b = 0; b < 64; b++) {
        uint64_t bit = 1ULL << b;
        int rc;

        if (allowed & bit) {
            continue;
        }
        bad++;
        rc = nested_alloc(n.ifd, n.devid, n.viommu, STE_S1, bit, &h);
        if (rc != EIO) {
            printf("# word1 bit %d: errno %d, expected EIO\n", b, rc);
            return false;
        }
    }
    CHECK(bad == 64 - 11);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_S1,
                           0x080000ffULL | STE1_EATS(1), &h), 0);
    CHECK_ERR(destroy(n.ifd, h), 0);
    return true;
}

static bool t_vste_config(void)
{
    Nest n;
    uint32_t h;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    for (unsigned cfg = 0; cfg < 8; cfg++) {
        int want = (cfg == 0 || cfg == 4 || cfg == 5) ? 0 : EIO;
        int rc = nested_alloc(n.ifd, n.devid, n.viommu,
                              STE_V | STE_CFG(cfg), 0, &h);

        if (rc != want) {
            printf("# config %u: errno %d, expected %d\n", cfg, rc, want);
            return false;
        }
        if (!rc) {
            CHECK_ERR(destroy(n.ifd, h), 0);
        }
    }
    return true;
}

static bool t_vste_eats(void)
{
    Nest n;
    uint32_t h;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    for (unsigned e = 0; e < 4; e++) {
        int want = e < 2 ? 0 : EIO;
        int rc = nested_alloc(n.ifd, n.devid, n.viommu, STE_S1,
                              STE1_EATS(e), &h);

        if (rc != want) {
            printf("# EATS %u: errno %d, expected %d\n", e, rc, want);
            return false;
        }
        if (!rc) {
            CHECK_ERR(destroy(n.ifd, h), 0);
        }
    }
    return true;
}

static bool t_nested_alloc_args(void)
{
    Nest n;
    int d3 = open_dev("vfio3");
    uint32_t dev3, h;
    struct {
        uint64_t ste[2];
        uint64_t tail;
    } d = { { STE_S1, 0 }, 0 };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(bind_dev(d3, n.ifd, &dev3), 0);
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu,
                         IOMMU_HWPT_ALLOC_NEST_PARENT,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 16, &h), EOPNOTSUPP);
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0,
                         IOMMU_HWPT_DATA_VTD_S1, &d, 16, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 8, &h), EINVAL);
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0, 0, NULL, 0, &h),
              EOPNOTSUPP);
    /* a fault queue id is allowed, but none exists in the model */
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, IOMMU_HWPT_FAULT_ID_VALID,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 16, &h), ENOENT);
    d.tail = 1;
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 24, &h), E2BIG);
    d.tail = 0;
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 24, &h), 0);
    CHECK_ERR(destroy(n.ifd, h), 0);
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.viommu, 0,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, (void *)8, 16, &h),
              EFAULT);
    /* the device must be behind the vIOMMU's SMMU */
    CHECK_ERR(nested_alloc(n.ifd, dev3, n.viommu, STE_S1, 0, &h), EINVAL);
    /* arm-smmu-v3 nests only through a vIOMMU */
    CHECK_ERR(hwpt_alloc(n.ifd, n.devid, n.s2, 0,
                         IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 16, &h), EOPNOTSUPP);
    return true;
}

/* ---- attach of nested HWPTs ---- */

static bool t_attach_s1_needs_vdevice(void)
{
    Nest n;
    uint32_t s1, abrt, byp;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_S1, 0, &s1), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_ABORT, 0, &abrt), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_BYPASS, 0, &byp), 0);
    /* iommufd_viommu_get_vdev_id() fails with ENOENT */
    CHECK_ERR(attach(n.dfd, s1, NULL), ENOENT);
    /* abort and bypass are allowed without (the GBPA case) */
    CHECK_ERR(attach(n.dfd, abrt, NULL), 0);
    CHECK_ERR(attach(n.dfd, byp, NULL), 0);
    CHECK_ERR(attach(n.dfd, s1, NULL), ENOENT);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, NULL), 0);
    CHECK_ERR(attach(n.dfd, s1, NULL), 0);
    return true;
}

static bool t_attach_nested_foreign_viommu(void)
{
    Nest n;
    int d3 = open_dev("vfio3");
    uint32_t h;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(bind_dev(d3, n.ifd, NULL), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_ABORT, 0, &h), 0);
    CHECK_ERR(attach(d3, h, NULL), EINVAL);
    return true;
}

static bool t_group_nested_needs_all_vdevices(void)
{
    Nest n;
    int d2 = open_dev("vfio2");
    uint32_t dev2, s1;

    if (!nest_setup(&n, "vfio1")) {
        return false;
    }
    CHECK_ERR(bind_dev(d2, n.ifd, &dev2), 0);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x20, NULL), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_S1, 0, &s1), 0);
    /* the domain goes to the whole group: vfio2 has no vSID yet */
    CHECK_ERR(attach(n.dfd, s1, NULL), ENOENT);
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, dev2, 0x21, NULL), 0);
    CHECK_ERR(attach(n.dfd, s1, NULL), 0);
    CHECK_ERR(attach(d2, s1, NULL), 0);
    return true;
}

static bool t_ste_and_ats(void)
{
    Nest n, a;
    uint32_t s1, s1ats, byp;
    uint64_t ste[4];
    int ats = -1;

    if (!nest_setup(&n, "vfio0") || !nest_setup(&a, "vfio4")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, NULL), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_S1, STE1_EATS(1),
                           &s1), 0);
    CHECK_ERR(attach(n.dfd, s1, NULL), 0);
    CHECK_ERR(hm_client_get_ste(cl, "vfio0", ste, &ats), 0);
    /* nested config, guest S1 fields kept, MEV forced, VMID of the S2 */
    CHECK(((ste[0] >> 1) & 7) == 7);
    CHECK((ste[0] & 0xffffffffffc0ULL) == (STE_S1 & 0xffffffffffc0ULL));
    CHECK(ste[1] & (1ULL << 19));
    CHECK(ste[2] != 0);
    CHECK(ats == 0);    /* grace profile: no ATS */

    CHECK_ERR(vdev_alloc(a.ifd, a.viommu, a.devid, 0x40, NULL), 0);
    CHECK_ERR(nested_alloc(a.ifd, a.devid, a.viommu, STE_S1, STE1_EATS(1),
                           &s1ats), 0);
    CHECK_ERR(attach(a.dfd, s1ats, NULL), 0);
    CHECK_ERR(hm_client_get_ste(cl, "vfio4", ste, &ats), 0);
    CHECK(ats == 1 && ((ste[1] >> 28) & 3) == 1);
    CHECK_ERR(nested_alloc(a.ifd, a.devid, a.viommu, STE_BYPASS, 0, &byp), 0);
    CHECK_ERR(attach(a.dfd, byp, NULL), 0);
    CHECK_ERR(hm_client_get_ste(cl, "vfio4", ste, &ats), 0);
    CHECK(ats == 0 && ((ste[0] >> 1) & 7) == 6);
    return true;
}

/* ---- IOMMU_GET_HW_INFO ---- */

static bool t_hw_info(void)
{
    static const uint32_t grace[8] = {
        0x080f72bb, 0x0e739d14, 0, 0x00003734, 0, 0x00800475, 0x0000036b, 2,
    };
    int ifd = open_iommufd(), dfd = open_dev("vfio0"), d4 = open_dev("vfio4");
    int d6 = open_dev("vfio6");
    struct iommu_hw_info_arm_smmuv3 data;
    uint8_t big[64];
    uint32_t devid, dev4, dev6;
    struct iommu_hw_info h = {
        .size = sizeof(h), .data_len = sizeof(data),
        .data_uptr = (uintptr_t)&data,
    };

    CHECK_ERR(bind_dev(dfd, ifd, &devid), 0);
    CHECK_ERR(bind_dev(d4, ifd, &dev4), 0);
    CHECK_ERR(bind_dev(d6, ifd, &dev6), 0);
    h.dev_id = devid;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    CHECK(h.out_data_type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
    CHECK(h.data_len == sizeof(data));
    CHECK(!memcmp(data.idr, grace, 6 * 4) && data.iidr == grace[6] &&
          data.aidr == grace[7] && data.flags == 0);
    CHECK(h.out_capabilities == IOMMU_HW_CAP_DIRTY_TRACKING);
    CHECK(h.out_max_pasid_log2 == 0);
    /* short buffer: only data_len bytes, the full length reported */
    memset(big, 0xaa, sizeof(big));
    h.data_len = 8;
    h.data_uptr = (uintptr_t)big;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    CHECK(h.data_len == 40 && big[8] == 0xaa && big[0] == 0);
    /* long buffer: the tail is zeroed */
    memset(big, 0xaa, sizeof(big));
    h.data_len = sizeof(big);
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    CHECK(h.data_len == 40 && big[40] == 0 && big[63] == 0);
    /* PASID width: min(device, SSIDSIZE) */
    h.dev_id = dev4;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    CHECK(h.out_max_pasid_log2 == 16);
    h.dev_id = dev6;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    CHECK(h.out_capabilities == 0);
    /* flags and types */
    h.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
    h.in_data_type = IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), EOPNOTSUPP);
    h.in_data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), 0);
    h.flags = 2;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), EOPNOTSUPP);
    h.flags = 0;
    h.__reserved[1] = 1;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), EOPNOTSUPP);
    h.__reserved[1] = 0;
    h.dev_id = 99;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &h), ENOENT);
    return true;
}

/* ---- invalidation ---- */

static bool check_host_cmds(const char *smmu, uint64_t (*want)[2], long n)
{
    uint64_t got[64][2];
    long total = hm_client_get_cmds(cl, smmu, got, 64);

    if (total != n) {
        printf("# %s: host got %ld commands, expected %ld\n", smmu, total, n);
        return false;
    }
    for (long i = 0; i < n; i++) {
        if (got[i][0] != want[i][0] || got[i][1] != want[i][1]) {
            printf("# %s cmd %ld: %016llx:%016llx, expected %016llx:%016llx\n",
                   smmu, i, (unsigned long long)got[i][0],
                   (unsigned long long)got[i][1],
                   (unsigned long long)want[i][0],
                   (unsigned long long)want[i][1]);
            return false;
        }
    }
    return true;
}

#define SYNC { 0x46 | (2ULL << 12), 0 }
#define VMID(v) ((uint64_t)(v) << 32)

static bool t_inv_tlbi_vmid(void)
{
    Nest n;
    uint32_t done;
    uint64_t vmid;
    uint64_t cmds[5][2] = {
        { 0x10 | VMID(0xdead), 0x1 },
        { 0x11 | VMID(0xbeef) | (0x55ULL << 48), 0 },
        { 0x12 | (0x55ULL << 48), 0x7000 },
        { 0x13 | VMID(0xffff), 0x9000 },
        { 0x30 | VMID(0x1234), 0xffff },
    };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu0"), 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 5, &done), 0);
    CHECK(done == 5);
    vmid = 1;   /* the first S2 domain of smmu0 */
    {
        uint64_t want[6][2] = {
            { 0x10 | VMID(vmid), 0x1 },
            { 0x11 | VMID(vmid) | (0x55ULL << 48), 0 },
            { 0x12 | VMID(vmid) | (0x55ULL << 48), 0x7000 },
            { 0x13 | VMID(vmid), 0x9000 },
            { 0x10 | VMID(vmid), 0 },   /* NSNH_ALL becomes NH_ALL */
            SYNC,
        };
        CHECK(check_host_cmds("smmu0", want, 6));
    }
    return true;
}

static bool t_inv_sid_translation(void)
{
    Nest n;
    uint32_t done;
    uint64_t cmds[3][2] = {
        { 0x05 | (0x10ULL << 32) | (7 << 12), 1 },
        { 0x06 | (0x10ULL << 32), 0 },
        { 0x40 | (0x10ULL << 32), 0x12345000 | 52 },
    };
    uint64_t want[4][2] = {
        { 0x05 | (0x100ULL << 32) | (7 << 12), 1 },
        { 0x06 | (0x100ULL << 32), 0 },
        { 0x40 | (0x100ULL << 32), 0x12345000 | 52 },
        SYNC,
    };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, NULL), 0);
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu0"), 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 3, &done), 0);
    CHECK(done == 3);
    CHECK(check_host_cmds("smmu0", want, 4));
    /* an unknown vSID is EIO */
    cmds[1][0] = 0x06 | (0x99ULL << 32);
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu0"), 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 3, &done), EIO);
    CHECK(done == 1);
    CHECK(hm_client_get_cmds(cl, "smmu0", NULL, 0) == 0);
    return true;
}

static bool t_inv_rejected_opcodes(void)
{
    static const uint8_t ok_ops[] = {
        0x05, 0x06, 0x10, 0x11, 0x12, 0x13, 0x30, 0x40,
    };
    Nest n;
    unsigned rejected = 0;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0, NULL), 0);
    for (unsigned op = 0; op < 256; op++) {
        uint64_t cmd[1][2] = { { op, 0 } };
        bool accepted = memchr(ok_ops, op, sizeof(ok_ops)) != NULL;
        uint32_t done = 99;
        int rc = inv_cmds(n.ifd, n.viommu, cmd, 1, &done);

        if (rc != (accepted ? 0 : EIO) || done != (accepted ? 1 : 0)) {
            printf("# opcode 0x%02x: errno %d done %u\n", op, rc, done);
            return false;
        }
        rejected += !accepted;
    }
    CHECK(rejected == 248);
    return true;
}

static bool t_inv_entry_num_zero(void)
{
    Nest n;
    uint32_t done = 5;
    uint64_t cmd[1][2] = { { 0x10, 0 } };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    /*
     * arm_vsmmu_cache_invalidate() copies with a full-array helper that
     * rejects an empty array: EINVAL, whatever the data type
     */
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, NULL, 0, &done), EINVAL);
    CHECK(done == 0);
    CHECK_ERR(invalidate(n.ifd, n.viommu, NULL, 7, 0, 0, &done), EINVAL);
    /* entry_num without a pointer or a length */
    CHECK_ERR(invalidate(n.ifd, n.viommu, NULL,
                         IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, 1,
                         &done), EINVAL);
    CHECK_ERR(invalidate(n.ifd, n.viommu, cmd,
                         IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 0, 1,
                         &done), EINVAL);
    CHECK_ERR(invalidate(n.ifd, n.viommu, cmd,
                         IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 16, 1, &done),
              EINVAL);
    return true;
}

static bool t_inv_entry_len(void)
{
    Nest n;
    uint32_t done;
    uint64_t small[2] = { 0x10 | VMID(0x77), 0x30 };
    uint64_t large[2][3] = {
        { 0x10, 0x5, 0 },
        { 0x11, 0, 0 },
    };
    uint64_t want[3][2] = {
        { 0x10 | VMID(1), 0 },
        { 0x10 | VMID(1), 0 },
        SYNC,
    };
    uint64_t want2[3][2] = {
        { 0x10 | VMID(1), 0x5 },
        { 0x11 | VMID(1), 0 },
        SYNC,
    };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    /* shorter entries are zero-extended: the second word reads as 0 */
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu0"), 0);
    CHECK_ERR(invalidate(n.ifd, n.viommu, small,
                         IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 8, 2,
                         &done), 0);
    CHECK(done == 2 && check_host_cmds("smmu0", want, 3));
    /* longer entries must be zero past 16 bytes */
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu0"), 0);
    CHECK_ERR(invalidate(n.ifd, n.viommu, large,
                         IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 24, 2,
                         &done), 0);
    CHECK(done == 2 && check_host_cmds("smmu0", want2, 3));
    large[1][2] = 1;
    CHECK_ERR(invalidate(n.ifd, n.viommu, large,
                         IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 24, 2,
                         &done), E2BIG);
    CHECK(done == 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, (void *)16, 2, &done), EFAULT);
    return true;
}

static bool t_inv_batches(void)
{
    Nest n;
    uint64_t cmds[10][2], got[32][2];
    uint32_t done;
    long total;

    if (!nest_setup(&n, "vfio7")) {
        return false;
    }
    for (int i = 0; i < 10; i++) {
        cmds[i][0] = 0x12;
        cmds[i][1] = 0x1000ULL * i;
    }
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu5"), 0);
    /* cmdq_batch = 4 on smmu5: batches of 3 commands, each + CMD_SYNC */
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 10, &done), 0);
    CHECK(done == 10);
    total = hm_client_get_cmds(cl, "smmu5", got, 32);
    CHECK(total == 14);
    for (int i = 0, c = 0; i < 14; i++) {
        bool sync = (i % 4) == 3 || i == 13;

        CHECK(((got[i][0] & 0xff) == 0x46) == sync);
        if (!sync) {
            CHECK(got[i][1] == 0x1000ULL * c);
            c++;
        }
    }
    return true;
}

static bool t_inv_entry_num_bad_cmd(void)
{
    Nest n;
    uint64_t cmds[7][2];
    uint32_t done;

    if (!nest_setup(&n, "vfio7")) {
        return false;
    }
    for (int i = 0; i < 7; i++) {
        cmds[i][0] = 0x12;
        cmds[i][1] = 0x1000ULL * i;
    }
    cmds[5][0] = 0x46;  /* CMD_SYNC is not accepted */
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu5"), 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 7, &done), EIO);
    /* 0..2 issued, 3 and 4 converted but never issued, still counted */
    CHECK(done == 5);
    CHECK(hm_client_get_cmds(cl, "smmu5", NULL, 0) == 4);
    return true;
}

static bool t_inv_entry_num_failed_sync(void)
{
    Nest n;
    uint64_t cmds[7][2];
    uint32_t done;

    if (!nest_setup(&n, "vfio7")) {
        return false;
    }
    for (int i = 0; i < 7; i++) {
        cmds[i][0] = 0x11;
        cmds[i][1] = 0;
    }
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu5"), 0);
    CHECK_ERR(hm_client_fail_sync(cl, "smmu5", 2, 0), 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 7, &done), ETIMEDOUT);
    /* the failed batch 3..5 is counted up to its last command but one */
    CHECK(done == 5);
    /* both batches reached the queue */
    CHECK(hm_client_get_cmds(cl, "smmu5", NULL, 0) == 8);
    return true;
}

static bool t_inv_targets(void)
{
    Nest n;
    uint32_t nested, done;
    uint64_t cmd[1][2] = { { 0x10, 0 } };
    struct iommu_hwpt_invalidate inv = {
        .size = sizeof(inv), .hwpt_id = 0, .data_uptr = (uintptr_t)cmd,
        .data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
        .entry_len = 16, .entry_num = 1, .__reserved = 1,
    };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    inv.hwpt_id = n.viommu;
    CHECK_ERR(io(n.ifd, IOMMU_HWPT_INVALIDATE, &inv), EOPNOTSUPP);
    CHECK(inv.entry_num == 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_ABORT, 0, &nested),
              0);
    CHECK_ERR(inv_cmds(n.ifd, nested, cmd, 1, &done), EOPNOTSUPP);
    CHECK_ERR(inv_cmds(n.ifd, n.ioas, cmd, 1, &done), EINVAL);
    CHECK_ERR(inv_cmds(n.ifd, n.s2, cmd, 1, &done), EINVAL);
    CHECK_ERR(inv_cmds(n.ifd, 99, cmd, 1, &done), ENOENT);
    return true;
}

/* ---- vEVENTQ ---- */

typedef struct Rec {
    struct iommufd_vevent_header hdr;
    struct iommu_vevent_arm_smmuv3 evt;
} Rec;

/* A nest with an attached S1 nested HWPT, vSID 0x42, and a vEVENTQ */
static bool evt_setup(Nest *n, uint32_t depth, uint32_t *qid, int *qfd)
{
    uint32_t s1;

    if (!nest_setup(n, "vfio0")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n->ifd, n->viommu, n->devid, 0x42, NULL), 0);
    CHECK_ERR(nested_alloc(n->ifd, n->devid, n->viommu, STE_S1, 0, &s1), 0);
    CHECK_ERR(attach(n->dfd, s1, NULL), 0);
    CHECK_ERR(veventq_alloc(n->ifd, n->viommu, depth, qid, qfd), 0);
    return true;
}

static bool readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static bool t_veventq_alloc_rules(void)
{
    Nest n;
    uint32_t id;
    int fd;
    struct iommu_veventq_alloc q = {
        .size = sizeof(q), .type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
        .veventq_depth = 1,
    };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    q.viommu_id = n.viommu;
    q.veventq_depth = 0;
    CHECK_ERR(io(n.ifd, IOMMU_VEVENTQ_ALLOC, &q), EINVAL);
    q.veventq_depth = 1;
    q.type = IOMMU_VEVENTQ_TYPE_DEFAULT;
    CHECK_ERR(io(n.ifd, IOMMU_VEVENTQ_ALLOC, &q), EOPNOTSUPP);
    q.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
    q.flags = 1;
    CHECK_ERR(io(n.ifd, IOMMU_VEVENTQ_ALLOC, &q), EOPNOTSUPP);
    q.flags = 0;
    q.viommu_id = 99;
    CHECK_ERR(io(n.ifd, IOMMU_VEVENTQ_ALLOC, &q), ENOENT);
    CHECK_ERR(veventq_alloc(n.ifd, n.viommu, 8, &id, &fd), 0);
    /* one per type per vIOMMU */
    q.viommu_id = n.viommu;
    CHECK_ERR(io(n.ifd, IOMMU_VEVENTQ_ALLOC, &q), EEXIST);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    {
        char b[8];

        CHECK(pread(fd, b, 8, 0) < 0 && errno == ESPIPE);
        CHECK(write(fd, b, 8) < 0 && errno == EINVAL);
    }
    return true;
}

static bool t_veventq_forward(void)
{
    Nest n;
    uint32_t qid, seq = 99;
    int qfd;
    Rec r;
    uint64_t evt[4] = { 0x10 | (0x999ULL << 32), 0x1234, 0xabc000, 0x5000 };

    if (!evt_setup(&n, 8, &qid, &qfd)) {
        return false;
    }
    CHECK(!readable(qfd));
    CHECK(read(qfd, &r, sizeof(r)) == 0);
    CHECK_ERR(hm_client_inject_event(cl, "vfio0", evt, &seq), 0);
    CHECK(seq == 0);
    CHECK(readable(qfd));
    CHECK(read(qfd, &r, sizeof(r)) == sizeof(r));
    CHECK(r.hdr.flags == 0 && r.hdr.sequence == 0);
    /* the SID field carries the vSID */
    CHECK(r.evt.evt[0] == (0x10 | (0x42ULL << 32)));
    CHECK(r.evt.evt[1] == 0x1234 && r.evt.evt[2] == 0xabc000 &&
          r.evt.evt[3] == 0x5000);
    CHECK(!readable(qfd));
    return true;
}

static bool t_veventq_not_forwarded(void)
{
    Nest n;
    uint32_t qid, abrt;
    int qfd;
    uint64_t evt[4] = { 0x10, 0, 0, 0 };

    if (!evt_setup(&n, 64, &qid, &qfd)) {
        return false;
    }
    evt[0] = 0x01;      /* F_UUT: not a forwarded type */
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == -1);
    evt[0] = 0x10;
    evt[1] = 1ULL << 31;    /* stall */
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == -1);
    evt[1] = 1ULL << 39;    /* stage 2 */
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == -1);
    evt[1] = 0;
    for (unsigned id = 0; id < 256; id++) {
        bool fwd = id == 0x04 || id == 0x06 || id == 0x08 || id == 0x0a ||
                   (id >= 0x10 && id <= 0x13);
        uint64_t e[4] = { id, 0, 0, 0 };
        int rc = hm_client_inject_event(cl, "vfio0", e, NULL);

        if (rc != (fwd ? 0 : -1)) {
            printf("# event 0x%02x: %d\n", id, rc);
            return false;
        }
    }
    /* no vDEVICE at attach time: no vmaster, nothing forwarded */
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_ABORT, 0, &abrt), 0);
    CHECK_ERR(attach(n.dfd, abrt, NULL), 0);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == 0);
    {
        int d1 = open_dev("vfio1");
        uint32_t dev1, a1;

        CHECK_ERR(bind_dev(d1, n.ifd, &dev1), 0);
        CHECK_ERR(nested_alloc(n.ifd, dev1, n.viommu, STE_ABORT, 0, &a1), 0);
        CHECK_ERR(attach(d1, a1, NULL), 0);
        CHECK(hm_client_inject_event(cl, "vfio1", evt, NULL) == -1);
        CHECK(strstr(hm_client_last_reply(cl), "no-vmaster"));
    }
    return true;
}

static bool t_veventq_partial_reads(void)
{
    Nest n;
    uint32_t qid;
    int qfd;
    uint8_t buf[128];
    uint64_t evt[4] = { 0x12, 0, 0, 0 };

    if (!evt_setup(&n, 8, &qid, &qfd)) {
        return false;
    }
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == 0);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == 0);
    /* a buffer smaller than a record reads nothing (0, not an error) */
    CHECK(read(qfd, buf, 8) == 0);
    CHECK(read(qfd, buf, 39) == 0);
    /* whole records only */
    CHECK(read(qfd, buf, 45) == 40);
    CHECK(read(qfd, buf, sizeof(buf)) == 40);
    CHECK(((struct iommufd_vevent_header *)buf)->sequence == 1);
    CHECK(read(qfd, buf, sizeof(buf)) == 0);
    CHECK(read(qfd, bad_ptr(), 40) == 0);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == 0);
    CHECK(read(qfd, bad_ptr(), 40) < 0 && errno == EFAULT);
    return true;
}

static bool t_veventq_overflow(void)
{
    Nest n;
    uint32_t qid, seq;
    int qfd;
    uint8_t buf[256];
    struct iommufd_vevent_header *h;
    uint64_t evt[4] = { 0x10, 0, 0, 0 };

    if (!evt_setup(&n, 2, &qid, &qfd)) {
        return false;
    }
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 && seq == 0);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 && seq == 1);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 1 && seq == 2);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 1 && seq == 3);
    /* two records and one header-only LOST_EVENTS record, sequence 3 */
    CHECK(read(qfd, buf, sizeof(buf)) == 40 + 40 + 8);
    h = (struct iommufd_vevent_header *)(buf + 80);
    CHECK(h->flags == IOMMU_VEVENTQ_FLAG_LOST_EVENTS && h->sequence == 3);
    CHECK(((struct iommufd_vevent_header *)buf)->sequence == 0);
    CHECK(!readable(qfd));
    /* the next event continues the sequence */
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 && seq == 4);
    CHECK(read(qfd, buf, sizeof(buf)) == 40);
    /* the lost header alone fits in 8 bytes; a newer event replaces it */
    {
        unsigned injected = 0;

        CHECK_ERR(hm_client_overflow(cl, "vfio0", &injected), 0);
        CHECK(injected == 3);
        CHECK(read(qfd, buf, 40) == 40);
        CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0);
        CHECK(read(qfd, buf, sizeof(buf)) == 80);
        h = (struct iommufd_vevent_header *)(buf + 40);
        CHECK(h->flags == 0 && h->sequence == 8);
    }
    return true;
}

static bool t_veventq_wrap(void)
{
    Nest n;
    uint32_t qid, seq;
    int qfd;
    Rec r[3];
    uint64_t evt[4] = { 0x13, 0, 0, 0 };

    if (!evt_setup(&n, 8, &qid, &qfd)) {
        return false;
    }
    CHECK_ERR(hm_client_command(cl, "veventq-seq vfio0 2147483646"), 0);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 &&
          seq == INT_MAX - 1);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 &&
          seq == INT_MAX);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 && seq == 0);
    CHECK(read(qfd, r, sizeof(r)) == sizeof(r));
    CHECK(r[0].hdr.sequence == INT_MAX - 1 && r[1].hdr.sequence == INT_MAX &&
          r[2].hdr.sequence == 0);
    return true;
}

/* ---- VFIO device ---- */

static bool t_vfio_info(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    struct vfio_device_info info = { .argsz = sizeof(info) };
    struct vfio_region_info ri = { .argsz = sizeof(ri) };
    struct vfio_irq_info ii = { .argsz = sizeof(ii) };
    static const struct {
        uint32_t count, flags;
    } irqs[5] = {
        { 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
             VFIO_IRQ_INFO_AUTOMASKED },
        { 4, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE },
        { 8, VFIO_IRQ_INFO_EVENTFD },
        { 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE },
        { 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE },
    };

    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_INFO, &info), 0);
    CHECK(info.flags == (VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET));
    CHECK(info.num_regions == 9 && info.num_irqs == 5);
    info.argsz = 8;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_INFO, &info), EINVAL);
    ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
    CHECK(ri.size == 4096 && ri.offset == 7ULL << 40 &&
          ri.flags == (VFIO_REGION_INFO_FLAG_READ |
                       VFIO_REGION_INFO_FLAG_WRITE));
    ri.index = VFIO_PCI_BAR0_REGION_INDEX;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
    CHECK(ri.size == 0x4000 && !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP));
    ri.index = VFIO_PCI_BAR1_REGION_INDEX;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
    CHECK(ri.size == 0);
    ri.index = VFIO_PCI_ROM_REGION_INDEX;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
    CHECK(ri.size == 0);
    ri.index = VFIO_PCI_VGA_REGION_INDEX;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL);
    for (unsigned i = 0; i < 5; i++) {
        ii.index = i;
        CHECK_ERR(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii), 0);
        CHECK(ii.count == irqs[i].count && ii.flags == irqs[i].flags);
    }
    ii.index = 5;
    CHECK_ERR(io(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
    CHECK_ERR(io(dfd, _IO(VFIO_TYPE, VFIO_BASE + 30), &ii), ENOTTY);
    return true;
}

static uint32_t cfg_read(int dfd, unsigned off, unsigned size)
{
    uint32_t v = 0;

    if (pread(dfd, &v, size, (7ULL << 40) + off) != (ssize_t)size) {
        return 0xdeadbeef;
    }
    return v;
}

static bool t_vfio_config_space(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    uint32_t all = 0xffffffff;
    uint8_t pos;
    unsigned caps[3], n = 0;

    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    CHECK(cfg_read(dfd, 0, 4) == 0x00051b36);
    CHECK(cfg_read(dfd, 0x06, 2) & 0x10);
    for (pos = cfg_read(dfd, 0x34, 1); pos && n < 3;
         pos = cfg_read(dfd, pos + 1, 1)) {
        caps[n++] = cfg_read(dfd, pos, 1);
    }
    CHECK(n == 3 && caps[0] == 0x10 && caps[1] == 0x05 && caps[2] == 0x11);
    /* BAR sizing */
    CHECK(pwrite(dfd, &all, 4, (7ULL << 40) + 0x10) == 4);
    CHECK(cfg_read(dfd, 0x10, 4) == (0xffffc000 | 0x4));
    /* read-only bits stay */
    CHECK(pwrite(dfd, &all, 4, (7ULL << 40) + 0x00) == 4);
    CHECK(cfg_read(dfd, 0, 4) == 0x00051b36);
    CHECK(pread(dfd, &all, 4, (7ULL << 40) + 4096) < 0 && errno == EINVAL);
    return true;
}

static bool t_vfio_bar_and_reset(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    uint32_t v = 0x1234, cmd = 0x2;
    const uint64_t bar = 0;

    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    /* memory decode off: vfio-pci refuses MMIO */
    CHECK(pread(dfd, &v, 4, bar) < 0 && errno == EIO);
    CHECK(pwrite(dfd, &cmd, 2, (7ULL << 40) + 4) == 2);
    CHECK(pread(dfd, &v, 4, bar) == 4 && v == 0x686d6f64);
    CHECK(pread(dfd, &v, 4, bar + 0x14) == 4 && v == 0x100);
    v = 0xcafe;
    CHECK(pwrite(dfd, &v, 4, bar + 8) == 4);
    CHECK(pread(dfd, &v, 4, bar + 8) == 4 && v == 0xcafe);
    CHECK(pread(dfd, &v, 4, bar + 0x10) == 4);
    {
        uint32_t resets = v;

        CHECK_ERR(io(dfd, VFIO_DEVICE_RESET, NULL), 0);
        CHECK(pwrite(dfd, &cmd, 2, (7ULL << 40) + 4) == 2);
        CHECK(pread(dfd, &v, 4, bar + 0x10) == 4 && v == resets + 1);
        CHECK(pread(dfd, &v, 4, bar + 8) == 4 && v == 0);
    }
    return true;
}

static int set_irqs(int dfd, uint32_t flags, uint32_t index, uint32_t start,
                    uint32_t count, const int32_t *fds)
{
    struct {
        struct vfio_irq_set s;
        int32_t fds[8];
    } a = {
        .s = {
            .argsz = sizeof(a.s) + count * 4, .flags = flags,
            .index = index, .start = start, .count = count,
        },
    };

    if (fds) {
        memcpy(a.fds, fds, count * 4);
    }
    return io(dfd, VFIO_DEVICE_SET_IRQS, &a);
}

static uint64_t efd_count(int fd)
{
    uint64_t v = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };

    if (poll(&p, 1, 0) == 1 && read(fd, &v, 8) != 8) {
        return ~0ULL;
    }
    return v;
}

static bool t_vfio_irqs(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    int e0 = track(eventfd(0, EFD_CLOEXEC)), e1 = track(eventfd(0, 0));
    int p[2];
    int32_t fds[2] = { e0, e1 }, bad[1] = { 999 }, notev[1];
    const uint32_t trig = VFIO_IRQ_SET_DATA_EVENTFD |
                          VFIO_IRQ_SET_ACTION_TRIGGER;
    uint32_t cmd = 0x2, vec = 1;

    CHECK(pipe(p) == 0);
    track(p[0]);
    track(p[1]);
    notev[0] = ifd;
    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    /* INTx, automasked */
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, fds), 0);
    CHECK_ERR(hm_client_signal(cl, "intx", "vfio0", 0), 0);
    CHECK(efd_count(e0) == 1);
    CHECK_ERR(hm_client_signal(cl, "intx", "vfio0", 0), 0);
    CHECK(efd_count(e0) == 0);
    CHECK_ERR(set_irqs(dfd, VFIO_IRQ_SET_DATA_NONE |
                       VFIO_IRQ_SET_ACTION_UNMASK,
                       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL), 0);
    CHECK(efd_count(e0) == 1);
    /* one interrupt type at a time */
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds),
              EINVAL);
    CHECK_ERR(set_irqs(dfd, VFIO_IRQ_SET_DATA_NONE |
                       VFIO_IRQ_SET_ACTION_TRIGGER,
                       VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL), 0);
    /* MSI-X */
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, bad), EBADF);
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, notev),
              EINVAL);
    notev[0] = p[0];
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, notev),
              EINVAL);
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds), 0);
    CHECK_ERR(hm_client_signal_msi(cl, "vfio0", 1), 0);
    CHECK(efd_count(e1) == 1 && efd_count(e0) == 0);
    CHECK(hm_client_signal_msi(cl, "vfio0", 5) == -1);
    /* the BAR0 doorbell raises a vector too */
    CHECK(pwrite(dfd, &cmd, 2, (7ULL << 40) + 4) == 2);
    vec = 0;
    CHECK(pwrite(dfd, &vec, 4, 0x0c) == 4);
    CHECK(efd_count(e0) == 1);
    CHECK_ERR(set_irqs(dfd, VFIO_IRQ_SET_DATA_NONE |
                       VFIO_IRQ_SET_ACTION_MASK,
                       VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL), ENOTTY);
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_MSIX_IRQ_INDEX, 7, 2, fds),
              EINVAL);
    CHECK_ERR(set_irqs(dfd, trig | 0x100, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, fds),
              EINVAL);
    /* the device keeps its own reference on the eventfd */
    untrack_close(e1);
    CHECK_ERR(hm_client_signal_msi(cl, "vfio0", 1), 0);
    /* ERR and REQ */
    CHECK_ERR(set_irqs(dfd, trig, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, fds), 0);
    CHECK_ERR(hm_client_signal(cl, "err", "vfio0", 0), 0);
    CHECK(efd_count(e0) == 1);
    return true;
}

static bool t_vfio_feature(void)
{
    int ifd = open_iommufd(), dfd = open_dev("vfio0");
    struct vfio_device_feature f = { .argsz = sizeof(f) };

    CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
    f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), ENOTTY);
    f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), ENOTTY);
    f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET |
              VFIO_DEVICE_FEATURE_MIGRATION;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), EINVAL);
    f.flags = 1u << 20;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), EINVAL);
    f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
              VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), 0);
    f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), EINVAL);
    f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), ENOTTY);
    f.argsz = 4;
    CHECK_ERR(io(dfd, VFIO_DEVICE_FEATURE, &f), EINVAL);
    return true;
}

static bool t_vfio_hot_reset(void)
{
    int ifd = open_iommufd(), d1 = open_dev("vfio1"), d2 = open_dev("vfio2");
    struct {
        struct vfio_pci_hot_reset_info h;
        struct vfio_pci_dependent_device dev[4];
    } info = { .h = { .argsz = sizeof(info.h) } };
    struct vfio_pci_hot_reset rst = { .argsz = sizeof(rst) };
    uint32_t dev1;

    CHECK_ERR(bind_dev(d1, ifd, &dev1), 0);
    CHECK_ERR(io(d1, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info), ENOSPC);
    CHECK(info.h.count == 2);
    info.h.argsz = sizeof(info);
    CHECK_ERR(io(d1, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info), 0);
    CHECK(info.h.flags == (VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
                           VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED));
    CHECK(info.dev[0].devid == dev1 &&
          info.dev[1].devid == VFIO_PCI_DEVID_OWNED);
    CHECK(info.dev[1].bus == 2 && info.dev[1].devfn == 1);
    /* vfio2 not bound to this iommufd: the bus reset is refused */
    CHECK_ERR(io(d1, VFIO_DEVICE_PCI_HOT_RESET, &rst), EPERM);
    CHECK_ERR(bind_dev(d2, ifd, NULL), 0);
    CHECK_ERR(io(d1, VFIO_DEVICE_PCI_HOT_RESET, &rst), 0);
    rst.count = 1;
    CHECK_ERR(io(d1, VFIO_DEVICE_PCI_HOT_RESET, &rst), EINVAL);
    return true;
}

/* ---- fault injection, control, log, report ---- */

static bool t_fail_nth(void)
{
    int ifd = open_iommufd();
    uint32_t a, b, c;

    CHECK_ERR(hm_client_fail_nth(cl, "IOMMU_IOAS_ALLOC", 2, EIO), 0);
    CHECK_ERR(ioas_alloc(ifd, &a), 0);
    CHECK_ERR(ioas_alloc(ifd, &b), EIO);
    CHECK_ERR(ioas_alloc(ifd, &c), 0);
    CHECK(c == a + 1);
    CHECK(hm_client_count_objects(cl, "IOAS") == 2);
    CHECK_ERR(hm_client_fail_nth(cl, "VFIO_DEVICE_GET_INFO", 1, ENOMEM), 0);
    {
        int dfd = open_dev("vfio0");
        struct vfio_device_info info = { .argsz = sizeof(info) };

        CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
        CHECK_ERR(io(dfd, VFIO_DEVICE_GET_INFO, &info), ENOMEM);
        CHECK_ERR(io(dfd, VFIO_DEVICE_GET_INFO, &info), 0);
    }
    CHECK(hm_client_fail_nth(cl, "IOMMU_IOAS_ALLOC", 0, EIO) == -1);
    return true;
}

static bool t_control_channel(void)
{
    int ifd = open_iommufd();
    uint32_t a;
    const char *r;

    CHECK_ERR(hm_client_ping(cl), 0);
    CHECK(strstr(hm_client_last_reply(cl), "hostmodel"));
    CHECK(hm_client_command(cl, "no-such-command") == -1);
    CHECK(hm_client_command(cl, "event nodev 0 0 0 0") == -1);
    CHECK_ERR(ioas_alloc(ifd, &a), 0);
    CHECK_ERR(hm_client_command(cl, "objects"), 0);
    r = hm_client_last_reply(cl);
    CHECK(!strncmp(r, "ok 1 ", 5) && strstr(r, "/IOAS/1"));
    CHECK_ERR(hm_client_command(cl, "stats"), 0);
    CHECK(strstr(hm_client_last_reply(cl), "IOMMU_IOAS_ALLOC="));
    CHECK(hm_client_count_objects(cl, "IOAS") == 1);
    CHECK(hm_client_count_objects(cl, "VIOMMU") == 0);
    return true;
}

static const char *tmpdir(void)
{
    const char *t = getenv("HOSTMODEL_TEST_TMPDIR");

    return t ? t : "/tmp";
}

/* Run this program again as a child with extra environment */
static int run_child(const char *mode, const char *const *env_add,
                     bool keep_host)
{
    char *envp[64];
    unsigned n = 0;
    pid_t pid;
    int status;

    for (char **e = environ; *e && n < 50; e++) {
        if (!strncmp(*e, "HOSTMODEL_CONTROL=", 18) ||
            !strncmp(*e, "HOSTMODEL_LOG=", 14) ||
            !strncmp(*e, "HOSTMODEL_REPORT=", 17) ||
            (!keep_host && !strncmp(*e, "HOSTMODEL_HOST=", 15))) {
            continue;
        }
        envp[n++] = *e;
    }
    for (; env_add && *env_add && n < 63; env_add++) {
        envp[n++] = (char *)*env_add;
    }
    envp[n] = NULL;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char *argv[] = { "test-hostmodel", (char *)mode, NULL };

        execve("/proc/self/exe", argv, envp);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static char *slurp(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f) {
        return NULL;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static bool t_leak_report(void)
{
    char path[512], env[600];
    const char *e[] = { env, NULL };
    char *txt;

    snprintf(path, sizeof(path), "%s/leak-report.jsonl", tmpdir());
    snprintf(env, sizeof(env), "HOSTMODEL_REPORT=%s", path);
    unlink(path);
    CHECK(run_child("child-leak", e, true) == 0);
    txt = slurp(path);
    CHECK(txt);
    /* reported at close, before the kernel frees what is left */
    CHECK(strstr(txt, "\"event\":\"close\""));
    CHECK(strstr(txt, "\"type\":\"IOAS\""));
    CHECK(strstr(txt, "\"type\":\"HWPT_PAGING\""));
    unlink(path);
    CHECK(run_child("child-noleak", e, true) == 0);
    txt = slurp(path);
    CHECK(txt && strstr(txt, "\"event\":\"close\",") &&
          strstr(txt, "\"objects\":[]") && !strstr(txt, "\"type\":"));
    return true;
}

static bool t_call_log(void)
{
    char path[512], env[600];
    const char *e[] = { env, NULL };
    char *txt;

    snprintf(path, sizeof(path), "%s/child-log.jsonl", tmpdir());
    snprintf(env, sizeof(env), "HOSTMODEL_LOG=%s", path);
    unlink(path);
    CHECK(run_child("child-noleak", e, true) == 0);
    txt = slurp(path);
    CHECK(txt);
    CHECK(strstr(txt, "\"call\":\"open\""));
    CHECK(strstr(txt, "\"call\":\"IOMMU_IOAS_ALLOC\""));
    CHECK(strstr(txt, "\"call\":\"IOMMU_DESTROY\",\"fd\":"));
    CHECK(strstr(txt, "\"errno\":\"EBUSY\""));
    CHECK(strstr(txt, "\"out\":{\"flags\":0,\"out_ioas_id\":2}"));
    for (char *l = txt; *l; l = strchr(l, '\n') + 1) {
        CHECK(l[0] == '{' && strchr(l, '\n') && strchr(l, '\n')[-1] == '}');
    }
    return true;
}

static bool t_fail_env(void)
{
    const char *e[] = { "HOSTMODEL_FAIL=IOMMU_IOAS_ALLOC:1:ENOSPC", NULL };

    CHECK(run_child("child-fail-env", e, true) == 0);
    return true;
}

static bool t_preopen(void)
{
    const char *e[] = {
        "HOSTMODEL_PREOPEN=100=/dev/vfio/devices/vfio0,101=/dev/iommu", NULL,
    };

    CHECK(run_child("child-preopen", e, true) == 0);
    return true;
}

static bool t_inert(void)
{
    char cmd[128];

    CHECK(run_child("child-inert", NULL, false) == 0);
    /* preloaded into a shell without HOSTMODEL_HOST: harmless */
    snprintf(cmd, sizeof(cmd), "exit 3");
    {
        pid_t pid = fork();
        int status;

        if (pid == 0) {
            unsetenv("HOSTMODEL_HOST");
            unsetenv("HOSTMODEL_CONTROL");
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
            _exit(127);
        }
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    }
    return true;
}

/* ---- child modes ---- */

static int child_leak(void)
{
    int ifd = open("/dev/iommu", O_RDWR), dfd;
    uint32_t ioas, devid;

    dfd = open("/dev/vfio/devices/vfio0", O_RDWR);
    if (bind_dev(dfd, ifd, &devid) || ioas_alloc(ifd, &ioas) ||
        hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, NULL)) {
        return 1;
    }
    close(dfd);
    close(ifd);
    return 0;
}

static int child_noleak(void)
{
    int ifd = open("/dev/iommu", O_RDWR);
    int dfd = open("/dev/vfio/devices/vfio0", O_RDWR);
    uint32_t ioas, devid, h;

    if (bind_dev(dfd, ifd, &devid) || ioas_alloc(ifd, &ioas) ||
        hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, &h)) {
        return 1;
    }
    if (destroy(ifd, ioas) != EBUSY || destroy(ifd, h) ||
        destroy(ifd, ioas)) {
        return 2;
    }
    close(dfd);
    close(ifd);
    return 0;
}

static int child_fail_env(void)
{
    int ifd = open("/dev/iommu", O_RDWR);
    uint32_t id;

    if (ioas_alloc(ifd, &id) != ENOSPC || ioas_alloc(ifd, &id) != 0) {
        return 1;
    }
    return 0;
}

static int child_preopen(void)
{
    struct vfio_device_info info = { .argsz = sizeof(info) };
    uint32_t devid;

    if (bind_dev(100, 101, &devid) || devid != 1) {
        return 1;
    }
    if (io(100, VFIO_DEVICE_GET_INFO, &info) ||
        !(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
        return 2;
    }
    /* not CLOEXEC: meant to be inherited */
    if (fcntl(100, F_GETFD) & FD_CLOEXEC) {
        return 3;
    }
    return 0;
}

static int child_inert(void)
{
    /* no HOSTMODEL_HOST: libc sees these paths, and none exist here */
    if (open("/dev/vfio/devices/vfio0", O_RDWR) >= 0 || errno != ENOENT) {
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "child-leak")) {
            return child_leak();
        } else if (!strcmp(argv[1], "child-noleak")) {
            return child_noleak();
        } else if (!strcmp(argv[1], "child-fail-env")) {
            return child_fail_env();
        } else if (!strcmp(argv[1], "child-preopen")) {
            return child_preopen();
        } else if (!strcmp(argv[1], "child-inert")) {
            return child_inert();
        }
        return 99;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    cl = hm_client_connect_env();
    if (!cl || hm_client_ping(cl)) {
        printf("1..0 # SKIP no HOSTMODEL_CONTROL: run with the library "
               "preloaded (make check-hostmodel)\n");
        return 1;
    }

    run("open_paths_of_configured_devices", t_open_paths);
    run("unknown_ioctl_is_enotty", t_unknown_ioctl);
    run("ioctl_size_min_and_trailing_bytes", t_ioctl_size_rules);
    run("ids_are_lowest_free", t_ids_lowest_free);
    run("dup_shares_the_file", t_dup_shares_file);
    run("closing_context_frees_objects", t_ctx_release_frees);
    run("device_needs_bind", t_device_needs_bind);
    run("bind_rules", t_bind_rules);
    run("bind_group_has_one_owner", t_bind_group_one_owner);
    run("close_device_unbinds", t_close_device_unbinds);
    run("ioas_map_unmap", t_ioas_map_unmap);
    run("iova_ranges_report_sw_msi_hole", t_iova_ranges_sw_msi);
    run("ioas_map_allocates_iova", t_ioas_map_alloc_iova);
    run("ioas_option", t_ioas_option);
    run("ioas_copy_map_file_change_process", t_ioas_copy_and_map_file);
    run("destroy_ioas_busy_with_hwpt", t_destroy_ioas_busy);
    run("hwpt_paging_rules_and_busy", t_hwpt_paging_rules);
    run("hwpt_auto_domain", t_hwpt_auto_domain);
    run("attach_paging_other_smmu_einval", t_attach_paging_other_smmu);
    run("attach_replace", t_attach_replace);
    run("group_shares_domain", t_group_shares_domain);
    run("viommu_alloc_rules_s2_busy", t_viommu_alloc_rules);
    run("viommu_refused_on_nonest", t_viommu_nonest_refused);
    run("mmu700_erratum_no_nesting", t_mmu700_erratum_no_nesting);
    run("viommu_foreign_s2_einval", t_viommu_foreign_s2);
    run("destroy_viommu_busy", t_destroy_viommu_busy);
    run("vdevice_rules", t_vdevice_rules);
    run("vdevice_goes_with_device", t_vdevice_goes_with_device);
    run("vste_v0_accepted_as_abort", t_vste_v0_accepted);
    run("vste_word0_disallowed_bits_eio", t_vste_word0_bits);
    run("vste_word1_disallowed_bits_eio", t_vste_word1_bits);
    run("vste_config_values", t_vste_config);
    run("vste_eats_values", t_vste_eats);
    run("nested_alloc_arguments", t_nested_alloc_args);
    run("attach_s1_needs_vdevice", t_attach_s1_needs_vdevice);
    run("attach_nested_foreign_viommu_einval",
        t_attach_nested_foreign_viommu);
    run("group_nested_s1_needs_all_vdevices",
        t_group_nested_needs_all_vdevices);
    run("physical_ste_and_ats", t_ste_and_ats);
    run("hw_info", t_hw_info);
    run("invalidate_tlbi_vmid", t_inv_tlbi_vmid);
    run("invalidate_sid_translation", t_inv_sid_translation);
    run("invalidate_rejected_opcodes", t_inv_rejected_opcodes);
    run("invalidate_entry_num_zero", t_inv_entry_num_zero);
    run("invalidate_entry_len", t_inv_entry_len);
    run("invalidate_batches_with_sync", t_inv_batches);
    run("invalidate_entry_num_on_bad_command", t_inv_entry_num_bad_cmd);
    run("invalidate_entry_num_on_failed_sync", t_inv_entry_num_failed_sync);
    run("invalidate_targets", t_inv_targets);
    run("veventq_alloc_rules", t_veventq_alloc_rules);
    run("veventq_forward_with_vsid", t_veventq_forward);
    run("veventq_not_forwarded", t_veventq_not_forwarded);
    run("veventq_partial_reads", t_veventq_partial_reads);
    run("veventq_overflow_lost_events", t_veventq_overflow);
    run("veventq_sequence_wraps_at_int_max", t_veventq_wrap);
    run("vfio_info", t_vfio_info);
    run("vfio_config_space", t_vfio_config_space);
    run("vfio_bar_and_reset", t_vfio_bar_and_reset);
    run("vfio_irqs", t_vfio_irqs);
    run("vfio_feature", t_vfio_feature);
    run("vfio_hot_reset", t_vfio_hot_reset);
    run("fail_nth_ioctl", t_fail_nth);
    run("control_channel", t_control_channel);
    run("leak_report_at_close", t_leak_report);
    run("call_log_json_lines", t_call_log);
    run("fail_from_environment", t_fail_env);
    run("preopen_fixed_fds", t_preopen);
    run("inert_without_host", t_inert);

    printf("1..%u\n", n_run);
    printf("hostmodel: %u passed, %u failed\n", n_run - n_failed, n_failed);
    hm_client_close(cl);
    return n_failed ? 1 : 0;
}
