/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on,cmdqv=on|auto: the guest's CMDQV runs on the host's.
 *
 * The guest has one VINTF (smmuv3-cmdqv.c emulates its registers).  While
 * a vIOMMU exists it is of the CMDQV type and owns a host VINTF: the
 * VINTF's page 0 (each logical queue's PROD, CONS, CONFIG, STATUS and
 * error registers) is mapped over the guest's, so the guest's commands
 * reach the host SMMU with no trap.  Each logical queue the guest
 * allocates and gives a BASE becomes a host HW queue on that guest memory
 * (IOMMU_HW_QUEUE_ALLOC, ascending); the registers of one the host does
 * not run are the host's idle ones, as an unallocated queue's.  Without a
 * vIOMMU (no assigned device yet, or none left) QEMU runs the guest's
 * queues itself, and a queue's registers move between QEMU and the host
 * when the vIOMMU comes or goes.  The host reports a queue's command
 * error on a vEVENTQ of the CMDQV type; the guest reads the error from
 * the mapped registers and gets the CMDQV's interrupt.
 */

#include "qemu/osdep.h"
#include <sys/mman.h>
#include "qapi/error.h"
#include "qapi/qapi-types-smmuv3-accel.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "system/hostmem.h"
#include "system/iommufd-nesting.h"
#include "system/system.h"
#include "smmuv3-accel-internal.h"
#include "smmuv3-cmdqv-internal.h"
#include "trace.h"

#define SMMUV3_ACCEL_CMDQV_PAGE_SIZE    0x10000
/* Error records only say "look": a few are enough */
#define SMMUV3_ACCEL_CMDQV_VEVENTQ_DEPTH 16
#define SMMUV3_ACCEL_CMDQV_VEVENTQ_FREE_MS 1000

bool smmuv3_accel_cmdqv_active(SMMUv3State *s)
{
    SMMUv3Accel *a = s->accel_state;

    return a && s->cmdqv_state &&
           (s->cmdqv == ON_OFF_AUTO_ON || a->cmdqv.host);
}

bool smmuv3_accel_cmdqv_check_host(SMMUv3Accel *a,
                                   HostIOMMUDeviceIOMMUFD *idev,
                                   Error **errp)
{
    SMMUv3State *s = a->smmu;
    SMMUv3Cmdqv *c = s->cmdqv_state;
    struct iommu_hw_info_tegra241_cmdqv info = { 0 };
    Error *err = NULL;
    bool has;
    unsigned n = 0;
    SMMUv3AccelDevice *d;

    if (!c) {
        return true;
    }
    has = iommufd_backend_get_cmdqv_info(idev->iommufd, idev->devid, &info,
                                         &err);
    if (!a->cmdqv.resolved && !phase_check(PHASE_MACHINE_READY)) {
        /* cold plug, first device: what the guest will be told */
        if (!has && s->cmdqv == ON_OFF_AUTO_ON) {
            error_propagate_prepend(errp, err, "cmdqv=on: ");
            error_append_hint(errp, "Use cmdqv=auto or cmdqv=off on a host "
                              "without a Tegra241 CMDQV.\n");
            return false;
        }
        error_free(err);
        a->cmdqv.resolved = true;
        a->cmdqv.host = has;
        if (has) {
            c->version = info.version ? info.version : 1;
            c->vcmdqs = MIN(1u << MIN(info.log2vcmdqs, 6),
                            SMMUV3_ACCEL_CMDQV_QUEUES_MAX);
            c->sids_log2 = MIN(info.log2vsids, SMMUV3_CMDQV_SIDS_LOG2);
        }
        trace_smmuv3_accel_cmdqv_host(has, info.version, info.log2vcmdqs,
                                      info.log2vsids,
                                      smmuv3_accel_cmdqv_active(s));
        return true;
    }
    if (!smmuv3_accel_cmdqv_active(s)) {
        error_free(err);
        return true;
    }
    /* the guest was given a CMDQV: this host must run it */
    if (!has) {
        error_propagate_prepend(errp, err, "this vSMMU's guest has a CMDQV "
                                "and the device's host SMMU cannot run it: ");
        return false;
    }
    if ((1u << MIN(info.log2vcmdqs, 6)) < c->vcmdqs ||
        info.log2vsids < c->sids_log2) {
        error_setg(errp, "the device's host CMDQV offers %u queues and %u "
                   "StreamIDs a VM; this vSMMU's guest was given %u and %u",
                   1u << MIN(info.log2vcmdqs, 31),
                   1u << MIN(info.log2vsids, 31), c->vcmdqs,
                   1u << c->sids_log2);
        return false;
    }
    QLIST_FOREACH(d, &a->devices, next) {
        n++;
    }
    if (n >= 1u << c->sids_log2) {
        error_setg(errp, "this vSMMU's CMDQV has a StreamID table of %u "
                   "entries, all taken; put the device behind another "
                   "arm-smmuv3", 1u << c->sids_log2);
        return false;
    }
    return true;
}

