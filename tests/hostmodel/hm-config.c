/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: the host description (HOSTMODEL_HOST) and SMMU profiles.
 *
 * Both are "key = value" files with '#' comments.  A host file has
 * sections "[host]", "[smmu NAME]" and "[device NAME]"; a profile file
 * has no sections.  See README.md for the keys.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hm-internal.h"
#include "hostmodel-client.h"

static char *hm_trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s)) {
        s++;
    }
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) {
        *--e = '\0';
    }
    return s;
}

static int hm_parse_u64(const char *s, uint64_t *v)
{
    const char *end;

    if (hm_strtou64(s, &end, 0, v) < 0 || *hm_trim((char *)end)) {
        return -1;
    }
    return 0;
}

static int hm_parse_bool(const char *s, bool *b)
{
    uint64_t v;

    if (!strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "true")) {
        *b = true;
        return 0;
    }
    if (!strcmp(s, "no") || !strcmp(s, "off") || !strcmp(s, "false")) {
        *b = false;
        return 0;
    }
    if (hm_parse_u64(s, &v) < 0 || v > 1) {
        return -1;
    }
    *b = v;
    return 0;
}

typedef int (*HmKvFn)(void *opaque, const char *section, const char *name,
                      const char *key, const char *val, char *err,
                      size_t errlen);

