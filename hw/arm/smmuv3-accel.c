/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: device glue, PCI callbacks and host objects.
 *
 * Host objects of a vSMMU: a nest-parent stage-2 HWPT over the IOAS VFIO
 * maps guest RAM into, a vIOMMU on it, shared abort and bypass nested
 * HWPTs, and per assigned device a vDEVICE (vSID = the guest StreamID) and
 * the nested HWPT of its current STE.  They come with the first assigned
 * device and go with the last one; an exit notifier frees them too.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_bus.h"
#include "hw/qdev-core.h"
#include "migration/blocker.h"
#include "system/address-spaces.h"
#include "system/host_iommu_device.h"
#include "system/iommufd-nesting.h"
#include "system/runstate.h"
#include "system/system.h"
#include "smmuv3-accel-internal.h"
#include "trace.h"

/*
 * Identical registers do not make the same SMMU: ask the kernel, which
 * refuses a vDEVICE of a device on another SMMU than the vIOMMU.  The probe
 * uses an ID no StreamID can have, and goes at once.
 */
static bool smmuv3_accel_check_same_host_smmu(SMMUv3Accel *a,
                                              HostIOMMUDeviceIOMMUFD *idev,
                                              Error **errp)
{
    uint32_t probe;
    Error *err = NULL;

    /* 20 bits: a CMDQV's StreamID table takes no wider */
    if (!iommufd_backend_alloc_vdevice(a->be, a->viommu_id, idev->devid,
                                       0xff000u | (idev->devid & 0xfff),
                                       &probe, &err)) {
        error_propagate_prepend(errp, err, "the device is not behind the "
                                "host SMMU of this vSMMU's other devices; "
                                "give it its own arm-smmuv3 (one per host "
                                "SMMU, each with its own primary-bus): ");
        return false;
    }
    iommufd_backend_free_id(a->be, probe);
    return true;
}

/*
 * Will VFIO hand this device to set_iommu_device, to be nested on the
 * host SMMU?  It asks for its DMA address space first, in its realize.
 * A vfio-pci does, unless it is an mdev (VFIO tells one by its sysfs
 * subsystem, as here); mdevs and vfio-user devices get QEMU's emulated
 * translation instead, whose refusal of MAP notifiers stops them.
 */
static bool smmuv3_accel_vfio_will_nest(PCIBus *bus, int devfn)
{
    PCIDevice *pdev = bus->devices[devfn];
    g_autofree char *sysfs = NULL, *link = NULL, *subsys = NULL;

    if (!pdev || !object_dynamic_cast(OBJECT(pdev), "vfio-pci")) {
        return false;
    }
    sysfs = object_property_get_str(OBJECT(pdev), "sysfsdev", NULL);
    if (sysfs) {
        link = g_build_filename(sysfs, "subsystem", NULL);
        subsys = realpath(link, NULL);
    }
    return !subsys || strcmp(subsys, "/sys/bus/mdev");
}

static AddressSpace *smmuv3_accel_get_address_space(PCIBus *bus,
                                                    void *opaque, int devfn)
{
    SMMUv3Accel *a = ARM_SMMUV3(opaque)->accel_state;

    if (smmuv3_accel_device_find(a, bus, devfn) ||
        smmuv3_accel_vfio_will_nest(bus, devfn)) {
        /* VFIO maps guest RAM: that is the host's stage 2 */
        return &address_space_memory;
    }
    /* Emulated devices keep QEMU's own translation */
    return smmu_find_add_as(bus, opaque, devfn);
}

/*
 * The host translates an assigned device's DMA, but its MSI doorbell is a
 * guest IOVA that KVM routes and QEMU-sent MSIs need as a guest physical
 * address: QEMU walks the guest's stage 1 for those, as for an emulated
 * device.
 */
static AddressSpace *smmuv3_accel_get_msi_address_space(PCIBus *bus,
                                                        void *opaque,
                                                        int devfn)
{
    SMMUv3Accel *a = ARM_SMMUV3(opaque)->accel_state;
    SMMUv3AccelDevice *dev = smmuv3_accel_device_find(a, bus, devfn);
    AddressSpace *as;

    if (!dev) {
        return NULL;
    }
    as = smmu_find_add_as(bus, opaque, devfn);
    /* Where the doorbell is, not a transaction: no event if not mapped */
    dev->sdev = container_of(as, SMMUDevice, as);
    dev->sdev->lookup_only = true;
    return as;
}

