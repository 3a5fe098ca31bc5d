/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: the hooks smmuv3.c calls.  Each is a no-op when
 * accel is off (and in smmuv3-accel-stubs.c, without iommufd).  The accel
 * files share smmuv3-accel-internal.h; the design is in
 * docs/devel/arm-smmuv3-accel.rst.
 */

#ifndef HW_ARM_SMMUV3_ACCEL_H
#define HW_ARM_SMMUV3_ACCEL_H

#include "hw/arm/smmuv3.h"
#include "hw/qdev-properties.h"
#include "smmuv3-internal.h"

/* The property types of oas and ssidsize (QAPI enums, "auto" or a size) */
extern const PropertyInfo smmuv3_accel_prop_oas;
extern const PropertyInfo smmuv3_accel_prop_ssidsize;
/* The accel=on properties are set only with accel=on, and to what it offers */
bool smmuv3_accel_props_check(SMMUv3State *s, Error **errp);

bool smmuv3_accel_realize(SMMUv3State *s, Error **errp);
void smmuv3_accel_init_regs(SMMUv3State *s);
void smmuv3_accel_config_changed(SMMUv3State *s);
void smmuv3_accel_install_ste_range(SMMUv3State *s, uint32_t first,
                                    uint32_t last);
/*
 * A command read from the queue, before QEMU's own handling: false stops
 * the queue with *@err set (CONS is left on the failing command).
 */
bool smmuv3_accel_cmdq_command(SMMUv3State *s, const Cmd *cmd,
                               SMMUCmdError *err);
/* Send what is gathered; on failure CONS is moved to the failing command */
void smmuv3_accel_cmdq_flush(SMMUv3State *s, SMMUCmdError *err);
/*
 * Interrupt @irq as an MSI (IDR0.MSI; @sync: the CMD_SYNC that asked for
 * it): true when it was written, with *@res the write's result; false when
 * the wired interrupt applies.
 */
bool smmuv3_accel_irq_msi(SMMUv3State *s, SMMUIrq irq, const Cmd *sync,
                          MemTxResult *res);
/*
 * Whether @irq's interrupt may be sent in this pass; false holds it for
 * the pass bottom half (smmuv3_resume()), which is then due.
 */
bool smmuv3_accel_msi_ready(SMMUv3State *s, SMMUIrq irq, const Cmd *sync);

/*
 * cmdqv (smmuv3-accel-cmdqv.c): the guest's VINTF0 queues as the host's,
 * after any write that may change which of them the host runs
 */
void smmuv3_accel_cmdqv_sync(SMMUv3State *s);
/* Whether the guest is given the CMDQV (cmdqv=on, or auto and the host's) */
bool smmuv3_accel_cmdqv_active(SMMUv3State *s);

#endif
