/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Reading an iommufd vEVENTQ (see vevent.h).  A read() returns whole
 * records: a struct iommufd_vevent_header, then the 32-byte event unless
 * the header is the LOST_EVENTS one; a read of an empty queue returns 0.
 */

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include "vevent.h"

static int read_once(int fd, VEvent *out, int max, int *n)
{
    uint8_t buf[4096];
    size_t off = 0;
    ssize_t len = read(fd, buf, sizeof(buf));

    if (len < 0) {
        return -1;
    }
    while (off + sizeof(struct iommufd_vevent_header) <= (size_t)len) {
        struct iommufd_vevent_header hdr;
        VEvent ev = { 0 };

        memcpy(&hdr, buf + off, sizeof(hdr));
        off += sizeof(hdr);
        ev.flags = hdr.flags;
        ev.seq = hdr.sequence;
        ev.lost = hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
        if (!ev.lost) {
            if (off + sizeof(ev.evt) > (size_t)len) {
                break;
            }
            memcpy(ev.evt, buf + off, sizeof(ev.evt));
            off += sizeof(ev.evt);
        }
        if (*n < max) {
            out[*n] = ev;
        }
        (*n)++;
    }
    return len;
}

int vevent_collect(int fd, VEvent *out, int max, int wait_ms, int settle_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int n = 0;
    int len;

    if (poll(&p, 1, wait_ms) > 0 && settle_ms) {
        usleep(settle_ms * 1000);
    }
    do {
        len = read_once(fd, out, max, &n);
        if (len < 0) {
            return -1;
        }
    } while (len > 0);
    return n < max ? n : max;
}

int vevent_drain(int fd)
{
    VEvent ev[64];

    return vevent_collect(fd, ev, 64, 0, 0);
}
