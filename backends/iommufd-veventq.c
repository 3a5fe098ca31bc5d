/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Reader of an iommufd vEVENTQ file descriptor.
 *
 * Each read() returns whole records: a struct iommufd_vevent_header
 * followed by the type's payload, or a header alone flagged
 * IOMMU_VEVENTQ_FLAG_LOST_EVENTS when the queue overflowed.  Sequence
 * numbers run from 0 to INT_MAX and wrap to 0; events the kernel dropped
 * still consume a sequence number, so a gap counts them.
 */

#include "qemu/osdep.h"
#include <linux/iommufd.h>
#include "qemu/error-report.h"
#include "system/iommufd-veventq.h"
#include "trace.h"

#define SEQ_MASK ((uint32_t)INT32_MAX)

void iommufd_veventq_reader_init(IOMMUFDVeventqReader *r, int fd,
                                 size_t payload_len, uint32_t depth,
                                 IOMMUFDVeventFn *event,
                                 IOMMUFDVeventLostFn *lost, void *opaque)
{
    size_t rec = sizeof(struct iommufd_vevent_header) + payload_len;

    *r = (IOMMUFDVeventqReader) {
        .fd = fd,
        .payload_len = payload_len,
        .event = event,
        .lost = lost,
        .opaque = opaque,
        /* Room for a full queue plus the trailing LOST_EVENTS header */
        .buf_len = rec * MAX(depth, 1) + sizeof(struct iommufd_vevent_header),
    };
    r->buf = g_malloc(r->buf_len);
}

void iommufd_veventq_reader_cleanup(IOMMUFDVeventqReader *r)
{
    g_free(r->buf);
    r->buf = NULL;
}

static void iommufd_veventq_report_lost(IOMMUFDVeventqReader *r,
                                        uint32_t count)
{
    r->n_lost += count;
    trace_iommufd_veventq_lost(r->fd, count, r->next_seq);
    r->lost(r->opaque, count);
}

static void iommufd_veventq_report_malformed(IOMMUFDVeventqReader *r,
                                             const char *why, size_t offset,
                                             size_t len)
{
    r->n_malformed++;
    trace_iommufd_veventq_malformed(r->fd, why, offset, len);
    if (!r->malformed_reported) {
        r->malformed_reported = true;
        warn_report("vEVENTQ fd %d: %s at byte %zu of a %zu-byte read; "
                    "the rest of the read is dropped (reported once)",
                    r->fd, why, offset, len);
    }
}

/*
 * Account for the events between the expected sequence number and @seq.
 * A number behind the expected one cannot come from the kernel's counter:
 * resynchronise and count one unknown loss.
 */
static void iommufd_veventq_check_sequence(IOMMUFDVeventqReader *r,
                                           uint32_t seq)
{
    uint32_t gap;

    if (!r->synced) {
        r->synced = true;
        r->next_seq = seq;
    }
    gap = (seq - r->next_seq) & SEQ_MASK;
    if (gap > SEQ_MASK / 2) {
        gap = 1;
    }
    if (gap) {
        iommufd_veventq_report_lost(r, gap);
    }
    r->next_seq = (seq + 1) & SEQ_MASK;
}

void iommufd_veventq_reader_parse(IOMMUFDVeventqReader *r, const void *buf,
                                  size_t len)
{
    const uint8_t *p = buf;
    size_t off = 0;

    while (off < len) {
        struct iommufd_vevent_header hdr;

        if (len - off < sizeof(hdr)) {
            iommufd_veventq_report_malformed(r, "truncated record header",
                                             off, len);
            return;
        }
        memcpy(&hdr, p + off, sizeof(hdr));
        off += sizeof(hdr);

        if (hdr.flags & ~IOMMU_VEVENTQ_FLAG_LOST_EVENTS) {
            iommufd_veventq_report_malformed(r, "unknown header flags",
                                             off - sizeof(hdr), len);
            return;
        }
        if (hdr.sequence > SEQ_MASK) {
            iommufd_veventq_report_malformed(r,
                                             "sequence number above INT_MAX",
                                             off - sizeof(hdr), len);
            return;
        }
        if (hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) {
            /*
             * The header carries the sequence number of the last dropped
             * event; no payload follows it.
             */
            uint32_t count = 1;

            if (r->synced) {
                count += (hdr.sequence - r->next_seq) & SEQ_MASK;
                if (count - 1 > SEQ_MASK / 2) {
                    count = 1;
                }
            }
            r->synced = true;
            r->next_seq = (hdr.sequence + 1) & SEQ_MASK;
            iommufd_veventq_report_lost(r, count);
            continue;
        }
        if (len - off < r->payload_len) {
            iommufd_veventq_report_malformed(r, "truncated record payload",
                                             off, len);
            return;
        }
        iommufd_veventq_check_sequence(r, hdr.sequence);
        r->n_events++;
        trace_iommufd_veventq_record(r->fd, hdr.sequence);
        r->event(r->opaque, p + off, r->payload_len);
        off += r->payload_len;
    }
}

int iommufd_veventq_reader_drain(IOMMUFDVeventqReader *r)
{
    uint64_t before = r->n_events;

    /*
     * A host flooding events must not hold the main loop: the fd stays
     * readable and the next iteration reads on
     */
    for (int reads = 0; reads < IOMMUFD_VEVENTQ_DRAIN_READS; reads++) {
        ssize_t n = read(r->fd, r->buf, r->buf_len);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            return -errno;
        }
        if (n == 0) {
            break;
        }
        iommufd_veventq_reader_parse(r, r->buf, n);
    }
    return r->n_events - before;
}