static int hm_parse_file(const char *path, HmKvFn fn, void *opaque,
                         char *err, size_t errlen)
{
    char line[512], section[64] = "", name[HM_NAME_LEN] = "";
    unsigned lineno = 0;
    FILE *f = fopen(path, "re");

    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *s, *eq, *hash;

        lineno++;
        hash = strchr(line, '#');
        if (hash) {
            *hash = '\0';
        }
        s = hm_trim(line);
        if (!*s) {
            continue;
        }
        if (*s == '[') {
            char *close = strchr(s, ']');

            name[0] = '\0';
            if (!close) {
                snprintf(err, errlen, "%s:%u: bad section", path, lineno);
                fclose(f);
                return -1;
            }
            *close = '\0';
            if (sscanf(s + 1, "%63s %31s", section, name) < 1) {
                snprintf(err, errlen, "%s:%u: bad section", path, lineno);
                fclose(f);
                return -1;
            }
            if (fn(opaque, section, name, NULL, NULL, err, errlen) < 0) {
                fclose(f);
                return -1;
            }
            continue;
        }
        eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%u: expected key = value", path,
                     lineno);
            fclose(f);
            return -1;
        }
        *eq = '\0';
        if (fn(opaque, section, name, hm_trim(s), hm_trim(eq + 1), err,
               errlen) < 0) {
            size_t l = strlen(err);

            snprintf(err + l, errlen - l, " (%s:%u)", path, lineno);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

/* ---- profiles ---- */

static int hm_profile_kv(HmProfile *p, const char *key, const char *val,
                         char *err, size_t errlen)
{
    uint64_t v;
    bool b;

    if (!strcmp(key, "name")) {
        snprintf(p->name, sizeof(p->name), "%s", val);
        return 0;
    }
    if (!strcmp(key, "canwbs") || !strcmp(key, "force_sync") ||
        !strcmp(key, "cmdqv")) {
        if (hm_parse_bool(val, &b) < 0) {
            snprintf(err, errlen, "bad boolean for %s", key);
            return -1;
        }
        if (!strcmp(key, "canwbs")) {
            p->canwbs = b;
        } else if (!strcmp(key, "cmdqv")) {
            p->cmdqv = b;
        } else {
            p->force_sync = b;
        }
        return 0;
    }
    if (hm_parse_u64(val, &v) < 0 || v > UINT32_MAX) {
        snprintf(err, errlen, "bad number for %s", key);
        return -1;
    }
    if (!strncmp(key, "idr", 3) && key[3] >= '0' && key[3] <= '5' &&
        !key[4]) {
        p->idr[key[3] - '0'] = v;
    } else if (!strcmp(key, "iidr")) {
        p->iidr = v;
    } else if (!strcmp(key, "aidr")) {
        p->aidr = v;
    } else if (!strcmp(key, "cmdq_batch")) {
        if (v < 2 || v > 4096) {
            snprintf(err, errlen, "cmdq_batch must be 2..4096");
            return -1;
        }
        p->cmdq_batch = v;
    } else if (!strcmp(key, "cmdqv_version") && v && v < 16) {
        p->cmdqv_version = v;
    } else if (!strcmp(key, "cmdqv_vintfs_log2") && v <= 6) {
        p->cmdqv_vintfs_log2 = v;
    } else if (!strcmp(key, "cmdqv_vcmdqs_log2") && v <= 12) {
        p->cmdqv_vcmdqs_log2 = v;
    } else if (!strcmp(key, "cmdqv_sids_log2") && v <= 6) {
        p->cmdqv_sids_log2 = v;
    } else if (!strncmp(key, "cmdqv_", 6)) {
        snprintf(err, errlen, "%s out of range", key);
        return -1;
    } else {
        snprintf(err, errlen, "unknown profile key '%s'", key);
        return -1;
    }
    return 0;
}

typedef struct HmProfileFile {
    HmProfile *p;
    const char *path;
    unsigned depth;
} HmProfileFile;

static int hm_profile_file_load(HmProfileFile *pf, char *err, size_t errlen);

/* "base = NAME" first: the profile NAME.conf beside this one, then these */
static int hm_profile_base(HmProfileFile *pf, const char *val, char *err,
                           size_t errlen)
{
    char path[1024];
    const char *slash = strrchr(pf->path, '/');
    HmProfileFile base = { pf->p, path, pf->depth + 1 };

    if (pf->depth > 4 || strchr(val, '/')) {
        snprintf(err, errlen, "base '%s': a profile name, at most 4 deep",
                 val);
        return -1;
    }
    snprintf(path, sizeof(path), "%.*s/%s.conf",
             slash ? (int)(slash - pf->path) : 1, slash ? pf->path : ".",
             val);
    return hm_profile_file_load(&base, err, errlen);
}

static int hm_profile_cb(void *opaque, const char *section, const char *name,
                         const char *key, const char *val, char *err,
                         size_t errlen)
{
    HmProfileFile *pf = opaque;

    (void)name;
    if (section[0]) {
        snprintf(err, errlen, "profiles have no sections");
        return -1;
    }
    if (!key) {
        return 0;
    }
    if (!strcmp(key, "base")) {
        return hm_profile_base(pf, val, err, errlen);
    }
    return hm_profile_kv(pf->p, key, val, err, errlen);
}

static int hm_profile_file_load(HmProfileFile *pf, char *err, size_t errlen)
{
    return hm_parse_file(pf->path, hm_profile_cb, pf, err, errlen);
}

int hm_profile_load(HmProfile *p, const char *path, char *err,
                    size_t errlen)
{
    HmProfileFile pf = { p, path, 0 };
    unsigned per;

    memset(p, 0, sizeof(*p));
    p->cmdq_batch = HM_CMDQ_BATCH_DEFAULT;
    /* a CMDQV as QEMU's cmdqv emulates: 4 VINTFs of 2 queues */
    p->cmdqv_version = 1;
    p->cmdqv_vintfs_log2 = 2;
    p->cmdqv_vcmdqs_log2 = 3;
    p->cmdqv_sids_log2 = 4;
    if (hm_profile_file_load(&pf, err, errlen) < 0) {
        return -1;
    }
    per = p->cmdqv_vcmdqs_log2 - p->cmdqv_vintfs_log2;
    if (p->cmdqv && (p->cmdqv_vcmdqs_log2 < p->cmdqv_vintfs_log2 ||
                     (1u << per) > HM_CMDQV_MAX_LVCMDQS)) {
        snprintf(err, errlen, "%s: a VINTF must have 1 to %u VCMDQs", path,
                 HM_CMDQV_MAX_LVCMDQS);
        return -1;
    }
    return 0;
}

static int hm_profile_find(HmConfig *cfg, const char *val, char *out,
                           size_t len)
{
    static const char *const fmts[] = {
        "%s/%s", "%s/%s.conf", "%s/profiles/%s.conf", "%s/../profiles/%s.conf",
    };

    if (val[0] == '/') {
        snprintf(out, len, "%s", val);
        return access(out, R_OK);
    }
    for (unsigned i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        snprintf(out, len, fmts[i], cfg->host_dir, val);
        if (access(out, R_OK) == 0) {
            return 0;
        }
    }
    return -1;
}

/* ---- host file ---- */

typedef struct HmParse {
    HmConfig *cfg;
    HmSmmu *smmu;
    HmDevice *dev;
    bool in_host;
    bool dev_canwbs_set[HM_MAX_DEVICES];
} HmParse;

static int hm_device_kv(HmParse *ps, HmDevice *d, const char *key,
                        const char *val, char *err, size_t errlen)
{
    uint64_t v = 0;
    bool b;

    if (!strcmp(key, "path")) {
        snprintf(d->path, sizeof(d->path), "%s", val);
        return 0;
    }
    if (!strcmp(key, "smmu")) {
        for (unsigned i = 0; i < ps->cfg->n_smmus; i++) {
            if (!strcmp(ps->cfg->smmus[i].name, val)) {
                d->smmu = &ps->cfg->smmus[i];
                return 0;
            }
        }
        snprintf(err, errlen, "unknown smmu '%s'", val);
        return -1;
    }
    if (!strcmp(key, "bdf")) {
        unsigned seg, bus, dev, fn;

        if (sscanf(val, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4 ||
            bus > 255 || dev > 31 || fn > 7) {
            snprintf(err, errlen, "bad bdf '%s'", val);
            return -1;
        }
        d->segment = seg;
        d->bus = bus;
        d->devfn = dev << 3 | fn;
        return 0;
    }
    if (!strcmp(key, "resv")) {
        uint64_t s, l;

        if (sscanf(val, "%" SCNx64 ":%" SCNx64, &s, &l) != 2 || l < s ||
            d->n_resv == sizeof(d->resv) / sizeof(d->resv[0])) {
            snprintf(err, errlen, "bad resv '%s' (start:last in hex)", val);
            return -1;
        }
        d->resv[d->n_resv].start = s;
        d->resv[d->n_resv].last = l;
        d->n_resv++;
        return 0;
    }
    if (!strcmp(key, "ats") || !strcmp(key, "canwbs") ||
        !strcmp(key, "dyn_msix")) {
        if (hm_parse_bool(val, &b) < 0) {
            snprintf(err, errlen, "bad boolean for %s", key);
            return -1;
        }
        if (!strcmp(key, "ats")) {
            d->ats = b;
        } else if (!strcmp(key, "canwbs")) {
            d->canwbs = b;
            ps->dev_canwbs_set[d - ps->cfg->devices] = true;
        } else {
            d->dyn_msix = b;
        }
        return 0;
    }
    if (hm_parse_u64(val, &v) < 0) {
        snprintf(err, errlen, "bad number for %s", key);
        return -1;
    }
    if (!strcmp(key, "sid")) {
        d->sid = v;
    } else if (!strcmp(key, "group")) {
        d->group = v;
    } else if (!strcmp(key, "pasid_bits")) {
        d->pasid_bits = v > 20 ? 20 : v;
    } else if (!strcmp(key, "vendor")) {
        d->vendor = v;
    } else if (!strcmp(key, "device")) {
        d->device_id = v;
    } else if (!strcmp(key, "subvendor")) {
        d->subvendor = v;
    } else if (!strcmp(key, "subdevice")) {
        d->subdevice = v;
    } else if (!strcmp(key, "class")) {
        d->class_code = v & 0xffffff;
    } else if (!strcmp(key, "revision")) {
        d->revision = v;
    } else if (!strcmp(key, "msix")) {
        if (v > HM_MAX_VECTORS) {
            snprintf(err, errlen, "msix: at most %d vectors", HM_MAX_VECTORS);
            return -1;
        }
        d->msix_vectors = v;
    } else if (!strcmp(key, "msi")) {
        unsigned l = 0;

        while ((1u << l) < v) {
            l++;
        }
        if (v == 0 || (1u << l) != v || l > 5) {
            snprintf(err, errlen, "msi: 1, 2, 4, 8, 16 or 32 vectors");
            return -1;
        }
        d->msi_vectors_log2 = l;
    } else if (!strcmp(key, "intx")) {
        d->intx_pin = v ? 1 : 0;
    } else if (!strcmp(key, "bar0_size")) {
        if (v < 0x4000 || (v & (v - 1))) {
            snprintf(err, errlen, "bar0_size: power of two >= 0x4000");
            return -1;
        }
        d->bar0_size = v;
    } else {
        snprintf(err, errlen, "unknown device key '%s'", key);
        return -1;
    }
    return 0;
}

static int hm_host_cb(void *opaque, const char *section, const char *name,
                      const char *key, const char *val, char *err,
                      size_t errlen)
{
    HmParse *ps = opaque;
    HmConfig *cfg = ps->cfg;

    if (!key) {
        /* a new section */
        ps->smmu = NULL;
        ps->dev = NULL;
        ps->in_host = false;
        if (!strcmp(section, "host")) {
            ps->in_host = true;
        } else if (!strcmp(section, "smmu") && name[0]) {
            if (cfg->n_smmus == HM_MAX_SMMUS || hm_smmu_by_name(name)) {
                snprintf(err, errlen, "too many or duplicate smmu '%s'",
                         name);
                return -1;
            }
            ps->smmu = &cfg->smmus[cfg->n_smmus++];
            snprintf(ps->smmu->name, sizeof(ps->smmu->name), "%s", name);
            ps->smmu->prof.cmdq_batch = HM_CMDQ_BATCH_DEFAULT;
        } else if (!strcmp(section, "device") && name[0]) {
            HmDevice *d;

            if (cfg->n_devices == HM_MAX_DEVICES) {
                snprintf(err, errlen, "too many devices");
                return -1;
            }
            d = &cfg->devices[cfg->n_devices++];
            snprintf(d->name, sizeof(d->name), "%s", name);
            snprintf(d->path, sizeof(d->path), "/dev/vfio/devices/%s", name);
            d->group = 1000 + cfg->n_devices;
            d->vendor = 0x1b36;     /* Red Hat, Inc. (QEMU) */
            d->device_id = 0x0005;  /* "PCI test device" */
            d->class_code = 0x00ff00;
            d->bus = cfg->n_devices;
            d->msix_vectors = 8;
            d->msi_vectors_log2 = 2;
            d->intx_pin = 1;
            d->bar0_size = 0x4000;
            d->dyn_msix = true;
            ps->dev = d;
        } else {
            snprintf(err, errlen, "unknown section [%s %s]", section, name);
            return -1;
        }
        return 0;
    }
    if (ps->in_host) {
        uint64_t v;
        unsigned major, minor;
        char tail;

        if (!strcmp(key, "sysfs")) {
            if (strcmp(val, "on") && strcmp(val, "off")) {
                snprintf(err, errlen, "sysfs '%s': want on or off", val);
                return -1;
            }
            cfg->no_sysfs = !strcmp(val, "off");
            return 0;
        }
        if (!strcmp(key, "kernel")) {
            if (sscanf(val, "%u.%u%c", &major, &minor, &tail) != 2 ||
                major < 6 || minor > 999) {
                snprintf(err, errlen, "kernel '%s': want a release like 6.13",
                         val);
                return -1;
            }
            cfg->kernel = HM_KERNEL(major, minor);
            return 0;
        }

        if (hm_parse_u64(val, &v) < 0) {
            snprintf(err, errlen, "bad number for %s", key);
            return -1;
        }
        if (!strcmp(key, "page_size") && v >= 4096 && !(v & (v - 1))) {
            cfg->page_size = v;
        } else if (!strcmp(key, "va_bits") && v >= 36 && v <= 52) {
            cfg->va_bits = v;
        } else {
            snprintf(err, errlen, "bad host key or value '%s'", key);
            return -1;
        }
        return 0;
    }
    if (ps->smmu) {
        if (!strcmp(key, "profile")) {
            char path[1024];
            char name_save[HM_NAME_LEN];

            if (hm_profile_find(cfg, val, path, sizeof(path)) < 0) {
                snprintf(err, errlen, "profile '%s' not found", val);
                return -1;
            }
            if (hm_profile_load(&ps->smmu->prof, path, err, errlen) < 0) {
                return -1;
            }
            if (!ps->smmu->prof.name[0]) {
                snprintf(name_save, sizeof(name_save), "%s", val);
                snprintf(ps->smmu->prof.name, sizeof(ps->smmu->prof.name),
                         "%s", name_save);
            }
            return 0;
        }
        /* any profile key may be overridden per SMMU */
        return hm_profile_kv(&ps->smmu->prof, key, val, err, errlen);
    }
    if (ps->dev) {
        return hm_device_kv(ps, ps->dev, key, val, err, errlen);
    }
    snprintf(err, errlen, "key '%s' outside a section", key);
    return -1;
}

int hm_config_load(HmConfig *cfg, const char *path, char *err,
                   size_t errlen)
{
    HmParse ps = { .cfg = cfg };
    char *slash;

    memset(cfg, 0, sizeof(*cfg));
    cfg->page_size = HM_PAGE_SIZE_DEFAULT;
    cfg->va_bits = 48;
    if (!realpath(path, cfg->host_path)) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    snprintf(cfg->host_dir, sizeof(cfg->host_dir), "%s", cfg->host_path);
    slash = strrchr(cfg->host_dir, '/');
    if (slash) {
        *slash = '\0';
    }
    if (hm_parse_file(cfg->host_path, hm_host_cb, &ps, err, errlen) < 0) {
        return -1;
    }
    for (unsigned i = 0; i < cfg->n_smmus; i++) {
        HmSmmu *s = &cfg->smmus[i];

        if (!s->prof.idr[0]) {
            snprintf(err, errlen, "smmu %s has no profile", s->name);
            return -1;
        }
        s->vmid_bits = HM_IDR0_VMID16(s->prof.idr[0]) ? 16 : 8;
        hm_smmu_probe(s);
    }
    for (unsigned i = 0; i < cfg->n_devices; i++) {
        HmDevice *d = &cfg->devices[i];

        if (!d->smmu) {
            snprintf(err, errlen, "device %s has no smmu", d->name);
            return -1;
        }
        if (!ps.dev_canwbs_set[i]) {
            d->canwbs = d->smmu->prof.canwbs;
        }
        if (d->msix_vectors > 0 && d->bar0_size < 0x4000) {
            d->bar0_size = 0x4000;
        }
        for (unsigned j = 0; j < i; j++) {
            HmDevice *o = &cfg->devices[j];

            if (o->group == d->group && o->smmu != d->smmu) {
                snprintf(err, errlen, "group %d spans two SMMUs", d->group);
                return -1;
            }
            if (o->smmu == d->smmu && o->sid == d->sid) {
                snprintf(err, errlen, "devices %s and %s share SID 0x%x",
                         o->name, d->name, d->sid);
                return -1;
            }
            if (!strcmp(o->path, d->path)) {
                snprintf(err, errlen, "duplicate device path %s", d->path);
                return -1;
            }
        }
        hm_device_reset_state(d);
    }
    return 0;
}

HmDevice *hm_device_by_path(const char *path)
{
    for (unsigned i = 0; i < hm.cfg.n_devices; i++) {
        if (!strcmp(hm.cfg.devices[i].path, path)) {
            return &hm.cfg.devices[i];
        }
    }
    return NULL;
}

HmDevice *hm_device_by_name(const char *name)
{
    for (unsigned i = 0; i < hm.cfg.n_devices; i++) {
        if (!strcmp(hm.cfg.devices[i].name, name)) {
            return &hm.cfg.devices[i];
        }
    }
    return NULL;
}

HmSmmu *hm_smmu_by_name(const char *name)
{
    for (unsigned i = 0; i < hm.cfg.n_smmus; i++) {
        if (!strcmp(hm.cfg.smmus[i].name, name)) {
            return &hm.cfg.smmus[i];
        }
    }
    return NULL;
}

/* ---- errno names, for the log and the control protocol ---- */

static const struct {
    int err;
    const char *name;
} hm_errnos[] = {
    { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
    { E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
    { ENOMEM, "ENOMEM" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
    { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
    { EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" },
    { ESPIPE, "ESPIPE" }, { ERANGE, "ERANGE" }, { EOPNOTSUPP, "EOPNOTSUPP" },
    { EOVERFLOW, "EOVERFLOW" }, { EBADFD, "EBADFD" },
    { EMSGSIZE, "EMSGSIZE" }, { EADDRINUSE, "EADDRINUSE" },
    { ETIMEDOUT, "ETIMEDOUT" }, { ENXIO, "ENXIO" }, { ENOSYS, "ENOSYS" },
};

int hm_errno_parse(const char *s)
{
    uint64_t v;

    for (unsigned i = 0; i < sizeof(hm_errnos) / sizeof(hm_errnos[0]); i++) {
        if (!strcmp(hm_errnos[i].name, s)) {
            return hm_errnos[i].err;
        }
    }
    if (hm_parse_u64(s, &v) == 0 && v > 0 && v < 4096) {
        return (int)v;
    }
    return -1;
}

const char *hm_errno_name(int err)
{
    for (unsigned i = 0; i < sizeof(hm_errnos) / sizeof(hm_errnos[0]); i++) {
        if (hm_errnos[i].err == err) {
            return hm_errnos[i].name;
        }
    }
    return "E?";
}
