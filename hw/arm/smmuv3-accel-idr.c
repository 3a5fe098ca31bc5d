/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: the guest-visible ID registers.
 *
 * IOMMU_GET_HW_INFO returns the host SMMU's raw registers.  Every field the
 * uAPI lets a VMM read gets one rule, in one table, combining what this
 * model offers (QEMU's value), the host's value and the properties:
 *
 *   QEMU      QEMU's value: QEMU itself does that job (it reads the
 *             guest's stream table), the host is not involved
 *   MIN       the smaller of the two (sizes, levels)
 *   AND       offered only when both have it (feature bits, granules)
 *   STRICTER  the larger of the two, the larger being the more restrictive
 *   LE        little-endian tables: the host must walk them
 *   NOSTALL   no stall: a host that forces stalls cannot nest
 *
 * Everything else is QEMU's value, with stage 2 and the features the host
 * cannot nest (HTTU, BTM, PRI, stall) cleared.
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qapi/error.h"
#include "hw/registerfields.h"
#include "smmuv3-accel.h"
#include "trace.h"

typedef enum {
    RULE_QEMU,
    RULE_MIN,
    RULE_AND,
    RULE_STRICTER,
    RULE_LE,
    RULE_NOSTALL,
} IdrRule;

typedef struct IdrField {
    const char *name;
    uint8_t reg;
    uint8_t shift;
    uint8_t len;
    IdrRule rule;
    uint8_t qemu;       /* what this model offers with accel=on */
} IdrField;

#define IDR_FIELD(_reg, _field, _rule, _qemu) {                     \
    .name = #_reg "." #_field, .reg = A_##_reg / 4,                 \
    .shift = R_##_reg##_##_field##_SHIFT,                           \
    .len = R_##_reg##_##_field##_LENGTH,                            \
    .rule = RULE_##_rule, .qemu = (_qemu) }

/* Field values */
#define TTF_AARCH64      2
#define TTENDIAN_MIXED   0
#define TTENDIAN_LE      2
#define STALL_NONE       1
#define STALL_FORCED     2
#define OAS_44           4
#define OAS_48           5
#define SSIDSIZE_MAX     20

static const IdrField idr_fields[] = {
    IDR_FIELD(IDR0, STLEVEL,     QEMU,     1),
    IDR_FIELD(IDR0, TERM_MODEL,  STRICTER, 1),
    IDR_FIELD(IDR0, STALL_MODEL, NOSTALL,  STALL_NONE),
    IDR_FIELD(IDR0, TTENDIAN,    LE,       TTENDIAN_LE),
    IDR_FIELD(IDR0, CD2L,        AND,      1),
    IDR_FIELD(IDR0, ASID16,      AND,      1),
    IDR_FIELD(IDR0, TTF,         AND,      TTF_AARCH64),
    IDR_FIELD(IDR0, ATS,         AND,      1),
    /* QEMU writes the CMD_SYNC completion MSI itself (smmuv3-accel-cmdq.c) */
    IDR_FIELD(IDR0, MSI,         QEMU,     1),
    IDR_FIELD(IDR1, SIDSIZE,     QEMU,     SMMU_IDR1_SIDSIZE),
    IDR_FIELD(IDR1, SSIDSIZE,    MIN,      SSIDSIZE_MAX),
    IDR_FIELD(IDR3, BBML,        MIN,      2),
    IDR_FIELD(IDR3, RIL,         AND,      1),
    /*
     * QEMU walks the guest's stage 1 itself for emulated devices and the
     * MSI doorbells of assigned ones: 48-bit VAs and outputs at most.
     */
    IDR_FIELD(IDR5, VAX,         MIN,      0),
    IDR_FIELD(IDR5, OAS,         MIN,      OAS_48),
    IDR_FIELD(IDR5, GRAN4K,      AND,      1),
    IDR_FIELD(IDR5, GRAN16K,     AND,      1),
    IDR_FIELD(IDR5, GRAN64K,     AND,      1),
};

/*
 * With no host to learn from, a value every nesting-capable SMMUv3 host
 * honours: later devices are then checked against it.
 */
static uint8_t baseline_value(const IdrField *f)
{
    switch (f->rule) {
    case RULE_AND:
        /* 4K granule and AArch64 tables are what nesting hosts have */
        if (!strcmp(f->name, "IDR5.GRAN4K") || !strcmp(f->name, "IDR0.TTF")) {
            return f->qemu;
        }
        return 0;
    case RULE_MIN:
        return !strcmp(f->name, "IDR5.OAS") ? OAS_44 : 0;
    default:
        return f->qemu;
    }
}

static uint32_t field_get(const uint32_t *regs, const IdrField *f)
{
    return extract32(regs[f->reg], f->shift, f->len);
}

static void field_set(uint32_t *regs, const IdrField *f, uint32_t v)
{
    regs[f->reg] = deposit32(regs[f->reg], f->shift, f->len, v);
}

static const int oas_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

/* The cap a property puts on a field, or -1 for "auto" */
static int prop_cap(SMMUv3State *s, const IdrField *f)
{
    OnOffAuto sw = ON_OFF_AUTO_AUTO;

    if (!strcmp(f->name, "IDR3.RIL")) {
        sw = s->ril;
    } else if (!strcmp(f->name, "IDR0.ATS")) {
        sw = s->ats;
    } else if (!strcmp(f->name, "IDR5.OAS") && s->oas &&
               strcmp(s->oas, "auto")) {
        for (int i = 0; i < ARRAY_SIZE(oas_bits); i++) {
            if (atoi(s->oas) == oas_bits[i]) {
                return i;
            }
        }
    } else if (!strcmp(f->name, "IDR1.SSIDSIZE") && s->ssidsize &&
               strcmp(s->ssidsize, "auto")) {
        return atoi(s->ssidsize);
    }
    return sw == ON_OFF_AUTO_AUTO ? -1 : sw == ON_OFF_AUTO_ON;
}

static const char *prop_name(const IdrField *f)
{
    if (!strcmp(f->name, "IDR3.RIL")) {
        return "ril";
    } else if (!strcmp(f->name, "IDR0.ATS")) {
        return "ats";
    } else if (!strcmp(f->name, "IDR5.OAS")) {
        return "oas";
    } else if (!strcmp(f->name, "IDR1.SSIDSIZE")) {
        return "ssidsize";
    }
    return NULL;
}

bool smmuv3_accel_parse_props(SMMUv3State *s, Error **errp)
{
    uint64_t v;

    if (s->oas && strcmp(s->oas, "auto")) {
        bool ok = false;

        if (!qemu_strtou64(s->oas, NULL, 10, &v)) {
            for (int i = 0; i < ARRAY_SIZE(oas_bits); i++) {
                ok |= v == oas_bits[i];
            }
        }
        if (!ok) {
            error_setg(errp, "oas=%s is not an SMMUv3 output address size; "
                       "use auto, 32, 36, 40, 42, 44, 48 or 52", s->oas);
            return false;
        }
        if (v > oas_bits[OAS_48]) {
            error_setg(errp, "oas=%s is not offered: QEMU's own stage-1 "
                       "walk (emulated devices, MSI doorbells) outputs 48 "
                       "bits at most; use oas=48 or auto", s->oas);
            return false;
        }
    }
    if (s->ssidsize && strcmp(s->ssidsize, "auto") &&
        (qemu_strtou64(s->ssidsize, NULL, 10, &v) || v > SSIDSIZE_MAX)) {
        error_setg(errp, "ssidsize=%s is invalid; use auto or 0 to %d",
                   s->ssidsize, SSIDSIZE_MAX);
        return false;
    }
    if (!s->accel && (s->ril != ON_OFF_AUTO_AUTO ||
                      s->ats != ON_OFF_AUTO_AUTO || s->oas || s->ssidsize ||
                      !s->dt_msi_window)) {
        error_setg(errp, "ril, ats, oas, ssidsize and dt-msi-window apply "
                   "to accel=on only: add accel=on or remove them");
        return false;
    }
    return true;
}

/*
 * Combine the offer @offer (QEMU's values, or the guest's current ones
 * when checking a new host) with the host registers and the properties.
 */
static bool combine(SMMUv3State *s, const uint8_t *offer,
                    const uint32_t host[6], uint32_t guest[6], Error **errp)
{
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        const IdrField *f = &idr_fields[i];
        uint32_t h = field_get(host, f);
        uint32_t v = offer[i];
        int cap = prop_cap(s, f);

        switch (f->rule) {
        case RULE_QEMU:
            break;
        case RULE_MIN:
            v = MIN(v, h);
            break;
        case RULE_AND:
            v &= h;
            break;
        case RULE_STRICTER:
            v = MAX(v, h);
            break;
        case RULE_LE:
            if (h != TTENDIAN_MIXED && h != TTENDIAN_LE) {
                error_setg(errp, "the host SMMU cannot walk little-endian "
                           "tables (%s=%u)", f->name, h);
                return false;
            }
            break;
        case RULE_NOSTALL:
            if (h == STALL_FORCED) {
                error_setg(errp, "the host SMMU forces stalls (%s=%u), which "
                           "nesting does not support", f->name, h);
                return false;
            }
            break;
        }
        if (cap >= 0) {
            if (cap > v && cap <= offer[i]) {
                error_setg(errp, "%s=%s cannot be honoured: the host SMMU "
                           "has %s=%u (QEMU would offer %u); use %s=auto or "
                           "a smaller value", prop_name(f),
                           f->len == 1 ? "on" :
                           !strcmp(f->name, "IDR5.OAS") ? s->oas : s->ssidsize,
                           f->name, h, v, prop_name(f));
                return false;
            }
            v = MIN(v, (uint32_t)cap);
        }
        if (!strcmp(f->name, "IDR0.TTF") && !v) {
            error_setg(errp, "the host SMMU cannot walk AArch64 tables "
                       "(%s=%u)", f->name, h);
            return false;
        }
        field_set(guest, f, v);
    }
    return true;
}

