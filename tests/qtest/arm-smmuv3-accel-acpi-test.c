/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: what the ACPI tables of the virt machine tell a guest about the
 * host MSI window of arm-smmuv3,accel=on, read from fw_cfg as firmware
 * gets them: an IORT of revision 5 (E.d) with one RMR node per RID range
 * routed to an accel=on SMMU, mapping IOVA 0x8000000 + 1 MiB 1:1 for
 * exactly those RIDs (the same ranges, the same SMMU node, as the root
 * complex's ID mappings), and on the host bridges of those SMMUs a PCI
 * _DSM whose function 5 returns 0 (Linux honours the RMRs of a PCI device
 * only on such a host bridge).  Nothing of this without accel=on.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "libqos/fw_cfg.h"
#include "arm-smmuv3-accel-model.h"
#include "arm-smmuv3-qtest.h"

#define VIRT_FW_CFG_BASE        0x09020000

/* The host kernel's MSI window (arm-smmu-v3 IOMMU_RESV_SW_MSI) */
#define HOST_MSI_IOVA           0x8000000ULL
#define HOST_MSI_SIZE           0x100000ULL

#define IORT_ITS_GROUP          0
#define IORT_ROOT_COMPLEX       2
#define IORT_SMMU_V3            4
#define IORT_RMR                6

typedef struct {
    uint8_t *blob;
    size_t len;
} AcpiTables;

typedef struct {
    uint32_t input_base;
    uint32_t count;         /* number of IDs (the field plus one) */
    uint32_t output_base;
    uint32_t output_ref;
    uint32_t flags;
} IdMapping;

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/*
 * The virt machine's fw_cfg: data at +0, selector at +8, both big-endian
 * (libqos' mm_fw_cfg has another layout)
 */
static void virt_fw_cfg_select(QFWCFG *fw, uint16_t key)
{
    qtest_writew(fw->qts, fw->base + 8, bswap16(key));
}

static void virt_fw_cfg_read(QFWCFG *fw, void *data, size_t len)
{
    uint8_t *p = data;
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        uint64_t v = qtest_readq(fw->qts, fw->base);

        memcpy(p + i, &v, 8);
    }
    for (; i < len; i++) {
        p[i] = qtest_readb(fw->qts, fw->base);
    }
}

static void read_tables(QTestState *qts, AcpiTables *t)
{
    QFWCFG fw = {
        .base = VIRT_FW_CFG_BASE,
        .qts = qts,
        .select = virt_fw_cfg_select,
        .read = virt_fw_cfg_read,
    };
    size_t cap = 256 * 1024;

    t->blob = g_malloc0(cap);
    t->len = qfw_cfg_get_file(&fw, "etc/acpi/tables", t->blob, cap);
    g_assert_cmpuint(t->len, >, 0);
    g_assert_cmpuint(t->len, <=, cap);
}

/*
 * The table @sig.  The blob holds the tables one after the other; their
 * checksums are left to firmware (the linker's ADD_CHECKSUM commands).
 */
static const uint8_t *find_table(const AcpiTables *t, const char *sig,
                                 uint32_t *len)
{
    size_t off = 0;

    while (off + 36 <= t->len) {
        const uint8_t *p = t->blob + off;
        uint32_t l = rd32(p + 4);

        g_assert_cmpuint(l, >=, 36);
        g_assert_cmpuint(off + l, <=, t->len);
        if (!memcmp(p, sig, 4)) {
            *len = l;
            return p;
        }
        off += l;
    }
    g_assert_not_reached();
}

static uint16_t node_length(const uint8_t *node)
{
    return node[1] | node[2] << 8;
}

static IdMapping id_mapping(const uint8_t *node, uint32_t i)
{
    const uint8_t *m = node + rd32(node + 12) + i * 20;

    return (IdMapping) {
        .input_base = rd32(m),
        .count = rd32(m + 4) + 1,
        .output_base = rd32(m + 8),
        .output_ref = rd32(m + 12),
        .flags = rd32(m + 16),
    };
}

/*
 * Check the IORT: its revision, and for every RMR node the RIDs of an
 * accel=on SMMU.  @accel_bases are the first RIDs of the root complex's
 * ranges that go to accel=on SMMUs (bus_nr << 8).  Returns the number of
 * RMR nodes.
 */
