/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * nest-check: the iommufd nesting uAPI of an ARM SMMUv3 host, exercised
 * against the running kernel with a real device (QEMU's edu) doing DMA.
 * It plays a VMM: the "guest RAM" is a block of our memory mapped in an
 * IOAS, the guest's context descriptor and stage-1 page tables live in it,
 * and the host SMMU walks them nested over the stage 2.
 *
 * usage: nest-check [-s VSID] [-g DEV_A,DEV_B] DEV
 *   DEV            /dev/vfio/devices/vfioN of an edu, alone in its group
 *   -s VSID        the virtual StreamID given to DEV, hex (default 0x42)
 *   -g DEV_A,DEV_B two edus of one iommu group (e.g. two functions of a
 *                  multi-function slot): attaching different HWPTs
 *
 * Every check prints one record (e2e-report.h); the expected results are
 * those of Linux 7.2's iommufd and arm-smmu-v3 (see tests/e2e/README.md).
 * Exit status: 0 when every check gave its expected result, 1 otherwise,
 * 2 when the setup failed before the checks.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include "e2e-report.h"
#include "iommufd-calls.h"
#include "smmu-s1.h"
#include "vevent.h"
#include "vfio-edu.h"

/*
 * Guest RAM: one block at IPA_BASE in the IOAS.  edu's DMA mask is 28 bits,
 * so every bus address (IPA under a bypass vSTE, VA under stage 1) stays
 * below 256 MiB, and away from the host's MSI window at 0x8000000.
 */
#define IPA_BASE        0x1000000ULL
#define MEM_SIZE        (8ULL << 20)
#define OFF_A           0x200000ULL     /* data block A */
#define OFF_B           0x400000ULL     /* data block B */
#define OFF_S1B         0x010000ULL     /* second set of S1 tables */
#define VA_A            0x200000ULL     /* S1: VA_A -> block A */
#define VA_NEW          0x400000ULL     /* S1 after the remap: -> block A */
#define VA_HOLE         0x600000ULL     /* never mapped */
#define MSI_IOVA        0x8000000ULL    /* arm-smmu-v3 SW_MSI window */
#define MSI_DOORBELL    0x8000040ULL    /* where the host points the MSI */
#define EVQ_DEPTH       8
#define S1_ASID         1
#define XFER            256

#define CHECK(step, expect, what) (&(Check){ (step), (expect), (what) })

static int iommufd = -1;
static int devfd = -1;
static uint32_t vsid = 0x42;
static uint32_t dev_id, ioas, s2, plain, viommu, vdev, veventq_id;
static uint32_t h_abort, h_bypass, h_s1;
static int qfd = -1;
static uint8_t *mem;
static S1Tables s1;
static Edu edu;
static bool have_edu;
static uint16_t marker = 0x8000;   /* ASIDs of marker TLBIs, unique */

/* A record for a computed value: got and expect are formatted strings. */
static void check_str(const char *step, const char *what, const char *expect,
                      const char *got)
{
    rep_begin(step, "-", what);
    rep_end(expect, got, 0);
}

static void check_hex(const char *step, const char *what, uint64_t expect,
                      uint64_t got)
{
    char e[32], g[32];

    snprintf(e, sizeof(e), "0x%llx", (unsigned long long)expect);
    snprintf(g, sizeof(g), "0x%llx", (unsigned long long)got);
    check_str(step, what, e, g);
}

static int open_dev(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);

    rep_begin("open_cdev", "open", "the VFIO device cdev opens");
    rep_out_str("path", path);
    rep_end_rc("ok", fd < 0 ? -1 : 0, fd < 0 ? errno : 0);
    return fd;
}

static int open_iommufd(void)
{
    int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

    rep_begin("open_iommu", "open", "/dev/iommu opens");
    rep_end_rc("ok", fd < 0 ? -1 : 0, fd < 0 ? errno : 0);
    return fd;
}

/* ---- host registers ---- */

static void hw_info_checks(void)
{
    struct iommu_hw_info_arm_smmuv3 info;
    uint32_t len, type;
    uint8_t *raw = (uint8_t *)&info;
    bool untouched = true;

    if (c_hw_info(CHECK("hw_info", "ok",
                        "IOMMU_GET_HW_INFO returns the host SMMU registers"),
                  iommufd, dev_id, sizeof(info), &info, &len, &type)) {
        return;
    }
    check_hex("hw_info_type", "out_data_type is IOMMU_HW_INFO_TYPE_ARM_SMMUV3",
              IOMMU_HW_INFO_TYPE_ARM_SMMUV3, type);
    check_hex("hw_info_len", "data_len is 40 (struct iommu_hw_info_arm_smmuv3)",
              sizeof(info), len);
    check_hex("idr0_s1p", "host SMMU_IDR0.S1P is 1 (stage 1)",
              1, (info.idr[0] >> 1) & 1);
    check_hex("idr0_s2p", "host SMMU_IDR0.S2P is 1 (stage 2)",
              1, info.idr[0] & 1);
    check_hex("idr3_fwb", "host SMMU_IDR3.FWB is 1 (what lets it nest)",
              1, (info.idr[3] >> 8) & 1);

    if (c_hw_info(CHECK("hw_info_short", "ok",
                        "IOMMU_GET_HW_INFO with data_len 8 succeeds"),
                  iommufd, dev_id, 8, &info, &len, &type)) {
        return;
    }
    check_hex("hw_info_short_len",
              "with data_len 8 the kernel reports its full length (40)",
              sizeof(info), len);
    for (size_t i = 8; i < sizeof(info); i++) {
        untouched &= raw[i] == 0xa5;
    }
    check_str("hw_info_short_copy",
              "with data_len 8 only 8 bytes are written",
              "8 bytes", untouched ? "8 bytes" : "more");
}

