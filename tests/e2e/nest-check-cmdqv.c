/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * nest-check: the host's Tegra241 CMDQV through iommufd (-c), as a VMM
 * with cmdqv=on uses it: GET_HW_INFO of its type, a vIOMMU of its type
 * and the mmap of its VINTF page, HW queues with the kernel's rules, a
 * vDEVICE in its StreamID table, its vEVENTQ, and the queue run by the
 * hardware: a TLBI and a CMD_SYNC consumed with no ioctl, an illegal
 * command stopped with CONS.ERR and reported on the vEVENTQ.  Without
 * -c, the host has no CMDQV: GET_HW_INFO of its type is refused.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/iommufd.h>
#include "nest-check.h"

/* Guest RAM offsets of the two queues, 256 commands each */
#define OFF_Q0          0x700000ULL
#define OFF_Q1          0x701000ULL
#define Q_LEN           0x1000ULL
#define Q_LOG2          8
/* The TLBI the VCMDQ carries: harness.py finds it in L0's trace */
#define CMDQV_ASID      0x7c01
#define VINTF_PAGE      0x10000ULL

/* A logical VCMDQ's registers in the VINTF page (32-bit words) */
#define LVCMDQ(q, reg)  ((q) * 0x20 + (reg))
#define R_CONS          0
#define R_PROD          1
#define R_CONFIG        2
#define R_STATUS        3
#define CONS_IDX(v)     ((v) & ((2u << Q_LOG2) - 1))
#define CONS_ERR(v)     (((v) >> 24) & 0x7f)

typedef volatile uint32_t Reg;      /* the host's registers, mapped */

/* Poll a register until (value & mask) == want, up to two seconds */
static uint32_t cmdqv_wait(Reg *r, uint32_t mask, uint32_t want)
{
    struct timespec ms = { 0, 1000000 };
    uint32_t v = *r;

    for (int i = 0; i < 2000 && (v & mask) != want; i++) {
        nanosleep(&ms, NULL);
        v = *r;
    }
    return v;
}

static void cmdqv_put(uint64_t off, unsigned idx, uint64_t w0, uint64_t w1)
{
    uint64_t *e = (uint64_t *)(mem + off) + 2 * idx;

    e[0] = w0;
    e[1] = w1;
    __sync_synchronize();
}

/* The vEVENTQ of the CMDQV type: one record, its LVCMDQ error map */
static void cmdqv_vevent_check(int fd)
{
    struct {
        struct iommufd_vevent_header hdr;
        struct iommu_vevent_tegra241_cmdqv ev;
    } rec;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    char got[32] = "no record";
    ssize_t n = -1;

    if (poll(&p, 1, 2000) == 1) {
        n = read(fd, &rec, sizeof(rec));
    }
    if (n == (ssize_t)sizeof(rec)) {
        snprintf(got, sizeof(got), "0x%llx",
                 (unsigned long long)rec.ev.lvcmdq_err_map[0]);
    }
    rep_begin("cmdqv_vevent", "read CMDQV vEVENTQ",
              "the stopped queue 0 is reported on the CMDQV vEVENTQ (its "
              "bit in the LVCMDQ error map)");
    if (n == (ssize_t)sizeof(rec)) {
        rep_out_hex("err_map1", rec.ev.lvcmdq_err_map[1]);
    }
    rep_end("0x1", got, n < 0 ? errno : 0);
}

/* The queue run by the hardware, through the mapped VINTF page */
static void cmdqv_queue_checks(Reg *page, int qfd_cmdqv)
{
    Reg *q0 = page + LVCMDQ(0, 0);
    uint32_t v;

    q0[R_CONFIG] = 1;
    v = cmdqv_wait(&q0[R_STATUS], 1, 1);
    check_hex("cmdqv_enable", "LVCMDQ 0 is enabled (STATUS follows CONFIG)",
              1, v & 1);
    cmdqv_put(OFF_Q0, 0, 0x11 | (uint64_t)CMDQV_ASID << 48, 0);
    cmdqv_put(OFF_Q0, 1, 0x46, 0);
    q0[R_PROD] = 2;
    v = cmdqv_wait(&q0[R_CONS], ~0u, 2);
    check_hex("cmdqv_consumed", "the hardware consumed a TLBI_NH_ASID and "
              "a CMD_SYNC with no ioctl (CONS)", 2, v);
    /* CFGI_STE: not a command a guest VINTF may issue */
    cmdqv_put(OFF_Q0, 2, 0x03, 0);
    q0[R_PROD] = 3;
    v = cmdqv_wait(&q0[R_CONS], 0x7f << 24, 1 << 24);
    check_hex("cmdqv_illegal", "an illegal command stops the queue at it "
              "with CONS.ERR = ILL", (1 << 24) | 2,
              (uint64_t)CONS_ERR(v) << 24 | CONS_IDX(v));
    cmdqv_vevent_check(qfd_cmdqv);
    q0[R_CONFIG] = 0;
    v = cmdqv_wait(&q0[R_STATUS], 1, 0);
    check_hex("cmdqv_disable", "LVCMDQ 0 is disabled", 0, v & 1);
}

