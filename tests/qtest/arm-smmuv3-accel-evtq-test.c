/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * QTest: arm-smmuv3,accel=on against the host kernel model
 * (tests/hostmodel), events: the vEVENTQ relaying host events with the
 * guest's StreamID and freed with the guest's event queue, across guest
 * resets, host overflow as EVENTQ_PROD.OVFLG, and no event that no
 * command or transaction caused.
 *
 * Needs HOSTMODEL_LIB (libhostmodel.so) and HOSTMODEL_DIR (the directory
 * of the model's sources and profiles); skipped without them.
 */

#include "qemu/osdep.h"
#include "arm-smmuv3-accel-harness.h"

/* Let QEMU's main loop read the host queue until EVENTQ_PROD moves */
static uint32_t wait_eventq_prod(Accel *a, uint32_t old)
{
    for (int i = 0; i < 2000; i++) {
        uint32_t prod = rd(a, A_EVENTQ_PROD);

        if (prod != old) {
            return prod;
        }
        g_usleep(1000);
    }
    return old;
}

static void test_host_event_relayed_with_vsid(Accel *a)
{
    uint64_t host_evt[4] = { EVT_F_TRANSLATION, 0, 0x1234000, 0 };
    uint64_t evt[4];
    uint32_t prod;

    prod = rd(a, A_EVENTQ_PROD);
    g_assert_cmpint(hm_client_inject_event(a->hm, "vfio0", host_evt, NULL),
                    ==, 0);
    prod = wait_eventq_prod(a, prod);
    g_assert_cmpuint(prod & 0xff, ==, 1);
    qtest_memread(a->qts, EVTQ, evt, sizeof(evt));
    g_assert_cmphex(le64_to_cpu(evt[0]) & 0xff, ==, EVT_F_TRANSLATION);
    /* The host SID (0x100) came back as the guest's StreamID */
    g_assert_cmphex(le64_to_cpu(evt[0]) >> 32, ==, DEV_SID);
    g_assert_cmphex(le64_to_cpu(evt[2]), ==, 0x1234000);
}

/* QEMU's CPU time (ms) over @ms of wall time in which the test waits */
static long cpu_ms_while_idle(Accel *a, unsigned ms)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat",
                                            qtest_pid(a->qts));
    long hz = sysconf(_SC_CLK_TCK), ticks[2];

    for (int i = 0; i < 2; i++) {
        g_autofree char *stat = NULL;
        unsigned long utime, stime;
        char *p;

        g_assert_true(g_file_get_contents(path, &stat, NULL, NULL));
        /* Fields 14 and 15, counted after the ")" ending the name */
        p = strrchr(stat, ')');
        g_assert_cmpint(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
                               "%*u %*u %lu %lu", &utime, &stime), ==, 2);
        ticks[i] = utime + stime;
        if (!i) {
            g_usleep(ms * 1000);
        }
    }
    return (ticks[1] - ticks[0]) * 1000 / hz;
}