/* ---- IOAS and stage 2 ---- */

static int s2_setup(void)
{
    struct iommu_iova_range r[8];
    struct iommu_ioas_iova_ranges ir = {
        .size = sizeof(ir),
        .num_iovas = 8,
        .allowed_iovas = (uintptr_t)r,
    };
    bool hole = false;
    uint64_t flat[16];
    int rc;

    if (c_ioas_alloc(CHECK("ioas_alloc", "ok", "IOMMU_IOAS_ALLOC"),
                     iommufd, &ioas)) {
        return -1;
    }
    mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (mem == MAP_FAILED) {
        rep_note("mmap of guest RAM failed: %s", strerror(errno));
        return -1;
    }
    memset(mem, 0, MEM_SIZE);
    if (c_ioas_map(CHECK("ioas_map", "ok",
                         "IOMMU_IOAS_MAP of 8 MiB guest RAM at IPA 16 MiB"),
                   iommufd, ioas, mem, MEM_SIZE, IPA_BASE)) {
        return -1;
    }
    if (c_hwpt_paging(CHECK("hwpt_nest_parent", "ok",
                            "IOMMU_HWPT_ALLOC with NEST_PARENT (the S2)"),
                      iommufd, dev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
                      &s2)) {
        return -1;
    }
    c_hwpt_paging(CHECK("hwpt_plain", "ok",
                        "IOMMU_HWPT_ALLOC without flags (not a parent)"),
                  iommufd, dev_id, ioas, 0, &plain);
    if (c_attach(CHECK("attach_s2", "ok",
                       "the device attaches to the S2 parent"),
                 devfd, s2)) {
        return -1;
    }

    ir.ioas_id = ioas;
    rc = ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &ir);
    rep_begin("iova_ranges", "IOMMU_IOAS_IOVA_RANGES",
              "the IOAS excludes the SW_MSI window 0x8000000-0x80fffff");
    for (unsigned i = 0; !rc && i < ir.num_iovas && i < 8; i++) {
        flat[2 * i] = r[i].start;
        flat[2 * i + 1] = r[i].last;
        hole |= r[i].last == MSI_IOVA - 1;
    }
    if (!rc) {
        rep_out_hexv("ranges", flat, 2 * (ir.num_iovas < 8 ? ir.num_iovas : 8));
    }
    rep_end("excluded", rc ? rep_errname(errno) : hole ? "excluded" : "mapped",
            rc ? errno : 0);
    return 0;
}

/* ---- vIOMMU ---- */

static int viommu_checks(void)
{
    uint32_t id;

    c_viommu_alloc(CHECK("viommu_flags", "EOPNOTSUPP",
                         "IOMMU_VIOMMU_ALLOC with flags 1 is refused"),
                   iommufd, dev_id, s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 1, &id);
    c_viommu_alloc(CHECK("viommu_type_default", "EOPNOTSUPP",
                         "IOMMU_VIOMMU_ALLOC of type DEFAULT is refused"),
                   iommufd, dev_id, s2, IOMMU_VIOMMU_TYPE_DEFAULT, 0, &id);
    c_viommu_alloc(CHECK("viommu_type_unknown", "EOPNOTSUPP",
                         "IOMMU_VIOMMU_ALLOC of an unknown type is refused"),
                   iommufd, dev_id, s2, 0x7f, 0, &id);
    c_viommu_alloc(CHECK("viommu_on_ioas", "ENOENT",
                         "IOMMU_VIOMMU_ALLOC with an IOAS id as hwpt_id"),
                   iommufd, dev_id, ioas, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0,
                   &id);
    c_viommu_alloc(CHECK("viommu_not_parent", "EINVAL",
                         "IOMMU_VIOMMU_ALLOC on a HWPT without NEST_PARENT"),
                   iommufd, dev_id, plain, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0,
                   &id);
    return c_viommu_alloc(CHECK("viommu_alloc", "ok",
                                "IOMMU_VIOMMU_ALLOC ARM_SMMUV3 on the S2"),
                          iommufd, dev_id, s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                          0, &viommu);
}

/* ---- nested HWPTs: the kernel's vSTE validation ---- */

static uint32_t nested(const char *step, const char *expect, const char *what,
                       uint64_t ste0, uint64_t ste1)
{
    uint64_t ste[2] = { ste0, ste1 };
    uint32_t id;

    c_hwpt_nested(CHECK(step, expect, what), iommufd, dev_id, viommu, 0,
                  IOMMU_HWPT_DATA_ARM_SMMUV3, 16, ste, &id);
    return id;
}

static void destroy_quiet(uint32_t id)
{
    struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

    if (id) {
        ioctl(iommufd, IOMMU_DESTROY, &cmd);
    }
}

