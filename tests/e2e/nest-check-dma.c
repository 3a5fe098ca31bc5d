/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * nest-check: edu's DMA through the guest's stage 1 over stage 2, the
 * vEVENTQ records of its faults, a lost invalidation, and MSIs.
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

/* ---- DMA and events ---- */

void fill(uint64_t off, uint8_t seed)
{
    for (int i = 0; i < XFER; i++) {
        mem[off + i] = (uint8_t)(i * 7 + seed);
    }
    __sync_synchronize();
}

bool same(uint64_t a, uint64_t b)
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

void dma_record(const char *step, const char *what, const char *expect,
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

/* Stage 1 (guest tables) over stage 2. */
static void dma_s1_checks(void)
{
    VEvent ev[256];
    const char *got;
    int n;

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
}

/*
 * One fault: one event, with the vSID and the address; sequence numbers;
 * reads too short for a record.  Returns the last sequence seen.
 */
static uint32_t vevent_checks(void)
{
    VEvent ev[256];
    char expect[128];
    uint32_t last_seq;
    ssize_t r;
    uint8_t small[16];
    int n;

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
    return n > 0 ? ev[n - 1].seq : 0;
}

/* Overflow: 4 * (depth + 4) bytes fault once per 4-byte access. */
static void vevent_overflow_checks(uint32_t last_seq)
{
    VEvent ev[256];
    char expect[128];
    uint32_t lost_seq;
    int n, normal;

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
}

/*
 * Remap VA_A to VA_NEW in the guest table.  The page VA_A + 0x1000 was
 * used above, so the SMMU may hold its translation: without an
 * invalidation the DMA still lands (the emulated SMMU of L0 caches
 * nested translations per 4 KiB page), after the forwarded
 * TLBI_NH_ASID + CFGI_CD it must not.  The first result proves that
 * the second one is the invalidation's doing.
 */
static void dma_remap_checks(void)
{
    VEvent ev[256];
    char expect[128];
    const char *got;
    int n;

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
}

/* Bypass vSTE: the bus address is the IPA (S2 only); abort: nothing lands */
static void dma_ste_kind_checks(void)
{
    VEvent ev[256];
    const char *got;
    int n;

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

void dma_checks(void)
{
    have_edu = !edu_open(&edu, devfd);
    rep_begin("edu_open", "mmap BAR0", "the edu BAR0 maps, bus master on");
    rep_out_hex("id", have_edu ? edu_id(&edu) : 0);
    rep_end_rc("ok", have_edu ? 0 : -1, have_edu ? 0 : errno);
    if (!have_edu) {
        return;
    }
    vevent_drain(qfd);
    dma_s1_checks();
    vevent_overflow_checks(vevent_checks());
    dma_remap_checks();
    dma_ste_kind_checks();
}

void msi_checks(void)
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

