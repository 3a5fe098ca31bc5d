/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Reader of an iommufd vEVENTQ file descriptor: validates every record,
 * detects lost events (sequence gaps, wrapping at INT_MAX, and the
 * LOST_EVENTS header) and hands complete records to a callback.
 */

#ifndef SYSTEM_IOMMUFD_VEVENTQ_H
#define SYSTEM_IOMMUFD_VEVENTQ_H

/* One complete record's payload, @len bytes (the type's record size) */
typedef void IOMMUFDVeventFn(void *opaque, const void *payload, size_t len);
/* At least @count events were lost before the next record */
typedef void IOMMUFDVeventLostFn(void *opaque, uint32_t count);

typedef struct IOMMUFDVeventqReader {
    int fd;
    size_t payload_len;
    IOMMUFDVeventFn *event;
    IOMMUFDVeventLostFn *lost;
    void *opaque;

    /* Sequence number expected next, once the first record was seen */
    bool synced;
    uint32_t next_seq;
    /* A malformed read is reported once per reader */
    bool malformed_reported;

    uint8_t *buf;
    size_t buf_len;

    /* Counters, for observability */
    uint64_t n_events;
    uint64_t n_lost;
    uint64_t n_malformed;
} IOMMUFDVeventqReader;

/*
 * @fd is owned by the caller and must be non-blocking.  @payload_len is
 * the record size of the queue's type; @depth sizes the read buffer.
 */
void iommufd_veventq_reader_init(IOMMUFDVeventqReader *r, int fd,
                                 size_t payload_len, uint32_t depth,
                                 IOMMUFDVeventFn *event,
                                 IOMMUFDVeventLostFn *lost, void *opaque);
void iommufd_veventq_reader_cleanup(IOMMUFDVeventqReader *r);

/* Reads per drain: a full queue each, at most */
#define IOMMUFD_VEVENTQ_DRAIN_READS 8

/*
 * Read until the queue is empty, or IOMMUFD_VEVENTQ_DRAIN_READS reads,
 * and dispatch what was read.  Returns the number of records delivered,
 * or -errno on a read error.
 */
int iommufd_veventq_reader_drain(IOMMUFDVeventqReader *r);

/* Dispatch the records in @buf, as returned by one read() */
void iommufd_veventq_reader_parse(IOMMUFDVeventqReader *r, const void *buf,
                                  size_t len);

#endif
