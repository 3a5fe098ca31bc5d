/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: arm-smmuv3,accel=on against the host kernel model
 * (tests/hostmodel), STEs: what of a guest stage-1 STE reaches the host
 * (every bit, S1STALLD), the fields that make it illegal (C_BAD_STE, no
 * host call), abort and bypass STEs, 2-level stream tables, GBPA and
 * SMMUEN reinstalling, and host refusals.
 *
 * Needs HOSTMODEL_LIB (libhostmodel.so) and HOSTMODEL_DIR (the directory
 * of the model's sources and profiles); skipped without them.
 */

#include "qemu/osdep.h"
#include "arm-smmuv3-accel-harness.h"

static void test_ste_s1_installs_masked_nested_hwpt(void)
{
    Accel a;
    uint64_t ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    /* S1CIR/COR/CSH set, plus bits the host must never see (STE1 13) */
    write_ste(&a, DEV_SID, s1_ste0(), 0xd4 | BIT_ULL(13));
    cfgi_ste(&a, DEV_SID);

    g_assert_cmpint(count(&a, "VDEVICE"), ==, 1);
    g_assert_cmpint(count(&a, "HWPT_NESTED"), ==, 3);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    /* Nested over the host S2, with the guest's stage-1 fields only */
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
    g_assert_cmphex(ste[0] & ~0xfULL, ==, s1_ste0() & ~0xfULL);
    g_assert_cmphex(ste[1] & 0xff, ==, 0xd4);
    g_assert_cmphex(ste[1] & BIT_ULL(13), ==, 0);
    g_assert_cmpuint(rd(&a, A_GERROR), ==, 0);

    /* Back to bypass: the stage-1 HWPT is freed */
    write_ste(&a, DEV_SID, 1 | (4 << 1), 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(count(&a, "HWPT_NESTED"), ==, 2);
    accel_stop(&a);
}

/*
 * What each bit of a guest stage-1 STE's first two words does, from the
 * SMMUv3 STE layout and the fields Linux accepts in a vSTE (V, Config,
 * S1Fmt, S1ContextPtr, S1CDMax; S1DSS, S1CIR, S1COR, S1CSH, S1STALLD,
 * EATS), for the grace host (OAS 48, SSIDSIZE 20, no ATS, can stall).
 */
typedef enum {
    STE_BIT_FORWARDED,      /* reaches the host as the guest wrote it */
    STE_BIT_MASKED,         /* RES0 or not the guest's: never sent */
    STE_BIT_ILLEGAL,        /* the STE is refused: C_BAD_STE, stream off */
    STE_BIT_FORCED,         /* QEMU decides it (S1STALLD) */
} SteBit;

static SteBit ste_bit_expected(int bit)
{
    if (bit == 2) {
        return STE_BIT_ILLEGAL;         /* Config 0b111: stage 2 */
    }
    if (bit < 52) {
        /* V, Config, S1Fmt, S1ContextPtr below OAS (48 bits) */
        return bit < 48 ? STE_BIT_FORWARDED : STE_BIT_ILLEGAL;
    }
    if (bit < 59) {
        return STE_BIT_MASKED;          /* RES0 */
    }
    if (bit < 64) {
        return STE_BIT_FORWARDED;       /* S1CDMax <= SSIDSIZE */
    }
    bit -= 64;
    if (bit < 8) {
        return STE_BIT_FORWARDED;       /* S1DSS, S1CIR, S1COR, S1CSH */
    }
    if (bit == 27) {
        return STE_BIT_FORCED;          /* S1STALLD */
    }
    if (bit >= 28 && bit < 32) {
        return STE_BIT_ILLEGAL;         /* EATS without ATS, StreamWorld */
    }
    return STE_BIT_MASKED;              /* stage-2 and other fields */
}

/* Install @w0/@w1 for DEV_SID; the host's STE, or V=0 when refused */
static void ste_install(Accel *a, uint64_t w0, uint64_t w1, uint64_t host[4])
{
    int ats;

    write_ste(a, DEV_SID, w0, w1);
    cfgi_ste(a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a->hm, "vfio0", host, &ats), ==, 0);
}

/*
 * Every bit of the words a nested HWPT takes, set alone on a valid
 * stage-1 STE, reaches the host exactly as the architecture and the
 * kernel's vSTE rules say: a wrong mask, either way, fails here.
 */
static void test_ste_every_bit(void)
{
    Accel a;
    uint64_t base[4], host[4];
    uint32_t events = 0;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    ste_install(&a, s1_ste0(), 0, base);
    g_assert_cmphex((base[0] >> 1) & 7, ==, 7);
    for (int bit = 0; bit < 128; bit++) {
        uint64_t w[2] = { s1_ste0(), 0 };
        uint64_t mask = BIT_ULL(bit % 64);
        int word = bit / 64;

        if (w[word] & mask) {
            continue;                   /* set in every stage-1 STE */
        }
        w[word] |= mask;
        ste_install(&a, w[0], w[1], host);
        switch (ste_bit_expected(bit)) {
        case STE_BIT_FORWARDED:
            g_assert_cmphex(host[word], ==, base[word] | mask);
            g_assert_cmphex(host[!word], ==, base[!word]);
            break;
        case STE_BIT_MASKED:
        case STE_BIT_FORCED:
            g_assert_cmphex(host[0], ==, base[0]);
            g_assert_cmphex(host[1], ==, base[1]);
            break;
        case STE_BIT_ILLEGAL:
            g_assert_cmphex((host[0] >> 1) & 7, ==, 0);
            g_assert_cmpuint(rd(&a, A_EVENTQ_PROD) & 0xff, ==, ++events);
            break;
        }
        ste_install(&a, s1_ste0(), 0, host);
        g_assert_cmphex(host[0], ==, base[0]);
    }
    /* The host's own S1STALLD, whatever the guest wrote */
    g_assert_cmphex(base[1] & BIT_ULL(27), ==, BIT_ULL(27));
    accel_stop(&a);
}

/*
 * An abort STE is no refused STE: no event, the shared abort HWPT.  A
 * CFGI_STE for another StreamID leaves the device's STE alone, even when
 * its entry in memory changed.
 */
static void test_ste_abort_and_other_sid(void)
{
    Accel a;
    uint64_t ste[4];
    int ats;

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }
    write_ste(&a, DEV_SID, 1, 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    g_assert_cmphex(rd(&a, A_EVENTQ_PROD), ==, 0);

    write_ste(&a, DEV_SID, 1 | (4 << 1), 0);
    cfgi_ste(&a, DEV_SID + 1);
    cfgi_ste(&a, DEV_SID - 1);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 6);
    accel_stop(&a);
}

