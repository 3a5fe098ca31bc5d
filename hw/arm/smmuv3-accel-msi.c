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
 */

#include "qemu/osdep.h"
#include "system/dma.h"
#include "smmuv3-accel-internal.h"
#include "trace.h"

/* IRQ_CFG0 and CMD_SYNC word 1: the MSI address, bits [51:2] */
#define SMMUV3_ACCEL_MSI_ADDR   MAKE_64BIT_MASK(2, 50)

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

bool smmuv3_accel_irq_msi(SMMUv3State *s, SMMUIrq irq, const Cmd *sync,
                          MemTxResult *res)
{
    uint64_t addr;
    uint32_t data, le;

    if (!s->accel_state || !FIELD_EX32(s->idr[0], IDR0, MSI) ||
        !smmuv3_accel_msi_target(s, irq, sync, &addr, &data)) {
        return false;
    }
    le = cpu_to_le32(data);
    *res = dma_memory_write(&address_space_memory, addr, &le, sizeof(le),
                            MEMTXATTRS_UNSPECIFIED);
    trace_smmuv3_accel_msi(irq, addr, data, *res);
    return true;
}
