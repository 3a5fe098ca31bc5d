/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host model: a userspace model of the Linux iommufd + VFIO cdev +
 * ARM SMMUv3 nesting ABI, loaded with LD_PRELOAD.
 *
 * Private declarations shared by the hm-*.c files of libhostmodel.so.
 * Nothing here is exported: the library only exports the libc symbols
 * it interposes.
 */
#ifndef HM_INTERNAL_H
#define HM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#define HM_HIDDEN __attribute__((visibility("hidden")))

#define HM_MAX_FDS      65536
#define HM_NAME_LEN     32
#define HM_MAX_SMMUS    16
#define HM_MAX_DEVICES  32
#define HM_MAX_VECTORS  64

#define HM_PAGE_SIZE_DEFAULT    4096
#define HM_SW_MSI_BASE          0x8000000ULL
#define HM_SW_MSI_LENGTH        0x100000ULL

/* ---- SMMUv3 architecture fields (IDR registers, STE, commands) ---- */

#define HM_BIT(n)               (1ULL << (n))
#define HM_MASK(hi, lo)         ((~0ULL >> (63 - (hi))) & ~((1ULL << (lo)) - 1))
#define HM_FIELD_GET(hi, lo, v) (((uint64_t)(v) & HM_MASK(hi, lo)) >> (lo))

/* IDR0 */
#define HM_IDR0_S2P(r)          HM_FIELD_GET(0, 0, r)
#define HM_IDR0_S1P(r)          HM_FIELD_GET(1, 1, r)
#define HM_IDR0_TTF(r)          HM_FIELD_GET(3, 2, r)
#define HM_IDR0_COHACC(r)       HM_FIELD_GET(4, 4, r)
#define HM_IDR0_HTTU(r)         HM_FIELD_GET(7, 6, r)
#define HM_IDR0_ATS(r)          HM_FIELD_GET(10, 10, r)
/* IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED (Linux 6.17), newer than the headers */
#define HM_HW_CAP_PCI_ATS_NOT_SUPPORTED (1u << 3)
#define HM_IDR0_VMID16(r)       HM_FIELD_GET(18, 18, r)
#define HM_IDR0_ST_LEVEL(r)     HM_FIELD_GET(28, 27, r)
/* IDR1 */
#define HM_IDR1_SIDSIZE(r)      HM_FIELD_GET(5, 0, r)
#define HM_IDR1_SSIDSIZE(r)     HM_FIELD_GET(10, 6, r)
/* IDR3 */
#define HM_IDR3_FWB(r)          HM_FIELD_GET(8, 8, r)
#define HM_IDR3_RIL(r)          HM_FIELD_GET(10, 10, r)
#define HM_IDR3_BBML(r)         HM_FIELD_GET(12, 11, r)
/* IDR5 */
#define HM_IDR5_OAS(r)          HM_FIELD_GET(2, 0, r)
#define HM_IDR5_GRAN4K(r)       HM_FIELD_GET(4, 4, r)
#define HM_IDR5_GRAN16K(r)      HM_FIELD_GET(5, 5, r)
#define HM_IDR5_GRAN64K(r)      HM_FIELD_GET(6, 6, r)
#define HM_IDR5_VAX(r)          HM_FIELD_GET(11, 10, r)

/* Stream table entry, the two words a VMM may give for nesting */
#define HM_STE0_V               HM_BIT(0)
#define HM_STE0_CFG_MASK        HM_MASK(3, 1)
#define HM_STE0_CFG(v)          HM_FIELD_GET(3, 1, v)
#define HM_STE_CFG_ABORT        0
#define HM_STE_CFG_BYPASS       4
#define HM_STE_CFG_S1_TRANS     5
#define HM_STE_CFG_S2_TRANS     6
#define HM_STE_CFG_NESTED       7
#define HM_STE1_EATS_MASK       HM_MASK(29, 28)
#define HM_STE1_EATS(v)         HM_FIELD_GET(29, 28, v)
#define HM_STE1_EATS_ABT        0
#define HM_STE1_EATS_TRANS      1
#define HM_STE1_MEV             HM_BIT(19)
/* V, Config, S1Fmt, S1ContextPtr, S1CDMax */
#define HM_STE0_NESTING_ALLOWED (HM_STE0_V | HM_STE0_CFG_MASK | \
                                 HM_MASK(5, 4) | HM_MASK(51, 6) | \
                                 HM_MASK(63, 59))
