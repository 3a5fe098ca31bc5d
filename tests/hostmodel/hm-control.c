/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: the runtime control channel (HOSTMODEL_CONTROL).
 *
 * A thread serves a unix stream socket.  Each request is one line; each
 * reply is one line starting with "ok" or "err".  See README.md for the
 * commands; hostmodel-client.c is the C client.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hm-internal.h"
#include "hostmodel-client.h"

#define HM_REPLY_MAX (1 << 20)

static int hm_listen_fd = -1;
static pid_t hm_control_pid;
static pthread_t hm_control_thread;

static int hm_ctl_fail(char **argv, int argc, char *reply, size_t len)
{
    int err;
    uint64_t nth;

    if (argc != 4) {
        snprintf(reply, len, "err usage: fail IOCTL_NAME NTH ERRNO");
        return 0;
    }
    hm_strtou64(argv[2], NULL, 0, &nth);
    err = hm_errno_parse(argv[3]);
    if (nth == 0 || err <= 0) {
        snprintf(reply, len, "err bad nth or errno");
        return 0;
    }
    for (unsigned i = 0; i < sizeof(hm.fail) / sizeof(hm.fail[0]); i++) {
        if (!hm.fail[i].active) {
            hm.fail[i].active = 1;
            snprintf(hm.fail[i].name, sizeof(hm.fail[i].name), "%s",
                     argv[1]);
            hm.fail[i].remaining = nth;
            hm.fail[i].err = err;
            snprintf(reply, len, "ok");
            return 0;
        }
    }
    snprintf(reply, len, "err too many rules");
    return 0;
}

static int hm_ctl_fail_sync(char **argv, int argc, char *reply, size_t len)
{
    uint64_t nth;
    int err = ETIMEDOUT;

    if ((argc != 3 && argc != 4) || !hm_smmu_by_name(argv[1])) {
        snprintf(reply, len, "err usage: fail-sync SMMU NTH [ERRNO]");
        return 0;
    }
    hm_strtou64(argv[2], NULL, 0, &nth);
    if (argc == 4) {
        err = hm_errno_parse(argv[3]);
    }
    if (nth == 0 || err <= 0) {
        snprintf(reply, len, "err bad nth or errno");
        return 0;
    }
    for (unsigned i = 0; i < sizeof(hm.fail_sync) / sizeof(hm.fail_sync[0]);
         i++) {
        if (!hm.fail_sync[i].active) {
            hm.fail_sync[i].active = 1;
            snprintf(hm.fail_sync[i].name, sizeof(hm.fail_sync[i].name),
                     "%s", argv[1]);
            hm.fail_sync[i].remaining = nth;
            hm.fail_sync[i].err = err;
            snprintf(reply, len, "ok");
            return 0;
        }
    }
    snprintf(reply, len, "err too many rules");
    return 0;
}

static void hm_ctl_event(HmDevice *d, const uint64_t evt[4], char *reply,
                         size_t len)
{
    char why[32] = "";
    uint32_t vid = 0, seq = 0;
    int rc = hm_smmu_handle_event(d, evt, why, sizeof(why), &vid, &seq);

    if (rc == 0) {
        snprintf(reply, len, "ok forwarded viommu=%u seq=%u", vid, seq);
    } else if (rc == 1) {
        snprintf(reply, len, "ok lost viommu=%u seq=%u", vid, seq);
    } else {
        snprintf(reply, len, "ok dropped %s", why[0] ? why : "error");
    }
}

static void hm_ctl_cmds(HmSmmu *s, char *reply, size_t len)
{
    size_t o = snprintf(reply, len, "ok %zu", s->log_len);

    for (size_t i = 0; i < s->log_len && o + 40 < len; i++) {
        o += snprintf(reply + o, len - o, " %016llx:%016llx",
                      (unsigned long long)s->log[i].cmd[0],
                      (unsigned long long)s->log[i].cmd[1]);
        if (s->log[i].vcmdq >= 0) {
            /* consumed from the CMDQV's VCMDQ of that index */
            o += snprintf(reply + o, len - o, "@v%d", s->log[i].vcmdq);
        }
    }
}

static void hm_ctl_stats(char *reply, size_t len)
{
    size_t o = snprintf(reply, len, "ok");

    for (unsigned i = 0; i < hm.n_stats && o + 80 < len; i++) {
        o += snprintf(reply + o, len - o, " %s=%llu/%llu", hm.stats[i].name,
                      (unsigned long long)hm.stats[i].calls,
                      (unsigned long long)hm.stats[i].errors);
    }
}

