/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: the Tegra241 CMDQV beside an SMMU, as the kernel's
 * tegra241-cmdqv.c gives it to a VMM through iommufd
 * (docs/devel/arm-smmuv3-accel-cmdqv.rst, section 4):
 * IOMMU_GET_HW_INFO of its type, a vIOMMU of its type that owns one VINTF
 * whose page 0 the VMM maps (mmap of the iommufd at a key the allocation
 * returns), HW queues (IOMMU_HW_QUEUE_ALLOC) that are that VINTF's logical
 * VCMDQs, vDEVICEs that fill its StreamID table, and a vEVENTQ for its
 * queues' errors.
 *
 * The VINTF page is a page of the iommufd's memfd, so the mapping the
 * VMM makes and the model's own share it.  A thread stands in for the
 * hardware while a HW queue exists: it mirrors each queue's CONFIG.EN
 * into STATUS and consumes what the guest puts between CONS and PROD,
 * with a guest VINTF's rules, into the SMMU's command log.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hm-internal.h"

/* The VINTF page: a 0x80 block of registers per logical VCMDQ */
#define HM_CMDQV_PAGE_SIZE      0x10000
#define HM_VCMDQ_REGS           (0x80 / 4)
#define HM_VCMDQ_CONS           0
#define HM_VCMDQ_PROD           1
#define HM_VCMDQ_CONFIG         2
#define HM_VCMDQ_STATUS         3
#define HM_VCMDQ_GERROR         4
#define HM_VCMDQ_GERRORN        5
#define HM_VCMDQ_CONS_ERR_SHIFT 24
#define HM_CERROR_ILL           1
/* Bits [47:5] of a queue's base address, LOG2SIZE of it in entries */
#define HM_VCMDQ_ADDR_MASK      HM_MASK(47, 5)
#define HM_VIRT_SID_MAX         0xfffff

typedef volatile uint32_t HmReg;    /* shared with the VMM's mapping */

/* Mappings of VINTF pages by the VMM, which hold their vIOMMU */
#define HM_CMDQV_MAX_MAPS       64
static struct {
    void *addr;
    size_t len;
    HmViommu *v;
} hm_cmdqv_maps[HM_CMDQV_MAX_MAPS];
static unsigned hm_cmdqv_n_maps;

static unsigned hm_cmdqv_hw_queues;
static bool hm_cmdqv_thread_running;

static unsigned hm_cmdqv_per_vintf(const HmSmmu *s)
{
    return 1u << (s->prof.cmdqv_vcmdqs_log2 - s->prof.cmdqv_vintfs_log2);
}

static unsigned hm_cmdqv_sids(const HmSmmu *s)
{
    unsigned n = 1u << s->prof.cmdqv_sids_log2;

    return n < HM_CMDQV_MAX_SIDS ? n : HM_CMDQV_MAX_SIDS;
}

void hm_cmdqv_probe(HmSmmu *s)
{
    /* the host kernel keeps VINTF0 for itself */
    s->cmdqv_vintfs_used = s->prof.cmdqv ? 1 : 0;
}

/* tegra241_cmdqv_hw_info() */
int hm_cmdqv_hw_info(HmSmmu *s, uint64_t uptr, uint32_t *len)
{
    struct iommu_hw_info_tegra241_cmdqv info = { 0 };
    uint32_t copy_len;

    if (!s->prof.cmdqv) {
        return -EOPNOTSUPP;
    }
    info.version = s->prof.cmdqv_version;
    info.log2vcmdqs = s->prof.cmdqv_vcmdqs_log2 - s->prof.cmdqv_vintfs_log2;
    info.log2vsids = s->prof.cmdqv_sids_log2;
    copy_len = *len < sizeof(info) ? *len : sizeof(info);
    if (hm_copy_to_user(uptr, &info, copy_len)) {
        return -EFAULT;
    }
    if (copy_len < *len && hm_clear_user(uptr + copy_len, *len - copy_len)) {
        return -EFAULT;
    }
    *len = sizeof(info);
    return 0;
}