static void smmuv3_accel_free_host_objects(SMMUv3Accel *a)
{
    trace_smmuv3_accel_host_objects_free(a->viommu_id);
    smmuv3_accel_cmdqv_detach(a);
    smmuv3_accel_evtq_free(a);
    smmuv3_accel_free_id(a, &a->abort_hwpt_id);
    smmuv3_accel_free_id(a, &a->bypass_hwpt_id);
    smmuv3_accel_free_id(a, &a->viommu_id);
    if (a->s2_owned) {
        smmuv3_accel_free_id(a, &a->s2_hwpt_id);
    }
    a->s2_hwpt_id = 0;
    a->s2_owned = false;
    a->be = NULL;
}

/* A nested HWPT of an STE with V=1 and @config (abort or bypass) alone */
static bool smmuv3_accel_alloc_shared_hwpt(SMMUv3Accel *a, uint32_t dev_id,
                                           unsigned config, uint32_t *out,
                                           Error **errp)
{
    const uint64_t ste[2] = { SMMUV3_ACCEL_STE0_V |
                              config << SMMUV3_ACCEL_STE0_CONFIG_SHIFT, 0 };

    return iommufd_backend_alloc_nested_hwpt_smmuv3(a->be, dev_id,
                                                    a->viommu_id, ste, out,
                                                    errp);
}

/* The first device brings the vIOMMU; try and fail tells what the host can */
static bool
smmuv3_accel_alloc_host_objects(SMMUv3Accel *a, HostIOMMUDeviceIOMMUFD *idev,
                                const struct iommu_hw_info_arm_smmuv3 *info,
                                Error **errp)
{
    g_autofree char *why = NULL;
    uint32_t type, len;
    void *data;

    a->be = idev->iommufd;
    if (idev->hwpt_flags & IOMMU_HWPT_ALLOC_NEST_PARENT) {
        /* VFIO's one page table for the IOAS is the parent */
        a->s2_hwpt_id = idev->hwpt_id;
    } else if (iommufd_backend_alloc_hwpt(a->be, idev->devid, idev->ioas_id,
                                          IOMMU_HWPT_ALLOC_NEST_PARENT,
                                          IOMMU_HWPT_DATA_NONE, 0, NULL,
                                          &a->s2_hwpt_id, errp)) {
        /* VFIO could not get one: ours beside VFIO's, freed by us */
        a->s2_owned = true;
    } else {
        error_prepend(errp, "stage-2 (nest parent) HWPT: ");
        goto fail;
    }
    type = smmuv3_accel_cmdqv_viommu_type(a, &data, &len);
    if (!iommufd_backend_alloc_viommu_data(a->be, idev->devid, type,
                                           a->s2_hwpt_id, data, len,
                                           &a->viommu_id, errp) ||
        !smmuv3_accel_cmdqv_attach(a, errp) ||
        !smmuv3_accel_alloc_shared_hwpt(a, idev->devid,
                                        SMMUV3_ACCEL_STE_CFG_ABORT,
                                        &a->abort_hwpt_id, errp) ||
        !smmuv3_accel_alloc_shared_hwpt(a, idev->devid,
                                        SMMUV3_ACCEL_STE_CFG_BYPASS,
                                        &a->bypass_hwpt_id, errp)) {
        goto fail;
    }
    trace_smmuv3_accel_host_objects(a->s2_hwpt_id, a->s2_owned, a->viommu_id,
                                    a->abort_hwpt_id, a->bypass_hwpt_id);
    return true;
fail:
    a->n_host_errors++;
    /* The kernel says EOPNOTSUPP; the registers may say why */
    why = smmuv3_accel_idr_why_no_nesting(info->idr, info->iidr);
    if (why) {
        error_prepend(errp, "the host SMMU cannot be a nesting parent: %s; ",
                      why);
    }
    smmuv3_accel_free_host_objects(a);
    return false;
}

/*
 * A device leaves; its host group mates that stay get their own
 * translation back (@reinstall_group).
 */
