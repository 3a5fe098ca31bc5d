/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hm-eventq.c: vEVENTQ allocation, forwarding, reads, lost
 * events and the sequence wrap.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include "test-hostmodel.h"

/* ---- vEVENTQ ---- */

typedef struct Rec {
    struct iommufd_vevent_header hdr;
    struct iommu_vevent_arm_smmuv3 evt;
} Rec;

/* A nest with an attached S1 nested HWPT, vSID 0x42, and a vEVENTQ */
static bool evt_setup(Nest *n, uint32_t depth, uint32_t *qid, int *qfd)
{
    uint32_t s1;

    if (!nest_setup(n, "vfio0")) {
        return false;
    }
    CHECK_ERR(vdev_alloc(n->ifd, n->viommu, n->devid, 0x42, NULL), 0);
    CHECK_ERR(nested_alloc(n->ifd, n->devid, n->viommu, STE_S1, 0, &s1), 0);
    CHECK_ERR(attach(n->dfd, s1, NULL), 0);
    CHECK_ERR(veventq_alloc(n->ifd, n->viommu, depth, qid, qfd), 0);
    return true;
}

static bool readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

bool t_veventq_alloc_rules(void)
{
    Nest n;
    uint32_t id;
    int fd;
    struct iommu_veventq_alloc q = {
        .size = sizeof(q), .type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
        .veventq_depth = 1,
    };

    if (!nest_setup(&n, "vfio0")) {
        return false;
    }
    q.viommu_id = n.viommu;
    q.veventq_depth = 0;
    CHECK_ERR(io(n.ifd, IOMMU_VEVENTQ_ALLOC, &q), EINVAL);
    q.veventq_depth = 1;
    q.type = IOMMU_VEVENTQ_TYPE_DEFAULT;
    CHECK_ERR(io(n.ifd, IOMMU_VEVENTQ_ALLOC, &q), EOPNOTSUPP);
    q.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
    q.flags = 1;
    CHECK_ERR(io(n.ifd, IOMMU_VEVENTQ_ALLOC, &q), EOPNOTSUPP);
    q.flags = 0;
    q.viommu_id = 99;
    CHECK_ERR(io(n.ifd, IOMMU_VEVENTQ_ALLOC, &q), ENOENT);
    CHECK_ERR(veventq_alloc(n.ifd, n.viommu, 8, &id, &fd), 0);
    /* one per type per vIOMMU */
    q.viommu_id = n.viommu;
    CHECK_ERR(io(n.ifd, IOMMU_VEVENTQ_ALLOC, &q), EEXIST);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    {
        char b[8];

        CHECK(pread(fd, b, 8, 0) < 0 && errno == ESPIPE);
        CHECK(write(fd, b, 8) < 0 && errno == EINVAL);
    }
    return true;
}

bool t_veventq_forward(void)
{
    Nest n;
    uint32_t qid, seq = 99;
    int qfd;
    Rec r;
    uint64_t evt[4] = { 0x10 | (0x999ULL << 32), 0x1234, 0xabc000, 0x5000 };

    if (!evt_setup(&n, 8, &qid, &qfd)) {
        return false;
    }
    CHECK(!readable(qfd));
    CHECK(read(qfd, &r, sizeof(r)) == 0);
    CHECK_ERR(hm_client_inject_event(cl, "vfio0", evt, &seq), 0);
    CHECK(seq == 0);
    CHECK(readable(qfd));
    CHECK(read(qfd, &r, sizeof(r)) == sizeof(r));
    CHECK(r.hdr.flags == 0 && r.hdr.sequence == 0);
    /* the SID field carries the vSID */
    CHECK(r.evt.evt[0] == (0x10 | (0x42ULL << 32)));
    CHECK(r.evt.evt[1] == 0x1234 && r.evt.evt[2] == 0xabc000 &&
          r.evt.evt[3] == 0x5000);
    CHECK(!readable(qfd));
    return true;
}

