/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * nest-check: the host's registers, the IOAS and stage 2, the vIOMMU,
 * the kernel's vSTE validation, vDEVICE and vEVENTQ, and the order in
 * which the objects can be destroyed.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include "nest-check.h"

/* ---- host registers ---- */

void hw_info_checks(void)
{
    struct iommu_hw_info_arm_smmuv3 info;
    uint32_t len, type;
    uint64_t caps;
    uint8_t *raw = (uint8_t *)&info;
    bool untouched = true;

    if (c_hw_info(CHECK("hw_info", "ok",
                        "IOMMU_GET_HW_INFO returns the host SMMU registers"),
                  iommufd, dev_id, sizeof(info), &info, &len, &type,
                  &caps)) {
        return;
    }
    /* no dirty tracking, no PASID, no ATS: bit 3 (Linux 6.17) alone */
    check_hex("hw_info_caps", "out_capabilities (edu: no ATS, bit 3)", 0x8,
              caps);
    check_hex("hw_info_type", "out_data_type is IOMMU_HW_INFO_TYPE_ARM_SMMUV3",
              IOMMU_HW_INFO_TYPE_ARM_SMMUV3, type);
    check_hex("hw_info_len", "data_len is 40 (struct iommu_hw_info_arm_smmuv3)",
              sizeof(info), len);
    check_hex("idr0_s1p", "host SMMU_IDR0.S1P is 1 (stage 1)",
              1, (info.idr[0] >> 1) & 1);
    check_hex("idr0_s2p", "host SMMU_IDR0.S2P is 1 (stage 2)",
              1, info.idr[0] & 1);
    check_hex("idr3_fwb", "host SMMU_IDR3.FWB is 1 (what lets it nest)",
              1, (info.idr[3] >> 8) & 1);

    if (c_hw_info(CHECK("hw_info_short", "ok",
                        "IOMMU_GET_HW_INFO with data_len 8 succeeds"),
                  iommufd, dev_id, 8, &info, &len, &type, &caps)) {
        return;
    }
    check_hex("hw_info_short_len",
              "with data_len 8 the kernel reports its full length (40)",
              sizeof(info), len);
    for (size_t i = 8; i < sizeof(info); i++) {
        untouched &= raw[i] == 0xa5;
    }
    check_str("hw_info_short_copy",
              "with data_len 8 only 8 bytes are written",
              "8 bytes", untouched ? "8 bytes" : "more");
}

/* ---- IOAS and stage 2 ---- */

int s2_setup(void)
{
    struct iommu_iova_range r[8];
    struct iommu_ioas_iova_ranges ir = {
        .size = sizeof(ir),
        .num_iovas = 8,
        .allowed_iovas = (uintptr_t)r,
    };
    bool hole = false;
    uint64_t flat[16];
    int rc;

    if (c_ioas_alloc(CHECK("ioas_alloc", "ok", "IOMMU_IOAS_ALLOC"),
                     iommufd, &ioas)) {
        return -1;
    }
    mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (mem == MAP_FAILED) {
        rep_note("mmap of guest RAM failed: %s", strerror(errno));
        return -1;
    }
    memset(mem, 0, MEM_SIZE);
    if (c_ioas_map(CHECK("ioas_map", "ok",
                         "IOMMU_IOAS_MAP of 8 MiB guest RAM at IPA 16 MiB"),
                   iommufd, ioas, mem, MEM_SIZE, IPA_BASE)) {
        return -1;
    }
    if (c_hwpt_paging(CHECK("hwpt_nest_parent", "ok",
                            "IOMMU_HWPT_ALLOC with NEST_PARENT (the S2)"),
                      iommufd, dev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
                      &s2)) {
        return -1;
    }
    c_hwpt_paging(CHECK("hwpt_plain", "ok",
                        "IOMMU_HWPT_ALLOC without flags (not a parent)"),
                  iommufd, dev_id, ioas, 0, &plain);
    if (c_attach(CHECK("attach_s2", "ok",
                       "the device attaches to the S2 parent"),
                 devfd, s2)) {
        return -1;
    }

    ir.ioas_id = ioas;
    rc = ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &ir);
    rep_begin("iova_ranges", "IOMMU_IOAS_IOVA_RANGES",
              "the IOAS excludes the SW_MSI window 0x8000000-0x80fffff");
    for (unsigned i = 0; !rc && i < ir.num_iovas && i < 8; i++) {
        flat[2 * i] = r[i].start;
        flat[2 * i + 1] = r[i].last;
        hole |= r[i].last == MSI_IOVA - 1;
    }
    if (!rc) {
        rep_out_hexv("ranges", flat, 2 * (ir.num_iovas < 8 ? ir.num_iovas : 8));
    }
    rep_end("excluded", rc ? rep_errname(errno) : hole ? "excluded" : "mapped",
            rc ? errno : 0);
    return 0;
}

/* ---- vIOMMU ---- */

