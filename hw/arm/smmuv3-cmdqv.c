/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,cmdqv: the registers of a Tegra241 CMDQ-Virtualization
 * block beside the SMMU, as a Grace host's kernel finds them: emulated
 * (4 VINTFs), or with accel=on the guest's view of the host's (one VINTF,
 * whose queues smmuv3-accel-cmdqv.c gives the host).
 *
 * The CONFIG page holds the global registers, a CMDQ_ALLOC per VCMDQ
 * (which VINTF and logical queue it serves) and a block per VINTF (its
 * VMID, owner and StreamID match table).  The VCMDQs are reached through
 * global pages, and through each VINTF's own pages by logical index,
 * which alias the VCMDQs CMDQ_ALLOC gives that VINTF.  Every enable takes
 * effect at once (STATUS follows CONFIG), as the kernel's handshakes
 * expect.
 *
 * An enabled VCMDQ of an enabled VINTF is consumed as the SMMU's own
 * queue is, at each PROD write and at each enable or allocation that
 * lets it run: a VINTF its owner (HYP_OWN) gave a guest
 * may only issue TLBI_NH_ASID, TLBI_NH_VA, ATC_INV and CMD_SYNC, its VMID
 * put into the TLBIs and the ATC_INV's StreamID looked up in its match
 * table; anything else stops the queue with CONS.ERR ILL, toggles the
 * queue's GERROR and pulses the CMDQV's interrupt (edge), until GERRORN
 * acknowledges it.  With accel=on a queue the host runs is not consumed
 * here: its registers are the host's (SMMUv3CmdqvVcmdq.hw).  The virt
 * machine describes the block (smmuv3-cmdqv-virt.c).
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/irq.h"
#include "hw/sysbus.h"
#include "smmuv3-cmdqv-internal.h"
#include "trace.h"

static bool smmuv3_cmdqv_vcmdq_error(const SMMUv3CmdqvVcmdq *q)
{
    if (smmuv3_cmdqv_vcmdq_in_host(q)) {
        return qatomic_read(&q->hw[R_VCMDQ_GERROR]) !=
               qatomic_read(&q->hw[R_VCMDQ_GERRORN]);
    }
    return q->gerror != q->gerrorn;
}

/*
 * Whether @q is allocated, to a VINTF (*@v) and logical index (*@l) that
 * exist: an allocation out of their range gives the queue to no one
 */
bool smmuv3_cmdqv_allocated(const SMMUv3CmdqvVcmdq *q, unsigned *v,
                            unsigned *l)
{
    SMMUv3Cmdqv *c = q->cmdqv;

    *v = FIELD_EX32(q->alloc, CMDQ_ALLOC, VINTF);
    *l = FIELD_EX32(q->alloc, CMDQ_ALLOC, LVCMDQ);
    return FIELD_EX32(q->alloc, CMDQ_ALLOC, ALLOCATED) &&
           *v < c->vintfs && *l < c->vcmdqs / c->vintfs;
}

SMMUv3CmdqvVcmdq *smmuv3_cmdqv_lookup(SMMUv3Cmdqv *c, unsigned v, unsigned l)
{
    for (int i = 0; i < c->vcmdqs; i++) {
        unsigned qv, ql;

        if (smmuv3_cmdqv_allocated(&c->vcmdq[i], &qv, &ql) &&
            qv == v && ql == l) {
            return &c->vcmdq[i];
        }
    }
    return NULL;
}

uint64_t smmuv3_cmdqv_vcmdq_addr(const SMMUv3CmdqvVcmdq *q, uint64_t *len)
{
    uint64_t addr = q->q.base & MAKE_64BIT_MASK(5, 43);

    /* LOG2SIZE counts entries of 16 bytes; the host checks the limits */
    *len = addr ? (uint64_t)sizeof(Cmd) << extract64(q->q.base, 0, 5) : 0;
    return addr;
}

