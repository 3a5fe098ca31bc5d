/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * nest-check: IOMMU_HWPT_INVALIDATE on the vIOMMU (batches, entry_num,
 * the failing command).
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
#include "nest-check.h"

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

void invalidate_checks(void)
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
void guest_tlbi(const char *step)
{
    uint64_t c[2][2];
    uint32_t done;

    cmd_tlbi_nh_asid(c[0], S1_ASID);
    cmd_cfgi_cd(c[1], vsid);
    c_invalidate(CHECK(step, "ok", "TLBI_NH_ASID + CFGI_CD after a change"),
                 iommufd, viommu, (const uint64_t (*)[2])c, 2, 16, &done);
}

