/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Reading an iommufd vEVENTQ (ARM SMMUv3 type) in the end-to-end programs:
 * every record the kernel returns, kept in arrival order.
 */

#ifndef VEVENT_H
#define VEVENT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct VEvent {
    uint32_t flags;
    uint32_t seq;
    bool lost;          /* header-only IOMMU_VEVENTQ_FLAG_LOST_EVENTS */
    uint64_t evt[4];
} VEvent;

/*
 * Wait up to wait_ms for the queue to become readable, let late events
 * arrive for settle_ms, then read until the queue is empty.  Returns the
 * number of records stored (at most max), or -1 with errno set when a
 * read failed.
 */
int vevent_collect(int fd, VEvent *out, int max, int wait_ms, int settle_ms);

/* Read everything pending and drop it; returns the number of records. */
int vevent_drain(int fd);

#endif