/* Bit l: VINTF @v's logical queue l has an error */
static uint64_t smmuv3_cmdqv_lvcmdq_err_map(SMMUv3Cmdqv *c, unsigned v)
{
    uint64_t map = 0;

    for (unsigned l = 0; l < c->vcmdqs / c->vintfs; l++) {
        SMMUv3CmdqvVcmdq *q = smmuv3_cmdqv_lookup(c, v, l);

        if (q && smmuv3_cmdqv_vcmdq_error(q)) {
            map |= BIT_ULL(l);
        }
    }
    return map;
}

static uint64_t smmuv3_cmdqv_vintf_err_map(SMMUv3Cmdqv *c)
{
    uint64_t map = 0;

    for (unsigned v = 0; v < c->vintfs; v++) {
        if (smmuv3_cmdqv_lvcmdq_err_map(c, v)) {
            map |= BIT_ULL(v);
        }
    }
    return map;
}

static uint32_t smmuv3_cmdqv_param(SMMUv3Cmdqv *c)
{
    uint32_t p = 0;

    p = FIELD_DP32(p, CMDQV_PARAM, VER, c->version);
    p = FIELD_DP32(p, CMDQV_PARAM, NUM_VCMDQ_LOG2, ctz32(c->vcmdqs));
    p = FIELD_DP32(p, CMDQV_PARAM, NUM_VINTF_LOG2, ctz32(c->vintfs));
    return FIELD_DP32(p, CMDQV_PARAM, NUM_SID_PER_VM_LOG2, c->sids_log2);
}

/* A 32-bit word of a 64-bit register: @off's bit 2 says which */
static uint32_t smmuv3_cmdqv_half(uint64_t v, hwaddr off)
{
    return off & 4 ? v >> 32 : (uint32_t)v;
}

static uint64_t smmuv3_cmdqv_set_half(uint64_t v, hwaddr off, uint32_t val)
{
    return deposit64(v, off & 4 ? 32 : 0, 32, val);
}

static bool smmuv3_cmdqv_halted(void *opaque)
{
    return smmuv3_cmdqv_vcmdq_error(opaque);
}

/* Whether the word at @off of a SID table is one of its slots */
static bool smmuv3_cmdqv_sid_slot(SMMUv3Cmdqv *c, hwaddr off)
{
    return off / 4 < (1u << c->sids_log2);
}

/* Whether VINTF @v holds StreamID @vsid in its match table; its pSID */
static bool smmuv3_cmdqv_sid(SMMUv3CmdqvVintf *vi, uint32_t vsid,
                             uint32_t *psid)
{
    for (int i = 0; i < ARRAY_SIZE(vi->sid_match); i++) {
        if (FIELD_EX32(vi->sid_match[i], VINTF_SID_MATCH, ENABLE) &&
            FIELD_EX32(vi->sid_match[i], VINTF_SID_MATCH, VIRT_SID) == vsid) {
            *psid = vi->sid_replace[i];
            return true;
        }
    }
    return false;
}

/* What a VINTF lets a command do: HYP_OWN, anything; a guest's, a few */
static int smmuv3_cmdqv_filter(void *opaque, Cmd *cmd)
{
    SMMUv3CmdqvVcmdq *q = opaque;
    SMMUv3CmdqvVintf *vi;
    unsigned v, l;
    uint32_t psid;

    /* per command too: vintf[] is never indexed by an unchecked field */
    if (!smmuv3_cmdqv_allocated(q, &v, &l)) {
        return SMMU_CERROR_ILL;
    }
    vi = &q->cmdqv->vintf[v];
    if (FIELD_EX32(vi->config, VINTF_CONFIG, HYP_OWN)) {
        return SMMU_CERROR_NONE;
    }
    switch (CMD_TYPE(cmd)) {
    case SMMU_CMD_TLBI_NH_ASID:
    case SMMU_CMD_TLBI_NH_VA:
        cmd->word[1] = deposit32(cmd->word[1], 0, 16,
                                 FIELD_EX32(vi->config, VINTF_CONFIG, VMID));
        if (!q->cmdqv->smmu->cmdqv_guest_tlbi) {
            /* x-cmdqv-guest-tlbi=off: consumed, and a no-op */
            cmd->word[0] = deposit32(cmd->word[0], 0, 8,
                                     SMMU_CMD_PREFETCH_CONFIG);
        }
        return SMMU_CERROR_NONE;
    case SMMU_CMD_ATC_INV:
        if (q->cmdqv->accel) {
            /* QEMU runs it for now: the guest's StreamIDs are its own */
            return SMMU_CERROR_NONE;
        }
        if (!smmuv3_cmdqv_sid(vi, CMD_SID(cmd), &psid)) {
            return SMMU_CERROR_ILL;
        }
        trace_smmuv3_cmdqv_sid(v, CMD_SID(cmd), psid);
        cmd->word[1] = psid;
        return SMMU_CERROR_NONE;
    case SMMU_CMD_SYNC:
        return SMMU_CERROR_NONE;
    }
    trace_smmuv3_cmdqv_refused(v, CMD_TYPE(cmd));
    return SMMU_CERROR_ILL;
}

