/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The vEVENTQ record reader: record validation, lost-event accounting
 * (sequence gaps, the INT_MAX wrap, the LOST_EVENTS header), malformed
 * reads reported once, and draining a non-blocking fd.
 *
 * A SOCK_SEQPACKET socket stands in for the vEVENTQ fd: each send() is
 * what one read() of the kernel's queue returns.
 */

#include "qemu/osdep.h"
#include <sys/socket.h>
#include <linux/iommufd.h>
#include "system/iommufd-veventq.h"

#define PAYLOAD_LEN sizeof(struct iommu_vevent_arm_smmuv3)

typedef struct Seen {
    GArray *first_words;   /* evt[0] of each record delivered */
    GArray *lost;          /* each lost-callback count */
} Seen;

typedef struct Fixture {
    int fds[2];            /* [0]: reader side, [1]: "kernel" side */
    IOMMUFDVeventqReader r;
    Seen seen;
    unsigned malformed;    /* what the test expects the reader to count */
} Fixture;

static void on_event(void *opaque, const void *payload, size_t len)
{
    Seen *s = opaque;
    struct iommu_vevent_arm_smmuv3 evt;

    g_assert_cmpuint(len, ==, PAYLOAD_LEN);
    memcpy(&evt, payload, sizeof(evt));
    g_array_append_val(s->first_words, evt.evt[0]);
}

static void on_lost(void *opaque, uint32_t count)
{
    Seen *s = opaque;

    g_array_append_val(s->lost, count);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, f->fds), ==, 0);
    g_assert_true(g_unix_set_fd_nonblocking(f->fds[0], true, NULL));
    f->seen.first_words = g_array_new(false, false, sizeof(uint64_t));
    f->seen.lost = g_array_new(false, false, sizeof(uint32_t));
    iommufd_veventq_reader_init(&f->r, f->fds[0], PAYLOAD_LEN, 64,
                                on_event, on_lost, &f->seen);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    /* Well-formed input is never counted as malformed */
    g_assert_cmpuint(f->r.n_malformed, ==, f->malformed);
    iommufd_veventq_reader_cleanup(&f->r);
    close(f->fds[0]);
    if (f->fds[1] >= 0) {
        close(f->fds[1]);
    }
    g_array_free(f->seen.first_words, true);
    g_array_free(f->seen.lost, true);
}

/* A buffer of records, as one read() would return them */
typedef struct Rec {
    uint32_t flags;
    uint32_t seq;
    uint64_t word0;
} Rec;

static void send_records(Fixture *f, const Rec *recs, int n, size_t cut)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    for (int i = 0; i < n; i++) {
        struct iommufd_vevent_header h = {
            .flags = recs[i].flags, .sequence = recs[i].seq,
        };
        struct iommu_vevent_arm_smmuv3 e = { .evt = { recs[i].word0 } };

        g_byte_array_append(b, (guint8 *)&h, sizeof(h));
        if (!(recs[i].flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS)) {
            g_byte_array_append(b, (guint8 *)&e, sizeof(e));
        }
    }
    g_assert_cmpuint(cut, <=, b->len);
    g_assert_cmpint(send(f->fds[1], b->data, b->len - cut, 0), ==,
                    b->len - cut);
}

static uint32_t lost_at(Fixture *f, int i)
{
    g_assert_cmpuint(f->seen.lost->len, >, i);
    return g_array_index(f->seen.lost, uint32_t, i);
}

static void test_in_order(Fixture *f, gconstpointer data)
{
    Rec recs[] = { { 0, 0, 0x10 }, { 0, 1, 0x11 }, { 0, 2, 0x12 } };

    send_records(f, recs, 3, 0);
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 3);
    g_assert_cmpuint(f->seen.first_words->len, ==, 3);
    g_assert_cmphex(g_array_index(f->seen.first_words, uint64_t, 2), ==, 0x12);
    g_assert_cmpuint(f->seen.lost->len, ==, 0);
    g_assert_cmpuint(f->r.n_lost, ==, 0);
}

static void test_records_across_reads(Fixture *f, gconstpointer data)
{
    Rec a[] = { { 0, 5, 1 } }, b[] = { { 0, 6, 2 }, { 0, 7, 3 } };

    send_records(f, a, 1, 0);
    send_records(f, b, 2, 0);
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 3);
    g_assert_cmpuint(f->seen.lost->len, ==, 0);
    /* Nothing more to read: a second drain delivers nothing */
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 0);
}

static void test_sequence_gap(Fixture *f, gconstpointer data)
{
    Rec recs[] = { { 0, 3, 1 }, { 0, 7, 2 } };

    send_records(f, recs, 2, 0);
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 2);
    g_assert_cmpuint(f->seen.lost->len, ==, 1);
    g_assert_cmpuint(lost_at(f, 0), ==, 3);
}

static void test_wrap_at_int_max(Fixture *f, gconstpointer data)
{
    Rec recs[] = { { 0, INT32_MAX - 1, 1 }, { 0, INT32_MAX, 2 }, { 0, 0, 3 },
                   { 0, 1, 4 } };

    send_records(f, recs, 4, 0);
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 4);
    g_assert_cmpuint(f->seen.lost->len, ==, 0);
}