static int check_iort(const AcpiTables *t, const uint32_t *accel_bases,
                      int n_accel)
{
    uint32_t len, nodes, off;
    const uint8_t *iort = find_table(t, "IORT", &len);
    const uint8_t *rc = NULL;
    g_autoptr(GHashTable) ids = g_hash_table_new(NULL, NULL);
    int n_rmr = 0, n_rc_to_accel = 0;

    g_assert_cmpuint(iort[8], ==, n_accel ? 5 : 3);
    nodes = rd32(iort + 36);
    off = rd32(iort + 40);
    /* Unique identifiers; the root complex's mappings say what goes where */
    for (uint32_t i = 0, o = off; i < nodes; i++, o += node_length(iort + o)) {
        gpointer id = GUINT_TO_POINTER(rd32(iort + o + 4) + 1);

        g_assert_cmpuint(o + 16, <=, len);
        g_assert_false(g_hash_table_contains(ids, id));
        g_hash_table_add(ids, id);
        if (iort[o] == IORT_ROOT_COMPLEX) {
            rc = iort + o;
        }
    }
    g_assert_nonnull(rc);

    for (uint32_t i = 0, o = off; i < nodes; i++, o += node_length(iort + o)) {
        const uint8_t *node = iort + o;
        IdMapping m;
        bool found = false;

        if (node[0] != IORT_RMR) {
            continue;
        }
        n_rmr++;
        g_assert_cmpuint(node[3], ==, 3);              /* node revision */
        g_assert_cmpuint(rd32(node + 8), ==, 1);       /* one ID mapping */
        g_assert_cmpuint(rd32(node + 12), ==, 28);
        /* Remapping permitted, unprivileged, Device-nGnRE */
        g_assert_cmphex(rd32(node + 16), ==, 0x5);
        g_assert_cmpuint(rd32(node + 20), ==, 1);      /* one range */
        g_assert_cmpuint(rd32(node + 24), ==, 28 + 20);
        g_assert_cmpuint(node_length(node), ==, 28 + 20 + 20);
        g_assert_cmphex(rd64(node + 48), ==, HOST_MSI_IOVA);
        g_assert_cmphex(rd64(node + 56), ==, HOST_MSI_SIZE);
        g_assert_cmpuint(rd32(node + 64), ==, 0);

        /* StreamIDs are the RIDs, on an SMMUv3 node */
        m = id_mapping(node, 0);
        g_assert_cmphex(m.output_base, ==, m.input_base);
        g_assert_cmpuint(m.flags, ==, 0);
        g_assert_cmpuint(iort[m.output_ref], ==, IORT_SMMU_V3);

        /* ... exactly a range the root complex sends to that SMMU */
        for (uint32_t j = 0; j < rd32(rc + 8); j++) {
            IdMapping r = id_mapping(rc, j);

            if (r.output_ref == m.output_ref) {
                g_assert_cmphex(r.input_base, ==, m.input_base);
                g_assert_cmphex(r.count, ==, m.count);
                found = true;
            }
        }
        g_assert_true(found);
        /* ... of an accel=on SMMU */
        found = false;
        for (int k = 0; k < n_accel; k++) {
            found |= accel_bases[k] == m.input_base;
        }
        g_assert_true(found);
    }

    /* Every range the root complex sends to an accel=on SMMU has one */
    for (uint32_t j = 0; j < rd32(rc + 8); j++) {
        IdMapping r = id_mapping(rc, j);

        for (int k = 0; k < n_accel; k++) {
            if (r.input_base == accel_bases[k]) {
                g_assert_cmpuint(iort[r.output_ref], ==, IORT_SMMU_V3);
                n_rc_to_accel++;
            }
        }
    }
    g_assert_cmpint(n_rc_to_accel, ==, n_accel);
    g_assert_cmpint(n_rmr, ==, n_accel);
    return n_rmr;
}

/* An AML PkgLength at @p: the package's length, and the encoding's size */
static uint32_t pkg_length(const uint8_t *p, int *size)
{
    int extra = p[0] >> 6;
    uint32_t len;

    if (!extra) {
        *size = 1;
        return p[0] & 0x3f;
    }
    len = p[0] & 0x0f;
    for (int i = 1; i <= extra; i++) {
        len |= (uint32_t)p[i] << (4 + 8 * (i - 1));
    }
    *size = 1 + extra;
    return len;
}