void smmuv3_cmdqv_raise_error(SMMUv3Cmdqv *c)
{
    qemu_irq_pulse(c->irq);
}

static void smmuv3_cmdqv_error(void *opaque, int err)
{
    SMMUv3CmdqvVcmdq *q = opaque;

    q->q.cons = FIELD_DP32(q->q.cons, VCMDQ_CONS, ERR, err);
    q->gerror = q->gerrorn ^ SMMUV3_CMDQV_GERROR_CMDQ;
    smmuv3_cmdqv_raise_error(q->cmdqv);
}

/* Consume @q if its CMDQV, its VINTF and the queue itself are enabled */
static void smmuv3_cmdqv_consume(SMMUv3CmdqvVcmdq *q)
{
    SMMUv3Cmdqv *c = q->cmdqv;
    unsigned v, l;
    SMMUv3CmdqSrc src = {
        .q = &q->q,
        .halted = smmuv3_cmdqv_halted,
        .filter = smmuv3_cmdqv_filter,
        .error = smmuv3_cmdqv_error,
        .opaque = q,
    };

    if (smmuv3_cmdqv_vcmdq_in_host(q) ||
        !FIELD_EX32(c->config, CMDQV_CONFIG, EN) ||
        !smmuv3_cmdqv_allocated(q, &v, &l) ||
        !FIELD_EX32(c->vintf[v].config, VINTF_CONFIG, EN) ||
        !FIELD_EX32(q->config, VCMDQ_CONFIG, EN)) {
        return;
    }
    trace_smmuv3_cmdqv_consume(q - c->vcmdq, v);
    smmuv3_cmdq_consume_from(c->smmu, &src);
}

/*
 * After an enable or an allocation: a queue whose PROD moved while it
 * could not run runs now, as the hardware's would
 */
void smmuv3_cmdqv_consume_all(SMMUv3Cmdqv *c)
{
    for (int i = 0; i < c->vcmdqs; i++) {
        smmuv3_cmdqv_consume(&c->vcmdq[i]);
    }
}

/* page 0 (@page1 false) or page 1 of VCMDQ @q */
static uint32_t smmuv3_cmdqv_vcmdq_read(SMMUv3CmdqvVcmdq *q, bool page1,
                                        hwaddr reg)
{
    if (page1) {
        switch (reg & ~4) {
        case A_VCMDQ_BASE:
            return smmuv3_cmdqv_half(q->q.base, reg);
        case A_VCMDQ_CONS_INDX_BASE:
            return smmuv3_cmdqv_half(q->cons_indx_base, reg);
        }
        return 0;
    }
    if (smmuv3_cmdqv_vcmdq_in_host(q)) {
        /* the host's registers, as its global pages would show them */
        return reg <= A_VCMDQ_GERRORN ? qatomic_read(&q->hw[reg / 4]) : 0;
    }
    switch (reg) {
    case A_VCMDQ_CONS:
        return q->q.cons;
    case A_VCMDQ_PROD:
        return q->q.prod;
    case A_VCMDQ_CONFIG:
        return q->config;
    case A_VCMDQ_STATUS:
        return FIELD_DP32(0, VCMDQ_STATUS, ENABLED,
                          FIELD_EX32(q->config, VCMDQ_CONFIG, EN));
    case A_VCMDQ_GERROR:
        return q->gerror;
    case A_VCMDQ_GERRORN:
        return q->gerrorn;
    }
    return 0;
}

