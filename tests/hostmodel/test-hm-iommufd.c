/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hm-iommufd.c and hm-main.c: files, the ioctl size rules,
 * object ids, dup() and the release of a context.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-hostmodel.h"

/* ---- basic file and ioctl behaviour ---- */

bool t_open_paths(void)
{
    int fd = open_iommufd();

    CHECK(fd >= 0);
    CHECK(open("/dev/vfio/devices/vfio99", O_RDWR) < 0 && errno == ENOENT);
    CHECK(open_dev("vfio0") >= 0);
    return true;
}

bool t_unknown_ioctl(void)
{
    int fd = open_iommufd();
    uint32_t arg[8] = { 32 };

    CHECK_ERR(io(fd, _IO(IOMMUFD_TYPE, 0xfe), arg), ENOTTY);
    CHECK_ERR(io(fd, _IO(IOMMUFD_TYPE, 0x70), arg), ENOTTY);
    /* read/write are not file operations of /dev/iommu */
    CHECK(read(fd, arg, 4) < 0 && errno == EINVAL);
    return true;
}

bool t_ioctl_size_rules(void)
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

bool t_ids_lowest_free(void)
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

bool t_dup_shares_file(void)
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

bool t_ctx_release_frees(void)
{
    int fd = open_iommufd();
    uint32_t id;

    CHECK_ERR(ioas_alloc(fd, &id), 0);
    CHECK(hm_client_count_objects(cl, "IOAS") == 1);
    untrack_close(fd);
    CHECK(hm_client_count_objects(cl, "IOAS") == 0);
    return true;
}

/*
 * [host] kernel = X.Y: the ioctls added after that release are ENOTTY, as
 * in that kernel's table.  The child reports which of three it has.
 */
int child_kernel(void)
{
    int fd = open("/dev/iommu", O_RDWR);
    struct iommu_ioas_change_process chg = { .size = sizeof(chg) };
    struct iommu_viommu_alloc va = { .size = sizeof(va) };
    struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
    int r = 0;

    if (fd < 0 || ioctl(fd, IOMMU_IOAS_ALLOC, &ia)) {
        return 99;
    }
    if (ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &chg) && errno == ENOTTY) {
        r |= 1;
    }
    /* bad arguments: an error, but ENOTTY only without the ioctl */
    if (ioctl(fd, IOMMU_VIOMMU_ALLOC, &va) && errno == ENOTTY) {
        r |= 2;
    }
    return r;
}

static int kernel_child(const char *release)
{
    char host[512], env[600];
    const char *e[] = { env, NULL };
    FILE *f;

    snprintf(host, sizeof(host), "%s/kernel-host.conf", tmpdir());
    f = fopen(host, "w");
    if (!f) {
        return -1;
    }
    if (release) {
        fprintf(f, "[host]\nkernel = %s\n", release);
    }
    fclose(f);
    snprintf(env, sizeof(env), "HOSTMODEL_HOST=%s", host);
    return run_child("child-kernel", e, false);
}

bool t_kernel_release(void)
{
    CHECK(kernel_child(NULL) == 0);
    CHECK(kernel_child("7.2") == 0);
    CHECK(kernel_child("6.14") == 0);
    CHECK(kernel_child("6.13") == 1);
    CHECK(kernel_child("6.12") == 3);
    /* not a release: the host file is refused (exit 70) */
    CHECK(kernel_child("6") == 70);
    return true;
}

/*
 * Files another process opened and passed (libvirt's way): fds 120 (the
 * VFIO device vfio1) and 121 (/dev/iommu, set to per-process accounting by
 * the opener) are adopted on their first ioctl here.
 */
int child_adopt(void)
{
    struct iommu_option opt = {
        .size = sizeof(opt), .option_id = IOMMU_OPTION_RLIMIT_MODE,
        .op = IOMMU_OPTION_OP_GET,
    };
    struct stat st;
    uint32_t devid;

    if (io(121, IOMMU_OPTION, &opt) || opt.val64 != 1) {
        return 1;
    }
    if (bind_dev(120, 121, &devid)) {
        return 2;
    }
    if (fstat(120, &st) || !S_ISCHR(st.st_mode) ||
        major(st.st_rdev) != 511 || minor(st.st_rdev) != 1) {
        return 3;
    }
    return 0;
}

int child_adopt_parent(void)
{
    struct iommu_option opt = {
        .size = sizeof(opt), .option_id = IOMMU_OPTION_RLIMIT_MODE,
        .op = IOMMU_OPTION_OP_SET, .val64 = 1,
    };
    int ifd = open("/dev/iommu", O_RDWR);
    int dfd = open("/dev/vfio/devices/vfio1", O_RDWR);

    if (ifd < 0 || dfd < 0 || io(ifd, IOMMU_OPTION, &opt)) {
        return 10;
    }
    if (dup2(dfd, 120) != 120 || dup2(ifd, 121) != 121) {
        return 11;
    }
    close(dfd);
    close(ifd);
    return run_child("child-adopt", NULL, true);
}

bool t_passed_fds_adopted(void)
{
    /* RLIMIT_MODE needs CAP_SYS_RESOURCE, which a container may not give */
    static const char *const env[] = { "HOSTMODEL_CAPS=sys_resource", NULL };

    CHECK(run_child("child-adopt-parent", env, true) == 0);
    return true;
}

/* Fork twice, as a daemon does, and use the model in the grandchild */
int child_fork_twice(void)
{
    struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
    int status;
    pid_t pid;

    alarm(10);      /* a deadlock ends as SIGALRM */
    if (open("/dev/iommu", O_RDWR) < 0) {
        return 1;
    }
    pid = fork();
    if (pid == 0) {
        alarm(10);  /* alarms are not inherited */
        pid = fork();
        if (pid == 0) {
            int fd;

            alarm(10);
            fd = open("/dev/iommu", O_RDWR);

            _exit(fd < 0 || io(fd, IOMMU_IOAS_ALLOC, &ia) ? 3 : 0);
        }
        _exit(pid < 0 || waitpid(pid, &status, 0) != pid ||
              !WIFEXITED(status) ? 4 : WEXITSTATUS(status));
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return 2;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 5;
}

bool t_fork_twice(void)
{
    CHECK(run_child("child-fork-twice", NULL, true) == 0);
    return true;
}