/* The iommufd context's memfd: the key is an offset into it */
static int hm_cmdqv_ctx_kfd(HmCtx *ctx)
{
    for (int fd = 0; fd < HM_MAX_FDS; fd++) {
        HmFile *f = hm.fds[fd];

        if (f && f->type == HM_FILE_IOMMUFD && f->u.ctx == ctx) {
            return fd;
        }
    }
    return -1;
}

/* The lowest free range from one host page up (never 0), as the kernel */
static uint64_t hm_cmdqv_next_offset(HmCtx *ctx)
{
    uint64_t off = hm.cfg.page_size;
    bool moved = true;

    while (moved) {
        moved = false;
        for (uint32_t id = 1; id < ctx->n_objs; id++) {
            HmViommu *v = (HmViommu *)ctx->objs[id];

            if (v && v->obj.type == HM_OBJ_VIOMMU && v->page &&
                v->mmap_offset < off + HM_CMDQV_PAGE_SIZE &&
                off < v->mmap_offset + HM_CMDQV_PAGE_SIZE) {
                off = v->mmap_offset + HM_CMDQV_PAGE_SIZE;
                moved = true;
            }
        }
    }
    return off;
}

/* tegra241_cmdqv_init_vintf_user(): a VINTF, its page and the key to it */
int hm_cmdqv_viommu_init(HmUcmd *u, HmViommu *v,
                         const struct iommu_viommu_alloc *cmd)
{
    struct iommu_viommu_tegra241_cmdqv data = { 0 };
    HmSmmu *s = v->smmu;
    unsigned vintfs = 1u << s->prof.cmdqv_vintfs_log2;
    void *page;
    int kfd;

    v->vintf = -1;
    /* iommu_copy_struct_from_user() before a VINTF is taken */
    if (cmd->data_len != sizeof(data)) {
        return -EINVAL;
    }
    if (hm_copy_from_user(&data, cmd->data_uptr, sizeof(data))) {
        return -EFAULT;
    }
    for (unsigned i = 1; i < vintfs; i++) {
        if (!(s->cmdqv_vintfs_used & HM_BIT(i))) {
            v->vintf = i;
            break;
        }
    }
    if (v->vintf < 0) {
        hm_log_event("\"event\":\"cmdqv\",\"smmu\":\"%s\",\"why\":"
                     "\"no more available vintf\"", s->name);
        return -ENOSPC;
    }
    kfd = hm_cmdqv_ctx_kfd(u->ctx);
    v->mmap_offset = hm_cmdqv_next_offset(u->ctx);
    if (kfd < 0 || ftruncate(kfd, v->mmap_offset + HM_CMDQV_PAGE_SIZE)) {
        v->vintf = -1;
        return -ENOMEM;
    }
    page = hm_real.mmap(NULL, HM_CMDQV_PAGE_SIZE, PROT_READ | PROT_WRITE,
                        MAP_SHARED, kfd, v->mmap_offset);
    if (page == MAP_FAILED) {
        v->vintf = -1;
        return -ENOMEM;
    }
    memset(page, 0, HM_CMDQV_PAGE_SIZE);
    data.out_vintf_mmap_offset = v->mmap_offset;
    data.out_vintf_mmap_length = HM_CMDQV_PAGE_SIZE;
    if (hm_copy_to_user(cmd->data_uptr, &data, sizeof(data))) {
        hm_real.munmap(page, HM_CMDQV_PAGE_SIZE);
        v->vintf = -1;
        return -EFAULT;
    }
    v->page = page;
    s->cmdqv_vintfs_used |= HM_BIT(v->vintf);
    return 0;
}

void hm_cmdqv_viommu_destroy(HmViommu *v)
{
    if (v->vintf < 0 || !v->page) {
        return;
    }
    hm_real.munmap((void *)v->page, HM_CMDQV_PAGE_SIZE);
    v->page = NULL;
    v->smmu->cmdqv_vintfs_used &= ~HM_BIT(v->vintf);
    v->vintf = -1;
}