uint32_t smmuv3_accel_cmdqv_viommu_type(SMMUv3Accel *a, void **data,
                                        uint32_t *len)
{
    if (!smmuv3_accel_cmdqv_active(a->smmu)) {
        *data = NULL;
        *len = 0;
        return IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
    }
    *data = &a->cmdqv.alloc_out;
    *len = sizeof(a->cmdqv.alloc_out);
    return IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV;
}

unsigned smmuv3_accel_cmdqv_max_cmdqs(SMMUv3Accel *a, unsigned cmdqs)
{
    /* the host needs the queue contiguous: within one page of guest RAM */
    unsigned fit = ctz64(qemu_minrampagesize()) - 4;

    if (!smmuv3_accel_cmdqv_active(a->smmu)) {
        return cmdqs;
    }
    if (a->idr.resolved) {
        /* and at most 2^CMDQS of its own */
        fit = MIN(fit, FIELD_EX32(a->idr.host[1], IDR1, CMDQS));
    }
    return MIN(cmdqs, fit);
}

Smmuv3AccelCmdqvInfo *smmuv3_accel_cmdqv_info(SMMUv3Accel *a)
{
    Smmuv3AccelCmdqvInfo *info;

    if (!smmuv3_accel_cmdqv_active(a->smmu)) {
        return NULL;
    }
    info = g_new0(Smmuv3AccelCmdqvInfo, 1);
    info->vintf_mapped = a->cmdqv.page;
    for (unsigned l = 0; l < SMMUV3_ACCEL_CMDQV_QUEUES_MAX; l++) {
        info->host_queues += !!a->cmdqv.hwq[l].id;
    }
    info->queues_allocated = a->cmdqv.n_hw_queues;
    info->queue_errors = a->cmdqv.n_hw_queue_errors;
    info->errors = a->cmdqv.n_errors;
    return info;
}

/* Logical queue @l's registers in the host's VINTF page */
static uint32_t *smmuv3_accel_cmdqv_regs(SMMUv3Accel *a, unsigned l)
{
    return (uint32_t *)a->cmdqv.page + l * SMMUV3_CMDQV_VCMDQ_STRIDE / 4;
}

/* The guest's registers of a queue go to the host's (or come back) */
/*
 * The host's error registers stay the host's: its GERROR is read-only,
 * and the pair says "no error" after the allocation
 */
static void smmuv3_accel_cmdqv_regs_to_host(SMMUv3CmdqvVcmdq *q,
                                            uint32_t *hw)
{
    qatomic_set(&hw[R_VCMDQ_CONS], q->q.cons);
    qatomic_set(&hw[R_VCMDQ_PROD], q->q.prod);
    qatomic_set(&hw[R_VCMDQ_CONFIG], q->config);
}

static void smmuv3_accel_cmdqv_regs_from_host(SMMUv3CmdqvVcmdq *q,
                                              const uint32_t *hw)
{
    q->q.cons = qatomic_read(&hw[R_VCMDQ_CONS]);
    q->q.prod = qatomic_read(&hw[R_VCMDQ_PROD]);
    q->config = qatomic_read(&hw[R_VCMDQ_CONFIG]) & R_VCMDQ_CONFIG_EN_MASK;
    q->gerror = qatomic_read(&hw[R_VCMDQ_GERROR]);
    q->gerrorn = qatomic_read(&hw[R_VCMDQ_GERRORN]);
}

