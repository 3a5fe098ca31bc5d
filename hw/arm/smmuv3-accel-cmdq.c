/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: forwarding the guest's invalidation commands.
 *
 * TLBI_NH_*, TLBI_NSNH_ALL, CFGI_CD* and ATC_INV act on what the host SMMU
 * caches for the guest, so they go to the host through
 * IOMMU_HWPT_INVALIDATE on the vIOMMU, in the guest's own format.  They
 * are gathered in queue order and sent as one call per run; a run ends at
 * any command QEMU handles itself (CMD_SYNC, CFGI_STE, ...), at the end of
 * what the guest queued, or at the batch size, so no command ever overtakes
 * another and CMD_SYNC completes only after everything before it reached
 * the host.
 *
 * On a host failure the kernel's count of handled entries is imprecise, so
 * the batch is replayed (invalidations are idempotent) to find the exact
 * command: CONS stops on it with CERROR_ILL, everything before it done.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "system/iommufd-nesting.h"
#include "smmuv3-accel-internal.h"
#include "trace.h"

/* Command fields (word 0 bits 0-63, word 1 bits 64-127 of the command) */
#define CMD0_OPCODE     MAKE_64BIT_MASK(0, 8)
#define CMD0_GLOBAL     BIT_ULL(9)
#define CMD0_SSV        BIT_ULL(11)
#define CMD0_SSID       MAKE_64BIT_MASK(12, 20)
#define CMD0_SID        MAKE_64BIT_MASK(32, 32)
#define CMD0_NUM        MAKE_64BIT_MASK(12, 5)
#define CMD0_SCALE      MAKE_64BIT_MASK(20, 5)
#define CMD0_VMID       MAKE_64BIT_MASK(32, 16)
#define CMD0_ASID       MAKE_64BIT_MASK(48, 16)
#define CMD1_LEAF       BIT_ULL(0)
#define CMD1_TTL        MAKE_64BIT_MASK(8, 2)
#define CMD1_TG         MAKE_64BIT_MASK(10, 2)
#define CMD1_ADDR       MAKE_64BIT_MASK(12, 52)
#define CMD1_ATC_SIZE   MAKE_64BIT_MASK(0, 6)

/* The bits of each forwarded command that mean something; the rest is RES0 */
typedef struct SMMUv3AccelCmdFormat {
    uint8_t opcode;
    uint64_t mask0;
    uint64_t mask1;
} SMMUv3AccelCmdFormat;

static const SMMUv3AccelCmdFormat cmdq_forwarded[] = {
    /* SSEC=1 is refused before: a non-secure queue */
    { SMMU_CMD_CFGI_CD, CMD0_OPCODE | CMD0_SSID | CMD0_SID, CMD1_LEAF },
    { SMMU_CMD_CFGI_CD_ALL, CMD0_OPCODE | CMD0_SID, 0 },
    { SMMU_CMD_TLBI_NH_ALL, CMD0_OPCODE | CMD0_VMID, 0 },
    { SMMU_CMD_TLBI_NH_ASID, CMD0_OPCODE | CMD0_VMID | CMD0_ASID, 0 },
    { SMMU_CMD_TLBI_NH_VA, CMD0_OPCODE | CMD0_NUM | CMD0_SCALE | CMD0_VMID |
      CMD0_ASID, CMD1_LEAF | CMD1_TTL | CMD1_TG | CMD1_ADDR },
    { SMMU_CMD_TLBI_NH_VAA, CMD0_OPCODE | CMD0_NUM | CMD0_SCALE | CMD0_VMID,
      CMD1_LEAF | CMD1_TTL | CMD1_TG | CMD1_ADDR },
    { SMMU_CMD_TLBI_NSNH_ALL, CMD0_OPCODE, 0 },
    { SMMU_CMD_ATC_INV, CMD0_OPCODE | CMD0_GLOBAL | CMD0_SSV | CMD0_SSID |
      CMD0_SID, CMD1_ATC_SIZE | CMD1_ADDR },
};

static const SMMUv3AccelCmdFormat *smmuv3_accel_cmdq_format(uint8_t opcode)
{
    for (int i = 0; i < ARRAY_SIZE(cmdq_forwarded); i++) {
        if (cmdq_forwarded[i].opcode == opcode) {
            return &cmdq_forwarded[i];
        }
    }
    return NULL;
}