static void clear_unnested_features(uint32_t idr[6]);

/*
 * Put the resolved fields into the registers QEMU's model initialised, and
 * clear what is never offered with accel=on.
 */
void smmuv3_accel_idr_apply(const SMMUv3AccelIdr *idr, uint32_t regs[6])
{
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        field_set(regs, &idr_fields[i], field_get(idr->guest,
                                                  &idr_fields[i]));
    }
    clear_unnested_features(regs);
}

static void clear_unnested_features(uint32_t idr[6])
{
    idr[0] = FIELD_DP32(idr[0], IDR0, S2P, 0);
    idr[0] = FIELD_DP32(idr[0], IDR0, S1P, 1);
    idr[0] = FIELD_DP32(idr[0], IDR0, VMID16, 0);
    idr[0] = FIELD_DP32(idr[0], IDR0, HTTU, 0);
    idr[0] = FIELD_DP32(idr[0], IDR0, BTM, 0);
    idr[0] = FIELD_DP32(idr[0], IDR0, PRI, 0);
    idr[0] = FIELD_DP32(idr[0], IDR0, HYP, 0);
    /*
     * The host walks the guest's CDs: CD.HAD0/1 would mean what the host
     * does, and the uAPI does not say whether it has HAD.
     */
    idr[3] = FIELD_DP32(idr[3], IDR3, HAD, 0);
    idr[3] = FIELD_DP32(idr[3], IDR3, XNX, 0);
    idr[3] = FIELD_DP32(idr[3], IDR3, FWB, 0);
}

