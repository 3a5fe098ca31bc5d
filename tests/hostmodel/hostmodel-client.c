/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model control client: one request line, one reply line.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostmodel-client.h"

struct HmClient {
    int fd;
    char *reply;
    size_t cap;
};

HmClient *hm_client_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    HmClient *c;

    if (!path || strlen(path) >= sizeof(sa.sun_path)) {
        errno = EINVAL;
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        return NULL;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 ||
        connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int err = errno;

        if (c->fd >= 0) {
            close(c->fd);
        }
        free(c);
        errno = err;
        return NULL;
    }
    return c;
}

HmClient *hm_client_connect_env(void)
{
    return hm_client_connect(getenv("HOSTMODEL_CONTROL"));
}

void hm_client_close(HmClient *c)
{
    if (c) {
        close(c->fd);
        free(c->reply);
        free(c);
    }
}

const char *hm_client_last_reply(HmClient *c)
{
    return c->reply ? c->reply : "";
}

int hm_client_command(HmClient *c, const char *line)
{
    size_t len = strlen(line), used = 0;
    char *nl;

    while (len) {
        ssize_t w = write(c->fd, line, len);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -errno;
        }
        line += w;
        len -= w;
    }
    if (write(c->fd, "\n", 1) != 1) {
        return -errno;
    }
    for (;;) {
        ssize_t r;

        if (used + 4096 > c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 65536;
            char *p = realloc(c->reply, cap);

            if (!p) {
                return -ENOMEM;
            }
            c->reply = p;
            c->cap = cap;
        }
        r = read(c->fd, c->reply + used, c->cap - used - 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return r < 0 ? -errno : -ECONNRESET;
        }
        used += r;
        c->reply[used] = '\0';
        nl = strchr(c->reply, '\n');
        if (nl) {
            *nl = '\0';
            break;
        }
    }
    return strncmp(c->reply, "ok", 2) ? -1 : 0;
}

static int hm_client_cmdf(HmClient *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int hm_client_cmdf(HmClient *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return hm_client_command(c, line);
}

int hm_client_ping(HmClient *c)
{
    return hm_client_command(c, "ping");
}

int hm_client_fail_nth(HmClient *c, const char *ioctl_name, unsigned nth,
                       int err)
{
    return hm_client_cmdf(c, "fail %s %u %d", ioctl_name, nth, err);
}

int hm_client_fail_sync(HmClient *c, const char *smmu, unsigned nth, int err)
{
    if (!err) {
        return hm_client_cmdf(c, "fail-sync %s %u", smmu, nth);
    }
    return hm_client_cmdf(c, "fail-sync %s %u %d", smmu, nth, err);
}

int hm_client_fail_clear(HmClient *c)
{
    return hm_client_command(c, "fail-clear");
}

static void hm_client_parse_seq(HmClient *c, uint32_t *seq)
{
    const char *p = strstr(c->reply, "seq=");
    uint64_t v;

    if (p && seq) {
        hm_strtou64(p + 4, NULL, 10, &v);
        *seq = v;
    }
}

int hm_client_inject_event(HmClient *c, const char *dev,
                           const uint64_t evt[4], uint32_t *seq)
{
    int rc = hm_client_cmdf(c, "event %s %llx %llx %llx %llx", dev,
                            (unsigned long long)evt[0],
                            (unsigned long long)evt[1],
                            (unsigned long long)evt[2],
                            (unsigned long long)evt[3]);

    if (rc) {
        return rc < -1 ? rc : -1;
    }
    hm_client_parse_seq(c, seq);
    if (!strncmp(c->reply, "ok forwarded", 12)) {
        return 0;
    }
    if (!strncmp(c->reply, "ok lost", 7)) {
        return 1;
    }
    return -1;
}

int hm_client_overflow(HmClient *c, const char *dev, unsigned *injected)
{
    int rc = hm_client_cmdf(c, "overflow %s", dev);
    const char *p;

    if (rc == 0 && injected) {
        p = strstr(c->reply, "injected=");
        if (p) {
            uint64_t v;

            hm_strtou64(p + 9, NULL, 10, &v);
            *injected = v;
        }
    }
    return rc;
}

int hm_client_signal(HmClient *c, const char *what, const char *dev,
                     unsigned vector)
{
    return hm_client_cmdf(c, "%s %s %u", what, dev, vector);
}

int hm_client_signal_msi(HmClient *c, const char *dev, unsigned vector)
{
    return hm_client_signal(c, "msi", dev, vector);
}

long hm_client_get_cmds_src(HmClient *c, const char *smmu,
                            uint64_t (*cmds)[2], int *src, size_t max)
{
    const char *p, *end;
    int64_t total, q;
    size_t i;
    int rc = hm_client_cmdf(c, "cmds %s", smmu);

    if (rc) {
        return rc < -1 ? rc : -1;
    }
    hm_strtoi64(c->reply + 3, &p, 10, &total);
    for (i = 0; i < max && i < (size_t)total; i++) {
        hm_strtou64(p, &end, 16, &cmds[i][0]);
        if (*end != ':') {
            break;
        }
        hm_strtou64(end + 1, &p, 16, &cmds[i][1]);
        q = -1;
        if (p[0] == '@' && p[1] == 'v') {
            hm_strtoi64(p + 2, &p, 10, &q);
        }
        if (src) {
            src[i] = q;
        }
    }
    return total;
}

long hm_client_get_cmds(HmClient *c, const char *smmu, uint64_t (*cmds)[2],
                        size_t max)
{
    return hm_client_get_cmds_src(c, smmu, cmds, NULL, max);
}

int hm_client_clear_cmds(HmClient *c, const char *smmu)
{
    if (!smmu) {
        return hm_client_command(c, "cmds-clear");
    }
    return hm_client_cmdf(c, "cmds-clear %s", smmu);
}

int hm_client_count_objects(HmClient *c, const char *type)
{
    int rc = hm_client_cmdf(c, "count %s", type ? type : "all");

    if (rc) {
        return rc < -1 ? rc : -1;
    }
    return atoi(c->reply + 3);
}

int hm_client_report(HmClient *c)
{
    return hm_client_command(c, "report");
}

int hm_client_get_ste(HmClient *c, const char *dev, uint64_t ste[4],
                      int *ats_enabled)
{
    const char *p;
    int rc = hm_client_cmdf(c, "ste %s", dev);

    if (rc) {
        return rc;
    }
    p = c->reply + 2;
    for (int i = 0; i < 4; i++) {
        hm_strtou64(p, &p, 16, &ste[i]);
    }
    p = strstr(c->reply, "ats=");
    if (ats_enabled && p) {
        *ats_enabled = atoi(p + 4);
    }
    return 0;
}