static void nested_checks(void)
{
    uint64_t s1ste[2], ste[2];
    uint32_t id;

    s1_init(&s1, mem, IPA_BASE, S1_ASID);
    s1_map_block(&s1, VA_A, IPA_BASE + OFF_A);
    s1_vste(&s1, s1ste);

    h_abort = nested("hwpt_abort", "ok", "nested HWPT from an abort vSTE",
                     STE0_V | STE0_CFG(STE0_CFG_ABORT), 0);
    h_bypass = nested("hwpt_bypass", "ok", "nested HWPT from a bypass vSTE",
                      STE0_V | STE0_CFG(STE0_CFG_BYPASS), 0);
    h_s1 = nested("hwpt_s1", "ok",
                  "nested HWPT from a stage-1 vSTE (CD in guest RAM)",
                  s1ste[0], s1ste[1]);
    destroy_quiet(nested("hwpt_invalid_v0", "ok",
                         "a vSTE with V=0 is accepted whatever its other bits",
                         STE0_CFG(7) | (1ULL << 55), 0xffffffffULL));
    nested("hwpt_cfg_s2", "EIO", "a vSTE with Config stage-2 only is EIO",
           STE0_V | STE0_CFG(STE0_CFG_S2), 0);
    nested("hwpt_cfg_nested", "EIO", "a vSTE with Config 0b111 is EIO",
           STE0_V | STE0_CFG(7), 0);
    nested("hwpt_w0_bit52", "EIO",
           "a vSTE word 0 bit outside the allowed mask (52) is EIO",
           s1ste[0] | (1ULL << 52), s1ste[1]);
    nested("hwpt_w1_bit8", "EIO",
           "a vSTE word 1 bit outside the allowed mask (8) is EIO",
           s1ste[0], s1ste[1] | (1ULL << 8));
    nested("hwpt_eats2", "EIO", "a vSTE with EATS=0b10 is EIO",
           s1ste[0], s1ste[1] | STE1_EATS(2));
    destroy_quiet(nested("hwpt_eats1", "ok",
                         "a stage-1 vSTE with EATS=0b01 (translate) is accepted",
                         s1ste[0], s1ste[1] | STE1_EATS(1)));

    ste[0] = s1ste[0];
    ste[1] = s1ste[1];
    c_hwpt_nested(CHECK("hwpt_nested_flags", "EOPNOTSUPP",
                        "a nested HWPT with flags NEST_PARENT is refused"),
                  iommufd, dev_id, viommu, IOMMU_HWPT_ALLOC_NEST_PARENT,
                  IOMMU_HWPT_DATA_ARM_SMMUV3, 16, ste, &id);
    c_hwpt_nested(CHECK("hwpt_nested_len8", "EINVAL",
                        "a nested HWPT with data_len 8 (half a vSTE)"),
                  iommufd, dev_id, viommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, 8,
                  ste, &id);
    c_hwpt_nested(CHECK("hwpt_nested_vtd", "EINVAL",
                        "a nested HWPT with data_type VTD_S1"),
                  iommufd, dev_id, viommu, 0, IOMMU_HWPT_DATA_VTD_S1, 16,
                  ste, &id);
}

/* ---- attach, vDEVICE, vEVENTQ ---- */

static void object_checks(void)
{
    uint32_t id;
    int fd;
    uint8_t buf[64];
    ssize_t n;

    c_attach(CHECK("attach_bypass_novdev", "ok",
                   "a bypass nested HWPT attaches without a vDEVICE"),
             devfd, h_bypass);
    c_attach(CHECK("attach_s1_novdev", "ENOENT",
                   "a stage-1 nested HWPT needs a vDEVICE first"),
             devfd, h_s1);
    c_attach(CHECK("attach_abort_novdev", "ok",
                   "an abort nested HWPT attaches without a vDEVICE"),
             devfd, h_abort);

    c_vdevice_alloc(CHECK("vdevice_bad_viommu", "ENOENT",
                          "IOMMU_VDEVICE_ALLOC on a missing vIOMMU id"),
                    iommufd, 999, dev_id, vsid, &id);
    c_vdevice_alloc(CHECK("vdevice_alloc", "ok",
                          "IOMMU_VDEVICE_ALLOC gives the device its vSID"),
                    iommufd, viommu, dev_id, vsid, &vdev);
    c_vdevice_alloc(CHECK("vdevice_second", "EEXIST",
                          "a second vDEVICE for the same device"),
                    iommufd, viommu, dev_id, vsid + 1, &id);

    c_veventq_alloc(CHECK("veventq_depth0", "EINVAL",
                          "IOMMU_VEVENTQ_ALLOC with depth 0"),
                    iommufd, viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 0, &id,
                    &fd);
    c_veventq_alloc(CHECK("veventq_type_default", "EOPNOTSUPP",
                          "IOMMU_VEVENTQ_ALLOC of type DEFAULT"),
                    iommufd, viommu, IOMMU_VEVENTQ_TYPE_DEFAULT, 8, &id, &fd);
    c_veventq_alloc(CHECK("veventq_alloc", "ok",
                          "IOMMU_VEVENTQ_ALLOC ARM_SMMUV3, depth 8"),
                    iommufd, viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, EVQ_DEPTH,
                    &veventq_id, &qfd);
    c_veventq_alloc(CHECK("veventq_second", "EEXIST",
                          "a second vEVENTQ of the same type"),
                    iommufd, viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 8, &id,
                    &fd);
    if (qfd >= 0) {
        n = read(qfd, buf, sizeof(buf));
        check_str("veventq_read_empty",
                  "a read of an empty vEVENTQ returns 0 (does not block)",
                  "0", n == 0 ? "0" : n < 0 ? rep_errname(errno) : "data");
    }

    c_attach(CHECK("attach_s1", "ok",
                   "the stage-1 nested HWPT attaches once the vDEVICE exists"),
             devfd, h_s1);
}

/* ---- invalidation ---- */

