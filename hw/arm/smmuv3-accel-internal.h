/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: what the accel files share (not smmuv3.c, which
 * sees only smmuv3-accel.h).  Which file owns what:
 * docs/devel/arm-smmuv3-accel.rst, "Code layout".
 */

#ifndef HW_ARM_SMMUV3_ACCEL_INTERNAL_H
#define HW_ARM_SMMUV3_ACCEL_INTERNAL_H

#include "qemu/queue.h"
#include "qemu/notify.h"
#include "hw/pci/pci.h"
#include "system/iommufd.h"
#include "system/iommufd-veventq.h"
#include "smmuv3-accel.h"

/*
 * The first 64-bit word of an STE as IOMMU_HWPT_ALLOC takes it (the
 * guest's STE, little-endian words), and the Config values accel=on gives
 * a stream: the others are reserved or stage 2, which the host owns.
 */
#define SMMUV3_ACCEL_STE0_V             BIT_ULL(0)
#define SMMUV3_ACCEL_STE0_CONFIG_SHIFT  1
#define SMMUV3_ACCEL_STE_CFG_ABORT      0
#define SMMUV3_ACCEL_STE_CFG_BYPASS     4
#define SMMUV3_ACCEL_STE_CFG_S1         5

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

/* The most logical queues a guest's VINTF gets (the emulated CMDQV's) */
#define SMMUV3_ACCEL_CMDQV_QUEUES_MAX 8

/* A guest VCMDQ the host runs: IOMMU_HW_QUEUE_ALLOC of a logical queue */
typedef struct SMMUv3AccelHwQueue {
    uint32_t id;
    uint64_t addr, len;
    /* what the host last refused: not asked again until BASE changes */
    uint64_t refused_addr, refused_len;
} SMMUv3AccelHwQueue;

/* cmdqv=on|auto: the host CMDQV's VINTF the guest's runs on */
typedef struct SMMUv3AccelCmdqv {
    /* Learnt at cold plug: whether the host has one (auto follows it) */
    bool resolved;
    bool host;
    /* The vIOMMU's VINTF page: its mmap key, the mapping, in the guest */
    struct iommu_viommu_tegra241_cmdqv alloc_out;
    uint64_t offset;
    void *page;
    MemoryRegion mr;
    SMMUv3AccelHwQueue hwq[SMMUV3_ACCEL_CMDQV_QUEUES_MAX];
    /* The host's CMDQV errors for the guest's queues */
    uint32_t veventq_id;
    int veventq_fd;
    IOMMUFDVeventqReader reader;

    uint64_t n_hw_queues;
    uint64_t n_hw_queue_errors;
    uint64_t n_errors;
} SMMUv3AccelCmdqv;

/* Forwarded commands gathered for one IOMMU_HWPT_INVALIDATE, at most */
#define SMMUV3_ACCEL_BATCH_MAX 256

typedef struct SMMUv3AccelBatch {
    uint64_t cmds[SMMUV3_ACCEL_BATCH_MAX][2];   /* little-endian, as queued */
    uint32_t cons[SMMUV3_ACCEL_BATCH_MAX];      /* queue CONS of each */
    uint32_t len;
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

    SMMUv3AccelCmdqv cmdqv;

    /* MSIs outside RAM this pass; those held for the pass bottom half */
    unsigned pass_msis;
    unsigned msis_held;
    QEMUBH *pass_bh;
    struct rcu_head pass_rcu;
    bool pass_rcu_queued;

    uint64_t n_batches;
    uint64_t n_cmds_forwarded;
    uint64_t n_host_errors;
    uint64_t n_bad_ste;
    uint64_t n_events;
    uint64_t n_events_lost;
    uint64_t n_msis;
    uint64_t n_msis_held;
} SMMUv3Accel;

/* Free a host object by ID, if there is one, and forget it */
static inline void smmuv3_accel_free_id(SMMUv3Accel *a, uint32_t *id)
{
    if (*id) {
        iommufd_backend_free_id(a->be, *id);
        *id = 0;
    }
}

/* smmuv3-accel-device.c: an assigned device's own host objects */
SMMUv3AccelDevice *smmuv3_accel_device_find(SMMUv3Accel *a, PCIBus *bus,
                                            int devfn);