static void smmuv3_accel_device_leave(SMMUv3Accel *a, SMMUv3AccelDevice *dev,
                                      bool reinstall_group)
{
    SMMUv3AccelDevice *m;
    int group = dev->host_group;

    smmuv3_accel_device_release(dev);
    QLIST_FOREACH(m, &a->devices, next) {
        if (reinstall_group && m->host_group == group) {
            smmuv3_accel_ste_install(a, m, false);
        }
    }
}

static bool smmuv3_accel_set_iommu_device(PCIBus *bus, void *opaque,
                                          int devfn, HostIOMMUDevice *hiod,
                                          Error **errp)
{
    SMMUv3State *s = ARM_SMMUV3(opaque);
    SMMUv3Accel *a = s->accel_state;
    HostIOMMUDeviceIOMMUFD *idev;
    struct iommu_hw_info_arm_smmuv3 *info;
    SMMUv3AccelIdr idr;
    SMMUv3AccelDevice *dev;
    int group;

    if (!object_dynamic_cast(OBJECT(hiod), TYPE_HOST_IOMMU_DEVICE_IOMMUFD)) {
        error_setg(errp, "a device behind arm-smmuv3,accel=on must use "
                   "iommufd: add -object iommufd,id=ID and iommufd=ID to "
                   "the vfio-pci device");
        return false;
    }
    idev = HOST_IOMMU_DEVICE_IOMMUFD(hiod);
    if (hiod->caps.type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
        error_setg(errp, "the device's host IOMMU is not an ARM SMMUv3 "
                   "(IOMMU_GET_HW_INFO type %u); arm-smmuv3,accel=on needs "
                   "one", hiod->caps.type);
        return false;
    }
    if (a->be && a->be != idev->iommufd) {
        error_setg(errp, "every device behind one arm-smmuv3,accel=on must "
                   "use the same iommufd object");
        return false;
    }
    if (!smmuv3_accel_cmdqv_check_host(a, idev, errp)) {
        return false;
    }
    group = smmuv3_accel_device_host_group(hiod, devfn, errp);
    if (group < 0 ||
        !smmuv3_accel_device_check_group(a, bus, devfn, group, errp)) {
        return false;
    }
    info = &hiod->caps.vendor_caps.smmuv3;
    /* Learnt from this host only once the device is accepted */
    idr = a->idr;
    if (!idr.resolved && !phase_check(PHASE_MACHINE_READY)) {
        /* Cold plug: the guest has not read the registers yet */
        if (!smmuv3_accel_idr_resolve(s, info->idr, info->iidr, info->aidr,
                                      &idr, errp)) {
            return false;
        }
    } else if (!smmuv3_accel_idr_check_host(s, &idr, info->idr,
                                            info->iidr, info->aidr, errp)) {
        return false;
    } else if (!idr.resolved) {
        /* The baseline stays what the guest sees; remember the host */
        memcpy(idr.host, info->idr, sizeof(idr.host));
        idr.host_iidr = info->iidr;
        idr.host_aidr = info->aidr;
        idr.resolved = true;
    }
    if (!a->viommu_id) {
        if (!smmuv3_accel_alloc_host_objects(a, idev, info, errp)) {
            return false;
        }
    } else if (!smmuv3_accel_check_same_host_smmu(a, idev, errp)) {
        return false;
    } else if (!a->s2_owned && idev->hwpt_id != a->s2_hwpt_id) {
        /* VFIO would free the vIOMMU's parent under it */
        error_setg(errp, "VFIO put the device on host page table %u, not "
                   "on %u where this vSMMU nests: the other devices "
                   "behind it must share the device's iommufd and host "
                   "SMMU", idev->hwpt_id, a->s2_hwpt_id);
        return false;
    }
    a->idr = idr;
    smmuv3_accel_evtq_update(a);

    dev = g_new0(SMMUv3AccelDevice, 1);
    dev->accel = a;
    dev->bus = bus;
    dev->devfn = devfn;
    dev->idev = idev;
    dev->vfio_hwpt_id = idev->hwpt_id;
    dev->host_group = group;
    QLIST_INSERT_HEAD(&a->devices, dev, next);
    trace_smmuv3_accel_device_add(devfn, idev->devid);
    /*
     * Cold plug: the machine reset installs every STE.  Until then the
     * device stays on VFIO's HWPT, which the other functions of its host
     * iommu group must be able to join as VFIO attaches them.
     */
    if (phase_check(PHASE_MACHINE_READY)) {
        smmuv3_accel_ste_install(a, dev, false);
    }
    return true;
}