/*
 * Disabled, so that its CONS is final: what the host consumed is not run
 * twice, what it did not is left for QEMU (bounded: the hardware takes
 * microseconds)
 */
static void smmuv3_accel_cmdqv_stop_queue(uint32_t *hw)
{
    uint32_t config = qatomic_read(&hw[R_VCMDQ_CONFIG]);

    qatomic_set(&hw[R_VCMDQ_CONFIG], 0);
    for (int i = 0; i < 1000 && qatomic_read(&hw[R_VCMDQ_STATUS]) & 1; i++) {
        g_usleep(100);
    }
    /* the guest's enable stays what it wrote */
    qatomic_set(&hw[R_VCMDQ_CONFIG], config);
}

static void smmuv3_accel_cmdqv_free_queue(SMMUv3Accel *a, SMMUv3Cmdqv *c,
                                          unsigned l)
{
    uint32_t *hw = smmuv3_accel_cmdqv_regs(a, l);

    /* whichever guest VCMDQ it was, it is QEMU's again */
    for (unsigned i = 0; i < c->vcmdqs; i++) {
        if (c->vcmdq[i].hw == hw) {
            smmuv3_accel_cmdqv_stop_queue(hw);
            smmuv3_accel_cmdqv_regs_from_host(&c->vcmdq[i], hw);
            c->vcmdq[i].hw = NULL;
        }
    }
    trace_smmuv3_accel_cmdqv_queue_free(l, a->cmdqv.hwq[l].id);
    smmuv3_accel_free_id(a, &a->cmdqv.hwq[l].id);
}

static bool smmuv3_accel_cmdqv_alloc_queue(SMMUv3Accel *a, SMMUv3Cmdqv *c,
                                           unsigned l, uint64_t addr,
                                           uint64_t len)
{
    SMMUv3AccelHwQueue *h = &a->cmdqv.hwq[l];
    SMMUv3CmdqvVcmdq *q = smmuv3_cmdqv_lookup(c, 0, l);
    Error *err = NULL;

    if (!iommufd_backend_alloc_hw_queue(a->be, a->viommu_id,
                                        IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV,
                                        l, addr, len, &h->id, &err)) {
        /* as hardware would: the queue is not there, its enable fails */
        h->refused_addr = addr;
        h->refused_len = len;
        a->cmdqv.n_hw_queue_errors++;
        qemu_log_mask(LOG_GUEST_ERROR, "arm-smmuv3 cmdqv: VCMDQ %u at 0x%"
                      PRIx64 " cannot be the host's: %s\n", l, addr,
                      error_get_pretty(err));
        error_free(err);
        return false;
    }
    h->addr = addr;
    h->len = len;
    h->refused_addr = 0;
    a->cmdqv.n_hw_queues++;
    q->hw = smmuv3_accel_cmdqv_regs(a, l);
    smmuv3_accel_cmdqv_regs_to_host(q, q->hw);
    trace_smmuv3_accel_cmdqv_queue(l, addr, len, h->id);
    return true;
}

/*
 * The host runs logical queue l when the guest gave it a VCMDQ and a
 * BASE, and so do all below it (the host allocates in ascending order);
 * a change frees it and those above (in descending order) first.
 */