/* tegra241_vintf_init_vsid(): one slot of the VINTF's StreamID table */
int hm_cmdqv_vdevice_init(HmVdevice *vd)
{
    HmViommu *v = vd->viommu;

    vd->sid_slot = -1;
    if (!v->page) {
        return 0;
    }
    if (vd->virt_id > HM_VIRT_SID_MAX) {
        return -EINVAL;
    }
    for (unsigned i = 0; i < hm_cmdqv_sids(v->smmu); i++) {
        if (!(v->sid_match[i] & 1)) {
            vd->sid_slot = i;
            v->sid_replace[i] = vd->idev->dev->sid;
            v->sid_match[i] = (uint32_t)vd->virt_id << 1 | 1;
            return 0;
        }
    }
    return -ENOSPC;
}

void hm_cmdqv_vdevice_destroy(HmVdevice *vd)
{
    if (vd->sid_slot >= 0) {
        vd->viommu->sid_match[vd->sid_slot] = 0;
        vd->viommu->sid_replace[vd->sid_slot] = 0;
        vd->sid_slot = -1;
    }
}

static HmReg *hm_cmdqv_regs(HmViommu *v, unsigned index)
{
    return v->page + index * HM_VCMDQ_REGS;
}

/*
 * tegra241_vcmdq_hw_deinit(): disabled, a CMD_SYNC (CS=NONE) on the
 * SMMU's own queue to flush a timeout (issued with the sync the list
 * gets), emptied
 */
static void hm_cmdqv_lvcmdq_reset(HmViommu *v, unsigned index)
{
    static const uint64_t flush[1][2] = { { HM_OP_CMD_SYNC, 0 } };
    HmReg *r = hm_cmdqv_regs(v, index);

    r[HM_VCMDQ_CONFIG] = 0;
    r[HM_VCMDQ_STATUS] = 0;
    hm_smmu_issue_cmdlist(v->smmu, flush, 1);
    r[HM_VCMDQ_PROD] = 0;
    r[HM_VCMDQ_CONS] = 0;
    r[HM_VCMDQ_GERRORN] = r[HM_VCMDQ_GERROR];
}

/* Where the "hardware" reads [iova, iova + len): one host page, else 0 */
static int hm_cmdqv_pin(HmIoas *ioas, uint64_t iova, uint64_t len,
                        uint64_t *uva)
{
    uint64_t last = iova + len - 1;
    uint64_t page = hm.cfg.page_size;

    for (size_t i = 0; i < ioas->n_areas; i++) {
        HmArea *a = &ioas->areas[i];

        if (iova < a->iova || iova > a->last) {
            continue;
        }
        if (last > a->last) {
            /* the next area may go on, but not from the same pages */
            return a + 1 < ioas->areas + ioas->n_areas &&
                   a[1].iova == a->last + 1 ? -EFAULT : -ENOENT;
        }
        if (!(a->flags & IOMMU_IOAS_MAP_READABLE)) {
            return -EPERM;
        }
        *uva = a->uva + (iova - a->iova);
        /*
         * Only what one host page holds is known to be physically
         * contiguous (a VMM that wants more backs RAM with huge pages)
         */
        if (*uva / page != (*uva + len - 1) / page) {
            return -EFAULT;
        }
        return 0;
    }
    return -ENOENT;
}

static void hm_cmdqv_thread_start(void);

