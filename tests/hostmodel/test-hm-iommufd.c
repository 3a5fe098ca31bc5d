/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hm-iommufd.c and hm-main.c: files, the ioctl size rules,
 * object ids, dup() and the release of a context.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/ioctl.h>
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