void smmuv3_accel_cmdqv_sync(SMMUv3State *s)
{
    SMMUv3Accel *a = s->accel_state;
    SMMUv3Cmdqv *c = s->cmdqv_state;
    uint64_t addr[SMMUV3_ACCEL_CMDQV_QUEUES_MAX];
    uint64_t len[SMMUV3_ACCEL_CMDQV_QUEUES_MAX];
    unsigned n, first, l;

    if (!a || !c || !a->cmdqv.page) {
        return;
    }
    n = MIN(c->vcmdqs, SMMUV3_ACCEL_CMDQV_QUEUES_MAX);
    first = n;
    for (l = 0; l < n; l++) {
        SMMUv3CmdqvVcmdq *q = smmuv3_cmdqv_lookup(c, 0, l);
        SMMUv3AccelHwQueue *h = &a->cmdqv.hwq[l];

        addr[l] = q ? smmuv3_cmdqv_vcmdq_addr(q, &len[l]) : 0;
        if (first == n &&
            (h->id ? h->addr != addr[l] || h->len != len[l] ||
                     !q || q->hw != smmuv3_accel_cmdqv_regs(a, l)
                   : addr[l] != 0)) {
            first = l;
        }
    }
    for (l = n; l-- > first;) {
        if (a->cmdqv.hwq[l].id) {
            smmuv3_accel_cmdqv_free_queue(a, c, l);
        }
    }
    for (l = first; l < n && addr[l]; l++) {
        SMMUv3AccelHwQueue *h = &a->cmdqv.hwq[l];

        if ((h->refused_addr == addr[l] && h->refused_len == len[l]) ||
            !smmuv3_accel_cmdqv_alloc_queue(a, c, l, addr[l], len[l])) {
            break;
        }
    }
}

static void smmuv3_accel_cmdqv_event(void *opaque, const void *payload,
                                     size_t len)
{
    SMMUv3Accel *a = opaque;
    uint64_t map = 0;

    memcpy(&map, payload, MIN(len, sizeof(map)));
    a->cmdqv.n_errors++;
    trace_smmuv3_accel_cmdqv_error(le64_to_cpu(map));
    /* the queue's registers already say it: the guest is told to look */
    smmuv3_cmdqv_raise_error(a->smmu->cmdqv_state);
}

static void smmuv3_accel_cmdqv_lost(void *opaque, uint32_t count)
{
    SMMUv3Accel *a = opaque;

    a->cmdqv.n_errors++;
    smmuv3_cmdqv_raise_error(a->smmu->cmdqv_state);
}

static void smmuv3_accel_cmdqv_readable(void *opaque)
{
    SMMUv3Accel *a = opaque;
    int ret = iommufd_veventq_reader_drain(&a->cmdqv.reader);

    if (ret < 0) {
        warn_report_once("arm-smmuv3 accel: reading host CMDQV errors "
                         "failed: %s", strerror(-ret));
    }
}

static void smmuv3_accel_cmdqv_veventq_free(SMMUv3Accel *a)
{
    Error *err = NULL;

    if (!a->cmdqv.veventq_id) {
        return;
    }
    qemu_set_fd_handler(a->cmdqv.veventq_fd, NULL, NULL, NULL);
    iommufd_veventq_reader_cleanup(&a->cmdqv.reader);
    close(a->cmdqv.veventq_fd);
    a->cmdqv.veventq_fd = -1;
    if (!iommufd_backend_free_veventq(a->be, a->cmdqv.veventq_id,
                                      SMMUV3_ACCEL_CMDQV_VEVENTQ_FREE_MS,
                                      &err)) {
        a->n_host_errors++;
        warn_report_err_once(err);
    }
    a->cmdqv.veventq_id = 0;
}

static bool smmuv3_accel_cmdqv_veventq_alloc(SMMUv3Accel *a, Error **errp)
{
    int fd;

    if (!iommufd_backend_alloc_veventq(a->be, a->viommu_id,
                                       IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV,
                                       SMMUV3_ACCEL_CMDQV_VEVENTQ_DEPTH,
                                       &a->cmdqv.veventq_id, &fd, errp)) {
        return false;
    }
    a->cmdqv.veventq_fd = fd;
    if (!g_unix_set_fd_nonblocking(fd, true, NULL)) {
        error_setg(errp, "cannot make the CMDQV vEVENTQ fd non-blocking");
        smmuv3_accel_cmdqv_veventq_free(a);
        return false;
    }
    iommufd_veventq_reader_init(&a->cmdqv.reader, fd,
                                sizeof(struct iommu_vevent_tegra241_cmdqv),
                                SMMUV3_ACCEL_CMDQV_VEVENTQ_DEPTH,
                                smmuv3_accel_cmdqv_event,
                                smmuv3_accel_cmdqv_lost, a);
    qemu_set_fd_handler(fd, smmuv3_accel_cmdqv_readable, NULL, a);
    return true;
}

