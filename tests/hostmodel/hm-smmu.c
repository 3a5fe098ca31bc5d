/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: what the arm-smmu-v3 driver decides.
 *
 * Features read from the profile's ID registers, the vSTE validation of
 * nested HWPTs, the conversion and batching of guest invalidation
 * commands onto the host command queue, event forwarding to a vIOMMU,
 * and the physical STE the host installs.  Guest words stay words and
 * are masked with named masks, as in arm-smmu-v3-iommufd.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hm-internal.h"

/* ---- features ---- */

/* SMMU_IIDR fields, and the parts arm_smmu_device_iidr_probe() knows */
#define HM_IIDR_IMPLEMENTER(v)  ((v) & 0xfff)
#define HM_IIDR_REVISION(v)     (((v) >> 12) & 0xf)
#define HM_IIDR_VARIANT(v)      (((v) >> 16) & 0xf)
#define HM_IIDR_PRODUCTID(v)    ((v) >> 20)
#define HM_IIDR_IMPL_ARM        0x43b
#define HM_IIDR_ARM_MMU_600     0x483
#define HM_IIDR_ARM_MMU_700     0x487

/*
 * arm_smmu_device_hw_probe() and arm_smmu_device_iidr_probe(): nesting
 * needs both stages, and the driver turns it off on parts with errata
 * (Arm MMU-600 before r2p0: erratum 1209401; every Arm MMU-700: errata
 * 2268618 and 2812531, which also force a CMD_SYNC after each command).
 */
void hm_smmu_probe(HmSmmu *s)
{
    uint32_t iidr = s->prof.iidr;

    s->feat_nesting = HM_IDR0_S1P(s->prof.idr[0]) &&
                      HM_IDR0_S2P(s->prof.idr[0]);
    s->opt_force_sync = s->prof.force_sync;
    hm_cmdqv_probe(s);
    if (HM_IIDR_IMPLEMENTER(iidr) != HM_IIDR_IMPL_ARM) {
        return;
    }
    switch (HM_IIDR_PRODUCTID(iidr)) {
    case HM_IIDR_ARM_MMU_600:
        if (HM_IIDR_VARIANT(iidr) < 2) {
            s->feat_nesting = false;
        }
        break;
    case HM_IIDR_ARM_MMU_700:
        s->opt_force_sync = true;
        s->feat_nesting = false;
        break;
    }
}

bool hm_smmu_can_nest(const HmSmmu *s)
{
    return s->feat_nesting;
}

bool hm_smmu_dirty_capable(const HmSmmu *s)
{
    /* arm_smmu_dbm_capable(): HTTU access+dirty and coherent walks */
    return HM_IDR0_HTTU(s->prof.idr[0]) == 2 && HM_IDR0_COHACC(s->prof.idr[0]);
}

unsigned hm_smmu_oas_bits(const HmSmmu *s)
{
    static const unsigned oas[8] = { 32, 36, 40, 42, 44, 48, 52, 52 };

    return oas[HM_IDR5_OAS(s->prof.idr[5])];
}

unsigned hm_smmu_s1_ias_bits(const HmSmmu *s)
{
    unsigned ias = HM_IDR5_VAX(s->prof.idr[5]) == 1 ? 52 : 48;

    return ias < hm.cfg.va_bits ? ias : hm.cfg.va_bits;
}

unsigned hm_smmu_s2_ias_bits(const HmSmmu *s)
{
    unsigned ias = HM_IDR0_TTF(s->prof.idr[0]) == 3 ? 40 : 0;
    unsigned oas = hm_smmu_oas_bits(s);

    return ias > oas ? ias : oas;
}

int hm_smmu_vmid_alloc(HmSmmu *s, uint16_t *vmid)
{
    uint32_t max = (1u << s->vmid_bits) - 1;

    for (uint32_t v = 1; v <= max; v++) {
        if (!(s->vmid_used[v / 8] & (1u << (v % 8)))) {
            s->vmid_used[v / 8] |= 1u << (v % 8);
            *vmid = v;
            return 0;
        }
    }
    return -ENOSPC;
}

void hm_smmu_vmid_free(HmSmmu *s, uint16_t vmid)
{
    s->vmid_used[vmid / 8] &= ~(1u << (vmid % 8));
}

/* ---- nested HWPT: arm_smmu_validate_vste() ---- */