static void test_bad_ste_event_no_host_call(void)
{
    Accel a;
    uint64_t evt[4], ste[4];
    int nested, ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    nested = count(&a, "HWPT_NESTED");
    /* Config=stage-2 translate: never offered with accel=on */
    write_ste(&a, DEV_SID, 1 | (6 << 1) | CDTAB, 0);
    cfgi_ste(&a, DEV_SID);

    g_assert_cmpuint(rd(&a, A_EVENTQ_PROD) & 0xff, ==, 1);
    qtest_memread(a.qts, EVTQ, evt, sizeof(evt));
    g_assert_cmpuint(le64_to_cpu(evt[0]) & 0xff, ==, EVT_C_BAD_STE);
    g_assert_cmpuint(le64_to_cpu(evt[0]) >> 32, ==, DEV_SID);
    /*
     * Installed as invalid (V=0), which the enabled SMMU already had for
     * this stream: no host call carried anything of the bad STE.
     */
    g_assert_cmpint(count(&a, "HWPT_NESTED"), ==, nested);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    accel_stop(&a);
}

/*
 * A stage-1 STE for DEV_SID through CFGI_STE: true when the host got it
 * (nested), false when the guest got C_BAD_STE and the host nothing.
 */
static bool ste_accepted(Accel *a, uint64_t w0, uint64_t w1)
{
    uint32_t prod = rd(a, A_EVENTQ_PROD) & 0xff;
    uint64_t evt[4], ste[4];
    int ats;

    write_ste(a, DEV_SID, w0, w1);
    cfgi_ste(a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a->hm, "vfio0", ste, &ats), ==, 0);
    if ((rd(a, A_EVENTQ_PROD) & 0xff) == prod) {
        g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
        return true;
    }
    g_assert_cmpuint(rd(a, A_EVENTQ_PROD) & 0xff, ==, prod + 1);
    qtest_memread(a->qts, EVTQ + prod * 32, evt, sizeof(evt));
    g_assert_cmpuint(le64_to_cpu(evt[0]) & 0xff, ==, EVT_C_BAD_STE);
    g_assert_cmphex((ste[0] >> 1) & 7, !=, 7);
    wr(a, A_EVENTQ_CONS, rd(a, A_EVENTQ_PROD));
    return false;
}

