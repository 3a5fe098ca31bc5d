/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: from a guest stream table entry to the host HWPT an
 * assigned device is attached to.
 *
 * QEMU reads the guest STE (linear or 2-level table), validates it as the
 * architecture says, and attaches the device to the vIOMMU's shared abort
 * or bypass nested HWPT, or to a nested HWPT of its own built from the
 * STE's stage-1 fields (an invalid, V=0, STE gets one too).  An STE QEMU
 * cannot honour raises C_BAD_STE in the guest's event queue and nothing of
 * it reaches the host.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "system/iommufd-nesting.h"
#include "smmuv3-accel-internal.h"
#include "trace.h"

/*
 * What the host kernel accepts in the two words of a vSTE (anything else
 * is EIO); its S1STALLD bit, set by QEMU.
 */
#define STE0_HOST_MASK      0xf80fffffffffffffULL
#define STE1_HOST_MASK      0x380000ffULL
#define STE1_S1STALLD_SHIFT 27
/*
 * S1ContextPtr, STE bits [51:6] (upstream's STE_CTXPTR() stops at bit 47,
 * which would let an out-of-range pointer through the OAS check).
 */
#define STE0_CTXPTR_MASK    MAKE_64BIT_MASK(6, 46)

#define S1FMT_LINEAR        0
#define S1FMT_RESERVED      3
#define S1DSS_RESERVED      3
#define EATS_TRANSLATE      1

typedef enum {
    ACCEL_STE_ABORT,
    ACCEL_STE_BYPASS,
    ACCEL_STE_INVALID,      /* V=0: the host raises C_BAD_STE on DMA */
    ACCEL_STE_S1,
} SMMUv3AccelSteTarget;

static const char *const ste_target_names[] = {
    [ACCEL_STE_ABORT] = "abort", [ACCEL_STE_BYPASS] = "bypass",
    [ACCEL_STE_INVALID] = "invalid", [ACCEL_STE_S1] = "stage-1",
};

/*
 * Check a valid guest STE against the architecture and the registers the
 * guest was given.  Returns the target, or -1 with *@why set when the STE
 * is ILLEGAL (C_BAD_STE).
 */
static int smmuv3_accel_ste_classify(SMMUv3State *s, const STE *ste,
                                     const char **why)
{
    uint64_t word0 = ste->word[0] | (uint64_t)ste->word[1] << 32;
    uint32_t idr0 = s->idr[0], idr1 = s->idr[1];
    unsigned config = STE_CONFIG(ste);
    unsigned s1fmt = STE_S1FMT(ste);
    unsigned cdmax = STE_S1CDMAX(ste);
    unsigned s1dss = STE_S1DSS(ste);
    unsigned eats = STE_EATS(ste);
    int oas = oas2bits(FIELD_EX32(s->idr[5], IDR5, OAS));

    switch (config) {
    case SMMUV3_ACCEL_STE_CFG_ABORT:
        return ACCEL_STE_ABORT;
    case SMMUV3_ACCEL_STE_CFG_BYPASS:
        return ACCEL_STE_BYPASS;
    case SMMUV3_ACCEL_STE_CFG_S1:
        break;
    default:
        /* Stage 2 is never offered with accel=on; 1 to 3 are reserved */
        *why = "Config not abort, bypass or stage-1";
        return -1;
    }
    if (STE_STRW(ste)) {
        *why = "StreamWorld other than NS-EL1";
        return -1;
    }
    if (cdmax > FIELD_EX32(idr1, IDR1, SSIDSIZE)) {
        *why = "S1CDMax above SMMU_IDR1.SSIDSIZE";
        return -1;
    }
    if (cdmax) {
        if (s1fmt == S1FMT_RESERVED) {
            *why = "reserved S1Fmt";
            return -1;
        }
        if (s1fmt != S1FMT_LINEAR && !FIELD_EX32(idr0, IDR0, CD2L)) {
            *why = "2-level CD table without SMMU_IDR0.CD2L";
            return -1;
        }
        if (s1dss == S1DSS_RESERVED) {
            *why = "reserved S1DSS";
            return -1;
        }
    }
    if (word0 & STE0_CTXPTR_MASK & ~MAKE_64BIT_MASK(0, oas)) {
        *why = "S1ContextPtr beyond the output address size";
        return -1;
    }
    if (eats && (eats != EATS_TRANSLATE || !FIELD_EX32(idr0, IDR0, ATS))) {
        *why = "EATS without ATS, or split-stage/reserved EATS";
        return -1;
    }
    return ACCEL_STE_S1;
}