/* The kernel's rules for HW queues, each refusal before the queues */
typedef struct CmdqvRefusal {
    const char *step, *expect, *what;
    uint32_t type, flags, index;
    uint64_t iova, len;         /* iova: from IPA_BASE */
    bool plain;                 /* on the vIOMMU of the SMMUv3 type */
} CmdqvRefusal;

static const CmdqvRefusal cmdqv_refusals[] = {
#define T IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV
    { "cmdqv_hwq_default_type", "EOPNOTSUPP", "HW queue of the default type",
      IOMMU_HW_QUEUE_TYPE_DEFAULT, 0, 0, OFF_Q0, Q_LEN },
    { "cmdqv_hwq_flags", "EOPNOTSUPP", "HW queue with an unknown flag",
      T, 1, 0, OFF_Q0, Q_LEN },
    { "cmdqv_hwq_zero", "EINVAL", "HW queue of length 0",
      T, 0, 0, OFF_Q0, 0 },
    { "cmdqv_hwq_overflow", "EOVERFLOW", "HW queue whose end overflows 64 "
      "bits", T, 0, 0, ~0ULL - 0x10 - IPA_BASE, Q_LEN },
    { "cmdqv_hwq_plain_viommu", "EOPNOTSUPP", "HW queue on a vIOMMU of the "
      "SMMUv3 type", T, 0, 0, OFF_Q0, Q_LEN, true },
    { "cmdqv_hwq_unmapped", "ENOENT", "HW queue at an IOVA the IOAS does "
      "not map", T, 0, 0, MEM_SIZE, Q_LEN },
    { "cmdqv_hwq_index_high", "EINVAL", "HW queue index past the VINTF's "
      "queues", T, 0, 2, OFF_Q0, Q_LEN },
    { "cmdqv_hwq_no_prev", "EIO", "HW queue 1 before queue 0 (ascending "
      "order)", T, 0, 1, OFF_Q0, Q_LEN },
    { "cmdqv_hwq_npot", "EINVAL", "HW queue length not a power of two",
      T, 0, 0, OFF_Q0, 48 },
    { "cmdqv_hwq_small", "EINVAL", "HW queue shorter than two commands",
      T, 0, 0, OFF_Q0, 16 },
    { "cmdqv_hwq_misaligned", "EINVAL", "HW queue base not aligned to its "
      "length", T, 0, 0, OFF_Q0 + 0x20, 0x40 },
#undef T
};

static void cmdqv_hw_queue_refusals(uint32_t cv, uint32_t plain_viommu)
{
    uint32_t id;

    for (size_t i = 0; i < sizeof(cmdqv_refusals) /
                           sizeof(cmdqv_refusals[0]); i++) {
        const CmdqvRefusal *r = &cmdqv_refusals[i];

        c_hw_queue_alloc(CHECK(r->step, r->expect, r->what), iommufd,
                         r->plain ? plain_viommu : cv, r->type, r->flags,
                         r->index, IPA_BASE + r->iova, r->len, &id);
    }
}

