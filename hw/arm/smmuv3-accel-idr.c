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
#include "qapi/error.h"
#include "qapi/qapi-types-smmuv3-accel.h"
#include "qom/object.h"
#include "hw/registerfields.h"
#include "smmuv3-accel-internal.h"
#include "trace.h"

typedef enum {
    RULE_QEMU,
    RULE_MIN,
    RULE_AND,
    RULE_STRICTER,
    RULE_LE,
    RULE_NOSTALL,
} SMMUv3AccelIdrRule;

typedef struct SMMUv3AccelIdrField {
    const char *name;
    uint8_t reg;
    uint8_t shift;
    uint8_t len;
    SMMUv3AccelIdrRule rule;
    uint8_t qemu;       /* what this model offers with accel=on */
    /*
     * What the guest sees while no host is known: a value every nesting
     * host honours, so that the host of a later device can be checked.
     */
    uint8_t baseline;
    /* A host with 0 here is refused: what the guest would lack */
    const char *required;
    /* The property that caps the field, and its cap: -1 for auto */
    const char *prop;
    int (*cap)(SMMUv3State *s);
} SMMUv3AccelIdrField;

#define IDR_FIELD(_reg, _field, _rule, _qemu, _baseline, ...) {     \
    .name = #_reg "." #_field, .reg = A_##_reg / 4,                 \
    .shift = R_##_reg##_##_field##_SHIFT,                           \
    .len = R_##_reg##_##_field##_LENGTH,                            \
    .rule = RULE_##_rule, .qemu = (_qemu), .baseline = (_baseline), \
    __VA_ARGS__ }

/* Field values */
#define TTF_AARCH64      2
#define TTENDIAN_MIXED   0
#define TTENDIAN_LE      2
#define STALL_NONE       1
#define STALL_FORCED     2
#define OAS_44           4
#define OAS_48           5
#define SSIDSIZE_MAX     20

static int smmuv3_accel_idr_cap_switch(OnOffAuto sw)
{
    return sw == ON_OFF_AUTO_AUTO ? -1 : sw == ON_OFF_AUTO_ON;
}

static int smmuv3_accel_idr_cap_ats(SMMUv3State *s)
{
    return smmuv3_accel_idr_cap_switch(s->ats);
}

static int smmuv3_accel_idr_cap_ril(SMMUv3State *s)
{
    return smmuv3_accel_idr_cap_switch(s->ril);
}

/* The enums list the field's encodings in order, after auto */
QEMU_BUILD_BUG_ON(SMMUV3_ACCEL_OAS_AUTO != 0 || SMMUV3_ACCEL_OAS_32 != 1 ||
                  SMMUV3_ACCEL_OAS_48 - SMMUV3_ACCEL_OAS_32 != OAS_48);
QEMU_BUILD_BUG_ON(SMMUV3_ACCEL_SSID_SIZE_AUTO != 0 ||
                  SMMUV3_ACCEL_SSID_SIZE_20 - SMMUV3_ACCEL_SSID_SIZE_0 !=
                  SSIDSIZE_MAX);

static int smmuv3_accel_idr_cap_oas(SMMUv3State *s)
{
    return s->oas - SMMUV3_ACCEL_OAS_32 - (s->oas == SMMUV3_ACCEL_OAS_AUTO);
}

static int smmuv3_accel_idr_cap_ssidsize(SMMUv3State *s)
{
    return s->ssidsize - SMMUV3_ACCEL_SSID_SIZE_0 -
           (s->ssidsize == SMMUV3_ACCEL_SSID_SIZE_AUTO);
}

static const SMMUv3AccelIdrField idr_fields[] = {
    /*        register field     rule      QEMU         baseline */
    IDR_FIELD(IDR0, STLEVEL,     QEMU,     1,           1),
    IDR_FIELD(IDR0, TERM_MODEL,  STRICTER, 1,           1),
    IDR_FIELD(IDR0, STALL_MODEL, NOSTALL,  STALL_NONE,  STALL_NONE),
    IDR_FIELD(IDR0, TTENDIAN,    LE,       TTENDIAN_LE, TTENDIAN_LE),
    IDR_FIELD(IDR0, CD2L,        AND,      1,           0),
    IDR_FIELD(IDR0, ASID16,      AND,      1,           0),
    IDR_FIELD(IDR0, TTF,         AND,      TTF_AARCH64, TTF_AARCH64,
              .required = "cannot walk AArch64 tables"),
    IDR_FIELD(IDR0, ATS,         AND,      1,           0,
              .prop = "ats", .cap = smmuv3_accel_idr_cap_ats),
    /* QEMU writes the CMD_SYNC completion MSI itself (smmuv3-accel-msi.c) */
    IDR_FIELD(IDR0, MSI,         QEMU,     1,           1),
    IDR_FIELD(IDR1, SIDSIZE,     QEMU,     SMMU_IDR1_SIDSIZE,
              SMMU_IDR1_SIDSIZE),
    IDR_FIELD(IDR1, SSIDSIZE,    MIN,      SSIDSIZE_MAX, 0,
              .prop = "ssidsize", .cap = smmuv3_accel_idr_cap_ssidsize),
    IDR_FIELD(IDR3, BBML,        MIN,      2,           0),
    IDR_FIELD(IDR3, RIL,         AND,      1,           0,
              .prop = "ril", .cap = smmuv3_accel_idr_cap_ril),
    /*
     * QEMU walks the guest's stage 1 itself for emulated devices and the
     * MSI doorbells of assigned ones: 48-bit VAs and outputs at most.
     */
    IDR_FIELD(IDR5, VAX,         MIN,      0,           0),
    IDR_FIELD(IDR5, OAS,         MIN,      OAS_48,      OAS_44,
              .prop = "oas", .cap = smmuv3_accel_idr_cap_oas),
    IDR_FIELD(IDR5, GRAN4K,      AND,      1,           1),
    IDR_FIELD(IDR5, GRAN16K,     AND,      1,           0),
    IDR_FIELD(IDR5, GRAN64K,     AND,      1,           0),
};