static bool smmuv3_accel_ste_viommu_ready(SMMUv3Accel *a)
{
    return a->viommu_id && a->abort_hwpt_id && a->bypass_hwpt_id;
}

/*
 * An STE the host will not get: C_BAD_STE when a command asked for it
 * (@report), never on a register write or a plug, which no transaction
 * or command of the guest caused.
 */
static void smmuv3_accel_ste_bad(SMMUv3Accel *a, uint32_t sid,
                                 const char *why, bool report)
{
    SMMUEventInfo info = { .type = SMMU_EVT_C_BAD_STE, .sid = sid };

    a->n_bad_ste++;
    trace_smmuv3_accel_bad_ste(sid, why, report);
    qemu_log_mask(LOG_GUEST_ERROR, "arm-smmuv3 accel: STE of SID 0x%x "
                  "cannot be installed: %s\n", sid, why);
    if (report) {
        smmuv3_record_event(a->smmu, &info);
    }
}

/* Attach to the shared abort HWPT after a failure; last resort, logged */
static void smmuv3_accel_ste_fall_back(SMMUv3Accel *a, SMMUv3AccelDevice *dev)
{
    Error *err = NULL;

    if (!smmuv3_accel_device_attach(dev, a->abort_hwpt_id, &err)) {
        /* A guest can repeat what led here: said once */
        warn_report_err_once(err);
    }
    smmuv3_accel_device_release_s1(dev);
}

/*
 * The guest was told there is no stall (IDR0.STALL_MODEL=1), but a host
 * that can stall would honour CD.S for a stream whose S1STALLD is 0: set
 * it there, as Linux does for its own STEs; elsewhere it is RES0.
 */
static uint64_t smmuv3_accel_ste_stalld(SMMUv3Accel *a, uint64_t ste1)
{
    bool host_stalls = FIELD_EX32(a->idr.host[0], IDR0, STALL_MODEL) == 0;

    return deposit64(ste1, STE1_S1STALLD_SHIFT, 1, host_stalls);
}

static void smmuv3_accel_ste_install_s1(SMMUv3Accel *a,
                                        SMMUv3AccelDevice *dev, uint32_t sid,
                                        const uint64_t guest[2], bool report)
{
    uint64_t ste[2] = {
        guest[0] & STE0_HOST_MASK,
        guest[0] & SMMUV3_ACCEL_STE0_V ?
            smmuv3_accel_ste_stalld(a, guest[1] & STE1_HOST_MASK) : 0,
    };
    uint32_t old = dev->s1_hwpt_id, hwpt;
    g_autoptr(Error) err = NULL;

    if (dev->s1_hwpt_id && dev->hwpt_id == dev->s1_hwpt_id &&
        dev->vdevice_id && dev->vsid == sid &&
        !memcmp(dev->ste, ste, sizeof(ste))) {
        /*
         * Same STE, same StreamID: the host re-reads CDs on the forwarded
         * CFGI_CD.  A renumbered bus moves the vSID even for the same STE.
         */
        return;
    }
    if (!smmuv3_accel_device_ensure_vdevice(dev, sid, &err) ||
        !iommufd_backend_alloc_nested_hwpt_smmuv3(a->be, dev->idev->devid,
                                                  a->viommu_id, ste, &hwpt,
                                                  &err)) {
        a->n_host_errors++;
        smmuv3_accel_ste_bad(a, sid, error_get_pretty(err), report);
        smmuv3_accel_ste_fall_back(a, dev);
        return;
    }
    if (!smmuv3_accel_device_attach(dev, hwpt, &err)) {
        a->n_host_errors++;
        smmuv3_accel_ste_bad(a, sid, error_get_pretty(err), report);
        iommufd_backend_free_id(a->be, hwpt);
        smmuv3_accel_ste_fall_back(a, dev);
        return;
    }
    /* Replace, then free the old one: the device never sees a gap */
    dev->s1_hwpt_id = hwpt;
    memcpy(dev->ste, ste, sizeof(ste));
    if (old && old != hwpt) {
        iommufd_backend_free_id(a->be, old);
    }
}