uint32_t smmuv3_accel_device_sid(SMMUv3AccelDevice *dev);
int smmuv3_accel_device_host_group(HostIOMMUDevice *hiod, int devfn,
                                   Error **errp);
bool smmuv3_accel_device_check_group(SMMUv3Accel *a, PCIBus *bus, int devfn,
                                     int group, Error **errp);
bool smmuv3_accel_device_attach(SMMUv3AccelDevice *dev, uint32_t hwpt_id,
                                Error **errp);
void smmuv3_accel_device_release_s1(SMMUv3AccelDevice *dev);
bool smmuv3_accel_device_ensure_vdevice(SMMUv3AccelDevice *dev, uint32_t sid,
                                        Error **errp);
/* Back to VFIO's HWPT, its objects freed, out of the list and freed */
void smmuv3_accel_device_release(SMMUv3AccelDevice *dev);

/* smmuv3-accel-ste.c: from a guest STE to the device's host HWPT */
/* @report: a command asked for it, so a refused STE raises C_BAD_STE */
void smmuv3_accel_ste_install(SMMUv3Accel *a, SMMUv3AccelDevice *dev,
                              bool report);
void smmuv3_accel_ste_install_all(SMMUv3Accel *a);

/* smmuv3-accel-idr.c: the guest's ID registers */
void smmuv3_accel_idr_baseline(SMMUv3State *s, SMMUv3AccelIdr *idr);
bool smmuv3_accel_idr_resolve(SMMUv3State *s, const uint32_t host_idr[6],
                              uint32_t host_iidr, uint32_t host_aidr,
                              SMMUv3AccelIdr *idr, Error **errp);
bool smmuv3_accel_idr_check_host(SMMUv3State *s, const SMMUv3AccelIdr *idr,
                                 const uint32_t host_idr[6],
                                 uint32_t host_iidr, uint32_t host_aidr,
                                 Error **errp);
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

/* smmuv3-accel-cmdq.c: the batch of forwarded invalidations */
void smmuv3_accel_cmdq_batch_reset(SMMUv3AccelBatch *b);

/* smmuv3-accel-evtq.c: the vEVENTQ, while the guest's queue is enabled */
void smmuv3_accel_evtq_update(SMMUv3Accel *a);
void smmuv3_accel_evtq_free(SMMUv3Accel *a);

/* smmuv3-accel-msi.c: the pass bottom half that rations MSIs */
void smmuv3_accel_msi_init(SMMUv3Accel *a);
void smmuv3_accel_msi_reset(SMMUv3Accel *a);

/* smmuv3-accel-cmdqv.c: the guest's CMDQV on the host's */
/*
 * Whether @idev's host can run the CMDQV the guest has or will have, and
 * (at cold plug, the first time) learn what it offers
 */
bool smmuv3_accel_cmdqv_check_host(SMMUv3Accel *a,
                                   HostIOMMUDeviceIOMMUFD *idev,
                                   Error **errp);
/* The vIOMMU type to allocate, and its data (NULL: none) */
uint32_t smmuv3_accel_cmdqv_viommu_type(SMMUv3Accel *a, void **data,
                                        uint32_t *len);
/* After the vIOMMU: its VINTF page into the guest, the queues to the host */
bool smmuv3_accel_cmdqv_attach(SMMUv3Accel *a, Error **errp);
/* Before the vIOMMU goes: the queues back to QEMU, the page out */
void smmuv3_accel_cmdqv_detach(SMMUv3Accel *a);
/* IDR1.CMDQS the guest may have: a queue must fit the host's pages */
unsigned smmuv3_accel_cmdqv_max_cmdqs(SMMUv3Accel *a, unsigned cmdqs);
/* For x-query-smmuv3-accel; NULL when the guest has no CMDQV */
struct Smmuv3AccelCmdqvInfo *smmuv3_accel_cmdqv_info(SMMUv3Accel *a);

/* smmuv3-accel-fdt.c: the host MSI window in the guest's device tree */
void smmuv3_accel_fdt_init(SMMUv3Accel *a);

#endif