static void test_gap_across_wrap(Fixture *f, gconstpointer data)
{
    /* INT_MAX and 0 are missing */
    Rec recs[] = { { 0, INT32_MAX - 1, 1 }, { 0, 1, 2 } };

    send_records(f, recs, 2, 0);
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 2);
    g_assert_cmpuint(lost_at(f, 0), ==, 2);
}

static void test_lost_events_header(Fixture *f, gconstpointer data)
{
    /* 4, 5 and 6 were dropped; the header carries the last one's number */
    Rec recs[] = { { 0, 3, 1 },
                   { IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 6, 0 },
                   { 0, 7, 2 } };

    send_records(f, recs, 3, 0);
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 2);
    g_assert_cmpuint(f->seen.lost->len, ==, 1);
    g_assert_cmpuint(lost_at(f, 0), ==, 3);
    g_assert_cmpuint(f->r.n_lost, ==, 3);
}

static void test_lost_header_first(Fixture *f, gconstpointer data)
{
    Rec recs[] = { { IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 9, 0 }, { 0, 10, 1 } };

    send_records(f, recs, 2, 0);
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 1);
    g_assert_cmpuint(f->seen.lost->len, ==, 1);
    g_assert_cmpuint(lost_at(f, 0), ==, 1);
}

static void test_unknown_flags_reported_once(Fixture *f, gconstpointer data)
{
    Rec bad[] = { { 0, 0, 1 }, { 0x80, 1, 2 }, { 0, 2, 3 } };

    send_records(f, bad, 3, 0);
    send_records(f, bad, 3, 0);
    /* The first record of each read is good; the rest is dropped */
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 2);
    g_assert_cmpuint(f->r.n_malformed, ==, 2);
    f->malformed = 2;
    g_assert_true(f->r.malformed_reported);
}

static void test_truncated_payload(Fixture *f, gconstpointer data)
{
    Rec recs[] = { { 0, 0, 1 }, { 0, 1, 2 } };

    /* The second record loses its last 8 bytes */
    send_records(f, recs, 2, 8);
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 1);
    g_assert_cmpuint(f->r.n_malformed, ==, 1);
    f->malformed = 1;
    g_assert_cmpuint(f->seen.first_words->len, ==, 1);
}

static void test_truncated_header(Fixture *f, gconstpointer data)
{
    Rec recs[] = { { 0, 0, 1 }, { IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 1, 0 } };

    send_records(f, recs, 2, 4);
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 1);
    g_assert_cmpuint(f->r.n_malformed, ==, 1);
    f->malformed = 1;
    g_assert_cmpuint(f->seen.lost->len, ==, 0);
}

static void test_sequence_above_int_max(Fixture *f, gconstpointer data)
{
    Rec recs[] = { { 0, 0x80000000u, 1 } };

    send_records(f, recs, 1, 0);
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 0);
    g_assert_cmpuint(f->r.n_malformed, ==, 1);
    f->malformed = 1;
}

static void test_read_error(Fixture *f, gconstpointer data)
{
    IOMMUFDVeventqReader r;

    iommufd_veventq_reader_init(&r, 1000000, PAYLOAD_LEN, 4, on_event,
                                on_lost, &f->seen);
    g_assert_cmpint(iommufd_veventq_reader_drain(&r), ==, -EBADF);
    iommufd_veventq_reader_cleanup(&r);
}

/* A flood is read in bounded bites: the main loop comes back for more */
static void test_drain_bounded(Fixture *f, gconstpointer data)
{
    int n = IOMMUFD_VEVENTQ_DRAIN_READS + 3;

    for (int i = 0; i < n; i++) {
        Rec rec = { 0, i, 0x100 + i };

        send_records(f, &rec, 1, 0);
    }
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==,
                    IOMMUFD_VEVENTQ_DRAIN_READS);
    g_assert_cmpint(iommufd_veventq_reader_drain(&f->r), ==, 3);
    g_assert_cmpuint(f->seen.first_words->len, ==, n);
    g_assert_cmpuint(f->r.n_lost, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add("/iommufd/veventq/" path, Fixture, NULL, fixture_setup, fn, \
               fixture_teardown)
    ADD("in-order", test_in_order);
    ADD("records-across-reads", test_records_across_reads);
    ADD("sequence-gap-counts-lost", test_sequence_gap);
    ADD("wrap-at-int-max-is-not-loss", test_wrap_at_int_max);
    ADD("gap-across-wrap", test_gap_across_wrap);
    ADD("lost-events-header-counts-dropped", test_lost_events_header);
    ADD("lost-events-header-first", test_lost_header_first);
    ADD("unknown-flags-reported-once", test_unknown_flags_reported_once);
    ADD("truncated-payload", test_truncated_payload);
    ADD("truncated-header", test_truncated_header);
    ADD("sequence-above-int-max", test_sequence_above_int_max);
    ADD("read-error", test_read_error);
    ADD("drain-bounded", test_drain_bounded);
    return g_test_run();
}