static const char *const rule_names[] = {
    [RULE_QEMU] = "QEMU", [RULE_MIN] = "MIN", [RULE_AND] = "AND",
    [RULE_STRICTER] = "STRICTER", [RULE_LE] = "LE", [RULE_NOSTALL] = "NOSTALL",
};

void smmuv3_accel_idr_visit(const SMMUv3AccelIdr *idr,
                            SMMUv3AccelIdrVisit *fn, void *opaque)
{
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        const IdrField *f = &idr_fields[i];

        fn(opaque, f->name, rule_names[f->rule], field_get(idr->host, f),
           f->qemu, field_get(idr->guest, f));
    }
}

static void trace_idrs(const SMMUv3AccelIdr *idr)
{
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        const IdrField *f = &idr_fields[i];

        trace_smmuv3_accel_idr_field(f->name,
                                     idr->resolved ? field_get(idr->host, f)
                                                   : 0,
                                     f->qemu, field_get(idr->guest, f),
                                     idr->resolved);
    }
}

void smmuv3_accel_idr_baseline(SMMUv3State *s, SMMUv3AccelIdr *idr)
{
    memset(idr, 0, sizeof(*idr));
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        const IdrField *f = &idr_fields[i];
        int cap = prop_cap(s, f);

        /*
         * An explicit property is taken as asked, and checked against the
         * host when a device arrives.
         */
        field_set(idr->guest, f, cap >= 0 ? MIN(f->qemu, cap)
                                          : baseline_value(f));
    }
    trace_idrs(idr);
}

bool smmuv3_accel_idr_resolve(SMMUv3State *s, const uint32_t host_idr[6],
                              uint32_t host_iidr, uint32_t host_aidr,
                              SMMUv3AccelIdr *idr, Error **errp)
{
    uint8_t offer[ARRAY_SIZE(idr_fields)];
    uint32_t guest[6] = { 0 };

    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        offer[i] = idr_fields[i].qemu;
    }
    if (!combine(s, offer, host_idr, guest, errp)) {
        return false;
    }
    memcpy(idr->guest, guest, sizeof(guest));
    memcpy(idr->host, host_idr, sizeof(idr->host));
    idr->host_iidr = host_iidr;
    idr->host_aidr = host_aidr;
    idr->resolved = true;
    trace_idrs(idr);
    return true;
}

