/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hm-smmu.c, the arm-smmu-v3 decisions: vSTE validation, the
 * physical STE, and invalidation (conversion, batches, entry_num).
 */
#define _GNU_SOURCE

#include "test-hostmodel.h"

/* ---- nested HWPT: vSTE validation ---- */

bool t_vste_v0_accepted(void)
{
    Nest n;
    uint32_t h;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    /* V=0: everything else ignored, installed as abort */
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, ~1ULL, ~0ULL, &h), 0);
    CHECK_ERR(attach(n.dfd, h, NULL), 0);
    CHECK(((read_ull("ste", "vfio0") >> 1) & 7) == 0);
    return true;
}

bool t_vste_word0_bits(void)
{
    const uint64_t allowed = 0xf80fffffffffffffULL;
    Nest n;
    unsigned bad = 0;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    for (int b = 0; b < 64; b++) {
        uint64_t bit = 1ULL << b;
        int rc;
        uint32_t h;

        if (allowed & bit) {
            continue;
        }
        bad++;
        rc = nested_alloc(n.ifd, n.devid, n.viommu, STE_S1 | bit, 0, &h);
        if (rc != EIO) {
            printf("# word0 bit %d: errno %d, expected EIO\n", b, rc);
            return false;
        }
    }
    CHECK(bad == 7);
    /* all allowed bits at once are fine (with a legal Config) */
    {
        uint32_t h;

        CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu,
                               (allowed & ~0xeULL) | STE_CFG(5), 0, &h), 0);
        CHECK_ERR(destroy(n.ifd, h), 0);
    }
    return true;
}

bool t_vste_word1_bits(void)
{
    const uint64_t allowed = 0x380000ffULL;
    Nest n;
    unsigned bad = 0;
    uint32_t h;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    for (int b = 0; b < 64; b++) {
        uint64_t bit = 1ULL << b;
        int rc;

        if (allowed & bit) {
            continue;
        }
        bad++;
        rc = nested_alloc(n.ifd, n.devid, n.viommu, STE_S1, bit, &h);
        if (rc != EIO) {
            printf("# word1 bit %d: errno %d, expected EIO\n", b, rc);
            return false;
        }
    }
    CHECK(bad == 64 - 11);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_S1,
                           0x080000ffULL | STE1_EATS(1), &h), 0);
    CHECK_ERR(destroy(n.ifd, h), 0);
    return true;
}

bool t_vste_config(void)
{
    Nest n;
    uint32_t h;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    for (unsigned cfg = 0; cfg < 8; cfg++) {
        int want = (cfg == 0 || cfg == 4 || cfg == 5) ? 0 : EIO;
        int rc = nested_alloc(n.ifd, n.devid, n.viommu,
                              STE_V | STE_CFG(cfg), 0, &h);

        if (rc != want) {
            printf("# config %u: errno %d, expected %d\n", cfg, rc, want);
            return false;
        }
        if (!rc) {
            CHECK_ERR(destroy(n.ifd, h), 0);
        }
    }
    return true;
}

bool t_vste_eats(void)
{
    Nest n;
    uint32_t h;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    for (unsigned e = 0; e < 4; e++) {
        int want = e < 2 ? 0 : EIO;
        int rc = nested_alloc(n.ifd, n.devid, n.viommu, STE_S1,
                              STE1_EATS(e), &h);

        if (rc != want) {
            printf("# EATS %u: errno %d, expected %d\n", e, rc, want);
            return false;
        }
        if (!rc) {
            CHECK_ERR(destroy(n.ifd, h), 0);
        }
    }
    return true;
}

/* ---- the physical STE ---- */

