/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hm-control.c, hm-log.c and hm-main.c's setup: fault
 * injection, the control socket, the report, the call log, the
 * environment; and the child modes main() runs for them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-hostmodel.h"

/* ---- fault injection, control, log, report ---- */

bool t_fail_nth(void)
{
    int ifd = open_iommufd();
    uint32_t a, b, c;

    CHECK_ERR(hm_client_fail_nth(cl, "IOMMU_IOAS_ALLOC", 2, EIO), 0);
    CHECK_ERR(ioas_alloc(ifd, &a), 0);
    CHECK_ERR(ioas_alloc(ifd, &b), EIO);
    CHECK_ERR(ioas_alloc(ifd, &c), 0);
    CHECK(c == a + 1);
    CHECK(hm_client_count_objects(cl, "IOAS") == 2);
    CHECK_ERR(hm_client_fail_nth(cl, "VFIO_DEVICE_GET_INFO", 1, ENOMEM), 0);
    {
        int dfd = open_dev("vfio0");
        struct vfio_device_info info = { .argsz = sizeof(info) };

        CHECK_ERR(bind_dev(dfd, ifd, NULL), 0);
        CHECK_ERR(io(dfd, VFIO_DEVICE_GET_INFO, &info), ENOMEM);
        CHECK_ERR(io(dfd, VFIO_DEVICE_GET_INFO, &info), 0);
    }
    CHECK(hm_client_fail_nth(cl, "IOMMU_IOAS_ALLOC", 0, EIO) == -1);
    return true;
}

bool t_control_channel(void)
{
    int ifd = open_iommufd();
    uint32_t a;
    const char *r;

    CHECK_ERR(hm_client_ping(cl), 0);
    CHECK(strstr(hm_client_last_reply(cl), "hostmodel"));
    CHECK(hm_client_command(cl, "no-such-command") == -1);
    CHECK(hm_client_command(cl, "event nodev 0 0 0 0") == -1);
    CHECK_ERR(ioas_alloc(ifd, &a), 0);
    CHECK_ERR(hm_client_command(cl, "objects"), 0);
    r = hm_client_last_reply(cl);
    CHECK(!strncmp(r, "ok 1 ", 5) && strstr(r, "/IOAS/1"));
    CHECK_ERR(hm_client_command(cl, "stats"), 0);
    CHECK(strstr(hm_client_last_reply(cl), "IOMMU_IOAS_ALLOC="));
    CHECK(hm_client_count_objects(cl, "IOAS") == 1);
    CHECK(hm_client_count_objects(cl, "VIOMMU") == 0);
    return true;
}

const char *tmpdir(void)
{
    const char *t = getenv("HOSTMODEL_TEST_TMPDIR");

    return t ? t : "/tmp";
}