static void smmuv3_cmdqv_vcmdq_write(SMMUv3CmdqvVcmdq *q, bool page1,
                                     hwaddr reg, uint32_t val)
{
    if (page1) {
        switch (reg & ~4) {
        case A_VCMDQ_BASE:
            q->q.base = smmuv3_cmdqv_set_half(q->q.base, reg, val) &
                        SMMUV3_CMDQV_BASE_MASK;
            q->q.log2size = MIN(extract64(q->q.base, 0, 5), SMMU_CMDQS);
            if (q->cmdqv->accel && !q->cmdqv->wide_write) {
                smmuv3_accel_cmdqv_sync(q->cmdqv->smmu);
            }
            break;
        case A_VCMDQ_CONS_INDX_BASE:
            q->cons_indx_base = smmuv3_cmdqv_set_half(q->cons_indx_base,
                                                      reg, val);
            break;
        }
        return;
    }
    if (smmuv3_cmdqv_vcmdq_in_host(q)) {
        if (reg <= A_VCMDQ_GERRORN && reg != A_VCMDQ_STATUS &&
            reg != A_VCMDQ_GERROR) {
            qatomic_set(&q->hw[reg / 4], val);
        }
        return;
    }
    switch (reg) {
    case A_VCMDQ_CONS:
        q->q.cons = val;
        break;
    case A_VCMDQ_PROD:
        q->q.prod = val;
        smmuv3_cmdqv_consume(q);
        break;
    case A_VCMDQ_CONFIG:
        q->config = val & R_VCMDQ_CONFIG_EN_MASK;
        smmuv3_cmdqv_consume(q);
        break;
    case A_VCMDQ_GERRORN:
        q->gerrorn = val;
        smmuv3_cmdqv_consume(q);
        break;
    }
}

static uint32_t smmuv3_cmdqv_vintf_read(SMMUv3Cmdqv *c, unsigned v,
                                        hwaddr reg)
{
    SMMUv3CmdqvVintf *vi = &c->vintf[v];

    switch (reg) {
    case A_VINTF_CONFIG:
        return vi->config;
    case A_VINTF_STATUS:
        return FIELD_DP32(0, VINTF_STATUS, ENABLED,
                          FIELD_EX32(vi->config, VINTF_CONFIG, EN));
    case A_VINTF_SID_MATCH ... A_VINTF_SID_REPLACE - 4:
        return smmuv3_cmdqv_sid_slot(c, reg - A_VINTF_SID_MATCH) ?
               vi->sid_match[(reg - A_VINTF_SID_MATCH) / 4] : 0;
    case A_VINTF_SID_REPLACE ... A_VINTF_LVCMDQ_ERR_MAP - 4:
        return smmuv3_cmdqv_sid_slot(c, reg - A_VINTF_SID_REPLACE) ?
               vi->sid_replace[(reg - A_VINTF_SID_REPLACE) / 4] : 0;
    case A_VINTF_LVCMDQ_ERR_MAP ... A_VINTF_LVCMDQ_ERR_MAP + 0xc:
        /* 128 bits; the VINTF has fewer queues than 64 */
        return reg < A_VINTF_LVCMDQ_ERR_MAP + 8 ?
               smmuv3_cmdqv_half(smmuv3_cmdqv_lvcmdq_err_map(c, v), reg) : 0;
    }
    return 0;
}

