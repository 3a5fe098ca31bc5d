/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hm-cmdqv.c: the Tegra241 CMDQV a VMM gets through iommufd
 * (smmu7 of hosts/test.conf: 4 VINTFs of 2 VCMDQs, 2 StreamIDs a VINTF).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "test-hostmodel.h"

#define VINTF_PAGE      0x10000
#define QUEUE_BYTES     4096        /* 256 commands: one host page */

/* A CMDQV setup: ctx, device, IOAS, S2 and a vIOMMU of the CMDQV type */
typedef struct Cmdqv {
    Nest n;
    uint64_t offset, length;
} Cmdqv;

static int cmdqv_viommu(int ifd, uint32_t dev, uint32_t s2, uint32_t len,
                        uint32_t *id, uint64_t *offset, uint64_t *length)
{
    struct iommu_viommu_tegra241_cmdqv data = { 0 };
    struct iommu_viommu_alloc va = {
        .size = sizeof(va), .dev_id = dev, .hwpt_id = s2,
        .type = IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV,
        .data_len = len, .data_uptr = (uintptr_t)&data,
    };
    int rc = io(ifd, IOMMU_VIOMMU_ALLOC, &va);

    *id = va.out_viommu_id;
    if (offset) {
        *offset = data.out_vintf_mmap_offset;
        *length = data.out_vintf_mmap_length;
    }
    return rc;
}

static bool cmdqv_setup(Cmdqv *c, const char *dev)
{
    Nest *n = &c->n;

    n->ifd = open_iommufd();
    n->dfd = open_dev(dev);
    CHECK(n->ifd >= 0 && n->dfd >= 0);
    CHECK_ERR(bind_dev(n->dfd, n->ifd, &n->devid), 0);
    CHECK_ERR(ioas_alloc(n->ifd, &n->ioas), 0);
    CHECK_ERR(hwpt_alloc(n->ifd, n->devid, n->ioas,
                         IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0, &n->s2), 0);
    CHECK_ERR(cmdqv_viommu(n->ifd, n->devid, n->s2, 16, &n->viommu,
                           &c->offset, &c->length), 0);
    return true;
}

static int hw_queue(int ifd, uint32_t viommu, uint32_t index, uint64_t iova,
                    uint64_t len, uint32_t *id)
{
    struct iommu_hw_queue_alloc q = {
        .size = sizeof(q), .viommu_id = viommu,
        .type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, .index = index,
        .nesting_parent_iova = iova, .length = len,
    };
    int rc = io(ifd, IOMMU_HW_QUEUE_ALLOC, &q);

    *id = q.out_hw_queue_id;
    return rc;
}

static int cmdqv_veventq(int ifd, uint32_t viommu, uint32_t *id, int *fd)
{
    struct iommu_veventq_alloc q = {
        .size = sizeof(q), .viommu_id = viommu,
        .type = IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, .veventq_depth = 4,
    };
    int rc = io(ifd, IOMMU_VEVENTQ_ALLOC, &q);

    if (!rc) {
        *id = q.out_veventq_id;
        *fd = track(q.out_veventq_fd);
    }
    return rc;
}

/* Guest memory for queues: two host pages, mapped at IOVA 0x100000 */
static void *queue_memory(int ifd, uint32_t ioas, uint64_t *iova)
{
    void *buf = NULL;

    if (posix_memalign(&buf, 2 * QUEUE_BYTES, 2 * QUEUE_BYTES)) {
        return NULL;
    }
    memset(buf, 0, 2 * QUEUE_BYTES);
    *iova = 0x100000;
    if (ioas_map(ifd, ioas, buf, 2 * QUEUE_BYTES, iova, true)) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Wait for the hardware thread to make reg (of a VINTF page) @want */
static bool wait_reg(volatile uint32_t *reg, uint32_t mask, uint32_t want)
{
    const struct timespec ms = { 0, 1000000 };

    for (int i = 0; i < 2000; i++) {
        if ((*reg & mask) == want) {
            return true;
        }
        nanosleep(&ms, NULL);
    }
    printf("# %s: register 0x%x, expected 0x%x under 0x%x\n", cur_test, *reg,
           want, mask);
    return false;
}

bool t_cmdqv_hw_info(void)
{
    struct iommu_hw_info_tegra241_cmdqv info;
    struct iommu_hw_info hi = {
        .size = sizeof(hi), .flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE,
        .data_len = sizeof(info), .data_uptr = (uintptr_t)&info,
        .in_data_type = IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV,
    };
    int ifd = open_iommufd(), d9 = open_dev("vfio9"), d0 = open_dev("vfio0");
    uint32_t dev9, dev0;

    CHECK_ERR(bind_dev(d9, ifd, &dev9), 0);
    CHECK_ERR(bind_dev(d0, ifd, &dev0), 0);
    memset(&info, 0xff, sizeof(info));
    hi.dev_id = dev9;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &hi), 0);
    CHECK(hi.out_data_type == IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV);
    CHECK(hi.data_len == 8);
    CHECK(info.flags == 0 && info.version == 1 && info.__reserved == 0);
    /* per VINTF: 8 VCMDQs over 4 VINTFs */
    CHECK(info.log2vcmdqs == 1 && info.log2vsids == 1);
    /* without the input flag, the plain SMMUv3 registers */
    hi.flags = 0;
    hi.data_len = sizeof(info);
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &hi), 0);
    CHECK(hi.out_data_type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
    /* an SMMU without a CMDQV */
    hi.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
    hi.in_data_type = IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV;
    hi.dev_id = dev0;
    CHECK_ERR(io(ifd, IOMMU_GET_HW_INFO, &hi), EOPNOTSUPP);
    return true;
}

