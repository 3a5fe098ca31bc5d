/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: a vSMMU nested on a host SMMUv3 through iommufd.
 *
 * The guest's stream table stays in guest memory and is read by QEMU; for
 * each stream of an assigned (VFIO) device QEMU installs a host nested
 * page table built from the guest STE, so that the host SMMU walks the
 * guest's context descriptors and stage-1 tables over the host's stage 2.
 * The guest's invalidation commands are forwarded to the host in order.
 *
 * Files: smmuv3-accel.c (device glue, PCI callbacks, host objects),
 * smmuv3-accel-idr.c (ID registers), smmuv3-accel-ste.c (STE validation
 * and installation), smmuv3-accel-cmdq.c (command forwarding),
 * smmuv3-accel-evtq.c (host events into the guest's event queue).
 */

#ifndef HW_ARM_SMMUV3_ACCEL_H
#define HW_ARM_SMMUV3_ACCEL_H

#include "hw/arm/smmuv3.h"
#include "smmuv3-internal.h"
#include "qemu/queue.h"
#include "qemu/notify.h"

/* Hooks called by smmuv3.c; all are no-ops when accel is off. */
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

#include "system/iommufd.h"
#include "system/iommufd-veventq.h"

/* An assigned device behind the vSMMU */
typedef struct SMMUv3AccelDevice {
    struct SMMUv3Accel *accel;
    PCIBus *bus;
    int devfn;
    HostIOMMUDeviceIOMMUFD *idev;
    /* Host iommu group, -1 if unknown: a group shares one host domain */
    int host_group;
    /* The original (VFIO) HWPT, attached back when the device leaves */
    uint32_t vfio_hwpt_id;
    /* The guest StreamID of its vDEVICE, valid when vdevice_id != 0 */
    uint32_t vsid;
    uint32_t vdevice_id;
    /* The HWPT the device is attached to, and the nested one it owns */
    uint32_t hwpt_id;
    uint32_t s1_hwpt_id;
    uint64_t ste[2];
    /* QEMU's walk of its MSI doorbell, once asked for */
    SMMUDevice *sdev;
    QLIST_ENTRY(SMMUv3AccelDevice) next;
} SMMUv3AccelDevice;

/* How guest IDR fields follow the host and the properties */
typedef struct SMMUv3AccelIdr {
    bool resolved;          /* from a host device, else the baseline */
    uint32_t host[6];
    uint32_t host_iidr;
    uint32_t host_aidr;
    uint32_t guest[6];      /* the table's fields only */
} SMMUv3AccelIdr;

typedef struct SMMUv3AccelBatch {
    uint64_t (*cmds)[2];
    uint32_t *cons;         /* queue CONS value of each command */
    uint32_t len;
    uint32_t cap;
} SMMUv3AccelBatch;

typedef struct SMMUv3Accel {
    SMMUv3State *smmu;
    IOMMUFDBackend *be;
    SMMUv3AccelIdr idr;
    uint32_t s2_hwpt_id;
    bool s2_owned;          /* false: VFIO's page table, VFIO frees it */
    uint32_t viommu_id;
    uint32_t abort_hwpt_id;
    uint32_t bypass_hwpt_id;
    QLIST_HEAD(, SMMUv3AccelDevice) devices;
    SMMUv3AccelBatch batch;
    Error *migration_blocker;
    Notifier exit_notifier;
    Notifier fdt_notifier;

    /* Host events, while the guest's event queue is enabled */
    uint32_t veventq_id;
    int veventq_fd;
    IOMMUFDVeventqReader evtq_reader;

    uint64_t n_batches;
    uint64_t n_cmds_forwarded;
    uint64_t n_host_errors;
    uint64_t n_bad_ste;
    uint64_t n_events;
    uint64_t n_events_lost;
} SMMUv3Accel;

/* smmuv3-accel-fdt.c: the MSI window in the guest's device tree */
void smmuv3_accel_fdt_init(SMMUv3Accel *a);

/* smmuv3-accel-idr.c */
void smmuv3_accel_idr_baseline(SMMUv3State *s, SMMUv3AccelIdr *idr);
bool smmuv3_accel_idr_resolve(SMMUv3State *s, const uint32_t host_idr[6],
                              uint32_t host_iidr, uint32_t host_aidr,
                              SMMUv3AccelIdr *idr, Error **errp);
bool smmuv3_accel_idr_check_host(SMMUv3State *s, const SMMUv3AccelIdr *idr,
                                 const uint32_t host_idr[6],
                                 uint32_t host_iidr, uint32_t host_aidr,
                                 Error **errp);
bool smmuv3_accel_parse_props(SMMUv3State *s, Error **errp);
void smmuv3_accel_idr_apply(const SMMUv3AccelIdr *idr, uint32_t regs[6]);
/* Why Linux would not nest on this host SMMU, or NULL; g_free() it */
char *smmuv3_accel_idr_why_no_nesting(const uint32_t host_idr[6],
                                      uint32_t host_iidr);
typedef void SMMUv3AccelIdrVisit(void *opaque, const char *name,
                                 const char *rule, uint32_t host,
                                 uint32_t qemu, uint32_t guest);
/* Each field of the rule table, for introspection */
void smmuv3_accel_idr_visit(const SMMUv3AccelIdr *idr,
                            SMMUv3AccelIdrVisit *fn, void *opaque);

/* smmuv3-accel-ste.c */
/* @report: a command asked for it, so a refused STE raises C_BAD_STE */
void smmuv3_accel_install(SMMUv3Accel *a, SMMUv3AccelDevice *dev,
                          bool report);
void smmuv3_accel_install_all(SMMUv3Accel *a);

/* smmuv3-accel-cmdq.c */
void smmuv3_accel_batch_init(SMMUv3AccelBatch *b);
void smmuv3_accel_batch_cleanup(SMMUv3AccelBatch *b);
void smmuv3_accel_batch_reset(SMMUv3AccelBatch *b);

/* smmuv3-accel-evtq.c */
void smmuv3_accel_evtq_update(SMMUv3Accel *a);
void smmuv3_accel_evtq_release(SMMUv3Accel *a);

/* smmuv3-accel.c */
bool smmuv3_accel_ensure_vdevice(SMMUv3Accel *a, SMMUv3AccelDevice *dev,
                                 uint32_t sid, Error **errp);
uint32_t smmuv3_accel_device_sid(SMMUv3AccelDevice *dev);
void smmuv3_accel_group_moved(SMMUv3AccelDevice *dev, uint32_t hwpt_id);

#endif