/* The mmap of the VINTF page: the kernel's checks, then the mapping */
static Reg *cmdqv_mmap_checks(uint64_t key, uint64_t len)
{
    const int rw = PROT_READ | PROT_WRITE;
    void *p;

    c_mmap(CHECK("cmdqv_mmap_private", "EINVAL", "a private mapping"),
           iommufd, len, rw, MAP_PRIVATE, key, &p);
    c_mmap(CHECK("cmdqv_mmap_exec", "EPERM", "an executable mapping"),
           iommufd, len, rw | PROT_EXEC, MAP_SHARED, key, &p);
    c_mmap(CHECK("cmdqv_mmap_short", "ENXIO",
                 "a mapping shorter than the VINTF page"),
           iommufd, 0x1000, rw, MAP_SHARED, key, &p);
    c_mmap(CHECK("cmdqv_mmap_inside", "ENXIO",
                 "a mapping from inside the VINTF page"),
           iommufd, len, rw, MAP_SHARED, key + 0x1000, &p);
    c_mmap(CHECK("cmdqv_mmap_no_key", "ENXIO",
                 "a mapping at offset 0 (no key)"),
           iommufd, len, rw, MAP_SHARED, 0, &p);
    if (c_mmap(CHECK("cmdqv_mmap", "ok", "the VINTF page, shared, at its "
                     "key"), iommufd, len, rw, MAP_SHARED, key, &p)) {
        return NULL;
    }
    return p;
}

static void cmdqv_absent(void)
{
    struct iommu_hw_info_tegra241_cmdqv info;
    uint32_t type;

    c_hw_info_cmdqv(CHECK("cmdqv_hw_info_none", "EOPNOTSUPP",
                          "GET_HW_INFO of the CMDQV type on a host without "
                          "one"), iommufd, dev_id, &info, &type);
}