/* S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS */
#define HM_STE1_NESTING_ALLOWED (HM_MASK(1, 0) | HM_MASK(3, 2) | \
                                 HM_MASK(5, 4) | HM_MASK(7, 6) | \
                                 HM_BIT(27) | HM_STE1_EATS_MASK)

/* Command queue */
#define HM_CMD_OP(c0)           ((unsigned)((c0) & 0xff))
#define HM_CMD_SID_MASK         HM_MASK(63, 32)
#define HM_CMD_SID(c0)          HM_FIELD_GET(63, 32, c0)
#define HM_CMD_VMID_MASK        HM_MASK(47, 32)
#define HM_OP_CFGI_STE          0x03
#define HM_OP_CFGI_CD           0x05
#define HM_OP_CFGI_CD_ALL       0x06
#define HM_OP_TLBI_NH_ALL       0x10
#define HM_OP_TLBI_NH_ASID      0x11
#define HM_OP_TLBI_NH_VA        0x12
#define HM_OP_TLBI_NH_VAA       0x13
#define HM_OP_TLBI_NSNH_ALL     0x30
#define HM_OP_ATC_INV           0x40
#define HM_OP_CMD_SYNC          0x46
#define HM_SYNC_CS_SEV          (2ULL << 12)
/* The kernel's CMDQ_BATCH_ENTRIES is BITS_PER_LONG */
#define HM_CMDQ_BATCH_DEFAULT   64

/* Event queue */
#define HM_EVT_ID(e0)           ((unsigned)((e0) & 0xff))
#define HM_EVT_SID_MASK         HM_MASK(63, 32)
#define HM_EVT1_STALL           HM_BIT(31)
#define HM_EVT1_S2              HM_BIT(39)

/* ---- configuration ---- */

typedef struct HmProfile {
    char name[HM_NAME_LEN];
    uint32_t idr[6];
    uint32_t iidr;
    uint32_t aidr;
    bool canwbs;            /* default for devices behind this SMMU */
    bool force_sync;        /* ARM_SMMU_OPT_CMDQ_FORCE_SYNC */
    unsigned cmdq_batch;    /* CMDQ_BATCH_ENTRIES */
    /* A Tegra241 CMDQV beside it: its PARAM fields (log2 of each count) */
    bool cmdqv;
    unsigned cmdqv_version;
    unsigned cmdqv_vintfs_log2;
    unsigned cmdqv_vcmdqs_log2;     /* in all, VINTF0's included */
    unsigned cmdqv_sids_log2;       /* per VINTF */
} HmProfile;

typedef struct HmHostCmd {
    uint64_t cmd[2];
    uint32_t batch;         /* issue number (cmdlist call) on this SMMU */
    int vcmdq;              /* -1: the SMMU's queue, else the CMDQV's VCMDQ */
    int sync_errno;         /* for CMD_SYNC entries: 0 or the failure */
} HmHostCmd;

typedef struct HmFailRule {
    int active;
    char name[48];          /* ioctl name, or SMMU name for sync rules */
    unsigned remaining;     /* calls left before the failing one */
    int err;
} HmFailRule;

typedef struct HmSmmu {
    char name[HM_NAME_LEN];
    HmProfile prof;
    /* What the driver's probe decided (hm_smmu_probe) */
    bool feat_nesting;      /* ARM_SMMU_FEAT_NESTING */
    bool opt_force_sync;    /* ARM_SMMU_OPT_CMDQ_FORCE_SYNC */
    unsigned vmid_bits;
    uint8_t vmid_used[65536 / 8];
    HmHostCmd *log;
    size_t log_len, log_cap;
    uint32_t batches;
    uint64_t syncs;
    uint64_t cmdqv_vintfs_used;     /* bit 0: the host kernel's VINTF0 */
} HmSmmu;

typedef struct HmResv {
    uint64_t start, last;
} HmResv;

struct HmCtx;
struct HmIdev;
struct HmVfioFile;
struct HmViommu;

typedef enum HmIrqType {
    HM_IRQ_NONE = -1,
    HM_IRQ_INTX = VFIO_PCI_INTX_IRQ_INDEX,
    HM_IRQ_MSI = VFIO_PCI_MSI_IRQ_INDEX,
    HM_IRQ_MSIX = VFIO_PCI_MSIX_IRQ_INDEX,
} HmIrqType;