int viommu_checks(void)
{
    uint32_t id;

    c_viommu_alloc(CHECK("viommu_flags", "EOPNOTSUPP",
                         "IOMMU_VIOMMU_ALLOC with flags 1 is refused"),
                   iommufd, dev_id, s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 1, &id);
    c_viommu_alloc(CHECK("viommu_type_default", "EOPNOTSUPP",
                         "IOMMU_VIOMMU_ALLOC of type DEFAULT is refused"),
                   iommufd, dev_id, s2, IOMMU_VIOMMU_TYPE_DEFAULT, 0, &id);
    c_viommu_alloc(CHECK("viommu_type_unknown", "EOPNOTSUPP",
                         "IOMMU_VIOMMU_ALLOC of an unknown type is refused"),
                   iommufd, dev_id, s2, 0x7f, 0, &id);
    c_viommu_alloc(CHECK("viommu_on_ioas", "ENOENT",
                         "IOMMU_VIOMMU_ALLOC with an IOAS id as hwpt_id"),
                   iommufd, dev_id, ioas, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0,
                   &id);
    c_viommu_alloc(CHECK("viommu_not_parent", "EINVAL",
                         "IOMMU_VIOMMU_ALLOC on a HWPT without NEST_PARENT"),
                   iommufd, dev_id, plain, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 0,
                   &id);
    return c_viommu_alloc(CHECK("viommu_alloc", "ok",
                                "IOMMU_VIOMMU_ALLOC ARM_SMMUV3 on the S2"),
                          iommufd, dev_id, s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
                          0, &viommu);
}

/* ---- nested HWPTs: the kernel's vSTE validation ---- */

static uint32_t nested(const char *step, const char *expect, const char *what,
                       uint64_t ste0, uint64_t ste1)
{
    uint64_t ste[2] = { ste0, ste1 };
    uint32_t id;

    c_hwpt_nested(CHECK(step, expect, what), iommufd, dev_id, viommu, 0,
                  IOMMU_HWPT_DATA_ARM_SMMUV3, 16, ste, &id);
    return id;
}

static void destroy_quiet(uint32_t id)
{
    struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

    if (id) {
        ioctl(iommufd, IOMMU_DESTROY, &cmd);
    }
}

void nested_checks(void)
{
    uint64_t s1ste[2], ste[2];
    uint32_t id;

    s1_init(&s1, mem, IPA_BASE, S1_ASID);
    s1_map_block(&s1, VA_A, IPA_BASE + OFF_A);
    s1_vste(&s1, s1ste);

    h_abort = nested("hwpt_abort", "ok", "nested HWPT from an abort vSTE",
                     STE0_V | STE0_CFG(STE0_CFG_ABORT), 0);
    h_bypass = nested("hwpt_bypass", "ok", "nested HWPT from a bypass vSTE",
                      STE0_V | STE0_CFG(STE0_CFG_BYPASS), 0);
    h_s1 = nested("hwpt_s1", "ok",
                  "nested HWPT from a stage-1 vSTE (CD in guest RAM)",
                  s1ste[0], s1ste[1]);
    destroy_quiet(nested("hwpt_invalid_v0", "ok",
                         "a vSTE with V=0 is accepted whatever its other bits",
                         STE0_CFG(7) | (1ULL << 55), 0xffffffffULL));
    nested("hwpt_cfg_s2", "EIO", "a vSTE with Config stage-2 only is EIO",
           STE0_V | STE0_CFG(STE0_CFG_S2), 0);
    nested("hwpt_cfg_nested", "EIO", "a vSTE with Config 0b111 is EIO",
           STE0_V | STE0_CFG(7), 0);
    nested("hwpt_w0_bit52", "EIO",
           "a vSTE word 0 bit outside the allowed mask (52) is EIO",
           s1ste[0] | (1ULL << 52), s1ste[1]);
    nested("hwpt_w1_bit8", "EIO",
           "a vSTE word 1 bit outside the allowed mask (8) is EIO",
           s1ste[0], s1ste[1] | (1ULL << 8));
    nested("hwpt_eats2", "EIO", "a vSTE with EATS=0b10 is EIO",
           s1ste[0], s1ste[1] | STE1_EATS(2));
    destroy_quiet(nested("hwpt_eats1", "ok",
                         "a stage-1 vSTE with EATS=0b01 (translate) is accepted",
                         s1ste[0], s1ste[1] | STE1_EATS(1)));

    ste[0] = s1ste[0];
    ste[1] = s1ste[1];
    c_hwpt_nested(CHECK("hwpt_nested_flags", "EOPNOTSUPP",
                        "a nested HWPT with flags NEST_PARENT is refused"),
                  iommufd, dev_id, viommu, IOMMU_HWPT_ALLOC_NEST_PARENT,
                  IOMMU_HWPT_DATA_ARM_SMMUV3, 16, ste, &id);
    c_hwpt_nested(CHECK("hwpt_nested_len8", "EINVAL",
                        "a nested HWPT with data_len 8 (half a vSTE)"),
                  iommufd, dev_id, viommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, 8,
                  ste, &id);
    c_hwpt_nested(CHECK("hwpt_nested_vtd", "EINVAL",
                        "a nested HWPT with data_type VTD_S1"),
                  iommufd, dev_id, viommu, 0, IOMMU_HWPT_DATA_VTD_S1, 16,
                  ste, &id);
}