/* iommufd_hw_queue_alloc_ioctl() and tegra241_vintf_alloc_lvcmdq_user() */
int hm_ioctl_hw_queue_alloc(HmUcmd *u, void *p)
{
    struct iommu_hw_queue_alloc *cmd = p;
    HmViommu *v;
    HmHwQueue *q, *prev;
    uint64_t last, uva, log2;
    unsigned max_log2;
    int rc;

    if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT) {
        return -EOPNOTSUPP;
    }
    if (!cmd->length) {
        return -EINVAL;
    }
    if (__builtin_add_overflow(cmd->nesting_parent_iova, cmd->length - 1,
                               &last)) {
        return -EOVERFLOW;
    }
    v = (HmViommu *)hm_obj_get(u->ctx, cmd->viommu_id, HM_OBJ_VIOMMU);
    if (!v) {
        return -ENOENT;
    }
    /* a plain arm-smmu-v3 vIOMMU has no HW queue ops */
    if (!v->page || cmd->type != IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV) {
        return -EOPNOTSUPP;
    }
    rc = hm_cmdqv_pin(v->s2->ioas, cmd->nesting_parent_iova, cmd->length,
                      &uva);
    if (rc) {
        return rc;
    }
    if (cmd->index >= hm_cmdqv_per_vintf(v->smmu)) {
        return -EINVAL;
    }
    if (v->lvcmdq[cmd->index]) {
        return -EEXIST;
    }
    prev = cmd->index ? v->lvcmdq[cmd->index - 1] : NULL;
    if (cmd->index && !prev) {
        return -EIO;
    }
    /* a power of two of 2 to 2^CMDQS entries of 16 bytes */
    max_log2 = HM_FIELD_GET(25, 21, v->smmu->prof.idr[1]) + 4;
    log2 = __builtin_ctzll(cmd->length);
    if (cmd->length & (cmd->length - 1) || log2 < 5 || log2 > max_log2) {
        return -EINVAL;
    }
    /* the host address: the model's "physical" one is the user's */
    if (uva & ~HM_VCMDQ_ADDR_MASK || uva & (cmd->length - 1)) {
        return -EINVAL;
    }
    q = hm_obj_alloc(u->ctx, HM_OBJ_HW_QUEUE, sizeof(*q));
    if (!q) {
        return -ENOMEM;
    }
    q->viommu = v;
    v->obj.users++;
    q->prev = prev;
    if (prev) {
        prev->obj.users++;
    }
    q->index = cmd->index;
    q->iova = cmd->nesting_parent_iova;
    q->length = cmd->length;
    q->uva = uva;
    hm_cmdqv_lvcmdq_reset(v, q->index);
    v->lvcmdq[q->index] = q;
    hm_cmdqv_hw_queues++;
    hm_cmdqv_thread_start();
    cmd->out_hw_queue_id = q->obj.id;
    u->respond = true;
    return 0;
}

void hm_cmdqv_hw_queue_destroy(HmHwQueue *q)
{
    HmViommu *v = q->viommu;

    hm_cmdqv_lvcmdq_reset(v, q->index);
    v->lvcmdq[q->index] = NULL;
    v->obj.users--;
    if (q->prev) {
        q->prev->obj.users--;
    }
    hm_cmdqv_hw_queues--;
}

/* A HW queue's pages stay pinned: IOMMU_IOAS_UNMAP over them is EBUSY */
bool hm_cmdqv_ioas_locked(HmIoas *ioas, uint64_t start, uint64_t last)
{
    HmCtx *ctx = ioas->obj.ctx;

    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        HmHwQueue *q = (HmHwQueue *)ctx->objs[id];

        if (q && q->obj.type == HM_OBJ_HW_QUEUE &&
            q->viommu->s2->ioas == ioas &&
            q->iova <= last && start <= q->iova + q->length - 1) {
            return true;
        }
    }
    return false;
}

/* ---- mmap of a VINTF page (iommufd_fops_mmap) ---- */

void *hm_cmdqv_mmap(HmCtx *ctx, int fd, size_t len, int prot, int flags,
                    off_t off)
{
    HmViommu *v = NULL;
    void *addr;
    int err;

    err = hm_fail_check("IOMMUFD_MMAP");
    if (err) {
        goto fail;
    }
    /* the syscall's checks, then iommufd_fops_mmap()'s, in their order */
    err = EINVAL;
    if (off & (hm.cfg.page_size - 1)) {
        goto fail;
    }
    len = (len + hm.cfg.page_size - 1) & ~(hm.cfg.page_size - 1);
    if ((flags & MAP_TYPE) != MAP_SHARED &&
        (flags & MAP_TYPE) != MAP_SHARED_VALIDATE) {
        goto fail;
    }
    err = EPERM;
    if (prot & PROT_EXEC) {
        goto fail;
    }
    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        HmViommu *c = (HmViommu *)ctx->objs[id];

        if (c && c->obj.type == HM_OBJ_VIOMMU && c->page &&
            c->mmap_offset == (uint64_t)off) {
            v = c;
        }
    }
    err = ENXIO;
    if (!v || len != HM_CMDQV_PAGE_SIZE ||
        hm_cmdqv_n_maps == HM_CMDQV_MAX_MAPS) {
        goto fail;
    }
    addr = hm_real.mmap(NULL, len, prot, flags, fd, off);
    if (addr == MAP_FAILED) {
        return addr;
    }
    hm_cmdqv_maps[hm_cmdqv_n_maps].addr = addr;
    hm_cmdqv_maps[hm_cmdqv_n_maps].len = len;
    hm_cmdqv_maps[hm_cmdqv_n_maps].v = v;
    hm_cmdqv_n_maps++;
    v->obj.users++;
    hm_ctx_get(ctx);
    hm_log_event("\"event\":\"mmap\",\"viommu\":%u,\"offset\":%llu",
                 v->obj.id, (unsigned long long)off);
    return addr;