static void test_events(void)
{
    Accel a;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    /* No event queue enabled: no vEVENTQ */
    g_assert_cmpint(count(&a, "VEVENTQ"), ==, 0);
    guest_enable(&a);
    g_assert_cmpint(count(&a, "VEVENTQ"), ==, 1);
    write_ste(&a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(&a, DEV_SID);
    test_host_event_relayed_with_vsid(&a);

    /* The guest turns its event queue off: the vEVENTQ goes */
    wr(&a, A_CR0, CR0_SMMUEN | CR0_CMDQEN);
    g_assert_cmpint(count(&a, "VEVENTQ"), ==, 0);
    /* ... and its file leaves the main loop: QEMU idles, not spinning */
    g_assert_cmpint(cpu_ms_while_idle(&a, 500), <, 250);
    accel_stop(&a);
}

/*
 * A read of the vEVENTQ that fails (EFAULT: the kernel keeps the event)
 * leaves the queue registered: the event comes on the next read, and so
 * does the one after it
 */
static void test_failed_read_keeps_relaying(void)
{
    uint64_t host_evt[4] = { EVT_F_TRANSLATION, 0, 0x5678000, 0 };
    uint64_t evt[4];
    uint32_t prod;
    Accel a;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    write_ste(&a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpint(hm_client_fail_nth(a.hm, "VEVENTQ_READ", 1, EFAULT), ==,
                    0);
    prod = rd(&a, A_EVENTQ_PROD);
    g_assert_cmpint(hm_client_inject_event(a.hm, "vfio0", host_evt, NULL),
                    ==, 0);
    prod = wait_eventq_prod(&a, prod);
    g_assert_cmpuint(prod & 0xff, ==, 1);
    qtest_memread(a.qts, EVTQ, evt, sizeof(evt));
    g_assert_cmphex(le64_to_cpu(evt[2]), ==, 0x5678000);
    /* the failure was the model's: one injected read */
    g_assert_cmpuint(model_call_errors(a.hm, "read"), ==, 1);

    host_evt[2] = 0x9abc000;
    g_assert_cmpint(hm_client_inject_event(a.hm, "vfio0", host_evt, NULL),
                    ==, 0);
    prod = wait_eventq_prod(&a, prod);
    g_assert_cmpuint(prod & 0xff, ==, 2);
    qtest_memread(a.qts, EVTQ + 32, evt, sizeof(evt));
    g_assert_cmphex(le64_to_cpu(evt[2]), ==, 0x9abc000);
    accel_stop(&a);
}

/*
 * The vEVENTQ is destroyed while another thread may still be in poll() on
 * its fd (the model holds each closed vEVENTQ file 30 ms, as the kernel
 * does for a concurrent poll): the destroy must wait for it, or the queue
 * leaks, the vIOMMU with it, and the guest's next event queue never comes
 * (the host allows one per vIOMMU).  Guest resets in a row keep host
 * events flowing, and nothing is left at exit.
 */
static void test_evtq_survives_reset_loop(void)
{
    Accel a;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    g_assert_cmpint(hm_client_command(a.hm, "veventq-hold 30"), ==, 0);
    for (int i = 0; i < 4; i++) {
        guest_enable(&a);
        write_ste(&a, DEV_SID, s1_ste0(), 0);
        cfgi_ste(&a, DEV_SID);
        g_assert_cmpint(count(&a, "VEVENTQ"), ==, 1);
        /* The event queue starts empty after a reset */
        wr(&a, A_EVENTQ_CONS, rd(&a, A_EVENTQ_PROD));
        test_host_event_relayed_with_vsid(&a);
        qtest_system_reset(a.qts);
        a.prod = 0;
        g_assert_cmpint(count(&a, "VEVENTQ"), ==, 0);
    }
    /* The destroys were refused while the file was held, then retried */
    a.destroy_errors_ok = model_destroy_errors(a.hm);
    g_assert_cmpuint(a.destroy_errors_ok, >, 0);
    accel_stop(&a);
}

static void test_host_overflow_sets_ovflg(void)
{
    Accel a;
    unsigned injected;
    uint32_t prod;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    write_ste(&a, DEV_SID, s1_ste0(), 0);
    cfgi_ste(&a, DEV_SID);
    g_assert_cmpuint(FIELD_EX32(rd(&a, A_EVENTQ_PROD), EVENTQ_PROD, OVFLG),
                     ==, 0);
    /* The host queue overflows before QEMU reads it */
    g_assert_cmpint(hm_client_overflow(a.hm, "vfio0", &injected), ==, 0);
    for (int i = 0; i < 2000; i++) {
        prod = rd(&a, A_EVENTQ_PROD);
        if (FIELD_EX32(prod, EVENTQ_PROD, OVFLG)) {
            break;
        }
        g_usleep(1000);
    }
    g_assert_cmpuint(FIELD_EX32(prod, EVENTQ_PROD, OVFLG), ==, 1);
    accel_stop(&a);
}

/*
 * Events come from transactions and commands only.  Enabling the SMMU
 * with the assigned stream beyond the stream table (a device-tree guest's
 * small table) or with a bad STE, and writing CR0 and GBPA again, write
 * nothing into the event queue; a CFGI_STE of the stream reports it.
 */
static void test_no_event_without_command(void)
{
    Accel a;
    uint64_t evt[4], ste[4];
    int ats;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    wrq(&a, A_STRTAB_BASE, STRTAB);
    wr(&a, A_STRTAB_BASE_CFG, 3);
    wrq(&a, A_CMDQ_BASE, CMDQ | QLOG2);
    wrq(&a, A_EVENTQ_BASE, EVTQ | QLOG2);
    wr(&a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    g_assert_cmphex(rd(&a, A_EVENTQ_PROD), ==, 0);
    /* Beyond the table: aborted on the host */
    g_assert_cmpint(hm_client_get_ste(a.hm, "vfio0", ste, &ats), ==, 0);
    g_assert_cmphex((ste[0] >> 1) & 7, ==, 0);

    /* Config=stage-2 (never offered), installed by register writes */
    write_bad_ste(&a);
    wr(&a, A_CR0, CR0_EVENTQEN | CR0_CMDQEN);
    wr(&a, A_STRTAB_BASE_CFG, QLOG2);
    wr(&a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    wr(&a, A_CR0, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    g_assert_cmphex(rd(&a, A_EVENTQ_PROD), ==, 0);

    cfgi_ste(&a, DEV_SID);
    g_assert_cmphex(rd(&a, A_EVENTQ_PROD), ==, 1);
    qtest_memread(a.qts, EVTQ, evt, sizeof(evt));
    g_assert_cmphex(le64_to_cpu(evt[0]) & 0xff, ==, EVT_C_BAD_STE);
    accel_stop(&a);
}

/*
 * An event queue on the flash: the records are not written (each would be
 * several writes to the flash's command register, each a mode flip and a
 * memory remap QEMU frees only once the trap is over), the SMMU reports
 * GERROR.EVENTQ_ABT_ERR, and one trap raising many events leaves QEMU's
 * peak memory where it was.
 */
static void test_queue_outside_ram_aborts(void)
{
    const unsigned n = 1000;
    Accel a;
    long before, after;
    uint32_t gerror;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    queues_at(&a, CMDQ, 11, FLASH_CMD, 11);
    write_bad_ste(&a);
    for (unsigned i = 0; i < n; i++) {
        queue_cmd(&a, OP_CFGI_STE | (uint64_t)DEV_SID << 32, 1);
    }
    queue_cmd(&a, OP_CMD_SYNC, 0);
    before = qemu_peak_rss_kb(&a);
    kick(&a);
    after = qemu_peak_rss_kb(&a);
    g_test_message("peak RSS %ld -> %ld KiB", before, after);
    g_assert_cmpint(after - before, <, PASS_MEM_KB);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS) & 0xfffff, ==, a.prod);
    gerror = rd(&a, A_GERROR) ^ rd(&a, A_GERRORN);
    g_assert_cmpuint(FIELD_EX32(gerror, GERROR, EVENTQ_ABT_ERR), ==, 1);
    g_assert_cmpuint(rd(&a, A_EVENTQ_PROD), ==, 0);
    accel_stop(&a);
}

/*
 * Queue bases are bits [51:5]: a queue of 32 bytes may start on any
 * 32-byte boundary.  A two-command queue and a one-event queue, each at
 * +0x20, with an illegal command and a marker below them: the commands
 * are read, and the event written, at +0x20.
 */
static void test_queues_on_32_byte_boundaries(void)
{
    uint64_t below[4] = { cpu_to_le64(0x7f), 0, cpu_to_le64(0x7f), 0 };
    uint64_t cmds[4] = { cpu_to_le64(OP_CFGI_STE | (uint64_t)DEV_SID << 32),
                         cpu_to_le64(1), cpu_to_le64(OP_CMD_SYNC), 0 };
    const uint64_t marker = 0x6d61726b6d61726bULL;
    uint64_t evt[4], mark[4] = { marker, marker, marker, marker };
    Accel a;

    if (!accel_start(&a, "grace", "")) {
        return;
    }
    guest_enable(&a);
    queues_at(&a, CMDQ + 0x20, 1, EVTQ + 0x20, 0);
    qtest_memwrite(a.qts, CMDQ, below, sizeof(below));
    qtest_memwrite(a.qts, CMDQ + 0x20, cmds, sizeof(cmds));
    qtest_memwrite(a.qts, EVTQ, mark, sizeof(mark));
    qtest_memwrite(a.qts, EVTQ + 0x20, mark, sizeof(mark));
    /* A refused STE: its CFGI_STE records C_BAD_STE */
    write_bad_ste(&a);

    wr(&a, A_CMDQ_PROD, 2);
    g_assert_cmpuint(rd(&a, A_CMDQ_CONS), ==, 2);
    g_assert_cmpuint(rd(&a, A_EVENTQ_PROD), ==, 1);
    qtest_memread(a.qts, EVTQ, evt, sizeof(evt));
    for (int i = 0; i < 4; i++) {
        g_assert_cmphex(evt[i], ==, marker);
    }
    qtest_memread(a.qts, EVTQ + 0x20, evt, sizeof(evt));
    g_assert_cmphex(le64_to_cpu(evt[0]) & 0xff, ==, EVT_C_BAD_STE);
    accel_stop(&a);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/arm-smmuv3-accel/evtq/relay-and-free", test_events);
    qtest_add_func("/arm-smmuv3-accel/evtq/failed-read-keeps-relaying",
                   test_failed_read_keeps_relaying);
    qtest_add_func("/arm-smmuv3-accel/evtq/queue-outside-ram-aborts",
                   test_queue_outside_ram_aborts);
    qtest_add_func("/arm-smmuv3-accel/evtq/queues-on-32-byte-boundaries",
                   test_queues_on_32_byte_boundaries);
    qtest_add_func("/arm-smmuv3-accel/evtq/survives-reset-loop",
                   test_evtq_survives_reset_loop);
    qtest_add_func("/arm-smmuv3-accel/evtq/host-overflow-sets-ovflg",
                   test_host_overflow_sets_ovflg);
    qtest_add_func("/arm-smmuv3-accel/evtq/no-event-without-command",
                   test_no_event_without_command);
    return g_test_run();
}
