/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on: an assigned device's own host objects: the HWPT it
 * is attached to, its vDEVICE and nested HWPT, and the host iommu group it
 * shares them with.  Policy (which HWPT an STE means) is in
 * smmuv3-accel-ste.c.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/cutils.h"
#include "hw/pci/pci_bus.h"
#include "hw/vfio/vfio-device.h"
#include "system/iommufd-nesting.h"
#include "smmuv3-accel-internal.h"
#include "trace.h"

SMMUv3AccelDevice *smmuv3_accel_device_find(SMMUv3Accel *a, PCIBus *bus,
                                            int devfn)
{
    SMMUv3AccelDevice *dev;

    QLIST_FOREACH(dev, &a->devices, next) {
        if (dev->bus == bus && dev->devfn == devfn) {
            return dev;
        }
    }
    return NULL;
}

uint32_t smmuv3_accel_device_sid(SMMUv3AccelDevice *dev)
{
    /* The guest may renumber buses: always the current requester ID */
    return PCI_BUILD_BDF(pci_bus_num(dev->bus), dev->devfn);
}

/* The group that @dir's iommu_group link names; -1 without one */
static int smmuv3_accel_device_group_link(const char *dir)
{
    g_autofree char *link = g_build_filename(dir, "iommu_group", NULL);
    g_autofree char *target = g_file_read_link(link, NULL);
    g_autofree char *base = NULL;
    int group;

    if (!target) {
        return -1;
    }
    base = g_path_get_basename(target);
    return qemu_strtoi(base, NULL, 10, &group) || group < 0 ? -1 : group;
}

/*
 * The host iommu group of an assigned device: from the sysfs directory
 * QEMU opened it by, else from the device file itself (libvirt passes an
 * fd): a VFIO cdev's /sys/dev/char/MAJ:MIN/device is the PCI device.
 * Without it the group rules cannot be kept: refused.
 */
int smmuv3_accel_device_host_group(HostIOMMUDevice *hiod, int devfn,
                                   Error **errp)
{
    /* only VFIO creates iommufd host IOMMU devices */
    VFIODevice *vbasedev = hiod->agent;
    const char *sysfs = vbasedev->sysfsdev;
    g_autofree char *chardev = NULL;
    struct stat st;
    int group = -1;

    if (sysfs && *sysfs) {
        group = smmuv3_accel_device_group_link(sysfs);
    }
    if (group < 0 && !fstat(vbasedev->fd, &st) && S_ISCHR(st.st_mode)) {
        chardev = g_strdup_printf("/sys/dev/char/%u:%u/device",
                                  major(st.st_rdev), minor(st.st_rdev));
        group = smmuv3_accel_device_group_link(chardev);
    }
    trace_smmuv3_accel_host_group(devfn, group);
    if (group < 0) {
        g_autofree char *where = g_strjoin(" nor in ",
                                           sysfs && *sysfs ? sysfs : chardev,
                                           sysfs && *sysfs ? chardev : NULL,
                                           NULL);

        error_setg(errp, "cannot read the device's host iommu group (no "
                   "iommu_group link in %s): arm-smmuv3,accel=on needs it "
                   "to keep the devices of one group together; let QEMU "
                   "read /sys", where ? where : "its sysfs directory");
    }
    return group;
}

/*
 * Devices of one host group can only share a translation.  The guest
 * gives one translation to a multi-function device without ACS (it groups
 * the functions like the host), so that is how they must be presented.
 */
bool smmuv3_accel_device_check_group(SMMUv3Accel *a, PCIBus *bus, int devfn,
                                     int group, Error **errp)
{
    SMMUv3AccelDevice *m;

    QLIST_FOREACH(m, &a->devices, next) {
        if (m->host_group == group &&
            (m->bus != bus || PCI_SLOT(m->devfn) != PCI_SLOT(devfn))) {
            error_setg(errp, "the device shares host iommu group %d with "
                       "the device in slot %d of bus %s: the host gives a "
                       "group one translation, so present them as functions "
                       "of one slot (addr=S.0, addr=S.1, multifunction=on) "
                       "or assign them to different VMs", group,
                       PCI_SLOT(m->devfn), m->bus->qbus.name);
            return false;
        }
    }
    return true;
}

/*
 * The host attaches a whole iommu group at once: attaching one device
 * moved its group mates too.  Their own stage-1 HWPTs, if any, are no
 * longer in use.
 */
static void smmuv3_accel_device_group_moved(SMMUv3AccelDevice *dev,
                                            uint32_t hwpt_id)
{
    SMMUv3AccelDevice *m;

    QLIST_FOREACH(m, &dev->accel->devices, next) {
        if (m == dev || m->host_group != dev->host_group) {
            continue;
        }
        trace_smmuv3_accel_group_moved(m->devfn, m->host_group, hwpt_id);
        m->hwpt_id = hwpt_id;
        if (m->s1_hwpt_id && m->s1_hwpt_id != hwpt_id) {
            iommufd_backend_free_id(dev->accel->be, m->s1_hwpt_id);
            m->s1_hwpt_id = 0;
        }
    }
}