void cmdqv_checks(bool present)
{
    struct iommu_hw_info_tegra241_cmdqv info;
    struct iommu_viommu_tegra241_cmdqv data;
    uint8_t big[24] = { 0 };
    uint32_t type, cioas, cs2, cv, pv, hq0, hq1, cvdev, cq_id, id;
    Reg *page;
    int cqfd;

    if (!present) {
        cmdqv_absent();
        return;
    }
    if (c_hw_info_cmdqv(CHECK("cmdqv_hw_info", "ok",
                              "GET_HW_INFO of the CMDQV type"),
                        iommufd, dev_id, &info, &type)) {
        return;
    }
    check_hex("cmdqv_hw_info_type", "its data type", 3, type);
    check_hex("cmdqv_hw_info_queues", "queues a VINTF has (log2)", 1,
              info.log2vcmdqs);

    if (c_ioas_alloc(CHECK("cmdqv_ioas", "ok", "IOAS"), iommufd, &cioas) ||
        c_ioas_map(CHECK("cmdqv_map", "ok", "guest RAM"), iommufd, cioas,
                   mem, MEM_SIZE, IPA_BASE) ||
        c_hwpt_paging(CHECK("cmdqv_s2", "ok", "the S2 parent"), iommufd,
                      dev_id, cioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &cs2)) {
        return;
    }
    c_viommu_alloc_data(CHECK("cmdqv_viommu_no_data", "EINVAL",
                              "CMDQV vIOMMU without its data"),
                        iommufd, dev_id, cs2,
                        IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, NULL, 0, &cv);
    c_viommu_alloc_data(CHECK("cmdqv_viommu_long", "EINVAL",
                              "CMDQV vIOMMU with data longer than its "
                              "structure"),
                        iommufd, dev_id, cs2,
                        IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, big, sizeof(big),
                        &cv);
    memset(&data, 0, sizeof(data));
    if (c_viommu_alloc_data(CHECK("cmdqv_viommu", "ok",
                                  "CMDQV vIOMMU (takes a VINTF)"),
                            iommufd, dev_id, cs2,
                            IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, &data,
                            sizeof(data), &cv)) {
        return;
    }
    check_hex("cmdqv_viommu_length", "the VINTF page's mmap length",
              VINTF_PAGE, data.out_vintf_mmap_length);
    check_str("cmdqv_viommu_key", "the mmap key is page-aligned and not 0",
              "yes", data.out_vintf_mmap_offset &&
              !(data.out_vintf_mmap_offset & 0xfff) ? "yes" : "no");
    c_viommu_alloc(CHECK("cmdqv_plain_viommu", "ok",
                         "a vIOMMU of the SMMUv3 type on the same S2"),
                   iommufd, dev_id, cs2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0,
                   &pv);
    page = cmdqv_mmap_checks(data.out_vintf_mmap_offset,
                             data.out_vintf_mmap_length);

    cmdqv_hw_queue_refusals(cv, pv);
    c_destroy(CHECK("cmdqv_destroy_plain_viommu", "ok",
                    "destroy the SMMUv3-type vIOMMU"), iommufd, pv);
    memset(mem + OFF_Q0, 0, 2 * Q_LEN);
    c_hw_queue_alloc(CHECK("cmdqv_hwq0", "ok", "HW queue 0"), iommufd, cv,
                     IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 0, 0,
                     IPA_BASE + OFF_Q0, Q_LEN, &hq0);
    c_hw_queue_alloc(CHECK("cmdqv_hwq0_again", "EEXIST",
                           "HW queue 0 a second time"), iommufd, cv,
                     IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 0, 0,
                     IPA_BASE + OFF_Q1, Q_LEN, &id);
    c_hw_queue_alloc(CHECK("cmdqv_hwq1", "ok", "HW queue 1"), iommufd, cv,
                     IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 0, 1,
                     IPA_BASE + OFF_Q1, Q_LEN, &hq1);
    c_ioas_unmap(CHECK("cmdqv_unmap_pinned", "EBUSY",
                       "IOAS_UNMAP of guest RAM holding a HW queue"),
                 iommufd, cioas, IPA_BASE, MEM_SIZE);
    c_destroy(CHECK("cmdqv_destroy_hwq0_busy", "EBUSY",
                    "HW queue 0 cannot go before queue 1 (descending)"),
              iommufd, hq0);
    c_vdevice_alloc(CHECK("cmdqv_vdevice_wide", "EINVAL",
                          "vDEVICE with a vSID past 20 bits"),
                    iommufd, cv, dev_id, 0x100000, &cvdev);
    c_vdevice_alloc(CHECK("cmdqv_vdevice", "ok",
                          "vDEVICE (a StreamID table entry)"),
                    iommufd, cv, dev_id, vsid, &cvdev);
    if (!c_veventq_alloc(CHECK("cmdqv_veventq", "ok",
                               "vEVENTQ of the CMDQV type"),
                         iommufd, cv, IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV,
                         EVQ_DEPTH, &cq_id, &cqfd) && page) {
        cmdqv_queue_checks(page, cqfd);
    }

    c_destroy(CHECK("cmdqv_destroy_viommu_busy", "EBUSY",
                    "the CMDQV vIOMMU cannot go while it has objects"),
              iommufd, cv);
    if (cqfd >= 0) {
        close(cqfd);
        c_destroy(CHECK("cmdqv_destroy_veventq", "ok", "destroy the vEVENTQ"),
                  iommufd, cq_id);
    }
    c_destroy(CHECK("cmdqv_destroy_vdevice", "ok", "destroy the vDEVICE"),
              iommufd, cvdev);
    c_destroy(CHECK("cmdqv_destroy_hwq1", "ok", "destroy HW queue 1"),
              iommufd, hq1);
    c_destroy(CHECK("cmdqv_destroy_hwq0", "ok", "destroy HW queue 0"),
              iommufd, hq0);
    c_destroy(CHECK("cmdqv_destroy_viommu_mapped", "EBUSY",
                    "the vIOMMU cannot go while its page is mapped"),
              iommufd, cv);
    if (page) {
        /* each piece left of a split mapping holds the vIOMMU */
        munmap((char *)page + 0x4000, 0x1000);
        c_destroy(CHECK("cmdqv_destroy_viommu_split", "EBUSY",
                        "the two pieces left by unmapping a page in the "
                        "middle hold the vIOMMU"), iommufd, cv);
        munmap((void *)page, 0x4000);
        c_destroy(CHECK("cmdqv_destroy_viommu_piece", "EBUSY",
                        "the last piece holds it"), iommufd, cv);
        munmap((char *)page + 0x5000, data.out_vintf_mmap_length - 0x5000);
    }
    c_destroy(CHECK("cmdqv_destroy_viommu", "ok", "destroy the vIOMMU"),
              iommufd, cv);
    c_destroy(CHECK("cmdqv_destroy_s2", "ok", "destroy the S2"), iommufd,
              cs2);
    c_destroy(CHECK("cmdqv_destroy_ioas", "ok", "destroy the IOAS"),
              iommufd, cioas);
}