static void smmuv3_cmdqv_vintf_write(SMMUv3Cmdqv *c, unsigned v, hwaddr reg,
                                     uint32_t val)
{
    SMMUv3CmdqvVintf *vi = &c->vintf[v];

    switch (reg) {
    case A_VINTF_CONFIG:
        /* a guest's VINTF is never its own hypervisor's (HYP_OWN reads 0) */
        vi->config = val & (R_VINTF_CONFIG_EN_MASK |
                            R_VINTF_CONFIG_VMID_MASK |
                            (c->accel ? 0 : R_VINTF_CONFIG_HYP_OWN_MASK));
        smmuv3_cmdqv_consume_all(c);
        break;
    case A_VINTF_SID_MATCH ... A_VINTF_SID_REPLACE - 4:
        if (smmuv3_cmdqv_sid_slot(c, reg - A_VINTF_SID_MATCH)) {
            vi->sid_match[(reg - A_VINTF_SID_MATCH) / 4] =
                val & (R_VINTF_SID_MATCH_ENABLE_MASK |
                       R_VINTF_SID_MATCH_VIRT_SID_MASK);
        }
        break;
    case A_VINTF_SID_REPLACE ... A_VINTF_LVCMDQ_ERR_MAP - 4:
        if (smmuv3_cmdqv_sid_slot(c, reg - A_VINTF_SID_REPLACE)) {
            vi->sid_replace[(reg - A_VINTF_SID_REPLACE) / 4] = val;
        }
        break;
    }
}

/* The VCMDQ whose CMDQ_ALLOC is at @off of the CONFIG page, or NULL */
static SMMUv3CmdqvVcmdq *smmuv3_cmdqv_alloc_at(SMMUv3Cmdqv *c, hwaddr off)
{
    if (off < A_CMDQ_ALLOC || off >= A_CMDQ_ALLOC + 4 * c->vcmdqs) {
        return NULL;
    }
    return &c->vcmdq[(off - A_CMDQ_ALLOC) / 4];
}

/* The VINTF whose block holds @off of the CONFIG page, or -1 */
static int smmuv3_cmdqv_vintf_at(SMMUv3Cmdqv *c, hwaddr off)
{
    if (off < A_VINTF_BLOCK ||
        off >= A_VINTF_BLOCK + SMMUV3_CMDQV_VINTF_BLOCK * c->vintfs) {
        return -1;
    }
    return (off - A_VINTF_BLOCK) / SMMUV3_CMDQV_VINTF_BLOCK;
}

static uint32_t smmuv3_cmdqv_config_read(SMMUv3Cmdqv *c, hwaddr off)
{
    SMMUv3CmdqvVcmdq *q = smmuv3_cmdqv_alloc_at(c, off);
    int v = smmuv3_cmdqv_vintf_at(c, off);

    if (q) {
        return q->alloc;
    }
    if (v >= 0) {
        return smmuv3_cmdqv_vintf_read(c, v, off % SMMUV3_CMDQV_VINTF_BLOCK);
    }
    switch (off) {
    case A_CMDQV_CONFIG:
        return c->config;
    case A_CMDQV_PARAM:
        return smmuv3_cmdqv_param(c);
    case A_CMDQV_STATUS:
        return FIELD_DP32(0, CMDQV_STATUS, ENABLED,
                          FIELD_EX32(c->config, CMDQV_CONFIG, EN));
    case A_VINTF_ERR_MAP:
    case A_VINTF_ERR_MAP + 4:
        return smmuv3_cmdqv_half(smmuv3_cmdqv_vintf_err_map(c),
                                 off - A_VINTF_ERR_MAP);
    case A_VINTF_INT_MASK:
    case A_VINTF_INT_MASK + 4:
        return smmuv3_cmdqv_half(c->vintf_int_mask, off - A_VINTF_INT_MASK);
    case A_CMDQ_ERR_MAP ... A_CMDQ_ERR_MAP + 0xc:
    {
        unsigned first = (off - A_CMDQ_ERR_MAP) / 4 * 32;
        uint32_t map = 0;

        for (unsigned i = first; i < first + 32 && i < c->vcmdqs; i++) {
            if (smmuv3_cmdqv_vcmdq_error(&c->vcmdq[i])) {
                map |= BIT(i - first);
            }
        }
        return map;
    }
    }
    return 0;
}

