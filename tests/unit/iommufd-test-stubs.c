/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What backends/iommufd.c links against beyond its ioctl wrappers: the
 * monitor, CPR and VFIO.  The nesting unit test drives the wrappers on an
 * fd it opened itself, so none of these may be reached.
 */

#include "qemu/osdep.h"
#include "monitor/monitor.h"
#include "migration/cpr.h"
#include "hw/vfio/vfio-cpr.h"
#include "hw/vfio/vfio-device.h"

int monitor_fd_param(Monitor *mon, const char *fdname, Error **errp)
{
    g_assert_not_reached();
}

bool cpr_is_incoming(void)
{
    return false;
}

int cpr_find_fd(const char *name, int id)
{
    g_assert_not_reached();
}

int cpr_open_fd(const char *path, int flags, const char *name, int id,
                Error **errp)
{
    g_assert_not_reached();
}

void cpr_save_fd(const char *name, int id, int fd)
{
    g_assert_not_reached();
}

void cpr_delete_fd(const char *name, int id)
{
    g_assert_not_reached();
}

bool vfio_iommufd_cpr_register_iommufd(struct IOMMUFDBackend *be,
                                       Error **errp)
{
    g_assert_not_reached();
}

void vfio_iommufd_cpr_unregister_iommufd(struct IOMMUFDBackend *be)
{
    g_assert_not_reached();
}

int vfio_device_get_aw_bits(VFIODevice *vdev)
{
    g_assert_not_reached();
}