bool smmuv3_accel_device_attach(SMMUv3AccelDevice *dev, uint32_t hwpt_id,
                                Error **errp)
{
    if (dev->hwpt_id == hwpt_id) {
        return true;
    }
    trace_smmuv3_accel_attach(smmuv3_accel_device_sid(dev), dev->hwpt_id,
                              hwpt_id);
    if (!host_iommu_device_iommufd_attach_hwpt(dev->idev, hwpt_id, errp)) {
        return false;
    }
    dev->hwpt_id = hwpt_id;
    smmuv3_accel_device_group_moved(dev, hwpt_id);
    return true;
}

/* Drop the device's own stage-1 HWPT once it is no longer attached */
void smmuv3_accel_device_release_s1(SMMUv3AccelDevice *dev)
{
    if (dev->s1_hwpt_id && dev->s1_hwpt_id != dev->hwpt_id) {
        iommufd_backend_free_id(dev->accel->be, dev->s1_hwpt_id);
        dev->s1_hwpt_id = 0;
    }
}

bool smmuv3_accel_device_ensure_vdevice(SMMUv3AccelDevice *dev, uint32_t sid,
                                        Error **errp)
{
    SMMUv3Accel *a = dev->accel;
    Error *local_err = NULL;

    if (dev->vdevice_id && dev->vsid == sid) {
        return true;
    }
    if (dev->vdevice_id) {
        /*
         * The guest renumbered the bus: the vSID follows it.  The device
         * leaves its stage-1 HWPT first, whose attachment holds the
         * vDEVICE; if it cannot, both stay and the new STE is refused.
         * That HWPT is freed by the caller, once the new one is attached.
         */
        if (!host_iommu_device_iommufd_attach_hwpt(dev->idev,
                                                   a->abort_hwpt_id,
                                                   &local_err)) {
            error_propagate_prepend(errp, local_err, "moving to vSID 0x%x: ",
                                    sid);
            return false;
        }
        dev->hwpt_id = a->abort_hwpt_id;
        smmuv3_accel_device_group_moved(dev, a->abort_hwpt_id);
        smmuv3_accel_free_id(a, &dev->vdevice_id);
    }
    if (!iommufd_backend_alloc_vdevice(a->be, a->viommu_id,
                                       dev->idev->devid, sid,
                                       &dev->vdevice_id, errp)) {
        return false;
    }
    dev->vsid = sid;
    return true;
}

/* Another device of @dev's host group, plugged */
static SMMUv3AccelDevice *smmuv3_accel_device_mate(SMMUv3AccelDevice *dev)
{
    SMMUv3AccelDevice *m;

    QLIST_FOREACH(m, &dev->accel->devices, next) {
        if (m != dev && m->host_group == dev->host_group) {
            return m;
        }
    }
    return NULL;
}

/*
 * @dev leaves, its group stays with @mate: @dev is only detached (moving
 * it would move the group, and @mate's DMA off the guest's stage 1), and
 * the group's stage-1 HWPT, if @dev's, becomes @mate's to free
 */
static void smmuv3_accel_device_leave_group(SMMUv3AccelDevice *dev,
                                            SMMUv3AccelDevice *mate)
{
    trace_smmuv3_accel_attach(smmuv3_accel_device_sid(dev), dev->hwpt_id, 0);
    host_iommu_device_iommufd_detach_hwpt(dev->idev, NULL);
    if (dev->s1_hwpt_id && dev->s1_hwpt_id == dev->hwpt_id) {
        /* the mate's own, if any, is attached to nothing */
        smmuv3_accel_free_id(dev->accel, &mate->s1_hwpt_id);
        /* with the STE it was made from, not the mate's own */
        mate->s1_hwpt_id = dev->s1_hwpt_id;
        memcpy(mate->ste, dev->ste, sizeof(mate->ste));
        dev->s1_hwpt_id = 0;
    }
}

void smmuv3_accel_device_release(SMMUv3AccelDevice *dev)
{
    SMMUv3Accel *a = dev->accel;
    SMMUv3AccelDevice *mate = smmuv3_accel_device_mate(dev);
    Error *err = NULL;

    if (dev->hwpt_id && mate) {
        smmuv3_accel_device_leave_group(dev, mate);
    } else if (dev->hwpt_id &&
               !host_iommu_device_iommufd_attach_hwpt(dev->idev,
                                                      dev->vfio_hwpt_id,
                                                      &err)) {
        /*
         * Back to VFIO's own HWPT, so that ours can go, was refused:
         * detached instead, which the host cannot refuse, or our HWPTs and
         * the vIOMMU would stay held until the iommufd closes (with a
         * passed iommufd, never).  VFIO's own detach finds it so.
         */
        warn_report_err_once(err);
        trace_smmuv3_accel_attach(smmuv3_accel_device_sid(dev), dev->hwpt_id,
                                  0);
        host_iommu_device_iommufd_detach_hwpt(dev->idev, NULL);
        smmuv3_accel_device_group_moved(dev, 0);
    } else if (dev->hwpt_id) {
        smmuv3_accel_device_group_moved(dev, dev->vfio_hwpt_id);
    }
    smmuv3_accel_free_id(a, &dev->s1_hwpt_id);
    smmuv3_accel_free_id(a, &dev->vdevice_id);
    if (dev->sdev) {
        /* The slot may get an emulated device, whose DMA faults are real */
        dev->sdev->lookup_only = false;
    }
    QLIST_REMOVE(dev, next);
    trace_smmuv3_accel_device_del(dev->devfn);
    g_free(dev);
}
