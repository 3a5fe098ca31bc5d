/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: the vSMMU's own interrupts as MSIs (SMMU_IDR0.MSI).
 *
 * A CMD_SYNC with CS=SIG_IRQ and an MSI address completes by writing its
 * MSIData there (Linux polls that word instead of trapping on CMDQ_CONS);
 * the event queue and global error interrupts are MSIs when software gave
 * their IRQ_CFG0 an address.  A write that aborts is reported in GERROR
 * (MSI_*_ABT_ERR) by the caller.  Address 0 means the wired interrupt.
 *
 * MSIs outside RAM are rationed.  Such a write may land on a device whose
 * registers remap memory (the flash's command register flips its ROM
 * mode), and QEMU frees the memory views a remap replaces only after an
 * RCU grace period, which needs the BQL: unrationed, one trap could take
 * any amount of memory.  A pass starts with its first such MSI, which
 * queues an RCU callback: queued after the memory views the pass replaces,
 * it runs once they are freed, which cannot be before the trap ends, and
 * schedules the pass bottom half.  Only that ends the pass (a bottom half
 * run from a nested aio_poll inside the trap, as a flash write to its
 * drive makes, must not).  A pass writes at most SMMUV3_ACCEL_PASS_MSIS
 * of them; what comes beyond waits for the bottom half, which sends what
 * was held (one event queue interrupt for all the events) and consumes
 * the CMD_SYNCs left in the queue.  Linux's CMD_SYNC MSIs are in RAM.
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qemu/rcu.h"
#include "system/dma.h"
#include "smmuv3-accel-internal.h"
#include "trace.h"

/* IRQ_CFG0 and CMD_SYNC word 1: the MSI address, bits [51:2] */
#define SMMUV3_ACCEL_MSI_ADDR   MAKE_64BIT_MASK(2, 50)

/* MSIs outside RAM one pass may write */
#define SMMUV3_ACCEL_PASS_MSIS  16

static bool smmuv3_accel_msi_target(SMMUv3State *s, SMMUIrq irq,
                                    const Cmd *sync, uint64_t *addr,
                                    uint32_t *data)
{
    switch (irq) {
    case SMMU_IRQ_CMD_SYNC:
        if (!sync) {
            return false;
        }
        *addr = (uint64_t)sync->word[3] << 32 | sync->word[2];
        *data = sync->word[1];
        break;
    case SMMU_IRQ_EVTQ:
        *addr = s->eventq_irq_cfg0;
        *data = s->eventq_irq_cfg1;
        break;
    case SMMU_IRQ_GERROR:
        *addr = s->gerror_irq_cfg0;
        *data = s->gerror_irq_cfg1;
        break;
    default:
        /* No PRI queue with accel=on */
        return false;
    }
    *addr &= SMMUV3_ACCEL_MSI_ADDR;
    return *addr != 0;
}

/* The MSI @irq would write now, if it is one: false for the wire */
static bool smmuv3_accel_msi(SMMUv3State *s, SMMUIrq irq, const Cmd *sync,
                             uint64_t *addr, uint32_t *data)
{
    return s->accel_state && FIELD_EX32(s->idr[0], IDR0, MSI) &&
           smmuv3_accel_msi_target(s, irq, sync, addr, data);
}

/* In the RCU thread, with the BQL: the pass's memory views are freed */
static void smmuv3_accel_pass_rcu(struct rcu_head *head)
{
    SMMUv3Accel *a = container_of(head, SMMUv3Accel, pass_rcu);

    a->pass_rcu_queued = false;
    qemu_bh_schedule(a->pass_bh);
}

/* A pass is on: its end is the RCU callback's, then the bottom half's */
static void smmuv3_accel_pass_start(SMMUv3Accel *a)
{
    if (!a->pass_rcu_queued) {
        a->pass_rcu_queued = true;
        call_rcu1(&a->pass_rcu, smmuv3_accel_pass_rcu);
    }
}

bool smmuv3_accel_msi_ready(SMMUv3State *s, SMMUIrq irq, const Cmd *sync)
{
    SMMUv3Accel *a = s->accel_state;
    uint64_t addr;
    uint32_t data;

    if (!smmuv3_accel_msi(s, irq, sync, &addr, &data) ||
        a->pass_msis < SMMUV3_ACCEL_PASS_MSIS ||
        smmuv3_addr_in_ram(addr, sizeof(data))) {
        return true;
    }
    a->msis_held |= BIT(irq);
    a->n_msis_held++;
    /* The pass's RCU callback or bottom half is due already */
    trace_smmuv3_accel_msi_held(irq, addr, a->pass_msis);
    return false;
}

bool smmuv3_accel_irq_msi(SMMUv3State *s, SMMUIrq irq, const Cmd *sync,
                          MemTxResult *res)
{
    SMMUv3Accel *a = s->accel_state;
    uint64_t addr;
    uint32_t data, le;

    if (!smmuv3_accel_msi(s, irq, sync, &addr, &data)) {
        return false;
    }
    if (!smmuv3_addr_in_ram(addr, sizeof(le))) {
        a->pass_msis++;
        smmuv3_accel_pass_start(a);
    }
    a->n_msis++;
    le = cpu_to_le32(data);
    *res = dma_memory_write(&address_space_memory, addr, &le, sizeof(le),
                            MEMTXATTRS_UNSPECIFIED);
    trace_smmuv3_accel_msi(irq, addr, data, *res);
    return true;
}

static void smmuv3_accel_pass_bh(void *opaque)
{
    SMMUv3Accel *a = opaque;
    unsigned held = a->msis_held;

    if (a->pass_rcu_queued) {
        /* The pass goes on: the RCU callback schedules this again */
        return;
    }
    trace_smmuv3_accel_pass_end(a->pass_msis, held);
    a->pass_msis = 0;
    a->msis_held = 0;
    if (held) {
        smmuv3_resume(a->smmu, held);
    }
}

void smmuv3_accel_msi_init(SMMUv3Accel *a)
{
    a->pass_bh = qemu_bh_new_guarded(smmuv3_accel_pass_bh, a,
                                     &DEVICE(a->smmu)->mem_reentrancy_guard);
}

/*
 * A scheduled bottom half or queued RCU callback stays: with nothing held,
 * it only starts a new pass
 */
void smmuv3_accel_msi_reset(SMMUv3Accel *a)
{
    a->pass_msis = 0;
    a->msis_held = 0;
}