int hm_smmu_validate_vste(uint64_t ste[2], bool *enable_ats)
{
    unsigned cfg, eats;

    if (!(ste[0] & HM_STE0_V)) {
        /* a non-valid vSTE becomes an abort STE, whatever else it says */
        ste[0] = ste[1] = 0;
        return 0;
    }
    /* EIO is reserved for invalid STE data */
    if ((ste[0] & ~HM_STE0_NESTING_ALLOWED) ||
        (ste[1] & ~HM_STE1_NESTING_ALLOWED)) {
        return -EIO;
    }
    cfg = HM_STE0_CFG(ste[0]);
    if (cfg != HM_STE_CFG_ABORT && cfg != HM_STE_CFG_BYPASS &&
        cfg != HM_STE_CFG_S1_TRANS) {
        return -EIO;
    }
    eats = HM_STE1_EATS(ste[1]);
    ste[1] &= ~HM_STE1_EATS_MASK;
    if (eats != HM_STE1_EATS_ABT && eats != HM_STE1_EATS_TRANS) {
        return -EIO;
    }
    if (cfg == HM_STE_CFG_S1_TRANS) {
        *enable_ats = eats == HM_STE1_EATS_TRANS;
    }
    return 0;
}

/* ---- the host command queue ---- */

/* @vcmdq: -1 for the SMMU's own queue, else the CMDQV queue it came from */
int hm_smmu_log_cmd(HmSmmu *s, const uint64_t cmd[2], int sync_err,
                    int vcmdq)
{
    if (s->log_len == s->log_cap) {
        size_t n = s->log_cap ? s->log_cap * 2 : 256;
        HmHostCmd *l = realloc(s->log, n * sizeof(*l));

        if (!l) {
            return -ENOMEM;
        }
        s->log = l;
        s->log_cap = n;
    }
    s->log[s->log_len].cmd[0] = cmd[0];
    s->log[s->log_len].cmd[1] = cmd[1];
    s->log[s->log_len].batch = vcmdq < 0 ? s->batches : 0;
    s->log[s->log_len].sync_errno = sync_err;
    s->log[s->log_len].vcmdq = vcmdq;
    s->log_len++;
    return 0;
}

static int hm_smmu_sync_fault(HmSmmu *s)
{
    for (unsigned i = 0; i < sizeof(hm.fail_sync) / sizeof(hm.fail_sync[0]);
         i++) {
        HmFailRule *r = &hm.fail_sync[i];

        if (r->active && !strcmp(r->name, s->name) && --r->remaining == 0) {
            r->active = 0;
            return r->err;
        }
    }
    return 0;
}

/*
 * arm_smmu_cmdq_issue_cmdlist(..., sync = true): the commands, then a
 * CMD_SYNC whose completion is waited for.  A failed sync (a timeout on
 * real hardware) fails the whole list; the commands were still queued.
 */
int hm_smmu_issue_cmdlist(HmSmmu *s, const uint64_t (*cmds)[2], size_t n)
{
    uint64_t sync[2] = { HM_OP_CMD_SYNC | HM_SYNC_CS_SEV, 0 };
    int err;

    s->batches++;
    for (size_t i = 0; i < n; i++) {
        if (hm_smmu_log_cmd(s, cmds[i], 0, -1)) {
            return -ENOMEM;
        }
    }
    s->syncs++;
    err = hm_smmu_sync_fault(s);
    hm_smmu_log_cmd(s, sync, err, -1);
    return err ? -err : 0;
}

static HmDevice *hm_viommu_vsid_to_dev(HmViommu *v, uint32_t vsid)
{
    HmCtx *ctx = v->obj.ctx;

    for (uint32_t id = 1; id < ctx->n_objs; id++) {
        HmVdevice *vd = (HmVdevice *)ctx->objs[id];

        if (vd && vd->obj.type == HM_OBJ_VDEVICE && vd->viommu == v &&
            vd->virt_id == vsid) {
            return vd->idev->dev;
        }
    }
    return NULL;
}

