/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * arm-smmuv3,accel=on in the guest's device tree: the host MSI window as a
 * /reserved-memory node whose "reg" equals its "iommu-addresses" (mapped
 * 1:1), naming a node for each cold-plugged assigned device, under the
 * host bridge and under each bridge on the way, as Linux looks them up
 * (see hw/arm/smmuv3-accel-fdt.c).  QEMU runs on the host kernel model;
 * the device tree is read back with HMP dumpdtb.
 */

#include "qemu/osdep.h"
#include <libfdt.h>
#include "libqtest.h"
#include "arm-smmuv3-accel-model.h"
#include "arm-smmuv3-qtest.h"

#define MSI_NODE        "/reserved-memory/smmuv3-accel-msi@8000000"
#define MSI_BASE        0x8000000ULL
#define MSI_SIZE        0x100000ULL
/* per device in iommu-addresses: phandle, 3 address cells, 2 size cells */
#define ENTRY_CELLS     6

#define MACHINE_ARGS    "-M virt -accel tcg -display none -nodefaults " \
                        "-object iommufd,id=i0 " \
                        "-device arm-smmuv3,primary-bus=pcie.0,accel=on "

static char *dump_dtb(ModelQemu *m, size_t *len)
{
    g_autofree char *path = g_build_filename(m->dir, "guest.dtb", NULL);
    g_autofree char *out = qtest_hmp(m->qts, "dumpdtb %s", path);
    char *blob = NULL;

    g_assert_true(g_file_get_contents(path, &blob, len, NULL));
    g_assert_cmpint(fdt_check_header(blob), ==, 0);
    return blob;
}

static uint64_t cells64(const fdt32_t *c)
{
    return (uint64_t)fdt32_to_cpu(c[0]) << 32 | fdt32_to_cpu(c[1]);
}

/* The devfn in a PCI node's "reg" (phys.hi bits 15:8) */
static int node_devfn(const void *fdt, int node)
{
    int len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

    g_assert_nonnull(reg);
    g_assert_cmpint(len, ==, 5 * sizeof(fdt32_t));
    /* A config-space address of the node's devfn, of size 0 */
    g_assert_cmphex(fdt32_to_cpu(reg[0]) & ~0xff00, ==, 0);
    for (int i = 1; i < 5; i++) {
        g_assert_cmphex(fdt32_to_cpu(reg[i]), ==, 0);
    }
    return (fdt32_to_cpu(reg[0]) >> 8) & 0xff;
}

static bool is_host_bridge(const void *fdt, int node)
{
    return fdt_node_check_compatible(fdt, node,
                                     "pci-host-ecam-generic") == 0;
}

/*
 * Checks the window and returns the nodes it lists (at most @max), each
 * pointing back at the window with "memory-region".
 */
static int window_devices(const void *fdt, int *nodes, int max)
{
    int win = fdt_path_offset(fdt, MSI_NODE);
    const fdt32_t *reg, *addrs, *mr;
    int len, n;
    uint32_t win_phandle;

    g_assert_cmpint(win, >=, 0);
    win_phandle = fdt_get_phandle(fdt, win);
    g_assert_cmpuint(win_phandle, !=, 0);
    g_assert_nonnull(fdt_getprop(fdt, win, "no-map", NULL));
    reg = fdt_getprop(fdt, win, "reg", &len);
    g_assert_cmpint(len, ==, 4 * sizeof(fdt32_t));
    g_assert_cmphex(cells64(reg), ==, MSI_BASE);
    g_assert_cmphex(cells64(reg + 2), ==, MSI_SIZE);

    addrs = fdt_getprop(fdt, win, "iommu-addresses", &len);
    g_assert_nonnull(addrs);
    g_assert_cmpint(len % (ENTRY_CELLS * sizeof(fdt32_t)), ==, 0);
    n = len / (ENTRY_CELLS * sizeof(fdt32_t));
    g_assert_cmpint(n, <=, max);
    for (int i = 0; i < n; i++) {
        const fdt32_t *e = addrs + i * ENTRY_CELLS;

        /* 1:1: the IOVA range is the window's own "reg" */
        g_assert_cmphex(cells64(e + 2), ==, MSI_BASE);
        g_assert_cmphex(cells64(e + 4), ==, MSI_SIZE);
        nodes[i] = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(e[0]));
        g_assert_cmpint(nodes[i], >=, 0);
        mr = fdt_getprop(fdt, nodes[i], "memory-region", &len);
        g_assert_nonnull(mr);
        g_assert_cmpuint(fdt32_to_cpu(mr[0]), ==, win_phandle);
    }
    return n;
}

