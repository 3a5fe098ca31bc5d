/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hm-ioas.c: MAP, UNMAP, IOVA_RANGES, OPTION, COPY, MAP_FILE,
 * CHANGE_PROCESS, and an IOAS held by its HWPTs.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "test-hostmodel.h"

/* ---- IOAS ---- */

bool t_ioas_map_unmap(void)
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

bool t_iova_ranges_sw_msi(void)
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

bool t_ioas_map_alloc_iova(void)
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

bool t_ioas_option(void)
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

bool t_ioas_copy_and_map_file(void)
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

bool t_destroy_ioas_busy(void)
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