/*
 * Validate a forwardable command against the registers the guest was
 * given.  Returns NULL when it is fine, else why it is illegal.
 */
static const char *smmuv3_accel_cmdq_illegal(SMMUv3State *s, const Cmd *cmd)
{
    uint8_t op = CMD_TYPE(cmd);
    unsigned ssidsize = FIELD_EX32(s->idr[1], IDR1, SSIDSIZE);

    switch (op) {
    case SMMU_CMD_CFGI_CD:
    case SMMU_CMD_CFGI_CD_ALL:
        if (CMD_SSEC(cmd)) {
            return "secure CFGI on a non-secure queue";
        }
        if (op == SMMU_CMD_CFGI_CD && CMD_SSID(cmd) >> ssidsize) {
            return "SubstreamID beyond SMMU_IDR1.SSIDSIZE";
        }
        break;
    case SMMU_CMD_TLBI_NH_ASID:
    case SMMU_CMD_TLBI_NH_VA:
        if (!FIELD_EX32(s->idr[0], IDR0, ASID16) && CMD_ASID(cmd) >> 8) {
            return "16-bit ASID without SMMU_IDR0.ASID16";
        }
        if (op == SMMU_CMD_TLBI_NH_ASID) {
            break;
        }
        /* fall through */
    case SMMU_CMD_TLBI_NH_VAA:
        if (CMD_NUM(cmd) || CMD_SCALE(cmd)) {
            if (!FIELD_EX32(s->idr[3], IDR3, RIL)) {
                return "range invalidation without SMMU_IDR3.RIL";
            }
            if (!CMD_TG(cmd)) {
                return "range invalidation with TG=0";
            }
        }
        break;
    case SMMU_CMD_ATC_INV:
        if (!FIELD_EX32(s->idr[0], IDR0, ATS)) {
            return "ATC_INV without SMMU_IDR0.ATS";
        }
        if (CMD_SSV(cmd) && CMD_SSID(cmd) >> ssidsize) {
            return "SubstreamID beyond SMMU_IDR1.SSIDSIZE";
        }
        break;
    }
    return NULL;
}

/* Commands naming a StreamID reach the host only for a vDEVICE's vSID */
static bool smmuv3_accel_cmdq_host_knows_sid(SMMUv3Accel *a, const Cmd *cmd)
{
    uint8_t op = CMD_TYPE(cmd);
    uint32_t sid = CMD_SID(cmd);
    SMMUv3AccelDevice *dev;

    if (op != SMMU_CMD_CFGI_CD && op != SMMU_CMD_CFGI_CD_ALL &&
        op != SMMU_CMD_ATC_INV) {
        return true;
    }
    QLIST_FOREACH(dev, &a->devices, next) {
        if (dev->vdevice_id && dev->vsid == sid) {
            return true;
        }
    }
    trace_smmuv3_accel_cmd_local((uint64_t)cmd->word[1] << 32 | cmd->word[0],
                                 sid);
    return false;
}

static bool smmuv3_accel_cmdq_invalidate(SMMUv3Accel *a, uint64_t (*cmds)[2],
                                         uint32_t n, uint32_t *done)
{
    g_autoptr(Error) err = NULL;

    a->n_batches++;
    if (!iommufd_backend_invalidate_viommu_smmuv3(a->be, a->viommu_id, cmds,
                                                  n, done, &err)) {
        trace_smmuv3_accel_invalidate_failed(n, *done,
                                             error_get_pretty(err));
        return false;
    }
    a->n_cmds_forwarded += n;
    return true;
}

/*
 * The batch failed and the kernel said @done.  Entries it counted may not
 * have been issued, so replay: the prefix as one call, then one command
 * per call from @done.  Returns the index of the failing command, or the
 * batch length when the replay went through.
 */
static uint32_t smmuv3_accel_cmdq_find_failing(SMMUv3Accel *a, uint32_t done)
{
    SMMUv3AccelBatch *b = &a->batch;
    uint32_t i = 0, d;

    done = MIN(done, b->len);
    if (done && smmuv3_accel_cmdq_invalidate(a, b->cmds, done, &d)) {
        i = done;
    }
    for (; i < b->len; i++) {
        if (!smmuv3_accel_cmdq_invalidate(a, &b->cmds[i], 1, &d)) {
            return i;
        }
    }
    return b->len;
}