bool smmuv3_accel_idr_check_host(SMMUv3State *s, const SMMUv3AccelIdr *idr,
                                 const uint32_t host_idr[6],
                                 uint32_t host_iidr, uint32_t host_aidr,
                                 Error **errp)
{
    uint8_t offer[ARRAY_SIZE(idr_fields)];
    uint32_t guest[6];

    if (idr->resolved) {
        /* One vSMMU, one host SMMU: the kernel refuses a foreign S2 */
        if (memcmp(idr->host, host_idr, sizeof(idr->host)) ||
            idr->host_iidr != host_iidr || idr->host_aidr != host_aidr) {
            for (int i = 0; i < 6; i++) {
                if (idr->host[i] != host_idr[i]) {
                    error_setg(errp, "the device is behind another host SMMU "
                               "than the vSMMU's other devices (host IDR%d "
                               "0x%08x, theirs 0x%08x); put it behind "
                               "another arm-smmuv3 (one per host SMMU)",
                               i, host_idr[i], idr->host[i]);
                    return false;
                }
            }
            error_setg(errp, "the device is behind another host SMMU than "
                       "the vSMMU's other devices (IIDR/AIDR differ); put it "
                       "behind another arm-smmuv3 (one per host SMMU)");
            return false;
        }
        return true;
    }

    /* The guest already saw the baseline: the host must honour it */
    memcpy(guest, idr->guest, sizeof(guest));
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        offer[i] = field_get(idr->guest, &idr_fields[i]);
    }
    if (!combine(s, offer, host_idr, guest, errp)) {
        return false;
    }
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        const IdrField *f = &idr_fields[i];

        if (field_get(guest, f) != field_get(idr->guest, f)) {
            error_setg(errp, "the host SMMU cannot honour what the guest was "
                       "told: %s is %u, the host has %u", f->name,
                       field_get(idr->guest, f), field_get(host_idr, f));
            return false;
        }
    }
    return true;
}

/* SMMU_IIDR fields, and the parts Linux knows errata of */
#define IIDR_IMPLEMENTER(v)     extract32(v, 0, 12)
#define IIDR_REVISION(v)        extract32(v, 12, 4)
#define IIDR_VARIANT(v)         extract32(v, 16, 4)
#define IIDR_PRODUCTID(v)       extract32(v, 20, 12)
#define IIDR_IMPL_ARM           0x43b
#define IIDR_ARM_MMU_600        0x483
#define IIDR_ARM_MMU_700        0x487

char *smmuv3_accel_idr_why_no_nesting(const uint32_t host_idr[6],
                                      uint32_t host_iidr)
{
    uint32_t idr0 = host_idr[0];

    if (!FIELD_EX32(idr0, IDR0, S1P) || !FIELD_EX32(idr0, IDR0, S2P)) {
        return g_strdup_printf("it lacks a translation stage (SMMU_IDR0.S1P="
                               "%u, S2P=%u)", FIELD_EX32(idr0, IDR0, S1P),
                               FIELD_EX32(idr0, IDR0, S2P));
    }
    if (IIDR_IMPLEMENTER(host_iidr) == IIDR_IMPL_ARM &&
        IIDR_PRODUCTID(host_iidr) == IIDR_ARM_MMU_700) {
        return g_strdup_printf("it is an Arm MMU-700 r%up%u (SMMU_IIDR "
                               "0x%08x), on which Linux turns nesting off "
                               "(Arm errata 2268618, 2812531)",
                               IIDR_VARIANT(host_iidr),
                               IIDR_REVISION(host_iidr), host_iidr);
    }
    if (IIDR_IMPLEMENTER(host_iidr) == IIDR_IMPL_ARM &&
        IIDR_PRODUCTID(host_iidr) == IIDR_ARM_MMU_600 &&
        IIDR_VARIANT(host_iidr) < 2) {
        return g_strdup_printf("it is an Arm MMU-600 r%up%u (SMMU_IIDR "
                               "0x%08x), on which Linux turns nesting off "
                               "before r2p0 (Arm erratum 1209401)",
                               IIDR_VARIANT(host_iidr),
                               IIDR_REVISION(host_iidr), host_iidr);
    }
    if (!FIELD_EX32(host_idr[3], IDR3, FWB)) {
        return g_strdup("SMMU_IDR3.FWB is 0: Linux nests only with S2FWB or "
                        "behind a root complex the firmware says is coherent "
                        "(IORT CANWBS)");
    }
    return NULL;
}
