/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Helpers shared by the arm-smmuv3 qtests.
 */

#ifndef ARM_SMMUV3_QTEST_H
#define ARM_SMMUV3_QTEST_H

#include "libqtest.h"
#include "hw/registerfields.h"

/* The SMMUv3 registers and ID fields the tests read (SMMUv3 architecture) */
REG32(IDR0, 0x0)
    FIELD(IDR0, S2P,         0, 1)
    FIELD(IDR0, S1P,         1, 1)
    FIELD(IDR0, TTF,         2, 2)
    FIELD(IDR0, COHACC,      4, 1)
    FIELD(IDR0, ATS,        10, 1)
    FIELD(IDR0, ASID16,     12, 1)
    FIELD(IDR0, MSI,        13, 1)
    FIELD(IDR0, VMID16,     18, 1)
    FIELD(IDR0, CD2L,       19, 1)
    FIELD(IDR0, TTENDIAN,   21, 2)
    FIELD(IDR0, STALL_MODEL, 24, 2)
    FIELD(IDR0, TERM_MODEL, 26, 1)
    FIELD(IDR0, STLEVEL,    27, 2)
REG32(IDR1, 0x4)
    FIELD(IDR1, SIDSIZE,     0, 6)
    FIELD(IDR1, SSIDSIZE,    6, 5)
    FIELD(IDR1, CMDQS,      21, 5)
REG32(IDR3, 0xc)
    FIELD(IDR3, HAD,         2, 1)
    FIELD(IDR3, FWB,         8, 1)
    FIELD(IDR3, RIL,        10, 1)
REG32(IDR5, 0x14)
    FIELD(IDR5, OAS,         0, 3)
    FIELD(IDR5, GRAN4K,      4, 1)
    FIELD(IDR5, GRAN16K,     5, 1)
    FIELD(IDR5, GRAN64K,     6, 1)
REG32(AIDR, 0x1c)

/*
 * The base and size of the first MMIO region named @name, from "info
 * mtree" (0 when there is none): a device created with -device lands on
 * the platform bus, at an address the machine picks.
 */
static inline uint64_t smmuv3_qtest_region(QTestState *qts, const char *name,
                                           uint64_t *size)
{
    g_autofree char *mtree = qtest_hmp(qts, "info mtree");
    g_autofree char *tag = g_strdup_printf("): %s", name);
    g_auto(GStrv) lines = g_strsplit(mtree, "\n", -1);

    for (int i = 0; lines[i]; i++) {
        if (strstr(lines[i], tag)) {
            char *end;
            uint64_t base = g_ascii_strtoull(g_strstrip(lines[i]), &end, 16);

            *size = g_ascii_strtoull(end + 1, NULL, 16) - base + 1;
            return base;
        }
    }
    return 0;
}

/* The MMIO base of the first arm-smmuv3 */
static inline uint64_t smmuv3_qtest_base(QTestState *qts)
{
    uint64_t size, base = smmuv3_qtest_region(qts, "arm-smmuv3", &size);

    g_assert_cmphex(base, !=, 0);
    return base;
}

/*
 * A QEMU that stops answering (a deadlock) fails the test after @seconds
 * instead of hanging it; 0 disarms.  libqtest kills QEMU when the test
 * process dies.
 */
static inline void smmuv3_qtest_watchdog_fire(int sig)
{
    static const char msg[] = "watchdog: QEMU stopped answering\n";

    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
        /* Nothing more to say */
    }
    abort();
}

static inline void smmuv3_qtest_watchdog(unsigned seconds)
{
    struct sigaction sa = { .sa_handler = smmuv3_qtest_watchdog_fire };

    sigaction(SIGALRM, &sa, NULL);
    alarm(seconds);
}

#endif