static bool smmuv3_accel_cmdq_send(SMMUv3Accel *a, SMMUCmdError *err)
{
    SMMUv3AccelBatch *b = &a->batch;
    uint32_t done, bad;
    bool ok;

    if (!b->len) {
        return true;
    }
    trace_smmuv3_accel_flush(b->len);
    if (smmuv3_accel_cmdq_invalidate(a, b->cmds, b->len, &done)) {
        b->len = 0;
        return true;
    }
    bad = smmuv3_accel_cmdq_find_failing(a, done);
    if (bad < b->len) {
        uint64_t w0 = le64_to_cpu(b->cmds[bad][0]);
        uint64_t w1 = le64_to_cpu(b->cmds[bad][1]);

        a->n_host_errors++;
        trace_smmuv3_accel_cmd_failed(bad, b->cons[bad], w0, w1);
        qemu_log_mask(LOG_GUEST_ERROR, "arm-smmuv3 accel: the host refused "
                      "command 0x%016" PRIx64 " 0x%016" PRIx64 "\n", w0, w1);
        /*
         * Stop the queue on the culprit; what precedes it is complete.  An
         * error the caller had for a later command is replaced: the
         * earliest failing command is the one the guest must see.
         */
        a->smmu->cmdq.cons = b->cons[bad];
        *err = SMMU_CERROR_ILL;
    }
    ok = bad >= b->len;
    b->len = 0;
    return ok;
}

bool smmuv3_accel_cmdq_command(SMMUv3State *s, const Cmd *cmd,
                               SMMUCmdError *err)
{
    SMMUv3Accel *a = s->accel_state;
    uint64_t c[2];
    const SMMUv3AccelCmdFormat *fmt;
    const char *why;

    if (!a) {
        return true;
    }
    c[0] = cmd->word[0] | (uint64_t)cmd->word[1] << 32;
    c[1] = cmd->word[2] | (uint64_t)cmd->word[3] << 32;
    fmt = smmuv3_accel_cmdq_format(CMD_TYPE(cmd));
    if (!fmt) {
        /* QEMU handles it: what was gathered goes first */
        return smmuv3_accel_cmdq_send(a, err);
    }
    why = smmuv3_accel_cmdq_illegal(s, cmd);
    if (why) {
        if (!smmuv3_accel_cmdq_send(a, err)) {
            return false;
        }
        trace_smmuv3_accel_cmd_illegal(c[0], c[1], why);
        qemu_log_mask(LOG_GUEST_ERROR, "arm-smmuv3 accel: illegal command "
                      "0x%016" PRIx64 " 0x%016" PRIx64 ": %s\n", c[0], c[1],
                      why);
        *err = SMMU_CERROR_ILL;
        return false;
    }
    if (!a->viommu_id || !smmuv3_accel_cmdq_host_knows_sid(a, cmd)) {
        /*
         * Nothing the host caches for it: no host device yet, or a stream
         * with no vDEVICE (a guest writes CDs and sends CFGI_CD before the
         * STE that uses them; the host would refuse the unknown vSID).
         */
        return true;
    }
    if (!s->accel_forward) {
        trace_smmuv3_accel_cmd_dropped(c[0]);
        return true;
    }
    if (a->batch.len == ARRAY_SIZE(a->batch.cmds) &&
        !smmuv3_accel_cmdq_send(a, err)) {
        return false;
    }
    /* The uAPI takes the command as it sits in a queue: little-endian */
    a->batch.cmds[a->batch.len][0] = cpu_to_le64(c[0] & fmt->mask0);
    a->batch.cmds[a->batch.len][1] = cpu_to_le64(c[1] & fmt->mask1);
    a->batch.cons[a->batch.len] = s->cmdq.cons;
    a->batch.len++;
    if (!s->accel_batch) {
        return smmuv3_accel_cmdq_send(a, err);
    }
    return true;
}

void smmuv3_accel_cmdq_flush(SMMUv3State *s, SMMUCmdError *err)
{
    if (s->accel_state) {
        smmuv3_accel_cmdq_send(s->accel_state, err);
    }
}

void smmuv3_accel_cmdq_batch_reset(SMMUv3AccelBatch *b)
{
    /* Consumption always ends with a flush: nothing should be left */
    if (b->len) {
        trace_smmuv3_accel_batch_dropped(b->len);
    }
    b->len = 0;
}