/*
 * Whether Device(@name) of the DSDT has "If (Arg2 == 5) { Return (Zero) }",
 * _DSM function 5 returning 0, in its body.
 */
static bool device_preserves_config(const AcpiTables *t, const char *name)
{
    static const uint8_t func5_zero[] = {
        0x93, 0x6a, 0x0a, 0x05, 0xa4, 0x00
    };
    uint32_t len;
    const uint8_t *dsdt = find_table(t, "DSDT", &len);

    for (uint32_t o = 36; o + 2 < len; o++) {
        int size;
        uint32_t plen;

        /* DeviceOp, PkgLength, NameSeg */
        if (dsdt[o] != 0x5b || dsdt[o + 1] != 0x82) {
            continue;
        }
        plen = pkg_length(dsdt + o + 2, &size);
        if (o + 2 + plen > len || memcmp(dsdt + o + 2 + size, name, 4)) {
            continue;
        }
        return memmem(dsdt + o + 2, plen, func5_zero,
                      sizeof(func5_zero)) != NULL;
    }
    g_assert_not_reached();
}

/* The first of @n bytes at @p in the DSDT's code, or NULL */
static const uint8_t *dsdt_find(const uint8_t *from, const uint8_t *end,
                                const void *p, size_t n)
{
    return memmem(from, end - from, p, n);
}

/* An AML integer at @p: Zero, One or a ByteConst */
static uint32_t aml_small_int(const uint8_t *p)
{
    if (p[0] == 0x00 || p[0] == 0x01) {
        return p[0];
    }
    g_assert_cmphex(p[0], ==, 0x0a);
    return p[1];
}

typedef struct {
    uint32_t uid;
    uint32_t base;
    uint32_t size;
    uint32_t gsi;
} CmdqvDevice;

/*
 * The DSDT's NVDA200C devices (at most @max): each one's _UID, and the
 * Memory32Fixed and edge, active-high Interrupt of its _CRS
 */
static int dsdt_cmdqvs(const AcpiTables *t, CmdqvDevice *out, int max)
{
    static const uint8_t hid[] = "NVDA200C";
    uint32_t len;
    const uint8_t *dsdt = find_table(t, "DSDT", &len);
    const uint8_t *end = dsdt + len, *p = dsdt + 36;
    int n = 0;

    while ((p = dsdt_find(p, end, hid, sizeof(hid)))) {
        const uint8_t *uid = dsdt_find(p, end, "_UID", 4);
        const uint8_t *mem = dsdt_find(p, end, "\x86\x09\x00\x01", 4);
        const uint8_t *irq = dsdt_find(p, end, "\x89\x06\x00", 3);

        g_assert_cmpint(n, <, max);
        g_assert_nonnull(uid);
        g_assert_nonnull(mem);
        g_assert_nonnull(irq);
        out[n].uid = aml_small_int(uid + 4);
        out[n].base = rd32(mem + 4);
        out[n].size = rd32(mem + 8);
        /* consumer, edge, active high, exclusive; one interrupt */
        g_assert_cmphex(irq[3], ==, 0x03);
        g_assert_cmpuint(irq[4], ==, 1);
        out[n].gsi = rd32(irq + 5);
        n++;
        p += sizeof(hid);
    }
    return n;
}

/* The identifier of the SMMUv3 node the root complex sends RIDs @rid to */
static uint32_t iort_smmu_id_of_rid(const AcpiTables *t, uint32_t rid)
{
    uint32_t len;
    const uint8_t *iort = find_table(t, "IORT", &len);
    uint32_t nodes = rd32(iort + 36), off = rd32(iort + 40);

    for (uint32_t i = 0; i < nodes; i++, off += node_length(iort + off)) {
        if (iort[off] != IORT_ROOT_COMPLEX) {
            continue;
        }
        for (uint32_t j = 0; j < rd32(iort + off + 8); j++) {
            IdMapping m = id_mapping(iort + off, j);

            if (rid >= m.input_base && rid < m.input_base + m.count) {
                g_assert_cmpuint(iort[m.output_ref], ==, IORT_SMMU_V3);
                return rd32(iort + m.output_ref + 4);
            }
        }
    }
    g_assert_not_reached();
}