typedef struct HmDevice {
    char name[HM_NAME_LEN];
    char path[96];
    HmSmmu *smmu;
    uint32_t sid;
    int group;
    bool ats;
    bool canwbs;
    unsigned pasid_bits;
    uint16_t vendor, device_id, subvendor, subdevice;
    uint32_t class_code;
    uint8_t revision;
    uint16_t segment;
    uint8_t bus, devfn;
    unsigned msix_vectors;
    unsigned msi_vectors_log2;
    unsigned intx_pin;
    uint64_t bar0_size;
    bool dyn_msix;
    HmResv resv[4];
    unsigned n_resv;

    /* runtime state */
    struct HmVfioFile *bound;   /* the device file that is bound, if any */
    unsigned opens;
    uint8_t cfg[4096];
    uint8_t cfg_wmask[4096];
    uint32_t bar0_lo_written, bar0_hi_written;
    uint32_t scratch;
    HmIrqType irq_type;
    int intx_fd, intx_unmask_fd;
    bool intx_masked, intx_pending;
    int vec_fd[HM_MAX_VECTORS];
    unsigned num_vec;
    int err_fd, req_fd;
    uint64_t resets;
    /* what the SMMU driver keeps per master */
    bool has_vmaster;
    struct HmViommu *vm_viommu;
    uint32_t vm_vsid;
    bool ats_enabled;
    uint64_t ste[4];            /* the physical STE the host installed */
} HmDevice;

/* The character major of the model's VFIO device files (hm-main.c) */
#define HM_VFIO_MAJOR 511

/* A kernel release, for the ioctls an older host does not have */
#define HM_KERNEL(major, minor) ((major) * 1000 + (minor))

typedef struct HmConfig {
    char host_path[512];
    char host_dir[512];
    uint64_t page_size;
    unsigned va_bits;
    unsigned kernel;            /* HM_KERNEL(major, minor); 0: the newest */
    bool no_sysfs;              /* [host] sysfs = off */
    HmSmmu smmus[HM_MAX_SMMUS];
    unsigned n_smmus;
    HmDevice devices[HM_MAX_DEVICES];
    unsigned n_devices;
} HmConfig;

/* ---- iommufd objects ---- */

typedef enum HmObjType {
    HM_OBJ_DEVICE = 1,
    HM_OBJ_IOAS,
    HM_OBJ_HWPT_PAGING,
    HM_OBJ_HWPT_NESTED,
    HM_OBJ_VIOMMU,
    HM_OBJ_VDEVICE,
    HM_OBJ_VEVENTQ,
    HM_OBJ_HW_QUEUE,
    HM_OBJ_TOMBSTONE,       /* an id the kernel keeps reserved */
    HM_OBJ_TYPE_MAX,
} HmObjType;

typedef struct HmObj {
    HmObjType type;
    uint32_t id;
    int users;              /* the kernel's obj.users: 1 == only the table */
    struct HmCtx *ctx;
} HmObj;

typedef struct HmArea {
    uint64_t iova, last;
    uint64_t uva;
    bool is_file;
    uint32_t flags;
} HmArea;

typedef struct HmIoas {
    HmObj obj;
    HmArea *areas;
    size_t n_areas, cap_areas;
    HmResv *allowed;
    size_t n_allowed;
    bool disable_large_pages;
} HmIoas;

typedef struct HmHwpt {
    HmObj obj;
    HmSmmu *smmu;
    /* paging */
    HmIoas *ioas;
    bool nest_parent;
    bool auto_domain;
    bool dirty_tracking;
    bool dirty_enabled;
    unsigned ias_bits;
    uint16_t vmid;
    /* nested */
    struct HmViommu *viommu;
    uint64_t ste[2];
    bool enable_ats;
} HmHwpt;

/* The most a model CMDQV has: logical queues and StreamIDs a VINTF */
#define HM_CMDQV_MAX_LVCMDQS    64
#define HM_CMDQV_MAX_SIDS       64

typedef struct HmViommu {
    HmObj obj;
    HmHwpt *s2;
    HmSmmu *smmu;
    uint32_t type;
    uint16_t vmid;
    /* IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV: its VINTF and that VINTF's page 0 */
    int vintf;
    uint64_t mmap_offset;
    volatile uint32_t *page;        /* the model's own mapping of it */
    struct HmHwQueue *lvcmdq[HM_CMDQV_MAX_LVCMDQS];
    uint32_t sid_match[HM_CMDQV_MAX_SIDS];
    uint32_t sid_replace[HM_CMDQV_MAX_SIDS];
} HmViommu;