static void hm_ctl_ste(HmDevice *d, char *reply, size_t len)
{
    char vm[24] = "-";

    if (d->has_vmaster) {
        snprintf(vm, sizeof(vm), "0x%x", d->vm_vsid);
    }
    snprintf(reply, len, "ok %016llx %016llx %016llx %016llx ats=%d "
             "vsid=%s bound=%d", (unsigned long long)d->ste[0],
             (unsigned long long)d->ste[1], (unsigned long long)d->ste[2],
             (unsigned long long)d->ste[3], d->ats_enabled, vm,
             d->bound != NULL);
}

static void hm_ctl_dispatch(char **argv, int argc, char *reply, size_t len)
{
    HmDevice *d = argc > 1 ? hm_device_by_name(argv[1]) : NULL;
    const char *cmd = argv[0];

    if (!strcmp(cmd, "ping")) {
        snprintf(reply, len, "ok hostmodel 1 pid=%d", (int)getpid());
    } else if (!strcmp(cmd, "fail")) {
        hm_ctl_fail(argv, argc, reply, len);
    } else if (!strcmp(cmd, "fail-sync")) {
        hm_ctl_fail_sync(argv, argc, reply, len);
    } else if (!strcmp(cmd, "fail-clear")) {
        memset(hm.fail, 0, sizeof(hm.fail));
        memset(hm.fail_sync, 0, sizeof(hm.fail_sync));
        snprintf(reply, len, "ok");
    } else if (!strcmp(cmd, "event")) {
        uint64_t evt[4];

        if (!d || argc != 6) {
            snprintf(reply, len, "err usage: event DEVICE W0 W1 W2 W3");
            return;
        }
        for (int i = 0; i < 4; i++) {
            hm_strtou64(argv[2 + i], NULL, 16, &evt[i]);
        }
        hm_ctl_event(d, evt, reply, len);
    } else if (!strcmp(cmd, "overflow")) {
        uint64_t evt[4] = { 0x10, 0, 0, 0 };   /* F_TRANSLATION */
        char why[32] = "";
        uint32_t vid, seq;
        unsigned n = 0;
        int rc;

        if (!d) {
            snprintf(reply, len, "err usage: overflow DEVICE");
            return;
        }
        do {
            evt[2] = 0x1000ULL * n;
            rc = hm_smmu_handle_event(d, evt, why, sizeof(why), &vid, &seq);
            n += rc >= 0;
        } while (rc == 0 && n < 1000000);
        if (rc < 0) {
            snprintf(reply, len, "err dropped %s", why);
        } else {
            snprintf(reply, len, "ok injected=%u lost_seq=%u", n, seq);
        }
    } else if (!strcmp(cmd, "msi") || !strcmp(cmd, "intx") ||
               !strcmp(cmd, "err") || !strcmp(cmd, "req")) {
        uint64_t vec = 0;
        int rc;

        if (argc > 2) {
            hm_strtou64(argv[2], NULL, 0, &vec);
        }
        if (!d) {
            snprintf(reply, len, "err usage: %s DEVICE [VECTOR]", cmd);
            return;
        }
        rc = hm_device_signal(d, cmd, (unsigned)vec);
        snprintf(reply, len, rc ? "err %s" : "ok", hm_errno_name(-rc));
    } else if (!strcmp(cmd, "cmds") || !strcmp(cmd, "cmds-clear")) {
        HmSmmu *s = argc > 1 ? hm_smmu_by_name(argv[1]) : NULL;

        if (cmd[4] == '-' && argc == 1) {
            for (unsigned i = 0; i < hm.cfg.n_smmus; i++) {
                hm.cfg.smmus[i].log_len = 0;
            }
            snprintf(reply, len, "ok");
        } else if (!s) {
            snprintf(reply, len, "err usage: %s SMMU", cmd);
        } else if (cmd[4] == '-') {
            s->log_len = 0;
            snprintf(reply, len, "ok");
        } else {
            hm_ctl_cmds(s, reply, len);
        }
    } else if (!strcmp(cmd, "objects")) {
        size_t o = snprintf(reply, len, "ok %u", hm_objects_count("all"));

        hm_objects_describe(reply + o, len - o, NULL);
    } else if (!strcmp(cmd, "count")) {
        snprintf(reply, len, "ok %u",
                 hm_objects_count(argc > 1 ? argv[1] : NULL));
    } else if (!strcmp(cmd, "stats")) {
        hm_ctl_stats(reply, len);
    } else if (!strcmp(cmd, "report")) {
        hm_report("report", NULL);
        snprintf(reply, len, hm.report_path[0] ? "ok" : "err no report file");
    } else if (!strcmp(cmd, "veventq-hold")) {
        uint64_t ms = 0;

        if (argc != 2 || hm_strtou64(argv[1], NULL, 0, &ms) || ms > 10000) {
            snprintf(reply, len, "err usage: veventq-hold MS (0 to 10000)");
            return;
        }
        hm.veventq_hold_ms = ms;
        snprintf(reply, len, "ok");
    } else if (!strcmp(cmd, "veventq-seq")) {
        HmVeventq *q = NULL;
        uint64_t seq;

        if (d && argc == 3 && d->has_vmaster) {
            q = hm_veventq_find(d->vm_viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3);
        }
        if (!q) {
            snprintf(reply, len, "err usage: veventq-seq DEVICE SEQ "
                     "(device attached with a vDEVICE and a vEVENTQ)");
            return;
        }
        /* lets a test reach the INT_MAX wrap without 2^31 events */
        hm_strtou64(argv[2], NULL, 0, &seq);
        q->sequence = seq & INT_MAX;
        snprintf(reply, len, "ok");
    } else if (!strcmp(cmd, "ste")) {
        if (!d) {
            snprintf(reply, len, "err usage: ste DEVICE");
            return;
        }
        hm_ctl_ste(d, reply, len);
    } else {
        snprintf(reply, len, "err unknown command '%s'", cmd);
    }
}