/* n marker commands (TLBI_NH_ASID with unique ASIDs). */
static uint64_t (*markers(uint32_t n))[2]
{
    uint64_t (*cmds)[2] = calloc(n, sizeof(*cmds));

    for (uint32_t i = 0; i < n; i++) {
        cmd_tlbi_nh_asid(cmds[i], marker++);
    }
    return cmds;
}

/*
 * One invalidation and its entry_num.  The harness also checks, from the
 * emulated SMMU's trace, which marker ASIDs reached the host command
 * queue; expect_issued is what Linux 7.2 issues: whole chunks of
 * CMDQ_BATCH_ENTRIES - 1 = 63 commands before the failing one.
 */
static void inval(const char *step, const char *expect, const char *what,
                  uint64_t (*cmds)[2], uint32_t n, uint32_t entry_len,
                  uint32_t expect_done)
{
    uint32_t done = 0;
    char e[16], g[16];

    c_invalidate(CHECK(step, expect, what), iommufd, viommu,
                 (const uint64_t (*)[2])cmds, n, entry_len, &done);
    snprintf(e, sizeof(e), "%u", expect_done);
    snprintf(g, sizeof(g), "%u", done);
    rep_begin(step, "entry_num", "IOMMU_HWPT_INVALIDATE entry_num on return");
    rep_in_u64("expect_issued",
               strcmp(expect, "ok") ? expect_done / 63 * 63 : n);
    rep_end(e, g, 0);
}

static void invalidate_checks(void)
{
    static const uint32_t bad_at[] = { 0, 62, 63, 64, 100, 149 };
    uint64_t (*c)[2];
    uint32_t done;
    char step[40], what[100];

    c = markers(1);
    inval("inval_empty", "EINVAL", "entry_num 0 is EINVAL (no probing)",
          c, 0, 16, 0);
    free(c);

    c = markers(3);
    inval("inval_3", "ok", "3 TLBI_NH_ASID commands", c, 3, 16, 3);
    free(c);

    c = markers(3);
    cmd_cfgi_ste(c[2], vsid);
    inval("inval_cfgi_ste", "EIO", "CFGI_STE as 3rd command is EIO",
          c, 3, 16, 2);
    free(c);

    c = markers(3);
    cmd_sync(c[1]);
    inval("inval_cmd_sync", "EIO", "CMD_SYNC as 2nd command is EIO",
          c, 3, 16, 1);
    free(c);

    c = markers(2);
    cmd_cfgi_cd(c[0], vsid + 0x100);
    inval("inval_bad_vsid", "EIO", "CFGI_CD of an unknown vSID first is EIO",
          c, 2, 16, 0);
    free(c);

    c = markers(4);
    c[0][0] = CMD_TLBI_NSNH_ALL;
    cmd_cfgi_cd(c[1], vsid);
    c[2][0] = CMD_CFGI_CD_ALL | ((uint64_t)vsid << 32);
    c[3][0] = CMD_TLBI_NH_VA | ((uint64_t)S1_ASID << 48);
    c[3][1] = VA_A;
    inval("inval_kinds", "ok",
          "TLBI_NSNH_ALL, CFGI_CD, CFGI_CD_ALL, TLBI_NH_VA are accepted",
          c, 4, 16, 4);
    free(c);

    c = markers(2);
    inval("inval_len8", "ok", "entry_len 8 (zero-extended entries)",
          c, 2, 8, 2);
    free(c);
    c = markers(2);
    inval("inval_len24", "ok", "entry_len 24 with zero padding",
          c, 2, 24, 2);
    free(c);

    c = markers(150);
    inval("inval_150", "ok", "150 commands in one call (3 chunks)",
          c, 150, 16, 150);
    free(c);

    for (unsigned i = 0; i < sizeof(bad_at) / sizeof(bad_at[0]); i++) {
        c = markers(150);
        cmd_cfgi_ste(c[bad_at[i]], vsid);
        snprintf(step, sizeof(step), "inval_150_bad_at_%u", bad_at[i]);
        snprintf(what, sizeof(what),
                 "150 commands, CFGI_STE at index %u is EIO", bad_at[i]);
        inval(step, "EIO", what, c, 150, 16, bad_at[i]);
        free(c);
    }
    c = markers(150);
    cmd_cfgi_cd(c[100], vsid + 0x100);
    inval("inval_150_bad_vsid_at_100", "EIO",
          "150 commands, unknown vSID at index 100 is EIO", c, 150, 16, 100);
    free(c);

    c = markers(1);
    c_invalidate(CHECK("inval_on_s2", "EINVAL",
                       "IOMMU_HWPT_INVALIDATE on the S2 paging HWPT"),
                 iommufd, s2, (const uint64_t (*)[2])c, 1, 16, &done);
    c_invalidate(CHECK("inval_on_nested", "EOPNOTSUPP",
                       "IOMMU_HWPT_INVALIDATE on a nested HWPT (not the "
                       "vIOMMU)"),
                 iommufd, h_s1, (const uint64_t (*)[2])c, 1, 16, &done);
    free(c);
}

/* Invalidate what the guest S1 of the device may cache. */
static void guest_tlbi(const char *step)
{
    uint64_t c[2][2];
    uint32_t done;

    cmd_tlbi_nh_asid(c[0], S1_ASID);
    cmd_cfgi_cd(c[1], vsid);
    c_invalidate(CHECK(step, "ok", "TLBI_NH_ASID + CFGI_CD after a change"),
                 iommufd, viommu, (const uint64_t (*)[2])c, 2, 16, &done);
}