/* IOMMU_HW_QUEUE_ALLOC: a logical VCMDQ of a CMDQV vIOMMU's VINTF */
typedef struct HmHwQueue {
    HmObj obj;
    HmViommu *viommu;
    unsigned index;
    uint64_t iova, length;
    uint64_t uva;                   /* where the "hardware" reads it */
    struct HmHwQueue *prev;         /* index - 1, which it holds */
} HmHwQueue;

typedef struct HmIgroup {
    int group_id;
    int refs;
    HmHwpt *hwpt;
    struct HmIdev *attached[HM_MAX_DEVICES];
    unsigned n_attached;
} HmIgroup;

typedef struct HmIdev {
    HmObj obj;
    HmDevice *dev;
    HmIgroup *igroup;
    struct HmVdevice *vdev;
} HmIdev;

typedef struct HmVdevice {
    HmObj obj;
    HmViommu *viommu;
    HmIdev *idev;
    uint64_t virt_id;
    int sid_slot;                   /* CMDQV vIOMMU: its SID table slot */
} HmVdevice;

typedef struct HmVevent {
    struct HmVevent *next;
    bool lost;              /* header-only IOMMU_VEVENTQ_FLAG_LOST_EVENTS */
    uint32_t sequence;
    uint64_t evt[4];
} HmVevent;

typedef struct HmVeventq {
    HmObj obj;
    HmViommu *viommu;
    uint32_t type;
    uint32_t depth;
    uint32_t num_events;
    uint32_t sequence;
    HmVevent *head, *tail;
    int kfd;                /* eventfd backing poll readiness */
    bool kfd_signaled;
    int open_files;
} HmVeventq;

typedef struct HmCtx {
    unsigned serial;
    HmObj **objs;           /* index == id */
    uint32_t n_objs;        /* highest id + 1 */
    HmIgroup *igroups[HM_MAX_DEVICES];
    unsigned n_igroups;
    int refs;               /* open fds + bound devices + open vEVENTQ fds */
    int fd_refs;            /* open fds of /dev/iommu only */
    bool closed_reported;
    uint32_t vfio_ioas;
    bool account_mm;
    int kfd;                /* the memfd behind it: what other processes see */
    struct HmCtx *next;
} HmCtx;

/* ---- files behind file descriptors ---- */

typedef enum HmFileType {
    HM_FILE_IOMMUFD = 1,
    HM_FILE_VFIO,
    HM_FILE_VEVENTQ,
} HmFileType;

typedef struct HmVfioFile {
    HmDevice *dev;
    HmCtx *ctx;             /* bound context */
    HmIdev *idev;
    bool access_granted;
    bool attached;
} HmVfioFile;

typedef struct HmFile {
    HmFileType type;
    int refs;               /* number of fds pointing at this file */
    int kfd_first;          /* the first kernel fd, for logs */
    union {
        HmCtx *ctx;
        HmVfioFile *vf;
        HmVeventq *veq;
    } u;
} HmFile;

/* ---- one intercepted call, for the JSON log ---- */

typedef struct HmCall {
    const char *name;
    int fd;
    char in[2048];
    size_t in_len;
    char out[4096];
    size_t out_len;
    int ret;
    int err;
} HmCall;

/* ---- global state ---- */

typedef struct HmState {
    pthread_mutex_t lock;
    bool active;
    HmConfig cfg;
    HmFile *fds[HM_MAX_FDS];
    HmCtx *ctxs;
    unsigned ctx_serial;
    HmFailRule fail[32];
    HmFailRule fail_sync[16];
    char log_path[512];
    FILE *log;
    char report_path[512];
    char control_path[512];
    bool control_owner;
    /*
     * A vEVENTQ file closed while another thread of the process is in
     * poll() on it stays referenced until that poll returns (the kernel's
     * fdget() in a multithreaded process): IOMMU_DESTROY of the queue is
     * EBUSY meanwhile.  Control "veventq-hold MS" makes every close of a
     * vEVENTQ fd behave so for MS milliseconds.
     */
    unsigned veventq_hold_ms;
    /*
     * HOSTMODEL_CAPS=sys_resource: the process counts as having
     * CAP_SYS_RESOURCE (a test rig whose root lacks it, as in a container,
     * standing in for a libvirtd that has it).
     */
    bool cap_sys_resource;
    uint64_t seq;
    struct {
        char name[48];
        uint64_t calls, errors;
    } stats[64];
    unsigned n_stats;
} HmState;