static void smmuv3_accel_ste_install_shared(SMMUv3Accel *a,
                                            SMMUv3AccelDevice *dev,
                                            uint32_t sid,
                                            SMMUv3AccelSteTarget target,
                                            bool report)
{
    uint32_t hwpt = target == ACCEL_STE_BYPASS ? a->bypass_hwpt_id :
                    a->abort_hwpt_id;
    g_autoptr(Error) err = NULL;

    if (!smmuv3_accel_device_attach(dev, hwpt, &err)) {
        a->n_host_errors++;
        warn_report_once("arm-smmuv3 accel: the host refused the %s HWPT "
                         "of a device: %s", ste_target_names[target],
                         error_get_pretty(err));
        smmuv3_accel_ste_bad(a, sid, error_get_pretty(err),
                       report && smmu_enabled(a->smmu));
        smmuv3_accel_ste_fall_back(a, dev);
        return;
    }
    memset(dev->ste, 0, sizeof(dev->ste));
    smmuv3_accel_device_release_s1(dev);
}

void smmuv3_accel_ste_install(SMMUv3Accel *a, SMMUv3AccelDevice *dev,
                              bool report)
{
    SMMUv3State *s = a->smmu;
    uint32_t sid = smmuv3_accel_device_sid(dev);
    SMMUEventInfo event = { .type = SMMU_EVT_NONE, .sid = sid,
                            .inval_ste_allowed = true };
    const char *why = NULL;
    uint64_t words[2];
    STE ste;
    int target;

    if (!smmuv3_accel_ste_viommu_ready(a)) {
        return;
    }
    if (!smmu_enabled(s)) {
        /* SMMU disabled: GBPA decides for every stream */
        target = FIELD_EX32(s->gbpa, GBPA, ABORT) ? ACCEL_STE_ABORT
                                                  : ACCEL_STE_BYPASS;
        trace_smmuv3_accel_install(sid, "disabled", ste_target_names[target]);
        smmuv3_accel_ste_install_shared(a, dev, sid, target, report);
        return;
    }
    if (smmu_find_ste(s, sid, &ste, &event)) {
        /* Out-of-range SID, unreadable table: QEMU reports it itself */
        if (report && event.type != SMMU_EVT_NONE) {
            smmuv3_record_event(s, &event);
        }
        trace_smmuv3_accel_install(sid, "unreadable", "abort");
        smmuv3_accel_ste_install_shared(a, dev, sid, ACCEL_STE_ABORT, report);
        return;
    }
    words[0] = ste.word[0] | (uint64_t)ste.word[1] << 32;
    words[1] = ste.word[2] | (uint64_t)ste.word[3] << 32;

    if (!STE_VALID(&ste)) {
        target = ACCEL_STE_INVALID;
    } else {
        target = smmuv3_accel_ste_classify(s, &ste, &why);
        if (target < 0) {
            smmuv3_accel_ste_bad(a, sid, why, report);
            target = ACCEL_STE_INVALID;
        }
    }
    trace_smmuv3_accel_install(sid, "enabled", ste_target_names[target]);

    switch (target) {
    case ACCEL_STE_S1:
        smmuv3_accel_ste_install_s1(a, dev, sid, words, report);
        break;
    case ACCEL_STE_INVALID: {
        /* V=0 lets the host report C_BAD_STE for DMA on this stream */
        static const uint64_t invalid[2];

        smmuv3_accel_ste_install_s1(a, dev, sid, invalid, report);
        break;
    }
    default:
        smmuv3_accel_ste_install_shared(a, dev, sid, target, report);
        break;
    }
}

void smmuv3_accel_ste_install_all(SMMUv3Accel *a)
{
    SMMUv3AccelDevice *dev;

    QLIST_FOREACH(dev, &a->devices, next) {
        smmuv3_accel_ste_install(a, dev, false);
    }
}

void smmuv3_accel_install_ste_range(SMMUv3State *s, uint32_t first,
                                    uint32_t last)
{
    SMMUv3Accel *a = s->accel_state;
    SMMUv3AccelDevice *dev;

    if (!a) {
        return;
    }
    QLIST_FOREACH(dev, &a->devices, next) {
        uint32_t sid = smmuv3_accel_device_sid(dev);

        if (sid >= first && sid <= last) {
            smmuv3_accel_ste_install(a, dev, true);
        }
    }
}

void smmuv3_accel_config_changed(SMMUv3State *s)
{
    if (s->accel_state) {
        smmuv3_accel_ste_install_all(s->accel_state);
        smmuv3_accel_evtq_update(s->accel_state);
    }
}