/* ---- DMA and events ---- */

static void fill(uint64_t off, uint8_t seed)
{
    for (int i = 0; i < XFER; i++) {
        mem[off + i] = (uint8_t)(i * 7 + seed);
    }
    __sync_synchronize();
}

static bool same(uint64_t a, uint64_t b)
{
    __sync_synchronize();
    return !memcmp(mem + a, mem + b, XFER);
}

/* edu buffer -> bus address; "landed" when the data arrived at off. */
static const char *dma_out(uint64_t bus, uint64_t off, uint64_t ref)
{
    memset(mem + off, 0, XFER);
    __sync_synchronize();
    if (edu_dma(&edu, EDU_BUF, bus, XFER, true)) {
        return "timeout";
    }
    return same(off, ref) ? "landed" : "blocked";
}

static void dma_record(const char *step, const char *what, const char *expect,
                       const char *got, uint64_t bus)
{
    rep_begin(step, "edu DMA", what);
    rep_in_hex("bus_addr", bus);
    rep_end(expect, got, 0);
}

/* Summarise events: "n=N id=0x10 vsid=0x42 addr=0x600000" (first one). */
static void event_record(const char *step, const char *what,
                         const char *expect, VEvent *ev, int n)
{
    char got[128];
    uint32_t seqs[32];
    int k = n < 32 ? n : 32;

    if (n <= 0) {
        snprintf(got, sizeof(got), "n=%d", n);
    } else if (ev[0].lost) {
        snprintf(got, sizeof(got), "n=%d lost", n);
    } else {
        snprintf(got, sizeof(got), "n=%d id=0x%x vsid=0x%x addr=0x%llx", n,
                 EVT_ID(ev[0].evt[0]), EVT_SID(ev[0].evt[0]),
                 (unsigned long long)ev[0].evt[2]);
    }
    rep_begin(step, "read vEVENTQ", what);
    for (int i = 0; i < k; i++) {
        seqs[i] = ev[i].seq;
    }
    rep_out_u32v("seq", seqs, k);
    if (n > 0 && !ev[0].lost) {
        rep_out_hexv("evt", ev[0].evt, 4);
    }
    rep_end(expect, got, 0);
}