bool t_ste_and_ats(void)
{
    Nest n, a;
    uint32_t s1, s1ats, byp;
    uint64_t ste[4];
    int ats = -1;

    if (!nest_setup(&n, "vfio0") || !nest_setup(&a, "vfio4")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, NULL), 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_S1, STE1_EATS(1),
                           &s1), 0);
    CHECK_ERR(attach(n.dfd, s1, NULL), 0);
    CHECK_ERR(hm_client_get_ste(cl, "vfio0", ste, &ats), 0);
    /* nested config, guest S1 fields kept, MEV forced, VMID of the S2 */
    CHECK(((ste[0] >> 1) & 7) == 7);
    CHECK((ste[0] & 0xffffffffffc0ULL) == (STE_S1 & 0xffffffffffc0ULL));
    CHECK(ste[1] & (1ULL << 19));
    CHECK(ste[2] != 0);
    CHECK(ats == 0);    /* grace profile: no ATS */

    CHECK_ERR(vdev_alloc(a.ifd, a.viommu, a.devid, 0x40, NULL), 0);
    CHECK_ERR(nested_alloc(a.ifd, a.devid, a.viommu, STE_S1, STE1_EATS(1),
                           &s1ats), 0);
    CHECK_ERR(attach(a.dfd, s1ats, NULL), 0);
    CHECK_ERR(hm_client_get_ste(cl, "vfio4", ste, &ats), 0);
    CHECK(ats == 1 && ((ste[1] >> 28) & 3) == 1);
    CHECK_ERR(nested_alloc(a.ifd, a.devid, a.viommu, STE_BYPASS, 0, &byp), 0);
    CHECK_ERR(attach(a.dfd, byp, NULL), 0);
    CHECK_ERR(hm_client_get_ste(cl, "vfio4", ste, &ats), 0);
    CHECK(ats == 0 && ((ste[0] >> 1) & 7) == 6);
    return true;
}

/* ---- invalidation ---- */

static bool check_host_cmds(const char *smmu, uint64_t (*want)[2], long n)
{
    uint64_t got[64][2];
    long total = hm_client_get_cmds(cl, smmu, got, 64);

    if (total != n) {
        printf("# %s: host got %ld commands, expected %ld\n", smmu, total, n);
        return false;
    }
    for (long i = 0; i < n; i++) {
        if (got[i][0] != want[i][0] || got[i][1] != want[i][1]) {
            printf("# %s cmd %ld: %016llx:%016llx, expected %016llx:%016llx\n",
                   smmu, i, (unsigned long long)got[i][0],
                   (unsigned long long)got[i][1],
                   (unsigned long long)want[i][0],
                   (unsigned long long)want[i][1]);
            return false;
        }
    }
    return true;
}

#define SYNC { 0x46 | (2ULL << 12), 0 }
#define VMID(v) ((uint64_t)(v) << 32)

bool t_inv_tlbi_vmid(void)
{
    Nest n;
    uint32_t done;
    uint64_t vmid;
    uint64_t cmds[5][2] = {
        { 0x10 | VMID(0xdead), 0x1 },
        { 0x11 | VMID(0xbeef) | (0x55ULL << 48), 0 },
        { 0x12 | (0x55ULL << 48), 0x7000 },
        { 0x13 | VMID(0xffff), 0x9000 },
        { 0x30 | VMID(0x1234), 0xffff },
    };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu0"), 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 5, &done), 0);
    CHECK(done == 5);
    vmid = 1;   /* the first S2 domain of smmu0 */
    {
        uint64_t want[6][2] = {
            { 0x10 | VMID(vmid), 0x1 },
            { 0x11 | VMID(vmid) | (0x55ULL << 48), 0 },
            { 0x12 | VMID(vmid) | (0x55ULL << 48), 0x7000 },
            { 0x13 | VMID(vmid), 0x9000 },
            { 0x10 | VMID(vmid), 0 },   /* NSNH_ALL becomes NH_ALL */
            SYNC,
        };
        CHECK(check_host_cmds("smmu0", want, 6));
    }
    return true;
}