bool t_cmdqv_viommu_alloc(void)
{
    Nest n;
    uint32_t v[4], plain;
    uint64_t off[4], len;

    if (!nest_setup(&n, "vfio9")) {
        return false;
    }
    CHECK_ERR(cmdqv_viommu(n.ifd, n.devid, n.s2, 0, &v[0], NULL, NULL),
              EINVAL);
    CHECK_ERR(cmdqv_viommu(n.ifd, n.devid, n.s2, 8, &v[0], NULL, NULL),
              EINVAL);
    CHECK_ERR(cmdqv_viommu(n.ifd, n.devid, n.s2, 24, &v[0], NULL, NULL),
              EINVAL);
    {
        /* the data is read before a VINTF is taken */
        struct iommu_viommu_alloc va = {
            .size = sizeof(va), .dev_id = n.devid, .hwpt_id = n.s2,
            .type = IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, .data_len = 16,
            .data_uptr = (uintptr_t)bad_ptr(),
        };
        CHECK_ERR(io(n.ifd, IOMMU_VIOMMU_ALLOC, &va), EFAULT);
    }
    /* VINTF0 is the host's: three for VMMs */
    for (int i = 0; i < 3; i++) {
        CHECK_ERR(cmdqv_viommu(n.ifd, n.devid, n.s2, 16, &v[i], &off[i],
                               &len), 0);
        CHECK(len == VINTF_PAGE);
    }
    /* the lowest free ranges from one page up */
    CHECK(off[0] == 4096 && off[1] == 4096 + VINTF_PAGE &&
          off[2] == 4096 + 2 * VINTF_PAGE);
    CHECK_ERR(cmdqv_viommu(n.ifd, n.devid, n.s2, 16, &v[3], NULL, NULL),
              ENOSPC);
    CHECK_ERR(destroy(n.ifd, v[1]), 0);
    CHECK_ERR(cmdqv_viommu(n.ifd, n.devid, n.s2, 16, &v[3], &off[3], &len),
              0);
    CHECK(off[3] == off[1]);
    /* an SMMU without a CMDQV */
    {
        Nest p;

        if (!nest_setup(&p, "vfio0")) {
            return false;
        }
        CHECK_ERR(cmdqv_viommu(p.ifd, p.devid, p.s2, 16, &plain, NULL, NULL),
                  EOPNOTSUPP);
    }
    return true;
}