/* Two functions of slot 1 on pcie.0: each a node under the host bridge */
static void test_devices_on_root_bus(void)
{
    ModelQemu m;
    g_autofree char *a = NULL, *b = NULL, *blob = NULL, *args = NULL;
    int nodes[4], n, devfns = 0;
    size_t len;

    if (!model_available()) {
        return;
    }
    /* one host iommu group of two functions (tests/hostmodel/hosts) */
    model_init_dir(&m);
    a = model_sysfsdev(&m, "0000:02:00.0", "vfio1", 2);
    b = model_sysfsdev(&m, "0000:02:00.1", "vfio2", 2);
    args = g_strdup_printf(MACHINE_ARGS
                           "-device vfio-pci,sysfsdev=%s,iommufd=i0,"
                           "bus=pcie.0,addr=1.0,multifunction=on "
                           "-device vfio-pci,sysfsdev=%s,iommufd=i0,"
                           "bus=pcie.0,addr=1.1", a, b);
    model_start(&m, args);
    blob = dump_dtb(&m, &len);

    n = window_devices(blob, nodes, ARRAY_SIZE(nodes));
    g_assert_cmpint(n, ==, 2);
    for (int i = 0; i < n; i++) {
        g_assert_true(is_host_bridge(blob, fdt_parent_offset(blob,
                                                             nodes[i])));
        devfns |= 1 << node_devfn(blob, nodes[i]);
    }
    /* devfn 0x08 and 0x09 */
    g_assert_cmphex(devfns, ==, 1 << 0x08 | 1 << 0x09);
    model_stop(&m);
}

/* Behind a root port: the port gets a PCI bridge node on the way */
static void test_device_behind_root_port(void)
{
    ModelQemu m;
    g_autofree char *a = NULL, *blob = NULL, *args = NULL;
    int nodes[4], bridge;
    size_t len;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    a = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    args = g_strdup_printf(MACHINE_ARGS
                           "-device pcie-root-port,id=rp0,chassis=1,"
                           "bus=pcie.0,addr=2.0 "
                           "-device vfio-pci,sysfsdev=%s,iommufd=i0,bus=rp0",
                           a);
    model_start(&m, args);
    blob = dump_dtb(&m, &len);

    g_assert_cmpint(window_devices(blob, nodes, ARRAY_SIZE(nodes)), ==, 1);
    g_assert_cmpint(node_devfn(blob, nodes[0]), ==, 0);
    bridge = fdt_parent_offset(blob, nodes[0]);
    g_assert_false(is_host_bridge(blob, bridge));
    g_assert_cmpstr(fdt_getprop(blob, bridge, "device_type", NULL), ==,
                    "pci");
    g_assert_cmpint(node_devfn(blob, bridge), ==, 0x10);
    g_assert_true(is_host_bridge(blob, fdt_parent_offset(blob, bridge)));
    model_stop(&m);
}

/* No assigned device at boot: nothing to map, no window */
static void test_no_device_no_window(void)
{
    ModelQemu m;
    g_autofree char *blob = NULL;
    size_t len;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    model_start(&m, MACHINE_ARGS);
    blob = dump_dtb(&m, &len);
    g_assert_cmpint(fdt_path_offset(blob, MSI_NODE), ==, -FDT_ERR_NOTFOUND);
    model_stop(&m);
}

/* dt-msi-window=off: the devices stay undescribed */
static void test_window_off(void)
{
    ModelQemu m;
    g_autofree char *a = NULL, *blob = NULL, *args = NULL;
    size_t len;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    a = model_sysfsdev(&m, "0000:01:00.0", "vfio0", 1);
    args = g_strdup_printf("-M virt -accel tcg -display none -nodefaults "
                           "-object iommufd,id=i0 "
                           "-device arm-smmuv3,primary-bus=pcie.0,accel=on,"
                           "dt-msi-window=off "
                           "-device vfio-pci,sysfsdev=%s,iommufd=i0,"
                           "bus=pcie.0,addr=1.0", a);
    model_start(&m, args);
    blob = dump_dtb(&m, &len);
    g_assert_cmpint(fdt_path_offset(blob, MSI_NODE), ==, -FDT_ERR_NOTFOUND);
    model_stop(&m);
}