/* Run this program again as a child with extra environment */
int run_child(const char *mode, const char *const *env_add,
                     bool keep_host)
{
    char *envp[64];
    unsigned n = 0;
    pid_t pid;
    int status;

    for (char **e = environ; *e && n < 50; e++) {
        if (!strncmp(*e, "HOSTMODEL_CONTROL=", 18) ||
            !strncmp(*e, "HOSTMODEL_LOG=", 14) ||
            !strncmp(*e, "HOSTMODEL_REPORT=", 17) ||
            (!keep_host && !strncmp(*e, "HOSTMODEL_HOST=", 15))) {
            continue;
        }
        envp[n++] = *e;
    }
    for (; env_add && *env_add && n < 63; env_add++) {
        envp[n++] = (char *)*env_add;
    }
    envp[n] = NULL;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char *argv[] = { "test-hostmodel", (char *)mode, NULL };

        execve("/proc/self/exe", argv, envp);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static char *slurp(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f) {
        return NULL;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

bool t_leak_report(void)
{
    char path[512], env[600];
    const char *e[] = { env, NULL };
    char *txt;

    snprintf(path, sizeof(path), "%s/leak-report.jsonl", tmpdir());
    snprintf(env, sizeof(env), "HOSTMODEL_REPORT=%s", path);
    unlink(path);
    CHECK(run_child("child-leak", e, true) == 0);
    txt = slurp(path);
    CHECK(txt);
    /* reported at close, before the kernel frees what is left */
    CHECK(strstr(txt, "\"event\":\"close\""));
    CHECK(strstr(txt, "\"type\":\"IOAS\""));
    CHECK(strstr(txt, "\"type\":\"HWPT_PAGING\""));
    unlink(path);
    CHECK(run_child("child-noleak", e, true) == 0);
    txt = slurp(path);
    CHECK(txt && strstr(txt, "\"event\":\"close\",") &&
          strstr(txt, "\"objects\":[]") && !strstr(txt, "\"type\":"));
    return true;
}

bool t_call_log(void)
{
    char path[512], env[600];
    const char *e[] = { env, NULL };
    char *txt;

    snprintf(path, sizeof(path), "%s/child-log.jsonl", tmpdir());
    snprintf(env, sizeof(env), "HOSTMODEL_LOG=%s", path);
    unlink(path);
    CHECK(run_child("child-noleak", e, true) == 0);
    txt = slurp(path);
    CHECK(txt);
    CHECK(strstr(txt, "\"call\":\"open\""));
    CHECK(strstr(txt, "\"call\":\"IOMMU_IOAS_ALLOC\""));
    CHECK(strstr(txt, "\"call\":\"IOMMU_DESTROY\",\"fd\":"));
    CHECK(strstr(txt, "\"errno\":\"EBUSY\""));
    CHECK(strstr(txt, "\"out\":{\"flags\":0,\"out_ioas_id\":2}"));
    for (char *l = txt; *l; l = strchr(l, '\n') + 1) {
        CHECK(l[0] == '{' && strchr(l, '\n') && strchr(l, '\n')[-1] == '}');
    }
    return true;
}

bool t_fail_env(void)
{
    const char *e[] = { "HOSTMODEL_FAIL=IOMMU_IOAS_ALLOC:1:ENOSPC", NULL };

    CHECK(run_child("child-fail-env", e, true) == 0);
    return true;
}

bool t_preopen(void)
{
    const char *e[] = {
        "HOSTMODEL_PREOPEN=100=/dev/vfio/devices/vfio0,101=/dev/iommu", NULL,
    };

    CHECK(run_child("child-preopen", e, true) == 0);
    return true;
}

bool t_inert(void)
{
    char cmd[128];

    CHECK(run_child("child-inert", NULL, false) == 0);
    /* preloaded into a shell without HOSTMODEL_HOST: harmless */
    snprintf(cmd, sizeof(cmd), "exit 3");
    {
        pid_t pid = fork();
        int status;

        if (pid == 0) {
            unsetenv("HOSTMODEL_HOST");
            unsetenv("HOSTMODEL_CONTROL");
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
            _exit(127);
        }
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    }
    return true;
}

/* ---- child modes ---- */

int child_leak(void)
{
    int ifd = open("/dev/iommu", O_RDWR), dfd;
    uint32_t ioas, devid;

    dfd = open("/dev/vfio/devices/vfio0", O_RDWR);
    if (bind_dev(dfd, ifd, &devid) || ioas_alloc(ifd, &ioas) ||
        hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, NULL)) {
        return 1;
    }
    close(dfd);
    close(ifd);
    return 0;
}

int child_noleak(void)
{
    int ifd = open("/dev/iommu", O_RDWR);
    int dfd = open("/dev/vfio/devices/vfio0", O_RDWR);
    uint32_t ioas, devid, h;

    if (bind_dev(dfd, ifd, &devid) || ioas_alloc(ifd, &ioas) ||
        hwpt_alloc(ifd, devid, ioas, 0, 0, NULL, 0, &h)) {
        return 1;
    }
    if (destroy(ifd, ioas) != EBUSY || destroy(ifd, h) ||
        destroy(ifd, ioas)) {
        return 2;
    }
    close(dfd);
    close(ifd);
    return 0;
}

int child_fail_env(void)
{
    int ifd = open("/dev/iommu", O_RDWR);
    uint32_t id;

    if (ioas_alloc(ifd, &id) != ENOSPC || ioas_alloc(ifd, &id) != 0) {
        return 1;
    }
    return 0;
}

int child_preopen(void)
{
    struct vfio_device_info info = { .argsz = sizeof(info) };
    uint32_t devid;

    if (bind_dev(100, 101, &devid) || devid != 1) {
        return 1;
    }
    if (io(100, VFIO_DEVICE_GET_INFO, &info) ||
        !(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
        return 2;
    }
    /* not CLOEXEC: meant to be inherited */
    if (fcntl(100, F_GETFD) & FD_CLOEXEC) {
        return 3;
    }
    return 0;
}

int child_inert(void)
{
    /* no HOSTMODEL_HOST: libc sees these paths, and none exist here */
    if (open("/dev/vfio/devices/vfio0", O_RDWR) >= 0 || errno != ENOENT) {
        return 1;
    }
    return 0;
}

/* Raise RLIMIT_MEMLOCK's hard limit: 0, or the errno */
int child_memlock(void)
{
    struct rlimit r;

    if (getrlimit(RLIMIT_MEMLOCK, &r)) {
        return 99;
    }
    if (r.rlim_max != RLIM_INFINITY) {
        r.rlim_max += 1 << 20;
    }
    r.rlim_cur = r.rlim_max;
    return setrlimit(RLIMIT_MEMLOCK, &r) ? errno : 0;
}

/* HOSTMODEL_CAPS=sys_resource lets a raise of RLIMIT_MEMLOCK through */
bool t_caps_memlock(void)
{
    static const char *const env[] = { "HOSTMODEL_CAPS=sys_resource", NULL };
    struct rlimit r;

    CHECK(run_child("child-memlock", env, true) == 0);
    /* without it: refused, unless this process has the capability */
    CHECK(getrlimit(RLIMIT_MEMLOCK, &r) == 0);
    if (r.rlim_max != RLIM_INFINITY &&
        setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){ r.rlim_max + 1,
                                                    r.rlim_max + 1 })) {
        CHECK(run_child("child-memlock", NULL, true) == EPERM);
    } else {
        setrlimit(RLIMIT_MEMLOCK, &r);
    }
    return true;
}