/* arm_vsmmu_convert_user_cmd(): enforce the VMID or the physical SID */
static int hm_smmu_convert_cmd(HmViommu *v, uint64_t cmd[2])
{
    switch (HM_CMD_OP(cmd[0])) {
    case HM_OP_TLBI_NSNH_ALL:
        cmd[0] = HM_OP_TLBI_NH_ALL | ((uint64_t)v->vmid << 32);
        cmd[1] = 0;
        break;
    case HM_OP_TLBI_NH_VA:
    case HM_OP_TLBI_NH_VAA:
    case HM_OP_TLBI_NH_ALL:
    case HM_OP_TLBI_NH_ASID:
        cmd[0] &= ~HM_CMD_VMID_MASK;
        cmd[0] |= (uint64_t)v->vmid << 32;
        break;
    case HM_OP_ATC_INV:
    case HM_OP_CFGI_CD:
    case HM_OP_CFGI_CD_ALL: {
        HmDevice *d = hm_viommu_vsid_to_dev(v, HM_CMD_SID(cmd[0]));

        if (!d) {
            return -EIO;
        }
        cmd[0] &= ~HM_CMD_SID_MASK;
        cmd[0] |= (uint64_t)d->sid << 32;
        break;
    }
    default:
        return -EIO;
    }
    return 0;
}

/* iommu_copy_struct_from_full_user_array() */
static int hm_copy_full_user_array(uint64_t (*cmds)[2], uint64_t uptr,
                                   uint32_t type, uint32_t entry_len,
                                   uint32_t n)
{
    if (type != IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3) {
        return -EINVAL;
    }
    if (!n) {
        return -EINVAL;
    }
    if (entry_len == sizeof(cmds[0]) &&
        hm_copy_from_user(cmds, uptr, (size_t)n * entry_len)) {
        return -EFAULT;
    }
    for (uint32_t i = 0; i < n; i++) {
        int rc = hm_copy_struct_from_user(cmds[i], sizeof(cmds[0]),
                                          uptr + (uint64_t)entry_len * i,
                                          entry_len);

        if (rc) {
            return rc;
        }
    }
    return 0;
}

/*
 * arm_vsmmu_cache_invalidate(): convert in order, issue in batches of
 * (cmdq_batch - 1) commands plus a sync.  On failure entry_num is where
 * the loop stopped: a conversion error counts the converted-but-not-
 * issued commands of the current batch as handled, and a failed batch is
 * counted up to its last command but one.
 */
int hm_smmu_cache_invalidate(HmViommu *v, uint64_t uptr, uint32_t type,
                             uint32_t entry_len, uint32_t *entry_num,
                             HmCall *call)
{
    uint32_t n = *entry_num, cur = 0, last = 0;
    unsigned batch = v->smmu->prof.cmdq_batch;
    uint64_t (*cmds)[2];
    int rc;

    if ((uint64_t)n * sizeof(*cmds) > (1ULL << 30)) {
        *entry_num = 0;
        return -ENOMEM;
    }
    cmds = calloc(n ? n : 1, sizeof(*cmds));
    if (!cmds) {
        *entry_num = 0;
        return -ENOMEM;
    }
    rc = hm_copy_full_user_array(cmds, uptr, type, entry_len, n);
    if (rc) {
        goto out;
    }
    for (uint32_t i = 0; i < n && i < 8; i++) {
        hm_call_in(call, "\"cmd%u\":\"0x%016llx:0x%016llx\"", i,
                   (unsigned long long)cmds[i][0],
                   (unsigned long long)cmds[i][1]);
    }
    while (cur != n) {
        rc = hm_smmu_convert_cmd(v, cmds[cur]);
        if (rc) {
            hm_call_out(call, "\"bad_entry\":%u", cur);
            goto out;
        }
        cur++;
        if (cur != n && (cur - last) != batch - 1) {
            continue;
        }
        rc = hm_smmu_issue_cmdlist(v->smmu, &cmds[last], cur - last);
        if (rc) {
            cur--;
            goto out;
        }
        last = cur;
    }
out:
    *entry_num = cur;
    free(cmds);
    return rc;
}

/* ---- events: arm_smmu_handle_event() + arm_vmaster_report_event() ---- */