/*
 * The fields of a stage-1 STE that the guest registers make ILLEGAL
 * (C_BAD_STE, nothing to the host): S1ContextPtr beyond the output size
 * the guest was given, for each size; reserved S1Fmt and S1DSS, and a
 * 2-level CD table without CD2L, with substreams.
 */
static void test_ste_illegal_fields(void)
{
    static const unsigned sizes[] = { 32, 36, 40, 42, 44, 48 };
    const uint64_t cdmax1 = 1ULL << 59, s1 = 1 | (5 << 1);
    Accel a;

    for (int i = 0; i < ARRAY_SIZE(sizes); i++) {
        g_autofree char *opt = g_strdup_printf(",oas=%u", sizes[i]);
        uint64_t top = 1ULL << sizes[i];

        if (!accel_start(&a, "grace", opt)) {
            return;
        }
        guest_enable(&a);
        g_assert_true(ste_accepted(&a, s1 | (top - 64), 0));
        g_assert_false(ste_accepted(&a, s1 | top, 0));
        accel_stop(&a);
    }

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    g_assert_true(ste_accepted(&a, s1 | cdmax1 | 1 << 4 | CDTAB, 0));
    g_assert_false(ste_accepted(&a, s1 | cdmax1 | 3 << 4 | CDTAB, 0));
    g_assert_true(ste_accepted(&a, s1 | cdmax1 | CDTAB, 2));
    g_assert_false(ste_accepted(&a, s1 | cdmax1 | CDTAB, 3));
    accel_stop(&a);
    /* No CD2L: a linear CD table only */
    if (!accel_start(&a, "small", "")) {
        return;
    }
    guest_enable(&a);
    g_assert_true(ste_accepted(&a, s1 | cdmax1 | CDTAB, 0));
    g_assert_false(ste_accepted(&a, s1 | cdmax1 | 1 << 4 | CDTAB, 0));
    accel_stop(&a);
}

/*
 * The host refuses to move a device to the shared bypass HWPT: the guest
 * hears C_BAD_STE and the stream is aborted, not left on its stage 1.
 */
static void test_shared_hwpt_refused_aborts(void)
{
    Accel a;
    uint64_t evt[4], ste[4];
    uint32_t prod;
    int ats;

    if (!accel_start_s1(&a, "grace", "")) {
        return;
    }
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
    prod = rd(&a, A_EVENTQ_PROD) & 0xff;
    g_assert_cmpint(hm_client_fail_nth(a.hm, "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
                                       1, EIO), ==, 0);
    write_ste(&a, DEV_SID, 1 | (4 << 1), 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpuint(rd(&a, A_EVENTQ_PROD) & 0xff, ==, prod + 1);
    qtest_memread(a.qts, EVTQ + prod * 32, evt, sizeof(evt));
    g_assert_cmpuint(le64_to_cpu(evt[0]) & 0xff, ==, EVT_C_BAD_STE);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    accel_stop(&a);
}

static void test_gbpa_abort_reinstalls(void)
{
    Accel a;
    uint64_t ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    /* SMMU disabled, GBPA bypass (reset value): the host bypasses */
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 6);
    wr(&a, A_GBPA, R_GBPA_UPDATE_MASK | R_GBPA_ABORT_MASK);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    /* A write without UPDATE is ignored */
    wr(&a, A_GBPA, 0);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    accel_stop(&a);
}

static void test_smmuen_off_reinstalls(void)
{
    Accel a;
    uint64_t ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    write_ste(&a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
    /* SMMUEN cleared: GBPA (bypass) applies again at once */
    wr(&a, A_CR0, CR0_CMDQEN);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 6);
    g_assert_cmpint(count(&a, "HWPT_NESTED"), ==, 2);
    accel_stop(&a);
}

