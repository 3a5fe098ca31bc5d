/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * nest-check: what its files share (the state of the run, the checks'
 * helpers, each file's checks).  The program is described in nest-check.c.
 */

#ifndef NEST_CHECK_H
#define NEST_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include "e2e-report.h"
#include "iommufd-calls.h"
#include "smmu-s1.h"
#include "vevent.h"
#include "vfio-edu.h"

/*
 * Guest RAM: one block at IPA_BASE in the IOAS.  edu's DMA mask is 28 bits,
 * so every bus address (IPA under a bypass vSTE, VA under stage 1) stays
 * below 256 MiB, and away from the host's MSI window at 0x8000000.
 */
#define IPA_BASE        0x1000000ULL
#define MEM_SIZE        (8ULL << 20)
#define OFF_A           0x200000ULL     /* data block A */
#define OFF_B           0x400000ULL     /* data block B */
#define OFF_S1B         0x010000ULL     /* second set of S1 tables */
#define VA_A            0x200000ULL     /* S1: VA_A -> block A */
#define VA_NEW          0x400000ULL     /* S1 after the remap: -> block A */
#define VA_HOLE         0x600000ULL     /* never mapped */
#define MSI_IOVA        0x8000000ULL    /* arm-smmu-v3 SW_MSI window */
#define MSI_DOORBELL    0x8000040ULL    /* where the host points the MSI */
#define EVQ_DEPTH       8
#define S1_ASID         1
#define XFER            256

#define CHECK(step, expect, what) (&(Check){ (step), (expect), (what) })

/* The run's state: the device, the iommufd objects, guest RAM */
extern int iommufd;
extern int devfd;
extern uint32_t vsid;
extern uint32_t dev_id, ioas, s2, plain, viommu, vdev, veventq_id;
extern uint32_t h_abort, h_bypass, h_s1;
extern int qfd;
extern uint8_t *mem;
extern S1Tables s1;
extern Edu edu;
extern bool have_edu;
extern uint16_t marker;

/* nest-check.c: records and opening */
void check_str(const char *step, const char *what, const char *expect,
               const char *got);
void check_hex(const char *step, const char *what, uint64_t expect,
               uint64_t got);
int open_dev(const char *path);
int open_iommufd(void);

/* nest-check-objects.c: registers, IOAS and S2, vIOMMU, vSTEs, objects */
void hw_info_checks(void);
int s2_setup(void);
int viommu_checks(void);
void nested_checks(void);
void object_checks(void);
void teardown_checks(void);

/* nest-check-inval.c: IOMMU_HWPT_INVALIDATE on the vIOMMU */
void invalidate_checks(void);
void guest_tlbi(const char *step);

/* nest-check-dma.c: edu's DMA and MSIs through the nested translation */
void fill(uint64_t off, uint8_t seed);
bool same(uint64_t a, uint64_t b);
void dma_record(const char *step, const char *what, const char *expect,
                const char *got, uint64_t bus);
void dma_checks(void);
void msi_checks(void);

/* nest-check-cmdqv.c: the host's CMDQV (or its absence) */
void cmdqv_checks(bool present);

/* nest-check-group.c: two devices of one iommu group */
void group_checks(const char *path_a, const char *path_b);

#endif