bool t_cmdqv_mmap_rules(void)
{
    Cmdqv c;
    void *p;

    if (!cmdqv_setup(&c, "vfio9")) {
        return false;
    }
    errno = 0;
    p = mmap(NULL, VINTF_PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, c.n.ifd,
             c.offset);
    CHECK(p == MAP_FAILED && errno == EPERM);
    p = mmap(NULL, VINTF_PAGE, PROT_READ, MAP_PRIVATE, c.n.ifd, c.offset);
    CHECK(p == MAP_FAILED && errno == EINVAL);
    /* not shared is checked before PROT_EXEC; the offset is a page's */
    p = mmap(NULL, VINTF_PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, c.n.ifd,
             c.offset);
    CHECK(p == MAP_FAILED && errno == EINVAL);
    p = mmap(NULL, VINTF_PAGE, PROT_READ, MAP_SHARED, c.n.ifd, c.offset + 8);
    CHECK(p == MAP_FAILED && errno == EINVAL);
    p = mmap(NULL, VINTF_PAGE, PROT_READ, MAP_SHARED, c.n.ifd,
             c.offset + VINTF_PAGE);
    CHECK(p == MAP_FAILED && errno == ENXIO);
    p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, c.n.ifd, c.offset);
    CHECK(p == MAP_FAILED && errno == ENXIO);
    /* the length is rounded up to a page, MAP_SHARED_VALIDATE is shared */
    p = mmap(NULL, VINTF_PAGE - 100, PROT_READ | PROT_WRITE,
             MAP_SHARED_VALIDATE, c.n.ifd, c.offset);
    CHECK(p != MAP_FAILED);
    /*
     * The mapping holds the vIOMMU, each of its pieces too: a hole punched
     * in the middle leaves two (the kernel's VMA split), a piece unmapped
     * from either end leaves the rest
     */
    CHECK_ERR(destroy(c.n.ifd, c.n.viommu), EBUSY);
    CHECK(munmap((char *)p + 0x4000, 0x1000) == 0);
    CHECK_ERR(destroy(c.n.ifd, c.n.viommu), EBUSY);
    CHECK(munmap(p, 0x4000) == 0);
    CHECK_ERR(destroy(c.n.ifd, c.n.viommu), EBUSY);
    CHECK(munmap((char *)p + 0x5000, 0x1000) == 0);
    CHECK_ERR(destroy(c.n.ifd, c.n.viommu), EBUSY);
    CHECK(munmap((char *)p + 0x6000, VINTF_PAGE - 0x6000 - 100) == 0);
    CHECK_ERR(destroy(c.n.ifd, c.n.viommu), 0);
    return true;
}

bool t_cmdqv_hw_queue_rules(void)
{
    Cmdqv c;
    uint32_t q0, q1, q, plain;
    uint64_t iova;
    void *buf;

    if (!cmdqv_setup(&c, "vfio9")) {
        return false;
    }
    buf = queue_memory(c.n.ifd, c.n.ioas, &iova);
    CHECK(buf);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 0, iova, 0, &q), EINVAL);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 0, ~0ULL - 10, 4096, &q),
              EOVERFLOW);
    CHECK_ERR(hw_queue(c.n.ifd, 99, 0, iova, 4096, &q), ENOENT);
    /* not mapped, crossing a host page, beyond the mapping */
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 0, 0x900000, 4096, &q), ENOENT);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 0, iova + 2048, 4096, &q),
              EFAULT);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 0, iova + 4096, 8192, &q),
              ENOENT);
    /* VINTF index, size, alignment; ascending order */
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 2, iova, 4096, &q), EINVAL);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 1, iova, 4096, &q), EIO);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 0, iova, 48, &q), EINVAL);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 0, iova, 16, &q), EINVAL);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 0, iova + 32, 64, &q), EINVAL);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 0, iova, 4096, &q0), 0);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 0, iova, 4096, &q), EEXIST);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 1, iova + 4096, 4096, &q1), 0);
    /* pinned, before the partial-unmap check; freed descending */
    CHECK_ERR(ioas_unmap(c.n.ifd, c.n.ioas, iova, 2 * QUEUE_BYTES, NULL),
              EBUSY);
    CHECK_ERR(ioas_unmap(c.n.ifd, c.n.ioas, iova, QUEUE_BYTES, NULL), EBUSY);
    CHECK_ERR(destroy(c.n.ifd, q0), EBUSY);
    CHECK_ERR(destroy(c.n.ifd, c.n.viommu), EBUSY);
    CHECK_ERR(destroy(c.n.ifd, q1), 0);
    CHECK_ERR(destroy(c.n.ifd, q0), 0);
    CHECK_ERR(ioas_unmap(c.n.ifd, c.n.ioas, iova, 2 * QUEUE_BYTES, NULL), 0);
    /* a plain SMMUv3 vIOMMU has no HW queues */
    CHECK_ERR(viommu_alloc(c.n.ifd, c.n.devid, c.n.s2,
                           IOMMU_VIOMMU_TYPE_ARM_SMMUV3, &plain), 0);
    CHECK_ERR(hw_queue(c.n.ifd, plain, 0, iova, 4096, &q), EOPNOTSUPP);
    free(buf);
    return true;
}

bool t_cmdqv_vdevice_sids(void)
{
    Cmdqv c;
    int d10 = open_dev("vfio10"), d11 = open_dev("vfio11");
    uint32_t dev10, dev11, vd9, vd10, vd11;

    if (!cmdqv_setup(&c, "vfio9")) {
        return false;
    }
    CHECK_ERR(bind_dev(d10, c.n.ifd, &dev10), 0);
    CHECK_ERR(bind_dev(d11, c.n.ifd, &dev11), 0);
    /* VIRT_SID is 20 bits wide */
    CHECK_ERR(vdev_alloc(c.n.ifd, c.n.viommu, c.n.devid, 0x100000, &vd9),
              EINVAL);
    CHECK_ERR(vdev_alloc(c.n.ifd, c.n.viommu, c.n.devid, 0xfffff, &vd9), 0);
    CHECK_ERR(vdev_alloc(c.n.ifd, c.n.viommu, dev10, 0x10, &vd10), 0);
    /* two slots a VINTF */
    CHECK_ERR(vdev_alloc(c.n.ifd, c.n.viommu, dev11, 0x11, &vd11), ENOSPC);
    CHECK_ERR(destroy(c.n.ifd, vd10), 0);
    CHECK_ERR(vdev_alloc(c.n.ifd, c.n.viommu, dev11, 0x11, &vd11), 0);
    return true;
}

