/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * io-bench: direct (uncached) reads from a block device, timed.  Each
 * read is one request to the device, so each maps and unmaps its buffer in
 * the IOMMU: with iommu.strict=1 every unmap is an invalidation.
 *
 * usage: io-bench [-n NAME] [-b BYTES] [-c COUNT] DEV
 * Prints one record, NAME_read (default "io_read"), with the reads, bytes
 * and nanoseconds it took; fails when a read fails or comes back short.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include "e2e-report.h"

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *name = "io";
    unsigned long bs = 4096, count = 2048, i;
    uint64_t size = 0, t0, ns;
    char step[64];
    void *buf;
    int fd, opt, err = 0;

    rep_init("io-bench");
    while ((opt = getopt(argc, argv, "n:b:c:")) != -1) {
        switch (opt) {
        case 'n':
            name = optarg;
            break;
        case 'b':
            if (sscanf(optarg, "%lu", &bs) != 1) {
                goto usage;
            }
            break;
        case 'c':
            if (sscanf(optarg, "%lu", &count) != 1) {
                goto usage;
            }
            break;
        default:
            goto usage;
        }
    }
    if (optind != argc - 1 || !bs || bs % 4096 || !count) {
        goto usage;
    }
    snprintf(step, sizeof(step), "%s_read", name);

    fd = open(argv[optind], O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) || size < bs ||
        posix_memalign(&buf, 4096, bs)) {
        err = errno;
        rep_begin(step, "open", "the block device opens for direct reads");
        rep_end_rc("ok", -1, err ? err : EINVAL);
        return 1;
    }

    t0 = now_ns();
    for (i = 0; i < count; i++) {
        off_t off = (off_t)((i * bs) % (size - size % bs));

        if (pread(fd, buf, bs, off) != (ssize_t)bs) {
            err = errno ? errno : EIO;
            break;
        }
    }
    ns = now_ns() - t0;

    rep_begin(step, "pread", "direct reads from the block device");
    rep_in_u64("block", bs);
    rep_out_u64("reads", i);
    rep_out_u64("bytes", (uint64_t)i * bs);
    rep_out_u64("ns", ns);
    rep_end_rc("ok", err ? -1 : 0, err);
    close(fd);
    return err ? 1 : 0;

usage:
    fprintf(stderr, "usage: io-bench [-n NAME] [-b BYTES] [-c COUNT] DEV\n");
    return 2;
}