static QTestState *start(const char *args)
{
    return qtest_initf("-M virt,gic-version=3 -display none -nodefaults %s",
                       args);
}

/*
 * Two accel=on SMMUs (on pcie.0 and on a pxb-pcie) and an emulated one
 * (on another pxb-pcie): RMR nodes and _DSM function 5 for the first two
 * only.
 */
static void test_accel_rmr(void)
{
    static const uint32_t accel_bases[] = { 0x0000, 0x2000 };
    QTestState *qts = start(
        "-device arm-smmuv3,primary-bus=pcie.0,accel=on "
        "-device pxb-pcie,id=pxb1,bus_nr=0x10,bus=pcie.0 "
        "-device arm-smmuv3,primary-bus=pxb1 "
        "-device pxb-pcie,id=pxb2,bus_nr=0x20,bus=pcie.0 "
        "-device arm-smmuv3,primary-bus=pxb2,accel=on "
        "-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1 "
        "-device pcie-root-port,id=rp2,bus=pxb2,chassis=2");
    AcpiTables t;

    read_tables(qts, &t);
    g_assert_cmpint(check_iort(&t, accel_bases, 2), ==, 2);
    g_assert_true(device_preserves_config(&t, "PCI0"));
    g_assert_false(device_preserves_config(&t, "PC10"));
    g_assert_true(device_preserves_config(&t, "PC20"));
    g_free(t.blob);
    qtest_quit(qts);
}

/* accel=on on a pxb-pcie only: pcie.0's host bridge is left as it was */
static void test_accel_rmr_pxb_only(void)
{
    static const uint32_t accel_bases[] = { 0x4000 };
    QTestState *qts = start(
        "-device pxb-pcie,id=pxb1,bus_nr=0x40,bus=pcie.0 "
        "-device arm-smmuv3,primary-bus=pxb1,accel=on");
    AcpiTables t;

    read_tables(qts, &t);
    g_assert_cmpint(check_iort(&t, accel_bases, 1), ==, 1);
    g_assert_false(device_preserves_config(&t, "PCI0"));
    g_assert_true(device_preserves_config(&t, "PC40"));
    g_free(t.blob);
    qtest_quit(qts);
}

/* Without accel=on: E.b, no RMR node, no _DSM function 5 */
static void test_no_accel(void)
{
    static const char *const configs[] = {
        "-device arm-smmuv3,primary-bus=pcie.0",
        "-M iommu=smmuv3",
        "",
    };

    for (int i = 0; i < ARRAY_SIZE(configs); i++) {
        QTestState *qts = start(configs[i]);
        AcpiTables t;

        read_tables(qts, &t);
        g_assert_cmpint(check_iort(&t, NULL, 0), ==, 0);
        g_assert_false(device_preserves_config(&t, "PCI0"));
        g_free(t.blob);
        qtest_quit(qts);
    }
}

/*
 * cmdqv=on: a NVDA200C device whose _UID is the identifier of the
 * SMMU's IORT node (the one the root complex sends that SMMU's RIDs to),
 * whose _CRS is the CMDQV's region and interrupt.  The SMMU with the CMDQV
 * comes first on the command line but second in the IORT, and the ITS
 * group node, when there is one, comes before them all.
 */
static void test_cmdqv_dsdt(void)
{
    static const char *const machines[] = { "", "-M its=off" };

    for (int i = 0; i < ARRAY_SIZE(machines); i++) {
        QTestState *qts = qtest_initf(
            "-M virt,gic-version=3 %s -display none -nodefaults "
            "-device pxb-pcie,id=pxb1,bus_nr=0x10,bus=pcie.0 "
            "-device arm-smmuv3,primary-bus=pxb1,cmdqv=on "
            "-device arm-smmuv3,primary-bus=pcie.0", machines[i]);
        CmdqvDevice cv[2];
        uint64_t size = 0;
        uint64_t base = smmuv3_qtest_region(qts, "tegra241-cmdqv", &size);
        AcpiTables t;

        read_tables(qts, &t);
        g_assert_cmpint(dsdt_cmdqvs(&t, cv, 2), ==, 1);
        g_assert_cmpuint(cv[0].uid, ==, iort_smmu_id_of_rid(&t, 0x1000));
        g_assert_cmpuint(cv[0].uid, !=, iort_smmu_id_of_rid(&t, 0));
        g_assert_cmphex(cv[0].base, ==, base);
        g_assert_cmphex(cv[0].size, ==, size);
        /* the fifth of the platform bus (from SPI 112): the SMMU has four */
        g_assert_cmpuint(cv[0].gsi, ==, 32 + 112 + 4);
        g_free(t.blob);
        qtest_quit(qts);
    }
}

