/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model control client.
 *
 * Tests (plain C tests and QEMU qtests) link hostmodel-client.o to
 * drive a running libhostmodel.so through its HOSTMODEL_CONTROL socket:
 * inject failures and events, signal interrupts, read the commands the
 * host SMMU received and count live iommufd objects.  No glib needed.
 *
 * Unless stated otherwise, functions return 0 on success ("ok" reply),
 * -1 when the model answered "err ..." (see hm_client_last_reply()),
 * and a negative errno when the socket failed.
 */
#ifndef HOSTMODEL_CLIENT_H
#define HOSTMODEL_CLIENT_H

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct HmClient HmClient;

/* Connect to a control socket; NULL with errno set on failure. */
HmClient *hm_client_connect(const char *path);
/* Connect to $HOSTMODEL_CONTROL. */
HmClient *hm_client_connect_env(void);
void hm_client_close(HmClient *c);

/* Send one raw command line; the reply stays valid until the next call. */
int hm_client_command(HmClient *c, const char *line);
const char *hm_client_last_reply(HmClient *c);

int hm_client_ping(HmClient *c);

/*
 * Fail the nth next call (1 = the next one) of an ioctl, by its uAPI
 * name (e.g. "IOMMU_HWPT_INVALIDATE"), with errno err; one shot.
 */
int hm_client_fail_nth(HmClient *c, const char *ioctl_name, unsigned nth,
                       int err);
/* Fail the nth next CMD_SYNC on a host SMMU (err 0 means ETIMEDOUT). */
int hm_client_fail_sync(HmClient *c, const char *smmu, unsigned nth, int err);
int hm_client_fail_clear(HmClient *c);

/*
 * Raise a host event for a device (its SID field is replaced by the
 * device's physical StreamID).  Returns 0 when forwarded to a vEVENTQ,
 * 1 when it was lost (queue full), -1 when the host did not forward it.
 * *seq gets the vEVENTQ sequence number when forwarded or lost.
 */
int hm_client_inject_event(HmClient *c, const char *dev,
                           const uint64_t evt[4], uint32_t *seq);
/* Inject F_TRANSLATION events until the device's vEVENTQ overflows. */
int hm_client_overflow(HmClient *c, const char *dev, unsigned *injected);

/* Signal a device interrupt: what is "msi", "intx", "err" or "req". */
int hm_client_signal(HmClient *c, const char *what, const char *dev,
                     unsigned vector);
int hm_client_signal_msi(HmClient *c, const char *dev, unsigned vector);

/*
 * Commands issued to a host SMMU's queue so far, in order, CMD_SYNCs
 * included.  Fills up to max entries; returns the total count.
 */
long hm_client_get_cmds(HmClient *c, const char *smmu, uint64_t (*cmds)[2],
                        size_t max);
/*
 * The same, and where each came from: src[i] is -1 for the SMMU's own
 * queue, else the index of the CMDQV VCMDQ the hardware consumed it from
 */
long hm_client_get_cmds_src(HmClient *c, const char *smmu,
                            uint64_t (*cmds)[2], int *src, size_t max);
/* Forget the command log of one SMMU, or of all when smmu is NULL. */
int hm_client_clear_cmds(HmClient *c, const char *smmu);

/*
 * Live iommufd objects of a type ("IOAS", "HWPT_NESTED", ...), or of any
 * type when type is NULL; a negative value on error.
 */
int hm_client_count_objects(HmClient *c, const char *type);
/* Append a "report" record to HOSTMODEL_REPORT now. */
int hm_client_report(HmClient *c);
/* The physical STE the host installed for a device. */
int hm_client_get_ste(HmClient *c, const char *dev, uint64_t ste[4],
                      int *ats_enabled);

/*
 * Numbers in control commands, replies and host files, parsed the same
 * way by libhostmodel.so and its clients (the model cannot link QEMU's
 * qemu_strtou64()).  hm_strtou64() and hm_strtoi64() convert exactly
 * like strtoull() and strtoll() in the C locale: leading white space, an
 * optional sign, then digits in base 2..36, or in base 0 hexadecimal
 * after "0x" or "0X", octal after "0" and decimal otherwise; base 16
 * also takes a "0x" prefix.  hm_strtou64() negates a '-' value modulo
 * 2^64.  *result always gets strtoull()'s or strtoll()'s value, and
 * *endptr (unless endptr is NULL) points after the last digit, or is
 * nptr when there is none.  Trailing characters are not an error; like
 * qemu_strtou64(), the return value is 0, -EINVAL when there is no
 * digit, or -ERANGE when the value is out of range (and saturated).
 */
static inline unsigned hm_digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return 36;
}

/* The magnitude, its sign and whether it overflowed 64 bits */
static inline int hm_strto_magnitude(const char *nptr, const char **endptr,
                                     int base, bool *neg, uint64_t *mag)
{
    const char *s = nptr;
    bool any = false, overflow = false;
    uint64_t v = 0;

    while (isspace((unsigned char)*s)) {
        s++;
    }
    *neg = *s == '-';
    if (*s == '-' || *s == '+') {
        s++;
    }
    if ((base == 0 || base == 16) && s[0] == '0' &&
        (s[1] == 'x' || s[1] == 'X') && hm_digit_value(s[2]) < 16) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = s[0] == '0' ? 8 : 10;
    }
    for (;; s++) {
        unsigned d = hm_digit_value(*s);

        if (d >= (unsigned)base) {
            break;
        }
        any = true;
        if (overflow || v > (UINT64_MAX - d) / base) {
            overflow = true;
        } else {
            v = v * base + d;
        }
    }
    if (endptr) {
        *endptr = any ? s : nptr;
    }
    *mag = v;
    return !any ? -EINVAL : overflow ? -ERANGE : 0;
}

static inline int hm_strtou64(const char *nptr, const char **endptr,
                              int base, uint64_t *result)
{
    bool neg;
    uint64_t v;
    int ret = hm_strto_magnitude(nptr, endptr, base, &neg, &v);

    *result = ret == -ERANGE ? UINT64_MAX : neg ? -v : v;
    return ret;
}

static inline int hm_strtoi64(const char *nptr, const char **endptr,
                              int base, int64_t *result)
{
    bool neg;
    uint64_t v;
    int ret = hm_strto_magnitude(nptr, endptr, base, &neg, &v);

    if (ret == 0 && v > (uint64_t)INT64_MAX + neg) {
        ret = -ERANGE;
    }
    if (ret == -ERANGE) {
        *result = neg ? INT64_MIN : INT64_MAX;
    } else {
        *result = neg ? (int64_t)-v : (int64_t)v;
    }
    return ret;
}

#endif /* HOSTMODEL_CLIENT_H */