/*
 * The hardware: a guest's commands on its VCMDQ reach the host SMMU with
 * the VINTF's VMID and the pSIDs; anything else stops the queue with an
 * error that a vEVENTQ of the CMDQV type reports.
 */
bool t_cmdqv_consume(void)
{
    Cmdqv c;
    uint64_t iova, (*cmd)[2], got[8][2];
    int src[8], qfd;
    uint32_t q0, vd, evq;
    volatile uint32_t *r;           /* the VINTF page: hardware's */
    struct {
        struct iommufd_vevent_header h;
        struct iommu_vevent_tegra241_cmdqv e;
    } rec;
    long n;

    if (!cmdqv_setup(&c, "vfio9")) {
        return false;
    }
    cmd = queue_memory(c.n.ifd, c.n.ioas, &iova);
    CHECK(cmd);
    r = mmap(NULL, VINTF_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c.n.ifd,
             c.offset);
    CHECK(r != MAP_FAILED);
    CHECK_ERR(vdev_alloc(c.n.ifd, c.n.viommu, c.n.devid, 0x42, &vd), 0);
    CHECK_ERR(hw_queue(c.n.ifd, c.n.viommu, 0, iova, QUEUE_BYTES, &q0), 0);
    CHECK_ERR(cmdqv_veventq(c.n.ifd, c.n.viommu, &evq, &qfd), 0);
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu7"), 0);

    /* TLBI_NH_ASID with a guest VMID, ATC_INV of vSID 0x42, CMD_SYNC */
    cmd[0][0] = 0x11 | 0x77ULL << 32 | 5ULL << 48;
    cmd[0][1] = 0;
    cmd[1][0] = 0x40 | 0x42ULL << 32;
    cmd[1][1] = 0x1000;
    cmd[2][0] = 0x46;
    cmd[2][1] = 0;
    r[2] = 1;                                   /* CONFIG.EN */
    CHECK(wait_reg(&r[3], 1, 1));               /* STATUS.ENABLED */
    r[1] = 3;                                   /* PROD */
    CHECK(wait_reg(&r[0], ~0u, 3));             /* CONS */
    n = hm_client_get_cmds_src(cl, "smmu7", got, src, 8);
    CHECK(n == 3);
    /* VINTF 1 of 2 queues each: VCMDQ 2 */
    CHECK(src[0] == 2 && src[1] == 2 && src[2] == 2);
    CHECK(got[0][0] >> 48 == 5 && (got[0][0] >> 32 & 0xffff) != 0x77);
    CHECK(got[1][0] >> 32 == 0x900 && got[1][1] == 0x1000);

    /* CFGI_STE is not a guest VINTF's: CONS.ERR ILL, GERROR toggled */
    cmd[3][0] = 0x03 | 0x42ULL << 32;
    cmd[3][1] = 0;
    r[1] = 4;
    CHECK(wait_reg(&r[0], 0x7f000000, 1 << 24));
    CHECK((r[0] & 0xffffff) == 3 && r[4] != r[5]);
    CHECK(read(qfd, &rec, sizeof(rec)) == sizeof(rec));
    CHECK(rec.h.flags == 0 && rec.e.lvcmdq_err_map[0] == 1);
    CHECK(hm_client_get_cmds(cl, "smmu7", got, 8) == 3);
    /* acknowledged and the command replaced, the queue goes on */
    cmd[3][0] = 0x46;
    r[0] = 3;
    r[5] = r[4];
    CHECK(wait_reg(&r[0], ~0u, 4));
    CHECK(hm_client_get_cmds(cl, "smmu7", got, 8) == 4);

    /* disabled: STATUS follows, nothing more consumed */
    r[2] = 0;
    CHECK(wait_reg(&r[3], 1, 0));
    cmd[4][0] = 0x46;
    r[1] = 5;
    {
        const struct timespec ms20 = { 0, 20000000 };

        nanosleep(&ms20, NULL);
    }
    CHECK(r[0] == 4);
    CHECK(munmap((void *)r, VINTF_PAGE) == 0);
    return true;
}