static void dma_checks(void)
{
    VEvent ev[256];
    char expect[128];
    const char *got;
    uint32_t last_seq, lost_seq;
    int n, normal;
    ssize_t r;
    uint8_t small[16];

    have_edu = !edu_open(&edu, devfd);
    rep_begin("edu_open", "mmap BAR0", "the edu BAR0 maps, bus master on");
    rep_out_hex("id", have_edu ? edu_id(&edu) : 0);
    rep_end_rc("ok", have_edu ? 0 : -1, have_edu ? 0 : errno);
    if (!have_edu) {
        return;
    }
    vevent_drain(qfd);

    /* Stage 1 (guest tables) over stage 2. */
    fill(OFF_A, 0x11);
    if (edu_dma(&edu, VA_A, EDU_BUF, XFER, false)) {
        rep_note("edu DMA timed out");
    }
    got = dma_out(VA_A + 0x1000, OFF_A + 0x1000, OFF_A);
    dma_record("dma_s1", "edu DMA through guest S1 + S2 round-trips the data",
               "landed", got, VA_A);
    n = vevent_collect(qfd, ev, 256, 300, 0);
    check_str("dma_s1_no_event", "a translated DMA raises no vEVENT",
              "0", n == 0 ? "0" : "events");

    /* One fault: one event, with the vSID and the address. */
    edu_dma(&edu, VA_HOLE, EDU_BUF, 4, false);
    n = vevent_collect(qfd, ev, 256, 2000, 300);
    snprintf(expect, sizeof(expect), "n=1 id=0x%x vsid=0x%x addr=0x%llx",
             EVT_F_TRANSLATION, vsid, (unsigned long long)VA_HOLE);
    event_record("vevent_fault", "a 4-byte DMA to an unmapped S1 VA gives "
                 "one F_TRANSLATION vEVENT with the vSID", expect, ev, n);
    last_seq = n > 0 ? ev[n - 1].seq : 0;

    edu_dma(&edu, VA_HOLE + 0x100, EDU_BUF, 4, false);
    n = vevent_collect(qfd, ev, 256, 2000, 300);
    check_hex("vevent_seq_next", "the next vEVENT has the next sequence",
              last_seq + 1, n > 0 ? ev[0].seq : ~0u);

    /* Reads too short for a record leave it queued. */
    edu_dma(&edu, VA_HOLE + 0x300, EDU_BUF, 4, false);
    {
        struct pollfd p = { .fd = qfd, .events = POLLIN };

        poll(&p, 1, 2000);
        usleep(300 * 1000);
    }
    r = read(qfd, small, 4);
    check_str("vevent_read_4", "a read of 4 bytes (less than a header)",
              "EINVAL", r < 0 ? rep_errname(errno) : "data");
    r = read(qfd, small, 16);
    check_str("vevent_read_16", "a read of 16 bytes (header, not the event)",
              "EINVAL", r < 0 ? rep_errname(errno) : "data");
    n = vevent_collect(qfd, ev, 256, 0, 0);
    check_str("vevent_read_after_short", "the event is still there after "
              "the short reads", "1", n == 1 ? "1" : n > 1 ? "more" : "0");
    last_seq = n > 0 ? ev[n - 1].seq : 0;

    /* Overflow: 4 * (depth + 4) bytes fault once per 4-byte access. */
    edu_dma(&edu, VA_HOLE, EDU_BUF, 4 * (EVQ_DEPTH + 4), false);
    n = vevent_collect(qfd, ev, 256, 2000, 500);
    normal = 0;
    for (int i = 0; i < n && !ev[i].lost; i++) {
        normal++;
    }
    rep_begin("vevent_overflow", "read vEVENTQ",
              "an overflowing burst gives depth records, then one "
              "LOST_EVENTS header");
    {
        uint32_t seqs[32];
        uint32_t flags[32];

        for (int i = 0; i < n && i < 32; i++) {
            seqs[i] = ev[i].seq;
            flags[i] = ev[i].flags;
        }
        rep_out_u32v("seq", seqs, n < 32 ? n : 32);
        rep_out_u32v("flags", flags, n < 32 ? n : 32);
    }
    snprintf(expect, sizeof(expect), "normal=%d then lost", EVQ_DEPTH);
    {
        char g[64];

        snprintf(g, sizeof(g), "normal=%d then %s", normal,
                 normal < n && ev[normal].lost && normal + 1 == n ? "lost" :
                 "no lost header");
        rep_end(expect, g, 0);
    }
    check_hex("vevent_overflow_first_seq",
              "records after an overflow continue the sequence",
              last_seq + 1, n > 0 ? ev[0].seq : ~0u);
    lost_seq = n > 0 ? ev[n - 1].seq : 0;
    {
        char g[32];

        if (n > normal && normal > 0) {
            snprintf(g, sizeof(g), "%u", lost_seq - ev[normal - 1].seq);
        } else {
            snprintf(g, sizeof(g), "none");
        }
        rep_begin("vevent_lost_count", "-",
                  "events dropped: the lost header's sequence minus the last "
                  "record's (recorded)");
        rep_out_u64("lost_seq", lost_seq);
        rep_end("*", g, 0);
    }

    edu_dma(&edu, VA_HOLE, EDU_BUF, 4, false);
    n = vevent_collect(qfd, ev, 256, 2000, 300);
    check_hex("vevent_seq_after_lost",
              "the first event after the overflow follows the lost header's "
              "sequence", lost_seq + 1, n > 0 ? ev[0].seq : ~0u);

    /*
     * Remap VA_A to VA_NEW in the guest table.  The page VA_A + 0x1000 was
     * used above, so the SMMU may hold its translation: without an
     * invalidation the DMA still lands (the emulated SMMU of L0 caches
     * nested translations per 4 KiB page), after the forwarded
     * TLBI_NH_ASID + CFGI_CD it must not.  The first result proves that
     * the second one is the invalidation's doing.
     */
    fill(OFF_A, 0x22);
    edu_dma(&edu, VA_A, EDU_BUF, XFER, false);
    s1_unmap_block(&s1, VA_A);
    s1_map_block(&s1, VA_NEW, IPA_BASE + OFF_A);
    got = dma_out(VA_A + 0x1000, OFF_A + 0x1000, OFF_A);
    dma_record("dma_stale", "DMA to a cached page of the old VA before "
               "any invalidation still lands", "landed", got, VA_A + 0x1000);
    vevent_drain(qfd);
    guest_tlbi("tlbi_remap");
    got = dma_out(VA_A + 0x1000, OFF_A + 0x1000, OFF_A);
    dma_record("dma_old_va_blocked", "after TLBI_NH_ASID + CFGI_CD the same "
               "page of the old VA no longer translates", "blocked", got,
               VA_A + 0x1000);
    n = vevent_collect(qfd, ev, 256, 2000, 300);
    snprintf(expect, sizeof(expect), "id=0x%x vsid=0x%x", EVT_F_TRANSLATION,
             vsid);
    {
        char g[64];

        snprintf(g, sizeof(g), "id=0x%x vsid=0x%x",
                 n > 0 ? EVT_ID(ev[0].evt[0]) : 0,
                 n > 0 ? EVT_SID(ev[0].evt[0]) : 0);
        check_str("vevent_old_va", "the blocked DMA is reported as "
                  "F_TRANSLATION for the vSID", expect, g);
    }
    got = dma_out(VA_NEW + 0x2000, OFF_A + 0x2000, OFF_A);
    dma_record("dma_new_va", "edu DMA through the new VA lands", "landed",
               got, VA_NEW);

    /* Bypass vSTE: the bus address is the IPA (S2 only). */
    c_attach(CHECK("attach_bypass", "ok", "replace stage 1 by bypass"),
             devfd, h_bypass);
    got = dma_out(IPA_BASE + OFF_A + 0x5000, OFF_A + 0x5000, OFF_A);
    dma_record("dma_bypass", "under a bypass vSTE the DMA address is the "
               "IPA (stage 2 only)", "landed", got, IPA_BASE + OFF_A);

    /* Abort vSTE: nothing lands. */
    c_attach(CHECK("attach_abort", "ok", "replace bypass by abort"),
             devfd, h_abort);
    vevent_drain(qfd);
    got = dma_out(IPA_BASE + OFF_A + 0x6000, OFF_A + 0x6000, OFF_A);
    dma_record("dma_abort", "under an abort vSTE the DMA is blocked",
               "blocked", got, IPA_BASE + OFF_A);
    n = vevent_collect(qfd, ev, 256, 1000, 300);
    rep_begin("vevent_abort", "read vEVENTQ",
              "vEVENTs for a DMA under an abort vSTE (recorded)");
    rep_out_u64("n", n);
    rep_end("*", n > 0 ? "events" : "none", 0);
}

