/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: the JSON call log (HOSTMODEL_LOG) and the object report
 * (HOSTMODEL_REPORT).  One JSON object per line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hm-internal.h"

void hm_log_open(void)
{
    int fd = hm_real.open(hm.log_path, O_WRONLY | O_CREAT | O_APPEND |
                          O_CLOEXEC, 0644);

    if (fd < 0) {
        fprintf(stderr, "hostmodel: cannot open log %s: %s\n", hm.log_path,
                strerror(errno));
        return;
    }
    hm.log = fdopen(fd, "a");
    if (hm.log) {
        setvbuf(hm.log, NULL, _IOLBF, 0);
    }
}

static void hm_append(char *buf, size_t cap, size_t *len, const char *fmt,
                      va_list ap)
{
    int n;

    if (*len >= cap - 1) {
        return;
    }
    if (*len) {
        buf[(*len)++] = ',';
    }
    n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    if (n < 0) {
        return;
    }
    *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

void hm_call_in(HmCall *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    hm_append(c->in, sizeof(c->in), &c->in_len, fmt, ap);
    va_end(ap);
}

void hm_call_out(HmCall *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    hm_append(c->out, sizeof(c->out), &c->out_len, fmt, ap);
    va_end(ap);
}

void hm_log_call(HmCall *c)
{
    if (!hm.log) {
        return;
    }
    hm.seq++;
    fprintf(hm.log, "{\"seq\":%llu,\"pid\":%d,\"tid\":%ld,\"call\":\"%s\","
            "\"fd\":%d,\"in\":{%s},\"ret\":%d,\"errno\":\"%s\","
            "\"out\":{%s}}\n", (unsigned long long)hm.seq, (int)getpid(),
            (long)syscall(SYS_gettid), c->name, c->fd, c->in, c->ret,
            c->err ? hm_errno_name(c->err) : "", c->out);
}

void hm_log_event(const char *fmt, ...)
{
    va_list ap;

    if (!hm.log) {
        return;
    }
    hm.seq++;
    fprintf(hm.log, "{\"seq\":%llu,\"pid\":%d,",
            (unsigned long long)hm.seq, (int)getpid());
    va_start(ap, fmt);
    vfprintf(hm.log, fmt, ap);
    va_end(ap);
    fprintf(hm.log, "}\n");
}

static size_t hm_describe_ctx(char *buf, size_t len, HmCtx *ctx, bool json)
{
    size_t o = 0;
    bool first = true;

    for (uint32_t id = 1; id < ctx->n_objs && o < len; id++) {
        HmObj *obj = ctx->objs[id];
        int n;

        if (!obj) {
            continue;
        }
        if (json) {
            n = snprintf(buf + o, len - o,
                         "%s{\"ctx\":%u,\"id\":%u,\"type\":\"%s\","
                         "\"users\":%d}", first ? "" : ",", ctx->serial,
                         obj->id, hm_obj_type_name(obj->type), obj->users);
        } else {
            n = snprintf(buf + o, len - o, " %u/%u/%s/%d", ctx->serial,
                         obj->id, hm_obj_type_name(obj->type), obj->users);
        }
        if (n < 0) {
            break;
        }
        o += (size_t)n < len - o ? (size_t)n : len - o - 1;
        first = false;
    }
    return o;
}

size_t hm_objects_describe(char *buf, size_t len, HmCtx *only)
{
    size_t o = 0;

    buf[0] = '\0';
    for (HmCtx *ctx = hm.ctxs; ctx && o < len; ctx = ctx->next) {
        if (!only || ctx == only) {
            o += hm_describe_ctx(buf + o, len - o, ctx, false);
        }
    }
    return o;
}

unsigned hm_objects_count(const char *type)
{
    unsigned n = 0;

    for (HmCtx *ctx = hm.ctxs; ctx; ctx = ctx->next) {
        for (uint32_t id = 1; id < ctx->n_objs; id++) {
            HmObj *obj = ctx->objs[id];

            if (!obj) {
                continue;
            }
            if (!type || !strcmp(type, "all")) {
                n += obj->type != HM_OBJ_TOMBSTONE;
            } else if (!strcmp(type, hm_obj_type_name(obj->type))) {
                n++;
            }
        }
    }
    return n;
}

/*
 * One line per context: the objects alive at that moment.  "close" is
 * written when the last /dev/iommu fd of a context is closed (before
 * the kernel would free what is left), "exit" for every context still
 * there when the process exits, "report" on demand.
 */
void hm_report(const char *why, HmCtx *only)
{
    static char objs[65536];
    FILE *f;
    int fd;

    if (!hm.report_path[0]) {
        return;
    }
    fd = hm_real.open(hm.report_path, O_WRONLY | O_CREAT | O_APPEND |
                      O_CLOEXEC, 0644);
    if (fd < 0) {
        return;
    }
    f = fdopen(fd, "a");
    if (!f) {
        hm_real.close(fd);
        return;
    }
    for (HmCtx *ctx = hm.ctxs; ctx; ctx = ctx->next) {
        if (only && ctx != only) {
            continue;
        }
        /* at exit, a context already reported at its close is skipped */
        if (!only && !strcmp(why, "exit") && ctx->closed_reported) {
            continue;
        }
        objs[0] = '\0';
        hm_describe_ctx(objs, sizeof(objs), ctx, true);
        fprintf(f, "{\"event\":\"%s\",\"pid\":%d,\"ctx\":%u,"
                "\"iommufd_fds\":%d,\"objects\":[%s]}\n", why,
                (int)getpid(), ctx->serial, ctx->fd_refs, objs);
    }
    if (!only && !strcmp(why, "exit")) {
        bool any = false;

        for (HmCtx *ctx = hm.ctxs; ctx; ctx = ctx->next) {
            any |= !ctx->closed_reported;
        }
        if (!any) {
            fprintf(f, "{\"event\":\"%s\",\"pid\":%d,\"ctx\":0,"
                    "\"iommufd_fds\":0,\"objects\":[]}\n", why,
                    (int)getpid());
        }
    } else if (!only && !hm.ctxs) {
        fprintf(f, "{\"event\":\"%s\",\"pid\":%d,\"ctx\":0,"
                "\"iommufd_fds\":0,\"objects\":[]}\n", why, (int)getpid());
    }
    fclose(f);
}