void hm_control_exec(const char *line, char *reply, size_t len)
{
    char buf[1024], *argv[16], *save = NULL, *tok;
    int argc = 0;

    snprintf(buf, sizeof(buf), "%s", line);
    for (tok = strtok_r(buf, " \t\r\n", &save); tok && argc < 16;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        argv[argc++] = tok;
    }
    if (argc == 0) {
        snprintf(reply, len, "err empty");
        return;
    }
    pthread_mutex_lock(&hm.lock);
    hm_ctl_dispatch(argv, argc, reply, len);
    hm_log_event("\"event\":\"control\",\"cmd\":\"%s\",\"ok\":%s", argv[0],
                 strncmp(reply, "ok", 2) ? "false" : "true");
    pthread_mutex_unlock(&hm.lock);
}

static bool hm_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = hm_real.write(fd, p, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= w;
    }
    return true;
}

static void hm_serve_client(int fd, char *reply)
{
    char line[1024];
    size_t used = 0;

    for (;;) {
        char *nl;
        ssize_t r = hm_real.read(fd, line + used, sizeof(line) - 1 - used);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return;
        }
        used += r;
        line[used] = '\0';
        while ((nl = strchr(line, '\n'))) {
            size_t n;

            *nl = '\0';
            hm_control_exec(line, reply, HM_REPLY_MAX - 1);
            n = strlen(reply);
            reply[n++] = '\n';
            if (!hm_write_all(fd, reply, n)) {
                return;
            }
            used -= nl + 1 - line;
            memmove(line, nl + 1, used + 1);
        }
        if (used == sizeof(line) - 1) {
            used = 0;   /* overlong line: drop it */
        }
    }
}

static void *hm_control_main(void *opaque)
{
    char *reply = malloc(HM_REPLY_MAX);

    (void)opaque;
    if (!reply) {
        return NULL;
    }
    for (;;) {
        int fd = accept4(hm_listen_fd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            break;
        }
        hm_serve_client(fd, reply);
        hm_real.close(fd);
    }
    free(reply);
    return NULL;
}

void hm_control_start(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(hm.control_path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "hostmodel: control path too long\n");
        return;
    }
    memcpy(sa.sun_path, hm.control_path, strlen(hm.control_path) + 1);
    /* somebody (our parent?) already serves it: leave it alone */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        hm_real.close(fd);
        return;
    }
    hm_real.close(fd);
    unlink(hm.control_path);
    hm_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (hm_listen_fd < 0) {
        return;
    }
    if (bind(hm_listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(hm_listen_fd, 8) < 0) {
        fprintf(stderr, "hostmodel: control socket %s: %s\n",
                hm.control_path, strerror(errno));
        hm_real.close(hm_listen_fd);
        hm_listen_fd = -1;
        return;
    }
    if (pthread_create(&hm_control_thread, NULL, hm_control_main, NULL)) {
        hm_real.close(hm_listen_fd);
        hm_listen_fd = -1;
        return;
    }
    pthread_detach(hm_control_thread);
    hm.control_owner = true;
    hm_control_pid = getpid();
}

void hm_control_stop(void)
{
    /* a forked child inherits the flag but not the socket's thread */
    if (!hm.control_owner || hm_control_pid != getpid()) {
        return;
    }
    hm.control_owner = false;
    shutdown(hm_listen_fd, SHUT_RDWR);
    unlink(hm.control_path);
}