static void msi_checks(void)
{
    VEvent ev[64];
    char expect[64], got[64];
    int n, rc;

    if (!have_edu) {
        return;
    }
    c_attach(CHECK("msi_attach_bypass", "ok", "attach bypass for MSI"),
             devfd, h_bypass);
    rc = edu_msi_enable(&edu);
    rep_begin("msi_enable", "VFIO_DEVICE_SET_IRQS", "edu MSI to an eventfd");
    rep_end_rc("ok", rc, rc ? errno : 0);
    if (rc) {
        return;
    }
    check_str("msi_bypass", "MSI under a bypass vSTE is delivered",
              "fired", edu_msi_fires(&edu) ? "fired" : "none");

    c_attach(CHECK("msi_attach_s1", "ok", "attach stage 1 for MSI"),
             devfd, h_s1);
    vevent_drain(qfd);
    check_str("msi_s1_unmapped", "MSI under stage 1 without a guest map of "
              "the MSI window is not delivered", "none",
              edu_msi_fires(&edu) ? "fired" : "none");
    n = vevent_collect(qfd, ev, 64, 1000, 300);
    snprintf(expect, sizeof(expect), "id=0x%x addr=0x%llx", EVT_F_TRANSLATION,
             (unsigned long long)MSI_DOORBELL);
    snprintf(got, sizeof(got), "id=0x%x addr=0x%llx",
             n > 0 ? EVT_ID(ev[0].evt[0]) : 0,
             n > 0 ? (unsigned long long)ev[0].evt[2] : 0ULL);
    check_str("msi_s1_event", "the MSI write faults at the doorbell IOVA",
              expect, got);

    s1_map_block(&s1, MSI_IOVA, MSI_IOVA);
    guest_tlbi("tlbi_msi_map");
    check_str("msi_s1_identity", "MSI under stage 1 with the MSI window "
              "mapped 1:1 by the guest is delivered", "fired",
              edu_msi_fires(&edu) ? "fired" : "none");
    rc = edu_msi_disable(&edu);
    rep_begin("msi_disable", "VFIO_DEVICE_SET_IRQS", "MSI off");
    rep_end_rc("ok", rc, rc ? errno : 0);
}

/* ---- teardown order ---- */

static void teardown_checks(void)
{
    c_destroy(CHECK("destroy_s2_busy", "EBUSY",
                    "the S2 cannot be destroyed while a vIOMMU uses it"),
              iommufd, s2);
    c_destroy(CHECK("destroy_viommu_busy", "EBUSY",
                    "the vIOMMU cannot be destroyed while it has objects"),
              iommufd, viommu);
    c_destroy(CHECK("destroy_veventq_open", "EBUSY",
                    "a vEVENTQ whose fd is open cannot be destroyed"),
              iommufd, veventq_id);
    c_attach(CHECK("attach_back_s2", "ok",
                   "replace the nested HWPT by the S2 parent"),
             devfd, s2);
    c_destroy(CHECK("destroy_abort", "ok", "destroy the abort HWPT"),
              iommufd, h_abort);
    c_destroy(CHECK("destroy_bypass", "ok", "destroy the bypass HWPT"),
              iommufd, h_bypass);
    c_destroy(CHECK("destroy_s1", "ok", "destroy the stage-1 HWPT"),
              iommufd, h_s1);
    close(qfd);
    c_destroy(CHECK("destroy_veventq", "ok",
                    "destroy the vEVENTQ once its fd is closed"),
              iommufd, veventq_id);
    c_destroy(CHECK("destroy_vdevice", "ok", "destroy the vDEVICE"),
              iommufd, vdev);
    c_destroy(CHECK("destroy_viommu", "ok", "destroy the vIOMMU"),
              iommufd, viommu);
    c_detach(CHECK("detach", "ok", "detach the device"), devfd);
    c_destroy(CHECK("destroy_s2", "ok", "destroy the S2"), iommufd, s2);
    c_destroy(CHECK("destroy_plain", "ok", "destroy the plain HWPT"),
              iommufd, plain);
    c_destroy(CHECK("destroy_ioas", "ok", "destroy the IOAS"), iommufd, ioas);
}

/* ---- two devices of one iommu group ---- */

static const char *landed_where(uint64_t off_a, uint64_t off_b, uint64_t ref)
{
    bool a = same(off_a, ref), b = same(off_b, ref);

    return a && !b ? "block A" : b && !a ? "block B" : a ? "both" : "none";
}