/* ---- attach, vDEVICE, vEVENTQ ---- */

void object_checks(void)
{
    uint32_t id;
    int fd;
    uint8_t buf[64];
    ssize_t n;

    c_attach(CHECK("attach_bypass_novdev", "ok",
                   "a bypass nested HWPT attaches without a vDEVICE"),
             devfd, h_bypass);
    c_attach(CHECK("attach_s1_novdev", "ENOENT",
                   "a stage-1 nested HWPT needs a vDEVICE first"),
             devfd, h_s1);
    c_attach(CHECK("attach_abort_novdev", "ok",
                   "an abort nested HWPT attaches without a vDEVICE"),
             devfd, h_abort);

    c_vdevice_alloc(CHECK("vdevice_bad_viommu", "ENOENT",
                          "IOMMU_VDEVICE_ALLOC on a missing vIOMMU id"),
                    iommufd, 999, dev_id, vsid, &id);
    c_vdevice_alloc(CHECK("vdevice_alloc", "ok",
                          "IOMMU_VDEVICE_ALLOC gives the device its vSID"),
                    iommufd, viommu, dev_id, vsid, &vdev);
    c_vdevice_alloc(CHECK("vdevice_second", "EEXIST",
                          "a second vDEVICE for the same device"),
                    iommufd, viommu, dev_id, vsid + 1, &id);

    c_veventq_alloc(CHECK("veventq_depth0", "EINVAL",
                          "IOMMU_VEVENTQ_ALLOC with depth 0"),
                    iommufd, viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 0, &id,
                    &fd);
    c_veventq_alloc(CHECK("veventq_type_default", "EOPNOTSUPP",
                          "IOMMU_VEVENTQ_ALLOC of type DEFAULT"),
                    iommufd, viommu, IOMMU_VEVENTQ_TYPE_DEFAULT, 8, &id, &fd);
    c_veventq_alloc(CHECK("veventq_alloc", "ok",
                          "IOMMU_VEVENTQ_ALLOC ARM_SMMUV3, depth 8"),
                    iommufd, viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, EVQ_DEPTH,
                    &veventq_id, &qfd);
    c_veventq_alloc(CHECK("veventq_second", "EEXIST",
                          "a second vEVENTQ of the same type"),
                    iommufd, viommu, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 8, &id,
                    &fd);
    if (qfd >= 0) {
        n = read(qfd, buf, sizeof(buf));
        check_str("veventq_read_empty",
                  "a read of an empty vEVENTQ returns 0 (does not block)",
                  "0", n == 0 ? "0" : n < 0 ? rep_errname(errno) : "data");
    }

    c_attach(CHECK("attach_s1", "ok",
                   "the stage-1 nested HWPT attaches once the vDEVICE exists"),
             devfd, h_s1);
}

/* ---- teardown order ---- */

void teardown_checks(void)
{
    c_destroy(CHECK("destroy_s2_busy", "EBUSY",
                    "the S2 cannot be destroyed while a vIOMMU uses it"),
              iommufd, s2);
    c_destroy(CHECK("destroy_viommu_busy", "EBUSY",
                    "the vIOMMU cannot be destroyed while it has objects"),
              iommufd, viommu);
    c_destroy(CHECK("destroy_veventq_open", "EBUSY",
                    "a vEVENTQ whose fd is open cannot be destroyed"),
              iommufd, veventq_id);
    c_attach(CHECK("attach_back_s2", "ok",
                   "replace the nested HWPT by the S2 parent"),
             devfd, s2);
    c_destroy(CHECK("destroy_abort", "ok", "destroy the abort HWPT"),
              iommufd, h_abort);
    c_destroy(CHECK("destroy_bypass", "ok", "destroy the bypass HWPT"),
              iommufd, h_bypass);
    c_destroy(CHECK("destroy_s1", "ok", "destroy the stage-1 HWPT"),
              iommufd, h_s1);
    close(qfd);
    c_destroy(CHECK("destroy_veventq", "ok",
                    "destroy the vEVENTQ once its fd is closed"),
              iommufd, veventq_id);
    c_destroy(CHECK("destroy_vdevice", "ok", "destroy the vDEVICE"),
              iommufd, vdev);
    c_destroy(CHECK("destroy_viommu", "ok", "destroy the vIOMMU"),
              iommufd, viommu);
    c_detach(CHECK("detach", "ok", "detach the device"), devfd);
    c_destroy(CHECK("destroy_s2", "ok", "destroy the S2"), iommufd, s2);
    c_destroy(CHECK("destroy_plain", "ok", "destroy the plain HWPT"),
              iommufd, plain);
    c_destroy(CHECK("destroy_ioas", "ok", "destroy the IOAS"), iommufd, ioas);
}

