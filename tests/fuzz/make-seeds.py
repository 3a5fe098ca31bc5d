#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Write the seed inputs of the fuzz targets into tests/fuzz/seeds/ (the
# committed files are this script's output; run it again after changing
# an encoding).  Each seed is one scenario a guest or the host plays; the
# encodings are those of tests/qtest/fuzz/smmuv3_fuzz.c and of QEMU's
# generic-fuzz.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# smmuv3_fuzz.c: setup bits and operations
SETUP_TABLES, SETUP_2LVL, SETUP_IRQS = 1, 2, 4
(OP_WRITE_REG, OP_WRITE_REG64, OP_READ_REG, OP_STE, OP_CD, OP_MAP, OP_RAM,
 OP_CMD, OP_SYNC, OP_KICK, OP_CR0, OP_GERRORN, OP_EVTQ_CONSUME, OP_DMA,
 OP_HOST_FAIL, OP_HOST_EVENT, OP_UNPLUG, OP_REPLUG, OP_CLOCK_STEP,
 OP_RESET, OP_QUERY, OP_AIM) = range(22)
# devices: 0 vfio0 (accel only), 1 e1000e, 2 ahci, 3 nvme, 4 virtio-blk
# command choices: index into smmuv3_fuzz.c's opcode table, +0x80 = kick
CFGI_STE, CFGI_CD, CFGI_ALL, TLBI_NH_ASID, TLBI_NH_VA, ATC_INV = 0, 2, 4, 6, 7, 12
KICK = 0x80
# STE shapes: bit 0 fix-up, then the Config index (abort, bypass, S1, S2, nested)
STE_S1, STE_BYPASS, STE_ABORT, STE_NESTED = 1 | 2 << 1, 1 | 1 << 1, 1, 1 | 4 << 1


def u8(v): return struct.pack('<B', v & 0xff)
def u16(v): return struct.pack('<H', v & 0xffff)
def u32(v): return struct.pack('<I', v & 0xffffffff)
def u64(v): return struct.pack('<Q', v & 0xffffffffffffffff)


def ste(dev, shape, words=(0,) * 8):
    return u8(OP_STE) + u8(dev) + u8(shape) + b''.join(u64(w) for w in words)


def cd(idx, shape, asid=1):
    return u8(OP_CD) + u8(idx) + u8(shape) + u64(asid << 48) + u64(0) * 3


def cmd(choice, dev, w0=0, w1=0):
    return u8(OP_CMD) + u8(choice) + u8(dev) + u64(w0) + u64(w1)


def sync(cs=0, msi=0):
    return u8(OP_SYNC) + u8(cs) + u64(msi)


def dma(dev, iova, length=8, write=0):
    return u8(OP_DMA) + u8(dev) + u64(iova) + u8(length - 1) + u8(write)


def fail(call, nth=1, err=0):
    return u8(OP_HOST_FAIL) + u8(call) + u8(nth - 1) + u8(err)