static void group_checks(const char *path_a, const char *path_b)
{
    int ictx, ictx2, fa, fb;
    uint32_t ida, idb, idb2, gioas, gs2, gviommu, va, vb, ha, hb;
    S1Tables ta, tb;
    uint64_t ste[2];
    Edu ea;

    rep_note("group: %s and %s share an iommu group", path_a, path_b);
    iommufd = ictx = open_iommufd();
    fa = open_dev(path_a);
    fb = open_dev(path_b);
    if (ictx < 0 || fa < 0 || fb < 0) {
        return;
    }
    if (c_bind(CHECK("group_bind_a", "ok", "bind device A"), fa, ictx,
               &ida)) {
        return;
    }
    ictx2 = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    c_bind(CHECK("group_bind_b_other_ctx", "EPERM",
                 "device B of the same group cannot bind another iommufd"),
           fb, ictx2, &idb2);
    close(ictx2);
    if (c_bind(CHECK("group_bind_b", "ok", "bind device B to the same "
                     "iommufd"), fb, ictx, &idb)) {
        return;
    }
    c_ioas_alloc(CHECK("group_ioas", "ok", "IOAS"), ictx, &gioas);
    memset(mem, 0, MEM_SIZE);
    c_ioas_map(CHECK("group_map", "ok", "guest RAM"), ictx, gioas, mem,
               MEM_SIZE, IPA_BASE);
    c_hwpt_paging(CHECK("group_s2", "ok", "S2 parent"), ictx, ida, gioas,
                  IOMMU_HWPT_ALLOC_NEST_PARENT, &gs2);
    c_viommu_alloc(CHECK("group_viommu", "ok", "vIOMMU"), ictx, ida, gs2,
                   IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0, &gviommu);
    c_vdevice_alloc(CHECK("group_vdev_a", "ok", "vDEVICE A, vSID 0x50"),
                    ictx, gviommu, ida, 0x50, &va);
    c_vdevice_alloc(CHECK("group_vdev_b_same_vsid", "EEXIST",
                          "vDEVICE B with A's vSID"),
                    ictx, gviommu, idb, 0x50, &vb);
    c_vdevice_alloc(CHECK("group_vdev_b", "ok", "vDEVICE B, vSID 0x51"),
                    ictx, gviommu, idb, 0x51, &vb);

    /* Two guest S1s: same VA, A's maps block A, B's maps block B. */
    s1_init(&ta, mem, IPA_BASE, 2);
    s1_map_block(&ta, VA_A, IPA_BASE + OFF_A);
    s1_init(&tb, mem + OFF_S1B, IPA_BASE + OFF_S1B, 3);
    s1_map_block(&tb, VA_A, IPA_BASE + OFF_B);
    s1_vste(&ta, ste);
    c_hwpt_nested(CHECK("group_hwpt_a", "ok", "nested S1 HWPT for A"),
                  ictx, ida, gviommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, 16, ste,
                  &ha);
    s1_vste(&tb, ste);
    c_hwpt_nested(CHECK("group_hwpt_b", "ok", "nested S1 HWPT for B"),
                  ictx, idb, gviommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, 16, ste,
                  &hb);

    c_attach(CHECK("group_attach_a", "ok", "A attaches HWPT A"), fa, ha);
    c_attach(CHECK("group_attach_b_other", "EINVAL",
                   "B cannot attach another HWPT than its group's"), fb, hb);
    c_attach(CHECK("group_attach_b_same", "ok",
                   "B attaches the group's HWPT"), fb, ha);

    if (edu_open(&ea, fa)) {
        rep_note("group: edu A does not open: %s", strerror(errno));
        close(ictx);
        return;
    }
    /* Reference data at 0x7000, copied to block A, read through HWPT A. */
    fill(0x7000, 0x33);
    memcpy(mem + OFF_A, mem + 0x7000, XFER);
    edu_dma(&ea, VA_A, EDU_BUF, XFER, false);
    memset(mem + OFF_A, 0, XFER);
    memset(mem + OFF_B, 0, XFER);
    edu_dma(&ea, EDU_BUF, VA_A, XFER, true);
    dma_record("group_dma_a", "A's DMA to the VA uses HWPT A (block A)",
               "block A", landed_where(OFF_A, OFF_B, 0x7000), VA_A);

    c_attach(CHECK("group_replace_b", "ok",
                   "B replaces the group's HWPT by HWPT B"), fb, hb);
    memset(mem + OFF_A, 0, XFER);
    memset(mem + OFF_B, 0, XFER);
    edu_dma(&ea, EDU_BUF, VA_A, XFER, true);
    dma_record("group_dma_a_after_b", "after B's replace, A's DMA also "
               "uses HWPT B (the group moved)", "block B",
               landed_where(OFF_A, OFF_B, 0x7000), VA_A);
    close(ictx);
    close(fa);
    close(fb);
}

int main(int argc, char **argv)
{
    const char *group = NULL;
    int opt;

    rep_init("nest");
    while ((opt = getopt(argc, argv, "s:g:")) != -1) {
        switch (opt) {
        case 's':
            if (sscanf(optarg, "%x", &vsid) != 1) {
                fprintf(stderr, "nest-check: -s takes a hex vSID\n");
                return 2;
            }
            break;
        case 'g':
            group = optarg;
            break;
        default:
            fprintf(stderr, "usage: nest-check [-s VSID] [-g A,B] DEV\n");
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: nest-check [-s VSID] [-g A,B] DEV\n");
        return 2;
    }

    devfd = open_dev(argv[optind]);
    iommufd = open_iommufd();
    if (devfd < 0 || iommufd < 0 ||
        c_bind(CHECK("bind", "ok", "VFIO_DEVICE_BIND_IOMMUFD"), devfd,
               iommufd, &dev_id)) {
        return 2;
    }
    hw_info_checks();
    if (s2_setup() || viommu_checks()) {
        return 2;
    }
    nested_checks();
    object_checks();
    invalidate_checks();
    dma_checks();
    msi_checks();
    teardown_checks();
    close(iommufd);
    close(devfd);

    if (group) {
        char *a = strdup(group);
        char *b = strchr(a, ',');

        if (b) {
            *b++ = 0;
            group_checks(a, b);
        }
        free(a);
    }
    rep_begin("done", "-", "nest-check ran to the end");
    rep_end("ok", "ok", 0);
    return rep_failures() ? 1 : 0;
}