int hm_smmu_handle_event(HmDevice *dev, const uint64_t in[4], char *why,
                         size_t whylen, uint32_t *viommu_id, uint32_t *seq)
{
    uint64_t evt[4], vevt[4];
    int rc;

    memcpy(evt, in, sizeof(evt));
    /* the event comes from the device's physical StreamID */
    evt[0] = (evt[0] & ~HM_EVT_SID_MASK) | ((uint64_t)dev->sid << 32);
    hm_log_event("\"event\":\"host_event\",\"device\":\"%s\","
                 "\"evt\":[\"0x%llx\",\"0x%llx\",\"0x%llx\",\"0x%llx\"]",
                 dev->name, (unsigned long long)evt[0],
                 (unsigned long long)evt[1], (unsigned long long)evt[2],
                 (unsigned long long)evt[3]);
    switch (HM_EVT_ID(evt[0])) {
    case 0x04:  /* C_BAD_STE */
    case 0x06:  /* F_STREAM_DISABLED */
    case 0x08:  /* C_BAD_SUBSTREAMID */
    case 0x0a:  /* C_BAD_CD */
    case 0x10:  /* F_TRANSLATION */
    case 0x11:  /* F_ADDR_SIZE */
    case 0x12:  /* F_ACCESS */
    case 0x13:  /* F_PERMISSION */
        break;
    default:
        snprintf(why, whylen, "not-forwarded-type");
        return -EOPNOTSUPP;
    }
    if (evt[1] & HM_EVT1_STALL) {
        snprintf(why, whylen, "stall");
        return -EOPNOTSUPP;
    }
    if (!dev->has_vmaster) {
        snprintf(why, whylen, "no-vmaster");
        return -EOPNOTSUPP;
    }
    if (evt[1] & HM_EVT1_S2) {
        snprintf(why, whylen, "stage-2");
        return -EOPNOTSUPP;
    }
    vevt[0] = (evt[0] & ~HM_EVT_SID_MASK) | ((uint64_t)dev->vm_vsid << 32);
    vevt[1] = evt[1];
    vevt[2] = evt[2];
    vevt[3] = evt[3];
    *viommu_id = dev->vm_viommu->obj.id;
    rc = hm_veventq_report(dev->vm_viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
                           vevt, seq);
    if (rc == -EOPNOTSUPP) {
        snprintf(why, whylen, "no-veventq");
    } else if (rc == 1) {
        snprintf(why, whylen, "lost");
    }
    return rc;
}

/* ---- the physical STE the host builds for a device ---- */

void hm_smmu_install_ste(HmDevice *dev, HmHwpt *hwpt)
{
    bool ats_ok = dev->ats && HM_IDR0_ATS(dev->smmu->prof.idr[0]);
    uint64_t *ste = dev->ste;

    memset(dev->ste, 0, sizeof(dev->ste));
    dev->ats_enabled = false;
    if (!hwpt) {
        /* blocked: arm_smmu_make_abort_ste() */
        ste[0] = HM_STE0_V | ((uint64_t)HM_STE_CFG_ABORT << 1);
        return;
    }
    if (hwpt->obj.type == HM_OBJ_HWPT_PAGING) {
        dev->ats_enabled = ats_ok;
        if (hwpt->nest_parent ||
            !HM_IDR0_S1P(hwpt->smmu->prof.idr[0])) {
            ste[0] = HM_STE0_V | ((uint64_t)HM_STE_CFG_S2_TRANS << 1);
            ste[2] = hwpt->vmid;
        } else {
            ste[0] = HM_STE0_V | ((uint64_t)HM_STE_CFG_S1_TRANS << 1);
        }
    } else {
        unsigned cfg = HM_STE0_CFG(hwpt->ste[0]);

        if (!(hwpt->ste[0] & HM_STE0_V)) {
            cfg = HM_STE_CFG_ABORT;
        }
        switch (cfg) {
        case HM_STE_CFG_S1_TRANS:
            dev->ats_enabled = ats_ok && hwpt->enable_ats;
            ste[0] = HM_STE0_V | ((uint64_t)HM_STE_CFG_NESTED << 1) |
                     (hwpt->ste[0] & ~HM_STE0_CFG_MASK);
            ste[1] = hwpt->ste[1] | HM_STE1_MEV;
            ste[2] = hwpt->viommu->vmid;
            break;
        case HM_STE_CFG_BYPASS:
            ste[0] = HM_STE0_V | ((uint64_t)HM_STE_CFG_S2_TRANS << 1);
            ste[2] = hwpt->viommu->vmid;
            break;
        default:
            ste[0] = HM_STE0_V | ((uint64_t)HM_STE_CFG_ABORT << 1);
            break;
        }
    }
    if (dev->ats_enabled) {
        ste[1] |= (uint64_t)HM_STE1_EATS_TRANS << 28;
    }
}
