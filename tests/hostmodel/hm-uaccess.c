/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: user memory access with the kernel's EFAULT semantics.
 *
 * The kernel never dereferences a user pointer directly; a bad pointer
 * is EFAULT, not a crash.  process_vm_readv()/writev() on our own pid
 * give the same behaviour.  If the system refuses those calls (some
 * sandboxes do) we fall back to plain memory access.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hm-internal.h"

static bool hm_vm_unusable;

int hm_copy_from_user(void *dst, uint64_t uptr, size_t len)
{
    struct iovec l = { dst, len };
    struct iovec r = { (void *)(uintptr_t)uptr, len };
    ssize_t n;

    if (len == 0) {
        return 0;
    }
    if (!uptr) {
        return -EFAULT;
    }
    if (!hm_vm_unusable) {
        n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
        if (n == (ssize_t)len) {
            return 0;
        }
        if (n >= 0 || errno == EFAULT) {
            return -EFAULT;
        }
        hm_vm_unusable = true;
    }
    memcpy(dst, (void *)(uintptr_t)uptr, len);
    return 0;
}

int hm_copy_to_user(uint64_t uptr, const void *src, size_t len)
{
    struct iovec l = { (void *)src, len };
    struct iovec r = { (void *)(uintptr_t)uptr, len };
    ssize_t n;

    if (len == 0) {
        return 0;
    }
    if (!uptr) {
        return -EFAULT;
    }
    if (!hm_vm_unusable) {
        n = process_vm_writev(getpid(), &l, 1, &r, 1, 0);
        if (n == (ssize_t)len) {
            return 0;
        }
        if (n >= 0 || errno == EFAULT) {
            return -EFAULT;
        }
        hm_vm_unusable = true;
    }
    memcpy((void *)(uintptr_t)uptr, src, len);
    return 0;
}

int hm_clear_user(uint64_t uptr, size_t len)
{
    static const uint8_t zero[256];

    while (len) {
        size_t n = len < sizeof(zero) ? len : sizeof(zero);
        int rc = hm_copy_to_user(uptr, zero, n);

        if (rc) {
            return rc;
        }
        uptr += n;
        len -= n;
    }
    return 0;
}

/*
 * The kernel's copy_struct_from_user(): a shorter user struct is
 * zero-extended, a longer one must have only zeroes past what the kernel
 * knows (else E2BIG).
 */
int hm_copy_struct_from_user(void *dst, size_t ksize, uint64_t uptr,
                             size_t usize)
{
    size_t n = usize < ksize ? usize : ksize;
    int rc;

    memset(dst, 0, ksize);
    rc = hm_copy_from_user(dst, uptr, n);
    if (rc) {
        return rc;
    }
    if (usize > ksize) {
        uint8_t buf[256];
        uint64_t p = uptr + ksize;
        size_t rest = usize - ksize;

        while (rest) {
            size_t c = rest < sizeof(buf) ? rest : sizeof(buf);

            rc = hm_copy_from_user(buf, p, c);
            if (rc) {
                return rc;
            }
            for (size_t i = 0; i < c; i++) {
                if (buf[i]) {
                    return -E2BIG;
                }
            }
            p += c;
            rest -= c;
        }
    }
    return 0;
}

/*
 * The real page size of this process (what mincore() works in), not the
 * modeled host's page_size: the kernel's AT_PAGESZ, which is also what
 * sysconf() and getpagesize() return.  The model cannot link QEMU's
 * qemu_real_host_page_size().
 */
static uint64_t hm_real_host_page_size(void)
{
    return getauxval(AT_PAGESZ);
}

/* Would pin_user_pages() find every page of [uva, uva + len)? */
bool hm_user_range_mapped(uint64_t uva, uint64_t len)
{
    uint64_t psz = hm_real_host_page_size();
    uint64_t start = uva & ~(psz - 1);
    uint64_t end = uva + len;
    unsigned char vec[4096];

    if (len == 0 || end < uva) {
        return false;
    }
    while (start < end) {
        uint64_t chunk = (uint64_t)psz * sizeof(vec);

        if (chunk > end - start) {
            chunk = end - start;
        }
        if (mincore((void *)(uintptr_t)start, chunk, vec) < 0 &&
            errno == ENOMEM) {
            return false;
        }
        start += chunk;
    }
    return true;
}