static void smmuv3_cmdqv_config_write(SMMUv3Cmdqv *c, hwaddr off,
                                      uint32_t val)
{
    SMMUv3CmdqvVcmdq *q = smmuv3_cmdqv_alloc_at(c, off);
    int v = smmuv3_cmdqv_vintf_at(c, off);

    if (q) {
        q->alloc = val & (R_CMDQ_ALLOC_ALLOCATED_MASK |
                          R_CMDQ_ALLOC_LVCMDQ_MASK | R_CMDQ_ALLOC_VINTF_MASK);
        if (c->accel) {
            smmuv3_accel_cmdqv_sync(c->smmu);
        }
        smmuv3_cmdqv_consume_all(c);
        return;
    }
    if (v >= 0) {
        smmuv3_cmdqv_vintf_write(c, v, off % SMMUV3_CMDQV_VINTF_BLOCK, val);
        return;
    }
    switch (off) {
    case A_CMDQV_CONFIG:
        c->config = val;
        smmuv3_cmdqv_consume_all(c);
        break;
    case A_VINTF_INT_MASK:
    case A_VINTF_INT_MASK + 4:
        c->vintf_int_mask = smmuv3_cmdqv_set_half(c->vintf_int_mask,
                                                  off - A_VINTF_INT_MASK,
                                                  val);
        break;
    }
}

/*
 * The VCMDQ at @off in the VCMDQ pages (*@page1: which of its two), or
 * NULL where there is none: past the last VCMDQ, or a VINTF's logical
 * queue that CMDQ_ALLOC gives it no VCMDQ for
 */
static SMMUv3CmdqvVcmdq *smmuv3_cmdqv_vcmdq_at(SMMUv3Cmdqv *c, hwaddr off,
                                               bool *page1, hwaddr *reg)
{
    unsigned idx;

    *reg = off % SMMUV3_CMDQV_VCMDQ_STRIDE;
    if (off < SMMUV3_CMDQV_VINTF_PAGES) {
        *page1 = off >= SMMUV3_CMDQV_PAGE1;
        idx = (off % SMMUV3_CMDQV_PAGE0) / SMMUV3_CMDQV_VCMDQ_STRIDE;
        return idx < c->vcmdqs ? &c->vcmdq[idx] : NULL;
    }
    off -= SMMUV3_CMDQV_VINTF_PAGES;
    *page1 = off % SMMUV3_CMDQV_VINTF_STRIDE >= SMMUV3_CMDQV_PAGE0;
    idx = (off % SMMUV3_CMDQV_PAGE0) / SMMUV3_CMDQV_VCMDQ_STRIDE;
    if (idx >= c->vcmdqs / c->vintfs) {
        return NULL;
    }
    return smmuv3_cmdqv_lookup(c, off / SMMUV3_CMDQV_VINTF_STRIDE, idx);
}

static uint32_t smmuv3_cmdqv_read32(SMMUv3Cmdqv *c, hwaddr off)
{
    SMMUv3CmdqvVcmdq *q;
    uint32_t val = 0;
    bool page1;
    hwaddr reg;

    if (off < SMMUV3_CMDQV_PAGE0) {
        val = smmuv3_cmdqv_config_read(c, off);
    } else {
        q = smmuv3_cmdqv_vcmdq_at(c, off, &page1, &reg);
        if (q) {
            val = smmuv3_cmdqv_vcmdq_read(q, page1, reg);
        }
    }
    trace_smmuv3_cmdqv_read(off, val);
    return val;
}

static void smmuv3_cmdqv_write32(SMMUv3Cmdqv *c, hwaddr off, uint32_t val)
{
    SMMUv3CmdqvVcmdq *q;
    bool page1;
    hwaddr reg;

    trace_smmuv3_cmdqv_write(off, val);
    if (off < SMMUV3_CMDQV_PAGE0) {
        smmuv3_cmdqv_config_write(c, off, val);
        return;
    }
    q = smmuv3_cmdqv_vcmdq_at(c, off, &page1, &reg);
    if (q) {
        smmuv3_cmdqv_vcmdq_write(q, page1, reg, val);
    }
}

static uint64_t smmuv3_cmdqv_read(void *opaque, hwaddr off, unsigned size)
{
    uint64_t val = smmuv3_cmdqv_read32(opaque, off);

    if (size == 8) {
        val |= (uint64_t)smmuv3_cmdqv_read32(opaque, off + 4) << 32;
    }
    return val;
}

/*
 * A 64-bit access (BASE, the error maps) is two halves, low first; with
 * accel=on, one change of BASE for the host, not two
 */