extern HM_HIDDEN HmState hm;

/* the libc functions we forward to */
typedef struct HmReal {
    int (*open)(const char *, int, ...);
    int (*openat)(int, const char *, int, ...);
    int (*close)(int);
    int (*ioctl)(int, unsigned long, ...);
    ssize_t (*read)(int, void *, size_t);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*pread)(int, void *, size_t, off_t);
    ssize_t (*pwrite)(int, const void *, size_t, off_t);
    int (*dup)(int);
    int (*dup2)(int, int);
    int (*dup3)(int, int, int);
    int (*fcntl)(int, int, ...);
    int (*fstat)(int, struct stat *);
    int (*fstat64)(int, struct stat64 *);
    ssize_t (*readlink)(const char *, char *, size_t);
    int (*prlimit)(pid_t, __rlimit_resource_t, const struct rlimit64 *,
                   struct rlimit64 *);
    void *(*mmap)(void *, size_t, int, int, int, off_t);
    int (*munmap)(void *, size_t);
} HmReal;

extern HM_HIDDEN HmReal hm_real;
HM_HIDDEN void hm_resolve_real(void);

/* hm-main.c */
HM_HIDDEN int hm_fd_install(HmFile *f, int kfd);
HM_HIDDEN HmFile *hm_fd_lookup(int fd);
HM_HIDDEN int hm_new_kfd(bool cloexec);
HM_HIDDEN void hm_file_put(HmFile *f);
HM_HIDDEN int hm_fail_check(const char *name);
HM_HIDDEN void hm_stat(const char *name, bool error);

/* hm-uaccess.c: copy_{from,to}_user against our own address space */
HM_HIDDEN int hm_copy_from_user(void *dst, uint64_t uptr, size_t len);
HM_HIDDEN int hm_copy_to_user(uint64_t uptr, const void *src, size_t len);
HM_HIDDEN int hm_clear_user(uint64_t uptr, size_t len);
HM_HIDDEN int hm_copy_struct_from_user(void *dst, size_t ksize,
                                       uint64_t uptr, size_t usize);
HM_HIDDEN bool hm_user_range_mapped(uint64_t uva, uint64_t len);

/* hm-config.c */
HM_HIDDEN int hm_config_load(HmConfig *cfg, const char *path, char *err,
                             size_t errlen);
HM_HIDDEN int hm_profile_load(HmProfile *p, const char *path, char *err,
                              size_t errlen);
HM_HIDDEN HmDevice *hm_device_by_path(const char *path);
HM_HIDDEN HmDevice *hm_device_by_name(const char *name);
HM_HIDDEN HmSmmu *hm_smmu_by_name(const char *name);
HM_HIDDEN int hm_errno_parse(const char *s);
HM_HIDDEN const char *hm_errno_name(int err);

/* hm-iommufd.c: contexts, the object table, ioctl dispatch */
HM_HIDDEN HmCtx *hm_ctx_new(void);
HM_HIDDEN void hm_ctx_adopted(HmCtx *ctx);
HM_HIDDEN void hm_ctx_get(HmCtx *ctx);
HM_HIDDEN void hm_ctx_put(HmCtx *ctx);
HM_HIDDEN int hm_iommufd_ioctl(HmCtx *ctx, unsigned long req, uint64_t arg,
                               HmCall *call);
HM_HIDDEN const char *hm_iommufd_ioctl_name(unsigned long req);
HM_HIDDEN void *hm_obj_alloc(HmCtx *ctx, HmObjType type, size_t size);
HM_HIDDEN HmObj *hm_obj_get(HmCtx *ctx, uint32_t id, HmObjType type);
HM_HIDDEN void hm_obj_remove(HmObj *obj);
HM_HIDDEN void hm_obj_tombstone(HmObj *obj);
HM_HIDDEN const char *hm_obj_type_name(HmObjType t);

/*
 * One iommufd ioctl being served (the kernel's struct iommufd_ucmd).
 * hm_iommufd_ioctl() copies the command in and hands it to the
 * hm_ioctl_*() handler of its table; the handler sets respond to have
 * the command copied back out.
 */