bool t_veventq_not_forwarded(void)
{
    Nest n;
    uint32_t qid, abrt;
    int qfd;
    uint64_t evt[4] = { 0x10, 0, 0, 0 };

    if (!evt_setup(&n, 64, &qid, &qfd)) {
        return false;
    }
    evt[0] = 0x01;      /* F_UUT: not a forwarded type */
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == -1);
    evt[0] = 0x10;
    evt[1] = 1ULL << 31;    /* stall */
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == -1);
    evt[1] = 1ULL << 39;    /* stage 2 */
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == -1);
    evt[1] = 0;
    for (unsigned id = 0; id < 256; id++) {
        bool fwd = id == 0x04 || id == 0x06 || id == 0x08 || id == 0x0a ||
                   (id >= 0x10 && id <= 0x13);
        uint64_t e[4] = { id, 0, 0, 0 };
        int rc = hm_client_inject_event(cl, "vfio0", e, NULL);

        if (rc != (fwd ? 0 : -1)) {
            printf("# event 0x%02x: %d\n", id, rc);
            return false;
        }
    }
    /* no vDEVICE at attach time: no vmaster, nothing forwarded */
    CHECK_ERR(nested_alloc(n.ifd, n.devid, n.viommu, STE_ABORT, 0, &abrt), 0);
    CHECK_ERR(attach(n.dfd, abrt, NULL), 0);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == 0);
    {
        int d1 = open_dev("vfio1");
        uint32_t dev1, a1;

        CHECK_ERR(bind_dev(d1, n.ifd, &dev1), 0);
        CHECK_ERR(nested_alloc(n.ifd, dev1, n.viommu, STE_ABORT, 0, &a1), 0);
        CHECK_ERR(attach(d1, a1, NULL), 0);
        CHECK(hm_client_inject_event(cl, "vfio1", evt, NULL) == -1);
        CHECK(strstr(hm_client_last_reply(cl), "no-vmaster"));
    }
    return true;
}

bool t_veventq_partial_reads(void)
{
    Nest n;
    uint32_t qid;
    int qfd;
    uint8_t buf[128];
    uint64_t evt[4] = { 0x12, 0, 0, 0 };

    if (!evt_setup(&n, 8, &qid, &qfd)) {
        return false;
    }
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == 0);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == 0);
    /* below a header, or too small for the first record: EINVAL (7.2) */
    CHECK(read(qfd, buf, 4) < 0 && errno == EINVAL);
    CHECK(read(qfd, buf, 8) < 0 && errno == EINVAL);
    CHECK(read(qfd, buf, 39) < 0 && errno == EINVAL);
    /* whole records only */
    CHECK(read(qfd, buf, 45) == 40);
    CHECK(read(qfd, buf, sizeof(buf)) == 40);
    CHECK(((struct iommufd_vevent_header *)buf)->sequence == 1);
    CHECK(read(qfd, buf, sizeof(buf)) == 0);
    CHECK(read(qfd, bad_ptr(), 40) == 0);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, NULL) == 0);
    CHECK(read(qfd, bad_ptr(), 40) < 0 && errno == EFAULT);
    return true;
}

bool t_veventq_overflow(void)
{
    Nest n;
    uint32_t qid, seq;
    int qfd;
    uint8_t buf[256];
    struct iommufd_vevent_header *h;
    uint64_t evt[4] = { 0x10, 0, 0, 0 };

    if (!evt_setup(&n, 2, &qid, &qfd)) {
        return false;
    }
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 && seq == 0);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 && seq == 1);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 1 && seq == 2);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 1 && seq == 3);
    /* two records and one header-only LOST_EVENTS record, sequence 3 */
    CHECK(read(qfd, buf, sizeof(buf)) == 40 + 40 + 8);
    h = (struct iommufd_vevent_header *)(buf + 80);
    CHECK(h->flags == IOMMU_VEVENTQ_FLAG_LOST_EVENTS && h->sequence == 3);
    CHECK(((struct iommufd_vevent_header *)buf)->sequence == 0);
    CHECK(!readable(qfd));
    /* the next event continues the sequence */
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 && seq == 4);
    CHECK(read(qfd, buf, sizeof(buf)) == 40);
    /* the lost header alone fits in 8 bytes; a newer event replaces it */
    {
        unsigned injected = 0;

        CHECK_ERR(hm_client_overflow(cl, "vfio0", &injected), 0);
        CHECK(injected == 3);
        CHECK(read(qfd, buf, 40) == 40);
        CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0);
        CHECK(read(qfd, buf, sizeof(buf)) == 80);
        h = (struct iommufd_vevent_header *)(buf + 40);
        CHECK(h->flags == 0 && h->sequence == 8);
    }
    return true;
}

bool t_veventq_wrap(void)
{
    Nest n;
    uint32_t qid, seq;
    int qfd;
    Rec r[3];
    uint64_t evt[4] = { 0x13, 0, 0, 0 };

    if (!evt_setup(&n, 8, &qid, &qfd)) {
        return false;
    }
    CHECK_ERR(hm_client_command(cl, "veventq-seq vfio0 2147483646"), 0);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 &&
          seq == INT_MAX - 1);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 &&
          seq == INT_MAX);
    CHECK(hm_client_inject_event(cl, "vfio0", evt, &seq) == 0 && seq == 0);
    CHECK(read(qfd, r, sizeof(r)) == sizeof(r));
    CHECK(r[0].hdr.sequence == INT_MAX - 1 && r[1].hdr.sequence == INT_MAX &&
          r[2].hdr.sequence == 0);
    return true;
}