fail:
    errno = err;
    return MAP_FAILED;
}

/*
 * The VMM's munmap of (part of) a mapped VINTF page.  As the kernel's VMAs:
 * the vIOMMU is held until every piece is unmapped, and a hole punched in
 * the middle leaves two mappings, each holding it (iommufd's vm_ops open).
 */
void hm_cmdqv_munmap(void *addr, size_t len)
{
    size_t page = hm.cfg.page_size;
    char *lo = addr, *hi = lo + (len + page - 1) / page * page;

    for (unsigned i = 0; i < hm_cmdqv_n_maps; i++) {
        char *a = hm_cmdqv_maps[i].addr;
        char *e = a + hm_cmdqv_maps[i].len;
        HmViommu *v = hm_cmdqv_maps[i].v;

        if (!(a < hi && lo < e)) {
            continue;
        }
        if (lo <= a && e <= hi) {
            hm_cmdqv_maps[i] = hm_cmdqv_maps[--hm_cmdqv_n_maps];
            i--;
            v->obj.users--;
            hm_ctx_put(v->obj.ctx);
        } else if (a < lo && hi < e && hm_cmdqv_n_maps < HM_CMDQV_MAX_MAPS) {
            hm_cmdqv_maps[hm_cmdqv_n_maps].addr = hi;
            hm_cmdqv_maps[hm_cmdqv_n_maps].len = e - hi;
            hm_cmdqv_maps[hm_cmdqv_n_maps].v = v;
            hm_cmdqv_n_maps++;
            v->obj.users++;
            hm_ctx_get(v->obj.ctx);
            hm_cmdqv_maps[i].len = lo - a;
        } else if (lo <= a) {
            hm_cmdqv_maps[i].addr = hi;
            hm_cmdqv_maps[i].len = e - hi;
        } else {
            hm_cmdqv_maps[i].len = lo - a;
        }
    }
}

/* ---- the hardware: the VINTF's queues consumed ---- */

static bool hm_cmdqv_sid(HmViommu *v, uint32_t vsid, uint32_t *psid)
{
    for (unsigned i = 0; i < hm_cmdqv_sids(v->smmu); i++) {
        if (v->sid_match[i] == (vsid << 1 | 1)) {
            *psid = v->sid_replace[i];
            return true;
        }
    }
    return false;
}

/* What a guest-owned VINTF may issue; its VMID and pSIDs put in */
static bool hm_cmdqv_filter(HmViommu *v, uint64_t cmd[2])
{
    uint32_t psid;

    switch (HM_CMD_OP(cmd[0])) {
    case HM_OP_TLBI_NH_ASID:
    case HM_OP_TLBI_NH_VA:
        cmd[0] = (cmd[0] & ~HM_CMD_VMID_MASK) | (uint64_t)v->vmid << 32;
        return true;
    case HM_OP_ATC_INV:
        if (!hm_cmdqv_sid(v, HM_CMD_SID(cmd[0]), &psid)) {
            return false;
        }
        cmd[0] = (cmd[0] & ~HM_CMD_SID_MASK) | (uint64_t)psid << 32;
        return true;
    case HM_OP_CMD_SYNC:
        return true;
    }
    return false;
}