/* Without accel=on there is no window to leave out: refused */
static void test_window_off_needs_accel(void)
{
    ModelQemu m;
    g_autofree char *err = NULL;

    if (!model_available()) {
        return;
    }
    model_init_dir(&m);
    err = model_expect_refused(&m, "-M virt -display none -nodefaults "
                               "-device arm-smmuv3,primary-bus=pcie.0,"
                               "dt-msi-window=off");
    g_assert_nonnull(strstr(err, "apply to accel=on only"));
    model_dir_free(m.dir);
}

/*
 * cmdqv=on: a node for the CMDQV (its region and interrupt, the one after
 * the SMMU's four), which the SMMU's node names in "nvidia,cmdqv" and whose
 * compatible makes Linux look for it; without cmdqv, neither.
 */
static void test_cmdqv_node(void)
{
    for (int on = 0; on < 2; on++) {
        ModelQemu m = { 0 };
        g_autofree char *blob = NULL;
        const fdt32_t *reg, *irq, *ref;
        uint64_t base, size = 0;
        int smmu, cmdqv, l;
        size_t len;

        model_init_dir(&m);
        m.qts = qtest_initf("-M virt -display none -nodefaults "
                            "-device arm-smmuv3,primary-bus=pcie.0%s",
                            on ? ",cmdqv=on" : "");
        blob = dump_dtb(&m, &len);
        smmu = fdt_node_offset_by_compatible(blob, -1, "arm,smmu-v3");
        g_assert_cmpint(smmu, >=, 0);
        cmdqv = fdt_node_offset_by_compatible(blob, -1,
                                              "nvidia,tegra264-cmdqv");
        base = smmuv3_qtest_region(m.qts, "tegra241-cmdqv", &size);
        qtest_quit(m.qts);
        model_dir_free(m.dir);
        if (!on) {
            g_assert_cmpint(cmdqv, ==, -FDT_ERR_NOTFOUND);
            g_assert_cmpint(fdt_node_check_compatible(blob, smmu,
                                                      "nvidia,tegra264-smmu"),
                            ==, 1);
            g_assert_null(fdt_getprop(blob, smmu, "nvidia,cmdqv", NULL));
            continue;
        }
        g_assert_cmpint(cmdqv, >=, 0);
        g_assert_cmpint(fdt_node_check_compatible(blob, smmu,
                                                  "nvidia,tegra264-smmu"),
                        ==, 0);
        ref = fdt_getprop(blob, smmu, "nvidia,cmdqv", &l);
        g_assert_nonnull(ref);
        g_assert_cmpint(l, ==, 4);
        g_assert_cmphex(fdt32_to_cpu(*ref), ==,
                        fdt_get_phandle(blob, cmdqv));
        g_assert_cmphex(fdt32_to_cpu(*ref), !=, 0);

        reg = fdt_getprop(blob, cmdqv, "reg", &l);
        g_assert_cmpint(l, ==, 16);
        g_assert_cmphex(cells64(reg), ==, base);
        g_assert_cmphex(cells64(reg + 2), ==, size);
        /* one SPI, edge: the platform bus's fifth (from SPI 112) */
        irq = fdt_getprop(blob, cmdqv, "interrupts", &l);
        g_assert_cmpint(l, ==, 12);
        g_assert_cmpuint(fdt32_to_cpu(irq[0]), ==, 0);
        g_assert_cmpuint(fdt32_to_cpu(irq[1]), ==, 112 + 4);
        g_assert_cmpuint(fdt32_to_cpu(irq[2]), ==, 1);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/fdt/devices-on-root-bus",
                   test_devices_on_root_bus);
    qtest_add_func("/arm-smmuv3-accel/fdt/device-behind-root-port",
                   test_device_behind_root_port);
    qtest_add_func("/arm-smmuv3-accel/fdt/no-device-no-window",
                   test_no_device_no_window);
    qtest_add_func("/arm-smmuv3-accel/fdt/window-off",
                   test_window_off);
    qtest_add_func("/arm-smmuv3-accel/fdt/window-off-needs-accel",
                   test_window_off_needs_accel);
    qtest_add_func("/arm-smmuv3-accel/fdt/cmdqv-node", test_cmdqv_node);
    return g_test_run();
}