/* Without cmdqv, no NVDA200C device */
static void test_no_cmdqv_dsdt(void)
{
    QTestState *qts = start("-device arm-smmuv3,primary-bus=pcie.0");
    CmdqvDevice cv[1];
    AcpiTables t;

    read_tables(qts, &t);
    g_assert_cmpint(dsdt_cmdqvs(&t, cv, 1), ==, 0);
    g_free(t.blob);
    qtest_quit(qts);
}

/* The root complex node's ATS Attribute (IORT E.b table 14) */
static uint32_t rc_ats_attribute(const AcpiTables *t)
{
    uint32_t len;
    const uint8_t *iort = find_table(t, "IORT", &len);
    uint32_t nodes = rd32(iort + 36), off = rd32(iort + 40);

    for (uint32_t i = 0; i < nodes; i++, off += node_length(iort + off)) {
        if (iort[off] == IORT_ROOT_COMPLEX) {
            return rd32(iort + off + 24);
        }
    }
    g_assert_not_reached();
}

/*
 * QEMU on the host kernel model (tests/hostmodel) with an assigned device
 * whose host SMMU has @profile: the root complex supports ATS exactly when
 * the accel=on SMMU offers ATS to the guest.
 */
static uint32_t rc_ats_with_host(const char *profile, const char *opts)
{
    g_autofree char *bin = g_strdup(qtest_qemu_binary(NULL));
    char *dir = g_dir_make_tmp("smmuv3-acpi-XXXXXX", NULL);
    g_autofree char *host = model_one_device_host(dir, profile);
    g_autofree char *prefix = g_strdup_printf(
        "env LD_PRELOAD=%s HOSTMODEL_HOST=%s HOSTMODEL_PREOPEN=100=/dev/vfio/"
        "devices/vfio0,101=/dev/iommu %s", g_getenv("HOSTMODEL_LIB"), host,
        bin);
    QTestState *qts;
    AcpiTables t;
    uint32_t ats;

    g_setenv("QTEST_QEMU_BINARY", prefix, true);
    qts = qtest_initf("-M virt,gic-version=3 -display none -nodefaults "
                      "-object iommufd,id=i0,fd=101 "
                      "-device arm-smmuv3,primary-bus=pcie.0,accel=on%s "
                      "-device vfio-pci,id=d0,fd=100,iommufd=i0", opts);
    g_setenv("QTEST_QEMU_BINARY", bin, true);
    read_tables(qts, &t);
    ats = rc_ats_attribute(&t);
    g_free(t.blob);
    qtest_quit(qts);
    model_dir_free(dir);
    return ats;
}

static void test_rc_ats_follows_accel(void)
{
    if (!g_getenv("HOSTMODEL_LIB") || !g_getenv("HOSTMODEL_DIR")) {
        g_test_skip("HOSTMODEL_LIB and HOSTMODEL_DIR are not set");
        return;
    }
    g_assert_cmpuint(rc_ats_with_host("ats", ""), ==, 1);
    g_assert_cmpuint(rc_ats_with_host("ats", ",ats=off"), ==, 0);
    g_assert_cmpuint(rc_ats_with_host("grace", ""), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel-acpi/rmr", test_accel_rmr);
    qtest_add_func("/arm-smmuv3-accel-acpi/rc-ats-follows-accel",
                   test_rc_ats_follows_accel);
    qtest_add_func("/arm-smmuv3-accel-acpi/rmr-pxb-only",
                   test_accel_rmr_pxb_only);
    qtest_add_func("/arm-smmuv3-accel-acpi/no-accel", test_no_accel);
    qtest_add_func("/arm-smmuv3-accel-acpi/cmdqv-dsdt", test_cmdqv_dsdt);
    qtest_add_func("/arm-smmuv3-accel-acpi/no-cmdqv-dsdt",
                   test_no_cmdqv_dsdt);
    return g_test_run();
}