static void hm_cmdqv_error(HmHwQueue *q, HmReg *r, uint32_t cons)
{
    HmViommu *v = q->viommu;
    uint64_t evt[4] = { 0 };
    uint32_t seq;

    r[HM_VCMDQ_CONS] = cons | HM_CERROR_ILL << HM_VCMDQ_CONS_ERR_SHIFT;
    r[HM_VCMDQ_GERROR] = r[HM_VCMDQ_GERRORN] ^ 1;
    /* the host's interrupt: a record of the VINTF's LVCMDQ_ERR_MAP */
    for (unsigned l = 0; l < HM_CMDQV_MAX_LVCMDQS; l++) {
        HmReg *o = hm_cmdqv_regs(v, l);

        if (v->lvcmdq[l] && o[HM_VCMDQ_GERROR] != o[HM_VCMDQ_GERRORN]) {
            evt[l / 64] |= HM_BIT(l % 64);
        }
    }
    hm_veventq_report(v, IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, evt, &seq);
    hm_log_event("\"event\":\"vcmdq_error\",\"viommu\":%u,\"lvcmdq\":%u",
                 v->obj.id, q->index);
}

static void hm_cmdqv_step(HmHwQueue *q)
{
    HmViommu *v = q->viommu;
    HmReg *r = hm_cmdqv_regs(v, q->index);
    unsigned log2 = __builtin_ctzll(q->length / 16);
    uint32_t mask = (2u << log2) - 1;
    uint32_t en = r[HM_VCMDQ_CONFIG] & 1;
    uint32_t prod, cons;

    r[HM_VCMDQ_STATUS] = en;
    if (!en || r[HM_VCMDQ_GERROR] != r[HM_VCMDQ_GERRORN]) {
        return;
    }
    prod = r[HM_VCMDQ_PROD] & mask;
    cons = r[HM_VCMDQ_CONS] & mask;
    while (cons != prod) {
        uint64_t cmd[2];

        /* the guest's memory, which the "hardware" reads as it is now */
        memcpy(cmd, (void *)(uintptr_t)(q->uva +
                                         (cons & ((1u << log2) - 1)) * 16),
               sizeof(cmd));

        if (!hm_cmdqv_filter(v, cmd)) {
            hm_cmdqv_error(q, r, cons);
            return;
        }
        hm_smmu_log_cmd(v->smmu, cmd, 0,
                        v->vintf * hm_cmdqv_per_vintf(v->smmu) + q->index);
        cons = (cons + 1) & mask;
        r[HM_VCMDQ_CONS] = cons;
    }
}

static void *hm_cmdqv_thread(void *opaque)
{
    const struct timespec tick = { 0, 20000 };

    (void)opaque;
    for (;;) {
        pthread_mutex_lock(&hm.lock);
        if (!hm_cmdqv_hw_queues) {
            hm_cmdqv_thread_running = false;
            pthread_mutex_unlock(&hm.lock);
            return NULL;
        }
        for (HmCtx *ctx = hm.ctxs; ctx; ctx = ctx->next) {
            for (uint32_t id = 1; id < ctx->n_objs; id++) {
                HmHwQueue *q = (HmHwQueue *)ctx->objs[id];

                if (q && q->obj.type == HM_OBJ_HW_QUEUE) {
                    hm_cmdqv_step(q);
                }
            }
        }
        pthread_mutex_unlock(&hm.lock);
        nanosleep(&tick, NULL);
    }
}

/* Called with hm.lock held */
static void hm_cmdqv_thread_start(void)
{
    pthread_attr_t attr;
    pthread_t t;

    if (hm_cmdqv_thread_running) {
        return;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (!pthread_create(&t, &attr, hm_cmdqv_thread, NULL)) {
        hm_cmdqv_thread_running = true;
    }
    pthread_attr_destroy(&attr);
}

/*
 * A forked child has no hardware thread, and may not start one before it
 * execs: its queues stand still until its next HW queue allocation
 */
void hm_cmdqv_fork_child(void)
{
    hm_cmdqv_thread_running = false;
}
