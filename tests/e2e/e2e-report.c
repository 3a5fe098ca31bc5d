/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Result records of the end-to-end guest programs (see e2e-report.h).
 * Records are written with one printf each and stdout is unbuffered, so
 * that a crash never leaves half a record and the console keeps the order.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "e2e-report.h"

#define REC_MAX 8192

static const char *rep_prog = "?";
static char rec[REC_MAX];
static size_t rec_len;
static bool in_open, out_open;
static unsigned failures;
static const char *todo;

static void rec_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void rec_add(const char *fmt, ...)
{
    va_list ap;
    int n;

    if (rec_len >= REC_MAX) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(rec + rec_len, REC_MAX - rec_len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        rec_len += n;
    }
}

/* Strings in records are identifiers and sentences: escape " and \ only. */
static void rec_add_str(const char *s)
{
    rec_add("\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            rec_add("\\%c", *s);
        } else if ((unsigned char)*s >= 0x20) {
            rec_add("%c", *s);
        }
    }
    rec_add("\"");
}

void rep_init(const char *prog)
{
    rep_prog = prog;
    setvbuf(stdout, NULL, _IONBF, 0);
}

#define ERRNAME(e) case e: return #e

const char *rep_errname(int err)
{
    static char other[16];

    switch (err) {
    case 0:
        return "ok";
    ERRNAME(EPERM);
    ERRNAME(ENOENT);
    ERRNAME(EIO);
    ERRNAME(ENXIO);
    ERRNAME(E2BIG);
    ERRNAME(EBADF);
    ERRNAME(EAGAIN);
    ERRNAME(ENOMEM);
    ERRNAME(EACCES);
    ERRNAME(EFAULT);
    ERRNAME(EBUSY);
    ERRNAME(EEXIST);
    ERRNAME(ENODEV);
    ERRNAME(EINVAL);
    ERRNAME(ENOSPC);
    ERRNAME(ESPIPE);
    ERRNAME(ERANGE);
    ERRNAME(ENOTTY);
    ERRNAME(EOVERFLOW);
    ERRNAME(EBADFD);
    ERRNAME(EMSGSIZE);
    ERRNAME(EOPNOTSUPP);
    ERRNAME(ETIMEDOUT);
    ERRNAME(EDEADLK);
    default:
        snprintf(other, sizeof(other), "errno %d", err);
        return other;
    }
}

void rep_begin(const char *step, const char *call, const char *what)
{
    rec_len = 0;
    in_open = out_open = false;
    rec_add("E2E {\"prog\":");
    rec_add_str(rep_prog);
    rec_add(",\"step\":");
    rec_add_str(step);
    rec_add(",\"call\":");
    rec_add_str(call);
    rec_add(",\"what\":");
    rec_add_str(what);
}

static void rec_key(bool out, const char *key)
{
    if (out && in_open) {
        rec_add("}");
        in_open = false;
    }
    if (!out && !in_open) {
        rec_add(",\"in\":{");
        in_open = true;
    } else if (out && !out_open) {
        rec_add(",\"out\":{");
        out_open = true;
    } else {
        rec_add(",");
    }
    rec_add_str(key);
    rec_add(":");
}

void rep_in_u64(const char *key, uint64_t val)
{
    rec_key(false, key);
    rec_add("%llu", (unsigned long long)val);
}

void rep_in_hex(const char *key, uint64_t val)
{
    rec_key(false, key);
    rec_add("\"0x%llx\"", (unsigned long long)val);
}

void rep_out_u64(const char *key, uint64_t val)
{
    rec_key(true, key);
    rec_add("%llu", (unsigned long long)val);
}

void rep_out_hex(const char *key, uint64_t val)
{
    rec_key(true, key);
    rec_add("\"0x%llx\"", (unsigned long long)val);
}

void rep_out_str(const char *key, const char *val)
{
    rec_key(true, key);
    rec_add_str(val);
}

void rep_out_hexv(const char *key, const uint64_t *val, unsigned n)
{
    rec_key(true, key);
    rec_add("[");
    for (unsigned i = 0; i < n; i++) {
        rec_add("%s\"0x%llx\"", i ? "," : "", (unsigned long long)val[i]);
    }
    rec_add("]");
}

void rep_out_u32v(const char *key, const uint32_t *val, unsigned n)
{
    rec_key(true, key);
    rec_add("[");
    for (unsigned i = 0; i < n; i++) {
        rec_add("%s%u", i ? "," : "", val[i]);
    }
    rec_add("]");
}

void rep_end(const char *expect, const char *got, int err)
{
    if (in_open || out_open) {
        rec_add("}");
    }
    in_open = out_open = false;
    rec_add(",\"expect\":");
    rec_add_str(expect);
    rec_add(",\"got\":");
    rec_add_str(got);
    rec_add(",\"errno\":%d", err);
    if (todo) {
        rec_add(",\"todo\":");
        rec_add_str(todo);
    } else if (strcmp(expect, "*") && strcmp(expect, got)) {
        failures++;
    }
    rec_add("}\n");
    todo = NULL;
    fputs(rec, stdout);
}

void rep_todo(const char *reason)
{
    todo = reason;
}

void rep_end_rc(const char *expect, int rc, int err)
{
    rep_end(expect, rc ? rep_errname(err) : "ok", rc ? err : 0);
}

static char step_prefix[32] = "run";

void rep_prefix(const char *prefix)
{
    snprintf(step_prefix, sizeof(step_prefix), "%s", prefix);
}

const char *rep_step(const char *name)
{
    static char buf[8][64];
    static unsigned k;
    char *s = buf[k++ % 8];

    snprintf(s, sizeof(buf[0]), "%s_%s", step_prefix, name);
    return s;
}

unsigned rep_failures(void)
{
    return failures;
}

void rep_note(const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    printf("# %s\n", line);
}