static uint32_t smmuv3_accel_idr_get(const uint32_t *regs,
                                     const SMMUv3AccelIdrField *f)
{
    return extract32(regs[f->reg], f->shift, f->len);
}

static void smmuv3_accel_idr_set(uint32_t *regs,
                                 const SMMUv3AccelIdrField *f, uint32_t v)
{
    regs[f->reg] = deposit32(regs[f->reg], f->shift, f->len, v);
}

/* The cap a property puts on a field, or -1 for none or "auto" */
static int smmuv3_accel_idr_prop_cap(SMMUv3State *s,
                                     const SMMUv3AccelIdrField *f)
{
    return f->cap ? f->cap(s) : -1;
}

/*
 * Combine the offer @offer (QEMU's values, or the guest's current ones
 * when checking a new host) with the host registers and the properties.
 */
static bool smmuv3_accel_idr_combine(SMMUv3State *s, const uint8_t *offer,
                                     const uint32_t host[6], uint32_t guest[6],
                                     Error **errp)
{
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        const SMMUv3AccelIdrField *f = &idr_fields[i];
        uint32_t h = smmuv3_accel_idr_get(host, f);
        uint32_t v = offer[i];
        int cap = smmuv3_accel_idr_prop_cap(s, f);

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
                g_autofree char *asked = object_property_print(OBJECT(s),
                                                               f->prop, false,
                                                               NULL);

                error_setg(errp, "%s=%s cannot be honoured: the host SMMU "
                           "has %s=%u (QEMU would offer %u); use %s=auto or "
                           "a smaller value", f->prop, asked, f->name, h, v,
                           f->prop);
                return false;
            }
            v = MIN(v, (uint32_t)cap);
        }
        if (f->required && !v) {
            error_setg(errp, "the host SMMU %s (%s=%u)", f->required,
                       f->name, h);
            return false;
        }
        smmuv3_accel_idr_set(guest, f, v);
    }
    return true;
}

/* What accel=on never offers, whatever the host has */
static void smmuv3_accel_idr_clear_unnested(uint32_t idr[6])
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

/*
 * Put the resolved fields into the registers QEMU's model initialised, and
 * clear what is never offered with accel=on.
 */
void smmuv3_accel_idr_apply(const SMMUv3AccelIdr *idr, uint32_t regs[6])
{
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        const SMMUv3AccelIdrField *f = &idr_fields[i];

        smmuv3_accel_idr_set(regs, f, smmuv3_accel_idr_get(idr->guest, f));
    }
    smmuv3_accel_idr_clear_unnested(regs);
}

static const char *const idr_rule_names[] = {
    [RULE_QEMU] = "QEMU", [RULE_MIN] = "MIN", [RULE_AND] = "AND",
    [RULE_STRICTER] = "STRICTER", [RULE_LE] = "LE", [RULE_NOSTALL] = "NOSTALL",
};

void smmuv3_accel_idr_visit(const SMMUv3AccelIdr *idr,
                            SMMUv3AccelIdrVisit *fn, void *opaque)
{
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        const SMMUv3AccelIdrField *f = &idr_fields[i];

        fn(opaque, f->name, idr_rule_names[f->rule],
           smmuv3_accel_idr_get(idr->host, f), f->qemu,
           smmuv3_accel_idr_get(idr->guest, f));
    }
}

static void smmuv3_accel_idr_trace(const SMMUv3AccelIdr *idr)
{
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        const SMMUv3AccelIdrField *f = &idr_fields[i];
        uint32_t host = idr->resolved ? smmuv3_accel_idr_get(idr->host, f)
                                      : 0;


        trace_smmuv3_accel_idr_field(f->name, host, f->qemu,
                                     smmuv3_accel_idr_get(idr->guest, f),
                                     idr->resolved);
    }
}

void smmuv3_accel_idr_baseline(SMMUv3State *s, SMMUv3AccelIdr *idr)
{
    memset(idr, 0, sizeof(*idr));
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        const SMMUv3AccelIdrField *f = &idr_fields[i];
        int cap = smmuv3_accel_idr_prop_cap(s, f);

        /*
         * An explicit property is taken as asked, and checked against the
         * host when a device arrives.
         */
        smmuv3_accel_idr_set(idr->guest, f,
                                   cap >= 0 ? MIN(f->qemu, cap) : f->baseline);
    }
    smmuv3_accel_idr_trace(idr);
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
    if (!smmuv3_accel_idr_combine(s, offer, host_idr, guest, errp)) {
        return false;
    }
    memcpy(idr->guest, guest, sizeof(guest));
    memcpy(idr->host, host_idr, sizeof(idr->host));
    idr->host_iidr = host_iidr;
    idr->host_aidr = host_aidr;
    idr->resolved = true;
    smmuv3_accel_idr_trace(idr);
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
        offer[i] = smmuv3_accel_idr_get(idr->guest, &idr_fields[i]);
    }
    if (!smmuv3_accel_idr_combine(s, offer, host_idr, guest, errp)) {
        return false;
    }
    for (int i = 0; i < ARRAY_SIZE(idr_fields); i++) {
        const SMMUv3AccelIdrField *f = &idr_fields[i];
        uint32_t told = smmuv3_accel_idr_get(idr->guest, f);

        if (smmuv3_accel_idr_get(guest, f) != told) {
            error_setg(errp, "the host SMMU cannot honour what the guest was "
                       "told: %s is %u, the host has %u", f->name,
                       told, smmuv3_accel_idr_get(host_idr, f));
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
