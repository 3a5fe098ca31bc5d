/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Result records of the end-to-end guest programs.
 *
 * Every check prints one line to stdout:
 *
 *   E2E {"prog":P,"step":S,"call":C,"what":W,"expect":X,"got":G,
 *        "errno":N,"in":{...},"out":{...}}
 *
 * "step" is a stable identifier (the same sequence run against the host
 * model gives comparable records), "what" says in words what is checked,
 * "expect" and "got" are "ok", an errno name ("EIO") or a value; the
 * harness (tests/e2e/harness.py) turns each record into one TAP line,
 * ok when "got" equals "expect".  "expect" may be "*" for a fact that is
 * recorded but not judged.  A record may carry "todo": the reason the
 * check cannot pass yet (TAP's TODO: shown, not counted as a failure).
 * Free-form lines start with "# ".
 */

#ifndef E2E_REPORT_H
#define E2E_REPORT_H

#include <stdbool.h>
#include <stdint.h>

/* The program name used in every record ("nest", "dma", ...). */
void rep_init(const char *prog);

/*
 * A record is built in pieces: rep_begin(), any number of rep_in_*() and
 * rep_out_*() (in that order), then rep_end().
 */
void rep_begin(const char *step, const char *call, const char *what);
void rep_in_u64(const char *key, uint64_t val);
void rep_in_hex(const char *key, uint64_t val);
void rep_out_u64(const char *key, uint64_t val);
void rep_out_hex(const char *key, uint64_t val);
void rep_out_str(const char *key, const char *val);
/* An array of hex values. */
void rep_out_hexv(const char *key, const uint64_t *val, unsigned n);
void rep_out_u32v(const char *key, const uint32_t *val, unsigned n);
/* Ends the record: expect and got are strings, err the errno (0: none). */
void rep_end(const char *expect, const char *got, int err);

/*
 * The next record checks something known not to work yet, for REASON (a
 * static string): it is reported with that reason and not counted as a
 * failure.
 */
void rep_todo(const char *reason);

/* For an ioctl-like call: got is "ok" when rc == 0, else errno's name. */
void rep_end_rc(const char *expect, int rc, int err);

/* "ok", or errno's name ("EIO"); a static string. */
const char *rep_errname(int err);

/*
 * Step names "PREFIX_NAME", so that several runs of one program in a log
 * stay apart: rep_prefix() sets PREFIX (copied); rep_step() returns the
 * name in one of 8 rotating static buffers (enough for one call's Check).
 */
void rep_prefix(const char *prefix);
const char *rep_step(const char *name);

/* Checks failed so far (got != expect, expect not "*"). */
unsigned rep_failures(void);

/* A "# ..." comment line. */
void rep_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