static void smmuv3_cmdqv_write(void *opaque, hwaddr off, uint64_t val,
                               unsigned size)
{
    SMMUv3Cmdqv *c = opaque;

    if (size == 8) {
        c->wide_write = true;
        smmuv3_cmdqv_write32(c, off, val);
        c->wide_write = false;
        smmuv3_cmdqv_write32(c, off + 4, val >> 32);
        return;
    }
    smmuv3_cmdqv_write32(c, off, val);
}

static const MemoryRegionOps smmuv3_cmdqv_ops = {
    .read = smmuv3_cmdqv_read,
    .write = smmuv3_cmdqv_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 4,
    .valid.max_access_size = 8,
    .impl.min_access_size = 4,
    .impl.max_access_size = 8,
};

static void smmuv3_cmdqv_init_vcmdqs(SMMUv3Cmdqv *c)
{
    for (int i = 0; i < SMMUV3_CMDQV_VCMDQS; i++) {
        c->vcmdq[i].cmdqv = c;
        c->vcmdq[i].q.entry_size = sizeof(Cmd);
    }
}

bool smmuv3_cmdqv_realize(SMMUv3State *s, Error **errp)
{
    SysBusDevice *sbd = SYS_BUS_DEVICE(s);
    SMMUv3Cmdqv *c;

    /* the emulated SMMU has no host to follow: auto is off */
    if (s->cmdqv == ON_OFF_AUTO_OFF ||
        (!s->accel && s->cmdqv == ON_OFF_AUTO_AUTO)) {
        return true;
    }
    c = g_new0(SMMUv3Cmdqv, 1);
    c->smmu = s;
    c->accel = s->accel;
    c->version = SMMUV3_CMDQV_VERSION;
    if (c->accel) {
        /* one VINTF; its queues and SIDs are the host's, or the baseline */
        c->vintfs = 1;
        c->vcmdqs = SMMUV3_CMDQV_ACCEL_VCMDQS;
        c->sids_log2 = SMMUV3_CMDQV_SIDS_LOG2;
    } else {
        c->vintfs = SMMUV3_CMDQV_VINTFS;
        c->vcmdqs = SMMUV3_CMDQV_VCMDQS;
        c->sids_log2 = SMMUV3_CMDQV_SIDS_LOG2;
        /* accel=on has its own blocker */
        error_setg(&c->migration_blocker, "arm-smmuv3,cmdqv=on: the "
                   "CMDQV's state cannot be migrated yet");
        if (migrate_add_blocker(&c->migration_blocker, errp) < 0) {
            g_free(c);
            return false;
        }
    }
    smmuv3_cmdqv_init_vcmdqs(c);
    memory_region_init_io(&c->mmio, OBJECT(s), &smmuv3_cmdqv_ops, c,
                          "tegra241-cmdqv", SMMUV3_CMDQV_SIZE(c->vintfs));
    sysbus_init_mmio(sbd, &c->mmio);
    sysbus_init_irq(sbd, &c->irq);
    s->cmdqv_state = c;
    return true;
}

void smmuv3_cmdqv_reset(SMMUv3State *s)
{
    SMMUv3Cmdqv *c = s->cmdqv_state;

    if (!c) {
        return;
    }
    c->config = 0;
    c->vintf_int_mask = 0;
    memset(c->vintf, 0, sizeof(c->vintf));
    memset(c->vcmdq, 0, sizeof(c->vcmdq));
    smmuv3_cmdqv_init_vcmdqs(c);
    if (c->accel) {
        /* nothing allocated: the host's queues go */
        smmuv3_accel_cmdqv_sync(s);
    }
}

bool smmuv3_cmdqv_present(Object *smmu)
{
    SMMUv3State *s = ARM_SMMUV3(smmu);
    SMMUv3Cmdqv *c = s->cmdqv_state;

    return c && (!c->accel || smmuv3_accel_cmdqv_active(s));
}

uint64_t smmuv3_cmdqv_mmio_size(Object *smmu)
{
    return SMMUV3_CMDQV_SIZE(ARM_SMMUV3(smmu)->cmdqv_state->vintfs);
}