typedef struct HmUcmd {
    HmCtx *ctx;
    uint64_t uarg;
    uint32_t user_size;
    bool respond;
    HmCall *call;
} HmUcmd;

/* hm-ioas.c: IOAS, areas, reserved ranges */
HM_HIDDEN int hm_idev_reserve(HmIdev *idev, HmHwpt *paging);
HM_HIDDEN int hm_ioctl_ioas_alloc(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_iova_ranges(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_allow_iovas(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_ioas_map(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_ioas_map_file(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_ioas_copy(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_ioas_unmap(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_option(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_vfio_ioas(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_change_process(HmUcmd *u, void *p);

/* hm-hwpt.c: HW page tables */
HM_HIDDEN HmHwpt *hm_find_hwpt_paging(HmHwpt *hwpt);
HM_HIDDEN int hm_hwpt_paging_alloc(HmCtx *ctx, HmIoas *ioas, HmIdev *idev,
                                   uint32_t flags, bool has_data,
                                   HmHwpt **out);
HM_HIDDEN int hm_ioctl_hwpt_alloc(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_set_dirty(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_get_dirty(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_hwpt_invalidate(HmUcmd *u, void *p);

/* hm-viommu.c: vIOMMU, vDEVICE, HW queue */
HM_HIDDEN int hm_ioctl_viommu_alloc(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_vdevice_alloc(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_hw_queue_alloc(HmUcmd *u, void *p);

/* hm-cmdqv.c: the Tegra241 CMDQV of an SMMU (tegra241-cmdqv.c) */
HM_HIDDEN void hm_cmdqv_probe(HmSmmu *s);
HM_HIDDEN int hm_cmdqv_hw_info(HmSmmu *s, uint64_t uptr, uint32_t *len);
HM_HIDDEN int hm_cmdqv_viommu_init(HmUcmd *u, HmViommu *v,
                                   const struct iommu_viommu_alloc *cmd);
HM_HIDDEN void hm_cmdqv_viommu_destroy(HmViommu *v);
HM_HIDDEN int hm_cmdqv_vdevice_init(HmVdevice *vd);
HM_HIDDEN void hm_cmdqv_vdevice_destroy(HmVdevice *vd);
HM_HIDDEN void hm_cmdqv_hw_queue_destroy(HmHwQueue *q);
HM_HIDDEN bool hm_cmdqv_ioas_locked(HmIoas *ioas, uint64_t start,
                                    uint64_t last);
HM_HIDDEN void *hm_cmdqv_mmap(HmCtx *ctx, int fd, size_t len, int prot,
                              int flags, off_t off);
HM_HIDDEN void hm_cmdqv_munmap(void *addr, size_t len);
HM_HIDDEN void hm_cmdqv_fork_child(void);

/* hm-device.c: device bind/attach/detach, iommu groups, hw info */
HM_HIDDEN int hm_idev_bind(HmCtx *ctx, HmDevice *dev, HmIdev **out);
HM_HIDDEN void hm_idev_unbind(HmIdev *idev);
HM_HIDDEN int hm_idev_attach(HmIdev *idev, uint32_t *pt_id, bool replace);
HM_HIDDEN void hm_idev_detach(HmIdev *idev);
HM_HIDDEN bool hm_group_claimed_elsewhere(HmDevice *dev, HmCtx *ctx);
HM_HIDDEN bool hm_ctx_has_group(HmCtx *ctx, int group);
HM_HIDDEN int hm_ioctl_get_hw_info(HmUcmd *u, void *p);

/* hm-smmu.c */
HM_HIDDEN void hm_smmu_probe(HmSmmu *s);
HM_HIDDEN bool hm_smmu_can_nest(const HmSmmu *s);
HM_HIDDEN bool hm_smmu_dirty_capable(const HmSmmu *s);
HM_HIDDEN unsigned hm_smmu_oas_bits(const HmSmmu *s);
HM_HIDDEN unsigned hm_smmu_s1_ias_bits(const HmSmmu *s);
HM_HIDDEN unsigned hm_smmu_s2_ias_bits(const HmSmmu *s);
HM_HIDDEN int hm_smmu_vmid_alloc(HmSmmu *s, uint16_t *vmid);
HM_HIDDEN void hm_smmu_vmid_free(HmSmmu *s, uint16_t vmid);
HM_HIDDEN int hm_smmu_validate_vste(uint64_t ste[2], bool *enable_ats);
HM_HIDDEN int hm_smmu_cache_invalidate(HmViommu *v, uint64_t uptr,
                                       uint32_t type, uint32_t entry_len,
                                       uint32_t *entry_num, HmCall *call);
HM_HIDDEN int hm_smmu_log_cmd(HmSmmu *s, const uint64_t cmd[2], int sync_err,
                              int vcmdq);
HM_HIDDEN int hm_smmu_issue_cmdlist(HmSmmu *s, const uint64_t (*cmds)[2],
                                    size_t n);
HM_HIDDEN int hm_smmu_handle_event(HmDevice *dev, const uint64_t evt[4],
                                   char *why, size_t whylen,
                                   uint32_t *viommu_id, uint32_t *seq);
HM_HIDDEN void hm_smmu_install_ste(HmDevice *dev, HmHwpt *hwpt);

/* hm-eventq.c: vEVENTQ objects and fds, fault queues */
HM_HIDDEN int hm_veventq_alloc(HmCtx *ctx, struct iommu_veventq_alloc *cmd);
HM_HIDDEN int hm_veventq_report(HmViommu *v, uint32_t type,
                                const uint64_t evt[4], uint32_t *seq);
HM_HIDDEN ssize_t hm_veventq_read(HmVeventq *q, uint64_t ubuf, size_t count,
                                  HmCall *call);
HM_HIDDEN void hm_veventq_file_release(HmVeventq *q);
HM_HIDDEN void hm_veventq_destroy(HmVeventq *q);
HM_HIDDEN HmVeventq *hm_veventq_find(HmViommu *v, uint32_t type);
HM_HIDDEN int hm_ioctl_veventq_alloc(HmUcmd *u, void *p);
HM_HIDDEN int hm_ioctl_fault_alloc(HmUcmd *u, void *p);

/* hm-vfio.c: the VFIO cdev device file */
HM_HIDDEN int hm_vfio_open(HmDevice *dev, int flags, HmFile **out);
HM_HIDDEN void hm_vfio_release(HmVfioFile *vf);
HM_HIDDEN int hm_vfio_ioctl(HmVfioFile *vf, unsigned long req, uint64_t arg,
                            HmCall *call);
HM_HIDDEN const char *hm_vfio_ioctl_name(unsigned long req);

/* hm-vfio-pci.c: the vfio-pci device */
HM_HIDDEN ssize_t hm_vfio_rw(HmVfioFile *vf, uint64_t ubuf, size_t count,
                             uint64_t off, bool write, HmCall *call);
HM_HIDDEN void hm_device_reset_state(HmDevice *dev);
HM_HIDDEN void hm_device_flr(HmDevice *d);
HM_HIDDEN int hm_device_signal(HmDevice *dev, const char *what,
                               unsigned vector);
HM_HIDDEN void hm_irq_release_fds(HmDevice *d);
HM_HIDDEN void hm_fd_replace(int *slot, int fd);
HM_HIDDEN int hm_vfio_set_irqs(HmDevice *d, uint64_t arg, HmCall *call);
HM_HIDDEN int hm_vfio_get_info(HmVfioFile *vf, uint64_t arg, HmCall *call);
HM_HIDDEN int hm_vfio_region_info(HmVfioFile *vf, uint64_t arg,
                                  HmCall *call);
HM_HIDDEN int hm_vfio_irq_info(HmVfioFile *vf, uint64_t arg, HmCall *call);
HM_HIDDEN int hm_vfio_hot_reset_info(HmVfioFile *vf, uint64_t arg,
                                     HmCall *call);
HM_HIDDEN int hm_vfio_hot_reset(HmVfioFile *vf, uint64_t arg);

/* hm-log.c */
HM_HIDDEN void hm_log_open(void);
HM_HIDDEN void hm_call_in(HmCall *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
HM_HIDDEN void hm_call_out(HmCall *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
HM_HIDDEN void hm_log_call(HmCall *c);
HM_HIDDEN void hm_log_event(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
HM_HIDDEN void hm_report(const char *why, HmCtx *only);
HM_HIDDEN size_t hm_objects_describe(char *buf, size_t len, HmCtx *only);
HM_HIDDEN unsigned hm_objects_count(const char *type);

/* hm-control.c */
HM_HIDDEN void hm_control_start(void);
HM_HIDDEN void hm_control_stop(void);
HM_HIDDEN void hm_control_exec(const char *line, char *reply, size_t len);

#endif /* HM_INTERNAL_H */