bool smmuv3_accel_cmdqv_attach(SMMUv3Accel *a, Error **errp)
{
    SMMUv3State *s = a->smmu;
    SMMUv3Cmdqv *c = s->cmdqv_state;
    struct iommu_viommu_tegra241_cmdqv *out;
    void *data;
    uint32_t len;

    if (smmuv3_accel_cmdqv_viommu_type(a, &data, &len) !=
        IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV) {
        return true;
    }
    /* the data the vIOMMU's allocation wrote back */
    out = data;
    a->cmdqv.veventq_fd = -1;
    if (out->out_vintf_mmap_length != SMMUV3_ACCEL_CMDQV_PAGE_SIZE) {
        error_setg(errp, "the host CMDQV's VINTF page is 0x%" PRIx64
                   " bytes, not 0x%x", (uint64_t)out->out_vintf_mmap_length,
                   SMMUV3_ACCEL_CMDQV_PAGE_SIZE);
        return false;
    }
    a->cmdqv.offset = out->out_vintf_mmap_offset;
    a->cmdqv.page = iommufd_backend_mmap(a->be, a->cmdqv.offset,
                                         SMMUV3_ACCEL_CMDQV_PAGE_SIZE, errp);
    if (!a->cmdqv.page) {
        return false;
    }
    if (!smmuv3_accel_cmdqv_veventq_alloc(a, errp)) {
        munmap(a->cmdqv.page, SMMUV3_ACCEL_CMDQV_PAGE_SIZE);
        a->cmdqv.page = NULL;
        return false;
    }
    /*
     * The queues go to the host while the guest still traps (the BQL is
     * held), then the page is the guest's: no write falls in between
     */
    smmuv3_accel_cmdqv_sync(s);
    memory_region_init_ram_device_ptr(&a->cmdqv.mr, OBJECT(s),
                                      "tegra241-cmdqv-vintf0-page0",
                                      SMMUV3_ACCEL_CMDQV_PAGE_SIZE,
                                      a->cmdqv.page);
    /* emulated devices: QEMU no longer sees the TLBIs, so caches nothing */
    ARM_SMMU(s)->iotlb_bypass = true;
    memory_region_add_subregion_overlap(&c->mmio, SMMUV3_CMDQV_VINTF_PAGES,
                                        &a->cmdqv.mr, 1);
    trace_smmuv3_accel_cmdqv_attach(a->viommu_id, a->cmdqv.offset);
    return true;
}

void smmuv3_accel_cmdqv_detach(SMMUv3Accel *a)
{
    SMMUv3Cmdqv *c = a->smmu->cmdqv_state;

    if (!a->cmdqv.page) {
        return;
    }
    /* the guest traps again first, then the queues come back */
    memory_region_del_subregion(&c->mmio, &a->cmdqv.mr);
    object_unparent(OBJECT(&a->cmdqv.mr));
    for (unsigned l = SMMUV3_ACCEL_CMDQV_QUEUES_MAX; l-- > 0;) {
        if (a->cmdqv.hwq[l].id) {
            smmuv3_accel_cmdqv_free_queue(a, c, l);
        }
        /* the next vIOMMU may be another host's */
        a->cmdqv.hwq[l].refused_addr = 0;
    }
    ARM_SMMU(a->smmu)->iotlb_bypass = false;
    smmuv3_accel_cmdqv_veventq_free(a);
    munmap(a->cmdqv.page, SMMUV3_ACCEL_CMDQV_PAGE_SIZE);
    a->cmdqv.page = NULL;
    trace_smmuv3_accel_cmdqv_detach(a->viommu_id);
    /* QEMU runs what the host left */
    smmuv3_cmdqv_consume_all(c);
}