static void test_ste_two_level_table(void)
{
    Accel a;
    uint64_t l1 = cpu_to_le64((STRTAB + 0x10000) | 9);
    uint64_t ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    /* 2-level: SPLIT 8, 256 STEs per level-2 table; SID 8 is in the first */
    wrq(&a, A_STRTAB_BASE, STRTAB);
    wr(&a, A_STRTAB_BASE_CFG, (1 << 16) | (8 << 6) | 16);
    wrq(&a, A_CMDQ_BASE, CMDQ | QLOG2);
    wrq(&a, A_EVENTQ_BASE, EVTQ | QLOG2);
    qtest_memwrite(a.qts, STRTAB, &l1, sizeof(l1));
    {
        uint64_t w[8] = { cpu_to_le64(s1_ste0()) };

        qtest_memwrite(a.qts, STRTAB + 0x10000 + DEV_SID * 64, w, sizeof(w));
    }
    wr(&a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
    g_assert_cmphex(ste[0] & ~0xfULL, ==, s1_ste0() & ~0xfULL);
    accel_stop(&a);
}

static void test_nested_hwpt_refused_by_host(void)
{
    Accel a;
    uint64_t evt[4], ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    /* The host refuses the device's stage-1 HWPT */
    hm_client_fail_nth(a.hm, "IOMMU_HWPT_ALLOC", 1, EIO);
    write_ste(&a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(&a, DEV_SID);
    /* The guest hears C_BAD_STE; the stream is blocked, not left stale */
    g_assert_cmpuint(rd(&a, A_EVENTQ_PROD) & 0xff, ==, 1);
    qtest_memread(a.qts, EVTQ, evt, sizeof(evt));
    g_assert_cmpuint(le64_to_cpu(evt[0]) & 0xff, ==, EVT_C_BAD_STE);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);
    /* The guest tries again and the host accepts */
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
    accel_stop(&a);
}

/*
 * The guest was told there is no stall.  On a host that can stall (grace,
 * STALL_MODEL=0) S1STALLD reaches it set, so that no CD.S makes the
 * device stall; on one that cannot (small) the bit is RES0.
 */
static void test_ste_s1stalld_follows_host(void)
{
    static const struct {
        const char *profile;
        uint64_t guest_ste1, host_ste1;
    } cases[] = {
        { "grace", 0, BIT_ULL(27) },
        { "grace", BIT_ULL(27), BIT_ULL(27) },
        { "small", BIT_ULL(27), 0 },
        { "small", 0, 0 },
    };

    for (int i = 0; i < ARRAY_SIZE(cases); i++) {
        Accel a;
        uint64_t ste[4];
        int ats;

        if (!accel_start(&a, cases[i].profile, "")) {
            return;
        }
        guest_enable(&a);
        write_ste(&a, DEV_SID, s1_ste0(), cases[i].guest_ste1);
        cfgi_ste(&a, DEV_SID);
        g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
        g_assert_cmphex((ste[0] >> 1) & 7, ==, 7);
        g_assert_cmphex(ste[1] & BIT_ULL(27), ==, cases[i].host_ste1);
        accel_stop(&a);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/ste/s1-installs-masked-nested-hwpt",
                   test_ste_s1_installs_masked_nested_hwpt);
    qtest_add_func("/arm-smmuv3-accel/ste/every-bit", test_ste_every_bit);
    qtest_add_func("/arm-smmuv3-accel/ste/abort-and-other-sid",
                   test_ste_abort_and_other_sid);
    qtest_add_func("/arm-smmuv3-accel/ste/illegal-fields",
                   test_ste_illegal_fields);
    qtest_add_func("/arm-smmuv3-accel/ste/bad-ste-event-no-host-call",
                   test_bad_ste_event_no_host_call);
    qtest_add_func("/arm-smmuv3-accel/ste/shared-hwpt-refused-aborts",
                   test_shared_hwpt_refused_aborts);
    qtest_add_func("/arm-smmuv3-accel/ste/gbpa-abort-reinstalls",
                   test_gbpa_abort_reinstalls);
    qtest_add_func("/arm-smmuv3-accel/ste/smmuen-off-reinstalls",
                   test_smmuen_off_reinstalls);
    qtest_add_func("/arm-smmuv3-accel/ste/two-level-table",
                   test_ste_two_level_table);
    qtest_add_func("/arm-smmuv3-accel/ste/nested-hwpt-refused-by-host",
                   test_nested_hwpt_refused_by_host);
    qtest_add_func("/arm-smmuv3-accel/ste/s1stalld-follows-host",
                   test_ste_s1stalld_follows_host);
    return g_test_run();
}