bool t_inv_sid_translation(void)
{
    Nest n;
    uint32_t done;
    uint64_t cmds[3][2] = {
        { 0x05 | (0x10ULL << 32) | (7 << 12), 1 },
        { 0x06 | (0x10ULL << 32), 0 },
        { 0x40 | (0x10ULL << 32), 0x12345000 | 52 },
    };
    uint64_t want[4][2] = {
        { 0x05 | (0x100ULL << 32) | (7 << 12), 1 },
        { 0x06 | (0x100ULL << 32), 0 },
        { 0x40 | (0x100ULL << 32), 0x12345000 | 52 },
        SYNC,
    };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0x10, NULL), 0);
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu0"), 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 3, &done), 0);
    CHECK(done == 3);
    CHECK(check_host_cmds("smmu0", want, 4));
    /* an unknown vSID is EIO */
    cmds[1][0] = 0x06 | (0x99ULL << 32);
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu0"), 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 3, &done), EIO);
    CHECK(done == 1);
    CHECK(hm_client_get_cmds(cl, "smmu0", NULL, 0) == 0);
    return true;
}

bool t_inv_rejected_opcodes(void)
{
    static const uint8_t ok_ops[] = {
        0x05, 0x06, 0x10, 0x11, 0x12, 0x13, 0x30, 0x40,
    };
    Nest n;
    unsigned rejected = 0;

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n.ifd, n.viommu, n.devid, 0, NULL), 0);
    for (unsigned op = 0; op < 256; op++) {
        uint64_t cmd[1][2] = { { op, 0 } };
        bool accepted = memchr(ok_ops, op, sizeof(ok_ops)) != NULL;
        uint32_t done = 99;
        int rc = inv_cmds(n.ifd, n.viommu, cmd, 1, &done);

        if (rc != (accepted ? 0 : EIO) || done != (accepted ? 1 : 0)) {
            printf("# opcode 0x%02x: errno %d done %u\n", op, rc, done);
            return false;
        }
        rejected += !accepted;
    }
    CHECK(rejected == 248);
    return true;
}

bool t_inv_entry_num_zero(void)
{
    Nest n;
    uint32_t done = 5;
    uint64_t cmd[1][2] = { { 0x10, 0 } };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    /*
     * arm_vsmmu_cache_invalidate() copies with a full-array helper that
     * rejects an empty array: EINVAL, whatever the data type
     */
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, NULL, 0, &done), EINVAL);
    CHECK(done == 0);
    CHECK_ERR(invalidate(n.ifd, n.viommu, NULL, 7, 0, 0, &done), EINVAL);
    /* entry_num without a pointer or a length */
    CHECK_ERR(invalidate(n.ifd, n.viommu, NULL,
                         IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, 1,
                         &done), EINVAL);
    CHECK_ERR(invalidate(n.ifd, n.viommu, cmd,
                         IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 0, 1,
                         &done), EINVAL);
    CHECK_ERR(invalidate(n.ifd, n.viommu, cmd,
                         IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 16, 1, &done),
              EINVAL);
    return true;
}

bool t_inv_entry_len(void)
{
    Nest n;
    uint32_t done;
    uint64_t small[2] = { 0x10 | VMID(0x77), 0x30 };
    uint64_t large[2][3] = {
        { 0x10, 0x5, 0 },
        { 0x11, 0, 0 },
    };
    uint64_t want[3][2] = {
        { 0x10 | VMID(1), 0 },
        { 0x10 | VMID(1), 0 },
        SYNC,
    };
    uint64_t want2[3][2] = {
        { 0x10 | VMID(1), 0x5 },
        { 0x11 | VMID(1), 0 },
        SYNC,
    };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    /* shorter entries are zero-extended: the second word reads as 0 */
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu0"), 0);
    CHECK_ERR(invalidate(n.ifd, n.viommu, small,
                         IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 8, 2,
                         &done), 0);
    CHECK(done == 2 && check_host_cmds("smmu0", want, 3));
    /* longer entries must be zero past 16 bytes */
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu0"), 0);
    CHECK_ERR(invalidate(n.ifd, n.viommu, large,
                         IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 24, 2,
                         &done), 0);
    CHECK(done == 2 && check_host_cmds("smmu0", want2, 3));
    large[1][2] = 1;
    CHECK_ERR(invalidate(n.ifd, n.viommu, large,
                         IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 24, 2,
                         &done), E2BIG);
    CHECK(done == 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, (void *)16, 2, &done), EFAULT);
    return true;
}