static void smmuv3_accel_unset_iommu_device(PCIBus *bus, void *opaque,
                                            int devfn)
{
    SMMUv3State *s = ARM_SMMUV3(opaque);
    SMMUv3Accel *a = s->accel_state;
    SMMUv3AccelDevice *dev = smmuv3_accel_device_find(a, bus, devfn);

    if (!dev) {
        return;
    }
    smmuv3_accel_device_leave(a, dev, true);
    if (QLIST_EMPTY(&a->devices)) {
        /* The vIOMMU goes with the last device, comes back with the next */
        smmuv3_accel_free_host_objects(a);
    }
}

/* Every device here nests over VFIO's page table for it */
static bool smmuv3_accel_wants_nest_parent(PCIBus *bus, void *opaque,
                                           int devfn)
{
    return true;
}

static const PCIIOMMUOps smmuv3_accel_pci_ops = {
    .get_address_space = smmuv3_accel_get_address_space,
    .wants_nest_parent = smmuv3_accel_wants_nest_parent,
    .set_iommu_device = smmuv3_accel_set_iommu_device,
    .unset_iommu_device = smmuv3_accel_unset_iommu_device,
    .get_msi_address_space = smmuv3_accel_get_msi_address_space,
};

static void smmuv3_accel_exit_notify(Notifier *n, void *data)
{
    SMMUv3Accel *a = container_of(n, SMMUv3Accel, exit_notifier);
    SMMUv3AccelDevice *dev, *next;

    QLIST_FOREACH_SAFE(dev, &a->devices, next, next) {
        smmuv3_accel_device_leave(a, dev, false);
    }
    if (a->be) {
        smmuv3_accel_free_host_objects(a);
    }
}

bool smmuv3_accel_realize(SMMUv3State *s, Error **errp)
{
    SMMUv3Accel *a;

    if (!smmuv3_accel_props_check(s, errp)) {
        return false;
    }
    if (!s->accel) {
        return true;
    }
    if (s->stage && strcmp(s->stage, "1")) {
        error_setg(errp, "accel=on offers stage 1 to the guest (the host "
                   "owns stage 2): remove stage=%s", s->stage);
        return false;
    }
    if (s->s2fwb) {
        error_setg(errp, "s2fwb applies to the emulated SMMU, not accel=on");
        return false;
    }

    a = g_new0(SMMUv3Accel, 1);
    a->smmu = s;
    a->veventq_fd = -1;
    a->cmdqv.veventq_fd = -1;
    QLIST_INIT(&a->devices);
    smmuv3_accel_idr_baseline(s, &a->idr);

    error_setg(&a->migration_blocker, "arm-smmuv3,accel=on: the host "
               "SMMU's nested state (vIOMMU, vDEVICEs, nested HWPTs) cannot "
               "be migrated yet");
    if (migrate_add_blocker(&a->migration_blocker, errp) < 0) {
        g_free(a);
        return false;
    }
    a->exit_notifier.notify = smmuv3_accel_exit_notify;
    qemu_add_exit_notifier(&a->exit_notifier);
    smmuv3_accel_fdt_init(a);

    s->accel_state = a;
    smmuv3_accel_msi_init(a);
    ARM_SMMU(s)->pci_iommu_ops = &smmuv3_accel_pci_ops;
    return true;
}

void smmuv3_accel_init_regs(SMMUv3State *s)
{
    SMMUv3Accel *a = s->accel_state;

    if (!a) {
        return;
    }
    smmuv3_accel_idr_apply(&a->idr, s->idr);
    s->idr[1] = FIELD_DP32(s->idr[1], IDR1, CMDQS,
                           smmuv3_accel_cmdqv_max_cmdqs(
                               a, FIELD_EX32(s->idr[1], IDR1, CMDQS)));
    smmuv3_accel_cmdq_batch_reset(&a->batch);
    smmuv3_accel_msi_reset(a);
    /* Reset: the SMMU is disabled, GBPA decides, no event queue */
    smmuv3_accel_ste_install_all(a);
    smmuv3_accel_evtq_update(a);
}