TABLES = u8(SETUP_TABLES | SETUP_IRQS)
# STE word 1: S1DSS=0, S1CDMAX=0; word 2 bits used by the accel checks left 0
structured = {
    'install-s1': TABLES + ste(0, STE_S1) + cd(0, 1) +
        cmd(CFGI_STE, 0) + sync(),
    'emulated-dma': TABLES + ste(1, STE_S1) + cd(0, 1) +
        u8(OP_MAP) + u64(0x1000) + u16(3) + u8(1) +
        cmd(CFGI_STE, 1) + sync() + dma(1, 0x1000) + dma(1, 0x1000, 16, 1),
    'two-level-bypass': u8(SETUP_TABLES | SETUP_2LVL) +
        ste(0, STE_BYPASS) + ste(2, STE_BYPASS) + cmd(CFGI_ALL, 0) + sync() +
        dma(2, 0x2000),
    'tlbi-batch': TABLES + ste(0, STE_S1) + cd(0, 1) + cmd(CFGI_STE, 0) +
        cmd(TLBI_NH_ASID, 0, 1 << 48) + cmd(TLBI_NH_VA, 0, 1 << 48, 0x1000) +
        cmd(CFGI_CD, 0) + cmd(ATC_INV, 0) + sync(1),
    'host-fails-invalidate': TABLES + ste(0, STE_S1) + cd(0, 1) +
        cmd(CFGI_STE, 0) + sync() + fail(1, 1, 0) +
        cmd(TLBI_NH_ASID, 0, 1 << 48) + sync() + u8(OP_GERRORN) +
        u8(OP_WRITE_REG) + u16(0x9c // 4) + u32(0),
    'host-fails-hwpt': TABLES + fail(0, 1, 1) + ste(0, STE_S1) + cd(0, 1) +
        cmd(CFGI_STE, 0) + sync() + ste(0, STE_ABORT) + cmd(CFGI_STE, 0) +
        sync(),
    'host-fails-attach': TABLES + fail(4, 1, 0) + ste(0, STE_S1) +
        cd(0, 1) + cmd(CFGI_STE, 0) + sync(),
    'host-event': TABLES + ste(0, STE_S1) + cd(0, 1) + cmd(CFGI_STE, 0) +
        sync() + u8(OP_HOST_EVENT) + u8(0) + u64(0x10) + u64(0) +
        u64(0x1000) + u64(0) + u8(OP_EVTQ_CONSUME) + u8(0),
    'unplug-replug': TABLES + ste(0, STE_S1) + cd(0, 1) + cmd(CFGI_STE, 0) +
        sync() + u8(OP_UNPLUG) + cmd(CFGI_STE, 0) + sync() + u8(OP_REPLUG) +
        cmd(CFGI_STE, 0) + sync(),
    # the event queue at the GIC ITS doorbell, then an event
    'aim-evtq-at-its': TABLES + u8(OP_AIM) + u8(2 | 6 << 4) + u8(3) +
        u16(0x8) + ste(0, STE_S1) + cd(0, 1) + cmd(CFGI_STE, 0) + sync() +
        u8(OP_HOST_EVENT) + u8(0) + u64(0x10) + u64(0) * 3 + u8(OP_QUERY),
    'disable-mid-queue': TABLES + ste(0, STE_NESTED) + cmd(CFGI_STE, 0) +
        u8(OP_CR0) + u8(0x1) + u8(OP_KICK) + u8(OP_CR0) + u8(0xd) +
        sync(2, 0x40000000),
}

# generic-fuzz (tests/qtest/fuzz/generic_fuzz.c): ops, SEPARATOR "FUZZ"
G_WRITE, G_PCI_WRITE, G_ADD_DMA_PATTERN, G_CLOCK_STEP = 3, 5, 7, 9
SEP = b'FUZZ'


# The operations' arguments are C structs, copied whole: padded as the
# compiler lays them out (op_write: offset at 4, value at 8; op_pci_write:
# value at 4)
def g_write(size, region, offset, value):
    return (u8(G_WRITE) + u8(size) + u8(region) + b'\0' * 2 + u32(offset) +
            u64(value))


def g_pci_write(size, dev, offset, value):
    return u8(G_PCI_WRITE) + u8(size) + u8(dev) + u8(offset) + b'\0' + u32(value)


generic = {
    'pattern-and-writes': SEP.join([
        u8(G_ADD_DMA_PATTERN) + u8(0) + u8(1) + bytes(range(1, 33)),
        g_write(2, 0, 0x20, 0xd), g_write(2, 0, 0x98, 4),
        g_write(2, 1, 0x0, 0xffffffff), u8(G_CLOCK_STEP),
    ]),
    'pci-config': SEP.join([
        g_pci_write(1, 0, 4, 6),
        g_pci_write(2, 1, 0x10, 0x10000000),
        g_write(3, 2, 0x0, 0x1),
    ]),
}

# generic-cmdqv: the CMDQV is the one region; a VCMDQ of VINTF @v (HYP_OWN
# or a guest's) set up and kicked, its commands from the DMA pattern
def cmdqv_queue(v, hyp_own):
    lpage0 = 0x30000 + 0x20000 * v
    return [
        g_write(2, 0, 0x0, 1),
        g_write(2, 0, 0x1000 + 0x100 * v, hyp_own << 17 | 5 << 1 | 1),
        g_write(2, 0, 0x40 + 0x1000 + 0x100 * v, 0x20 << 1 | 1),
        g_write(2, 0, 0x200 + 4 * v, v << 15 | 1),
        g_write(3, 0, lpage0 + 0x10000, 0x40000000 | 5),
        g_write(2, 0, lpage0 + 0x8, 1),
        u8(G_ADD_DMA_PATTERN) + u8(0) + u8(1) + bytes(range(0x40, 0x60)),
        g_write(2, 0, lpage0 + 0x4, 8),
    ]


cmdqv = {
    'hyp-own-queue': SEP.join(cmdqv_queue(0, 1)),
    'guest-queue': SEP.join(cmdqv_queue(1, 0) + [
        g_write(2, 0, 0x30000 + 0x20000 + 0x14, 1),
        g_write(2, 0, 0x30000 + 0x20000 + 0x4, 12)]),
}

# generic-accel-cmdqv: the guest's VINTF0 (accel=on gives one) on the
# host's CMDQV: its queue 0 a host HW queue, kicked through the mapped page
accel_cmdqv = {
    'guest-queue-on-host': SEP.join(cmdqv_queue(0, 0)),
    'queue-moves': SEP.join(cmdqv_queue(0, 0) + [
        g_write(3, 0, 0x40000, 0x40001000 | 5),
        g_write(2, 0, 0x30000 + 0x8, 1),
        g_write(2, 0, 0x30000 + 0x4, 3),
        g_write(3, 0, 0x40000, 0)]),
}

seeds = {
    'smmuv3-accel-ops': structured,
    'smmuv3-ops': {k: v for k, v in structured.items()
                   if not k.startswith(('host-', 'unplug'))},
    'generic-accel': generic,
    'generic-emulated': generic,
    'generic-cmdqv': cmdqv,
    'generic-accel-cmdqv': accel_cmdqv,
}

for target, inputs in seeds.items():
    d = os.path.join(HERE, 'seeds', target)
    os.makedirs(d, exist_ok=True)
    for name, data in inputs.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