bool t_inv_batches(void)
{
    Nest n;
    uint64_t cmds[10][2], got[32][2];
    uint32_t done;
    long total;

    if (!nest_setup(&n, "vfio7")) {
        return false;
    }
    for (int i = 0; i < 10; i++) {
        cmds[i][0] = 0x12;
        cmds[i][1] = 0x1000ULL * i;
    }
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu5"), 0);
    /* cmdq_batch = 4 on smmu5: batches of 3 commands, each + CMD_SYNC */
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 10, &done), 0);
    CHECK(done == 10);
    total = hm_client_get_cmds(cl, "smmu5", got, 32);
    CHECK(total == 14);
    for (int i = 0, c = 0; i < 14; i++) {
        bool sync = (i % 4) == 3 || i == 13;

        CHECK(((got[i][0] & 0xff) == 0x46) == sync);
        if (!sync) {
            CHECK(got[i][1] == 0x1000ULL * c);
            c++;
        }
    }
    return true;
}

bool t_inv_entry_num_bad_cmd(void)
{
    Nest n;
    uint64_t cmds[7][2];
    uint32_t done;

    if (!nest_setup(&n, "vfio7")) {
        return false;
    }
    for (int i = 0; i < 7; i++) {
        cmds[i][0] = 0x12;
        cmds[i][1] = 0x1000ULL * i;
    }
    cmds[5][0] = 0x46;  /* CMD_SYNC is not accepted */
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu5"), 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 7, &done), EIO);
    /* 0..2 issued, 3 and 4 converted but never issued, still counted */
    CHECK(done == 5);
    CHECK(hm_client_get_cmds(cl, "smmu5", NULL, 0) == 4);
    return true;
}

bool t_inv_entry_num_failed_sync(void)
{
    Nest n;
    uint64_t cmds[7][2];
    uint32_t done;

    if (!nest_setup(&n, "vfio7")) {
        return false;
    }
    for (int i = 0; i < 7; i++) {
        cmds[i][0] = 0x11;
        cmds[i][1] = 0;
    }
    CHECK_ERR(hm_client_clear_cmds(cl, "smmu5"), 0);
    CHECK_ERR(hm_client_fail_sync(cl, "smmu5", 2, 0), 0);
    CHECK_ERR(inv_cmds(n.ifd, n.viommu, cmds, 7, &done), ETIMEDOUT);
    /* the failed batch 3..5 is counted up to its last command but one */
    CHECK(done == 5);
    /* both batches reached the queue */
    CHECK(hm_client_get_cmds(cl, "smmu5", NULL, 0) == 8);
    return true;
}

bool t_inv_targets(void)
{
    Nest n;
    uint32_t nested, done;
    uint64_t cmd[1][2] = { { 0x10, 0 } };
    struct iommu_hwpt_invalidate inv = {
        .size = sizeof(inv), .hwpt_id = 0, .data_uptr = (uintptr_t)cmd,
        .data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
        .entry_len = 16, .entry_num = 1, .__reserved = 1,
    };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    inv.hwpt_id = n.viommu;
    CHECK_ERR(io(n.ifd, IOMMU_HWPT_INVALIDATE, &inv), EOPNOTSUPP);
    CHECK(inv.entry_num == 0);
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_ABORT, 0, &nested),
              0);
    CHECK_ERR(inv_cmds(n.ifd, nested, cmd, 1, &done), EOPNOTSUPP);
    CHECK_ERR(inv_cmds(n.ifd, n.ioas, cmd, 1, &done), EINVAL);
    CHECK_ERR(inv_cmds(n.ifd, n.s2, cmd, 1, &done), EINVAL);
    CHECK_ERR(inv_cmds(n.ifd, 99, cmd, 1, &done), ENOENT);
    return true;
}
