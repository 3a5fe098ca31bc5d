#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The real-kernel end-to-end harness: boots L0 (our x86_64
# qemu-system-aarch64, TCG, an emulated ARM host whose SMMUv3 can nest)
# with edu and virtio-blk behind the SMMU; L1 (our kernel, init-l1.sh)
# checks the host, runs the uAPI programs and L2 under its KVM
# (init-l2.sh); this turns what they print into TAP.
#
# Everything goes to the run directory: console.log (the serial console,
# each line stamped with seconds since L0 started), l0.log (L0's trace
# and guest errors), disk.img, results.jsonl (every record, with the level
# it came from), timings.txt and, for the demo, summary.txt.
#
# usage: harness.py --qemu L0_QEMU --kernel DIR --initramfs DIR
#                   --run-dir DIR [--mode baseline|accel|stale|bench] [--timeout S]
#                   [--l1-boot dt|acpi] [--l2-boot dt|acpi] [--l2-timeout S]
#                   [--l2-trace EV]...
#                   [--summary] [--trace PATTERN]...

import argparse
import hashlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import time

# The DMA devices of L0, at the addresses init-l1.sh expects.
L0_DEVICES = [
    '-device', 'edu,addr=2.0',
    '-drive', 'if=none,id=disk0,file={disk},format=raw',
    '-device', 'virtio-blk-pci,drive=disk0,addr=3.0,iommu_platform=on,'
               'disable-legacy=on',
    '-device', 'edu,addr=4.0,multifunction=on',
    '-device', 'edu,addr=4.1',
]

# L0 trace points: the TLBI_NH_ASID commands that reach the emulated SMMU
# (the invalidation checks find their marker ASIDs there), events, errors.
# With the CMDQV, which queue each command came through: a consumption
# pass of a VCMDQ begins with smmuv3_cmdqv_consume, any pass ends with
# smmuv3_cmdq_consume_out.
L0_TRACE = ['smmuv3_cmdq_tlbi_nh_asid', 'smmuv3_cmdq_consume_error',
            'smmuv3_record_event', 'smmuv3_cmdqv_consume',
            'smmuv3_cmdq_consume_out']

# Stages each level must reach, in order, per mode.
STAGES = {
    'baseline': [('L1', 'init'), ('L1', 'disk'), ('L1', 'bind'),
                 ('L1', 'nest'), ('L1', 'dma'), ('L1', 'l2-start'),
                 ('L2', 'init'), ('L2', 'disk'), ('L2', 'end'),
                 ('L1', 'l2-exit'), ('L1', 'after'), ('L1', 'end')],
    'accel': [('L1', 'init'), ('L1', 'disk'), ('L1', 'bind'),
              ('L1', 'dma'), ('L1', 'l2-start'), ('L2', 'init'),
              ('L2', 'disk'), ('L2', 'dma'), ('L2', 'live'),
              ('L2', 'replugged'), ('L2', 'end'),
              ('L1', 'l2-exit'), ('L1', 'after'), ('L1', 'end')],
}

# accel with cmdqv=on: the same checks, L2's VCMDQs on L0's CMDQV
STAGES['accel-cmdqv'] = list(STAGES['accel'])
# accel with x-forward-invalidations=off: the same path, a stale translation
STAGES['stale'] = [s for s in STAGES['accel']
                   if s not in (('L2', 'disk'), ('L2', 'replugged'))]
# stale with cmdqv=on: L0's CMDQV drops a guest VINTF's TLBIs instead
STAGES['stale-cmdqv'] = list(STAGES['stale'])
# Ours and upstream 11.1.3 in turn, each running the accel mode's L2
# (init-l1.sh, use_qemu): stage NAME of QEMU Q is 'NAME@Q'; then the same
# with cmdqv=on, whose runs are 'Q-cmdqv'
COMPARE_QEMUS = ['ours', 'upstream']
COMPARE_SETS = [('', 'accel mode, cmdqv=off'),
                ('-cmdqv', 'accel mode, cmdqv=on')]
L2_ACCEL_STAGES = [n for lv, n in STAGES['accel'] if lv == 'L2']
STAGES['compare'] = ([('L1', 'init'), ('L1', 'disk'), ('L1', 'bind'),
                      ('L1', 'dma'), ('L1', 'l2-start')] +
                     [('L2', f'{n}@{q}{s}') for s, _ in COMPARE_SETS
                      for q in COMPARE_QEMUS for n in L2_ACCEL_STAGES] +
                     [('L2', f'bench-{q}{s}@{q}{s}-bench')
                      for s, _ in COMPARE_SETS for q in COMPARE_QEMUS] +
                     [('L1', 'l2-exit'), ('L1', 'after'), ('L1', 'end')])
# The benchmark: L2 booted once per configuration (init-l1.sh, run_l2)
BENCH_CONFIGS = ['none', 'virtio-iommu', 'accel', 'accel-percmd',
                 'accel-cmdqv']
STAGES['bench'] = ([('L1', 'init'), ('L1', 'disk'), ('L1', 'bind'),
                    ('L1', 'dma'), ('L1', 'l2-start')] +
                   [('L2', f'bench-{c}') for c in BENCH_CONFIGS] +
                   [('L1', 'l2-exit'), ('L1', 'after'), ('L1', 'end')])

# The arm-smmu-v3 driver's probe line, and its ARM_SMMU_FEAT_* bits that
# a guest behind the accel vSMMU must or must not have (Linux 7.2,
# drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h)
SMMU_FEATURES = re.compile(r'arm-smmu-v3 .*\(features 0x([0-9a-f]+)\)')
SMMU_FEAT = {'MSI': 1 << 7, 'TRANS_S1': 1 << 9, 'TRANS_S2': 1 << 10,
             'HYP': 1 << 12, 'NESTING': 1 << 19, 'S2FWB': 1 << 23}
SMMU_FEAT_NAMES = ['2_LVL_STRTAB', '2_LVL_CDTAB', 'TT_LE', 'TT_BE', 'PRI',
                   'ATS', 'SEV', 'MSI', 'COHERENCY', 'TRANS_S1', 'TRANS_S2',
                   'STALLS', 'HYP', 'STALL_FORCE', 'VAX', 'RANGE_INV', 'BTM',
                   'SVA', 'E2H', 'NESTING', 'ATTR_TYPES_OVR', 'HA', 'HD',
                   'S2FWB', 'BBML2', 'HAFT']


def feature_names(bits):
    return [n for i, n in enumerate(SMMU_FEAT_NAMES) if bits >> i & 1]

# Debian's qemu-efi-aarch64 (build-aux/setup.sh), for --l1-boot acpi
L1_FIRMWARE = '/usr/share/AAVMF/AAVMF_CODE.fd'

DISK_SIZE = 4 << 20
DISK_SUM_LEN = 1 << 20
MARKERS = {'L1': (1 << 20, b'e2e-l1-marker'), 'L2': (2 << 20, b'e2e-l2-marker')}
MARKER_ASID_MIN = 0x8000
# the TLBI nest-check puts in a HW queue of its own (nest-check-cmdqv.c)
NEST_VCMDQ_ASID = 0x7c01
CHUNK = 63      # Linux: CMDQ_BATCH_ENTRIES - 1 commands per issued chunk


class Tap:
    """TAP on stdout and into PATH; BRIEF leaves the 'ok' lines out of
    stdout (the file has them all)."""

    def __init__(self, path, brief=False):
        self.n = 0
        self.failed = 0
        self.todo = 0
        self.brief = brief
        self.file = open(path, 'w')

    def emit(self, line, quiet=False):
        self.file.write(line + '\n')
        self.file.flush()
        if not (quiet and self.brief):
            print(line, flush=True)

    def result(self, ok, desc, note=None, todo=None):
        """One TAP line; a TODO (known not to work yet) is not a failure."""
        self.n += 1
        if todo:
            self.todo += 1
            note = f'TODO {todo}'
        elif not ok:
            self.failed += 1
        line = f'{"ok" if ok else "not ok"} {self.n} - {desc}'
        if note:
            line += f' # {note}'
        self.emit(line, quiet=ok)

    def comment(self, text):
        for line in text.splitlines():
            self.emit(f'# {line}')

    def plan(self):
        self.emit(f'1..{self.n}')


def make_disk(path):
    """4 MiB raw image: 1 MiB of pseudo-random data, then zeros."""
    seed = os.urandom(16)
    data = bytearray()
    block = 0
    while len(data) < DISK_SUM_LEN:
        data += hashlib.sha256(seed + block.to_bytes(8, 'little')).digest()
        block += 1
    with open(path, 'wb') as f:
        f.write(data)
        f.truncate(DISK_SIZE)
    return hashlib.sha256(bytes(data)).hexdigest()


def run_l0(argv, console_path, timeout):
    """Run L0, stamp and store its output; returns (status, lines, secs)."""
    start = time.monotonic()
    lines = []
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
    except OSError as e:
        return f'not started ({e})', lines, 0.0
    buf = b''
    status = None
    with open(console_path, 'w', errors='replace') as con:
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                status = 'timeout'
                break
            r, _, _ = select.select([proc.stdout], [], [], min(left, 1.0))
            if not r:
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                status = proc.wait()
                break
            buf += chunk
            while b'\n' in buf:
                raw, buf = buf.split(b'\n', 1)
                t = time.monotonic() - start
                text = raw.decode('utf-8', 'replace').rstrip('\r')
                lines.append((t, text))
                con.write(f'[{t:8.2f}] {text}\n')
                con.flush()
        if buf:
            t = time.monotonic() - start
            text = buf.decode('utf-8', 'replace')
            lines.append((t, text))
            con.write(f'[{t:8.2f}] {text}\n')
    return status, lines, time.monotonic() - start


def parse_console(lines):
    """Records and stage times, each attributed to L1 or L2 (and in compare
    mode to the QEMU whose L2 run they came in: 'qemu')."""
    records, stages = [], {}
    qemu = None

    def add(rec):
        if qemu:
            rec['qemu'] = qemu
        records.append(rec)

    for t, text in lines:
        level = 'L1'
        if text.startswith('[L2] '):
            level, text = 'L2', text[5:]
        text = text.strip()
        if text.startswith('E2E-QEMU '):
            qemu = text.split()[1]
            qemu = None if qemu == 'none' else qemu
            continue
        if text.startswith('# L2 qemu: ') and qemu:
            add({'prog': 'qemu-stderr', 'step': 'stderr', 'level': 'L1',
                 't': round(t, 2), 'text': text[11:]})
        m = SMMU_FEATURES.search(text)
        if m and not text.startswith('#'):
            add({'prog': 'kernel', 'step': 'smmu_features', 'level': level,
                 't': round(t, 2), 'features': int(m.group(1), 16)})
        if text.startswith('E2E-STAGE '):
            name = text.split()[1]
            if qemu and (level == 'L2' or name == 'l2-boot'):
                name = f'{name}@{qemu}'
            stages.setdefault((level, name), t)
        elif text.startswith('E2E-QMP '):
            # E2E-QMP LABEL REPLY: x-query-smmuv3-accel at L2's power-off
            label, _, body = text[8:].partition(' ')
            try:
                reply = json.loads(body)
            except json.JSONDecodeError:
                reply = {'garbled': text[:80]}
            add({'prog': 'qmp', 'step': label,
                 'call': 'x-query-smmuv3-accel', 'level': level,
                 't': round(t, 2), 'reply': reply})
        elif text.startswith('E2E {'):
            try:
                rec = json.loads(text[4:])
            except json.JSONDecodeError:
                rec = {'prog': '?', 'step': 'garbled', 'what': text[:80],
                       'expect': 'a record', 'got': 'garbled line'}
            rec['level'] = level
            rec['t'] = round(t, 2)
            add(rec)
    return records, stages


def trace_asids(path):
    """The ASIDs of the TLBI_NH_ASID commands in L0's trace, each with the
    queues it came through: 'cmdq' (the SMMU's own) or 'vintfV' (a VCMDQ
    of VINTF V)."""
    asids = {}
    tlbi = re.compile(r'smmuv3_cmdq_tlbi_nh_asid asid=(\d+)')
    vcmdq = re.compile(r'smmuv3_cmdqv_consume VCMDQ \d+ of VINTF (\d+)')
    queue = None
    try:
        with open(path, errors='replace') as f:
            for line in f:
                m = vcmdq.search(line)
                if m:
                    queue = f'vintf{m.group(1)}'
                elif 'smmuv3_cmdq_consume_out' in line:
                    queue = None
                elif (m := tlbi.search(line)):
                    asids.setdefault(int(m.group(1)), set()).add(
                        queue or 'cmdq')
    except OSError:
        pass
    return asids


def queue_check(tap, args, asids):
    """Which queues of L0's SMMU L1's TLBIs came through.  The kernel issues
    the commands a user forwards (IOMMU_HWPT_INVALIDATE: the markers) on
    the SMMU's own queue, and its own on VINTF0's VCMDQs once it has them
    (L0's CMDQV; none with --l0-smmu legacy)."""
    markers = set().union(*(q for a, q in asids.items()
                            if a >= MARKER_ASID_MIN))
    own = set().union(*(q for a, q in asids.items() if a < MARKER_ASID_MIN))
    # the bench's accel-cmdqv L2 issues its own through its VINTF (not 0)
    own -= {q for q in own if q.startswith('vintf') and q != 'vintf0'}
    if args.mode == 'baseline':
        # only the baseline's nest-check forwards marker commands
        tap.result(markers == {'cmdq'},
                   f"L0: L1's forwarded marker TLBIs came through "
                   f"{', '.join(sorted(markers)) or 'no queue'} "
                   f"(expected cmdq)")
    want = 'vintf0' if args.l0_smmu == 'cmdqv' else 'cmdq'
    tap.result(want in own and own <= {'cmdq', want},
               f"L0: L1's own TLBIs came through "
               f"{', '.join(sorted(own)) or 'no queue'} (expected {want})")


def nest_vcmdq_check(tap, asids):
    """baseline with L0's CMDQV: the TLBI nest-check wrote into its own HW
    queue (nest-check-cmdqv.c) reached L0's SMMU through a guest VINTF's
    VCMDQ, which L1's kernel gave it, with no ioctl."""
    queues = sorted(asids.get(NEST_VCMDQ_ASID, ()))
    tap.result(any(q.startswith('vintf') and q != 'vintf0' for q in queues),
               f"L0: nest-check's VCMDQ TLBI (ASID {NEST_VCMDQ_ASID:#x}) "
               f"came through {', '.join(queues) or 'no queue'} (expected "
               "a guest VINTF)")


def l2_queue_check(tap, asids):
    """accel-cmdqv: L2's own TLBIs go to its VINTF's VCMDQs, which L1's
    kernel took from L0's CMDQV for L2's vIOMMU (a VINTF other than 0,
    L1's own): they reach L0 with no trap in L1."""
    queues = set().union(*asids.values()) if asids else set()
    guest = sorted(q for q in queues if q.startswith('vintf') and
                   q != 'vintf0')
    tap.result(bool(guest),
               f"L0: TLBIs came through a guest VINTF's VCMDQ "
               f"({', '.join(guest) or 'none'}; all: "
               f"{', '.join(sorted(queues)) or 'none'})")


def l2_dropped_check(tap, args, asids):
    """stale-cmdqv: L0 ran L2's VCMDQs (a guest VINTF's consumption
    passes), and no TLBI of them reached its SMMU (dropped)."""
    passes = 0
    vcmdq = re.compile(r'smmuv3_cmdqv_consume VCMDQ \d+ of VINTF [1-9]')
    try:
        with open(os.path.join(args.run_dir, 'l0.log'),
                  errors='replace') as f:
            passes = sum(1 for line in f if vcmdq.search(line))
    except OSError:
        pass
    queues = set().union(*asids.values()) if asids else set()
    guest = sorted(q for q in queues if q.startswith('vintf') and
                   q != 'vintf0')
    tap.result(passes > 0 and not guest,
               f"L0: {passes} passes over a guest VINTF's VCMDQs, TLBIs "
               f"through them {', '.join(guest) or 'none'} (expected "
               "passes, and none: x-cmdqv-guest-tlbi=off)")


def cmdqv_checks(tap, records):
    """accel-cmdqv: L1's QEMU's view of L2's CMDQV (x-query-smmuv3-accel's
    cmdqv member) while L2 runs, with its devices unplugged (the queues
    back in QEMU), replugged (on the host again) and at L2's power-off."""
    for label, mapped, queues in (('accel-live', True, 2),
                                  ('accel-unplugged', False, 0),
                                  ('accel-replugged', True, 2)):
        st = vsmmu_state(records, label)
        cv = st[0].get('cmdqv') if st else None
        got = (cv['vintf-mapped'], cv['host-queues']) if cv else None
        tap.result(got == (mapped, queues),
                   f"L1 vSMMU ({label}): VINTF page mapped, host queues "
                   f"{got} (expected {(mapped, queues)})")
    st = vsmmu_state(records, 'accel')
    cv = st[0].get('cmdqv') if st else None
    tap.result(cv is not None and cv['queue-errors'] == 0 and
               cv['errors'] == 0 and cv['queues-allocated'] >= 4,
               f"L1 vSMMU: L2's CMDQV at power-off {cv} (expected no "
               "refused queue, no error, the two queues allocated twice)")


def marker_asid(word0):
    """The ASID of a marker TLBI_NH_ASID command, or None."""
    word0 = int(word0, 16)
    asid = word0 >> 48
    if word0 & 0xff == 0x11 and asid >= MARKER_ASID_MIN:
        return asid
    return None


def issued_check(tap, rec, calls, asids):
    """Which marker commands of an invalidation reached the SMMU."""
    call = calls.get(rec['step'])
    if not call or not call.get('out', {}).get('cmd0'):
        return
    cmd0 = call['out']['cmd0']
    expect_n = rec['in']['expect_issued']
    markers = [(i, marker_asid(w)) for i, w in enumerate(cmd0)]
    markers = [(i, a) for i, a in markers if a is not None]
    want = sum(1 for i, _ in markers if i < expect_n)
    got = sum(1 for _, a in markers if a in asids)
    prefix = all(a in asids for i, a in markers if i < expect_n)
    tap.result(got == want and prefix,
               f'L1 nest: {rec["step"]}: {got} of {len(markers)} marker '
               f'commands reached the host SMMU queue (expected {want})')


def vsmmu_state(records, label):
    """The vSMMUs of L1's QEMU as x-query-smmuv3-accel returned them at the
    power-off of the L2 run LABEL (LABEL-live: while it ran), or None when
    that reply did not come."""
    for rec in records:
        if rec.get('prog') == 'qmp' and rec['step'] == label:
            return rec['reply'].get('return')
    return None


def smmu_features(records, level):
    """The features the arm-smmu-v3 driver of LEVEL printed, or None."""
    for rec in records:
        if rec.get('prog') == 'kernel' and rec['level'] == level:
            return rec['features']
    return None


def feature_checks(tap, records):
    """What L2's SMMU driver found in the vSMMU, against L1's in the host."""
    host, guest = smmu_features(records, 'L1'), smmu_features(records, 'L2')
    if host is None or guest is None:
        tap.result(False, 'L1 and L2 arm-smmu-v3 drivers printed their '
                   f'features (L1: {host}, L2: {guest})')
        return
    # MSI is QEMU's own (the CMD_SYNC completion write), not the host's
    extra = guest & ~host & ~SMMU_FEAT['MSI']
    tap.result(extra == 0,
               f"L2's SMMU driver features {guest:#x} are a subset of L1's "
               f'{host:#x} and MSI (extra: {extra:#x})')
    have = [n for n, b in SMMU_FEAT.items() if guest & b]
    tap.result(have == ['MSI', 'TRANS_S1'],
               f"L2's SMMU driver sees MSI and stage 1, and none of stage 2, "
               f'HYP, nesting, S2FWB (has: {", ".join(have) or "none"})')


def vsmmu_checks(tap, records, forwarding=True, l2_vfio=True,
                 sent=None):
    """What L1's QEMU did for L2, from x-query-smmuv3-accel.  SENT: whether
    L1's QEMU forwards commands (default: FORWARDING)."""
    state = vsmmu_state(records, 'accel' if forwarding else 'stale')
    sent = forwarding if sent is None else sent
    tap.result(isinstance(state, list) and len(state) == 1,
               "L1's QEMU: x-query-smmuv3-accel at L2's power-off lists one "
               'vSMMU')
    if not isinstance(state, list) or not state:
        return
    v = state[0]
    fields = {f['name']: f for f in v['fields']}
    idr0 = v['guest-idr'][0]
    s2p, s1p = idr0 & 1, (idr0 >> 1) & 1     # SMMU_IDR0 bits 0 and 1
    tap.result(v['host-known'] and s1p == 1 and s2p == 0,
               f'L1 vSMMU: host registers read; guest IDR0.S1P={s1p} '
               f'S2P={s2p} (expected 1, 0)')
    # MIN and AND fields are bounded by the host's value
    above = [n for n, f in fields.items()
             if 'host' in f and f['rule'] in ('MIN', 'AND') and
             f['guest'] > f['host']]
    tap.result(not above, 'L1 vSMMU: no guest IDR field above the host '
               'value where the host bounds it' +
               (f' (above: {", ".join(above)})' if above else ''))
    devs = v['devices']
    bound = [d for d in devs if 'vsid' in d and 'vdevice' in d and
             d['hwpt']]
    want = 2 if forwarding else 1     # stale: edu alone
    tap.result(len(devs) == want and len(bound) == want,
               f'L1 vSMMU: {len(bound)} of {len(devs)} devices have a '
               f'vSID, a vDEVICE and a nested HWPT (expected {want} of '
               f'{want})')
    cmds, batches = v['commands-forwarded'], v['batches']
    if sent:
        tap.result(0 < batches <= cmds,
                   f'L1 vSMMU: {cmds} guest commands forwarded in {batches} '
                   'host calls')
    else:
        tap.result(cmds == 0 and batches == 0,
                   f'L1 vSMMU: with x-forward-invalidations=off, {cmds} '
                   f'commands forwarded in {batches} host calls (expected '
                   'none)')
    tap.result(v['host-errors'] == 0,
               f'L1 vSMMU: host errors {v["host-errors"]} (expected 0)')
    if not forwarding:
        return
    live = vsmmu_state(records, 'accel-live')
    tap.result(isinstance(live, list) and len(live) == 1,
               "L1's QEMU: x-query-smmuv3-accel while L2 runs lists one vSMMU")
    if isinstance(live, list) and live:
        devs = {d['device'].rsplit('/', 1)[-1]: d for d in live[0]['devices']}
        blk, edu = devs.get('blk'), devs.get('edu')
        cfg = ste_config(blk['ste']) if blk else None
        tap.result(blk is not None and cfg == 'S1' and
                   blk['hwpt'] != (edu or {}).get('hwpt'),
                   f'L1 vSMMU while L2 runs: virtio-blk has a stage-1 STE '
                   f'({cfg}) and a nested HWPT of its own '
                   f'({blk["hwpt"] if blk else "-"}, edu: '
                   f'{edu["hwpt"] if edu else "-"})')
    # both devices unplugged, then plugged back (init-l1.sh,
    # qmp_at_shutdown): the vIOMMU goes with the last one and comes back
    for label, want, viommu in (('unplugged', [], False),
                                ('replugged', ['blk', 'edu'], True)):
        st = vsmmu_state(records, f'accel-{label}')
        names = sorted(d['device'].rsplit('/', 1)[-1]
                       for d in (st[0]['devices'] if st else []))
        vid = st[0]['viommu'] if st else None
        tap.result(names == want and (vid is not None and
                                      bool(vid) == viommu),
                   f'L1 vSMMU with the devices {label}: devices {names}, '
                   f'vIOMMU {vid} (expected {want}, '
                   f'{"one" if viommu else "none"})')
    if not l2_vfio:
        return      # no DMA of L2's own, no fault to relay
    tap.result(v['events'] >= 1,
               f'L1 vSMMU: {v["events"]} host events relayed to the guest '
               '(expected at least the blocked DMA)')


def verdicts(tap, args, l2boot, status, secs, records, stages, disk,
             disksum):
    tap.result(status == 0, f'L0: QEMU exited with status {status} '
               f'after {secs:.1f} s')
    for level, name in STAGES[args.mode]:
        t = stages.get((level, name))
        desc = f'{level}: reached stage "{name}"'
        if '@upstream' in name:
            # upstream's behaviour is recorded for the comparison
            tap.result(True, f'{desc}: {"yes" if t is not None else "no"}',
                       'recorded, not judged')
            continue
        tap.result(t is not None, desc +
                   (f' at {t:.1f} s' if t is not None else ''))

    asids = trace_asids(os.path.join(args.run_dir, 'l0.log'))
    if args.mode in ('baseline', 'bench'):
        queue_check(tap, args, asids)
    if args.mode == 'baseline' and args.l0_smmu == 'cmdqv':
        nest_vcmdq_check(tap, asids)
    calls = {}
    ours = [r for r in records if r.get('qemu') in (None, 'ours')]
    if args.mode == 'accel-cmdqv':
        l2_queue_check(tap, asids)
    if args.mode == 'stale-cmdqv':
        l2_dropped_check(tap, args, asids)
    if args.mode == 'accel-cmdqv':
        cmdqv_checks(tap, ours)
    if args.mode in ('accel', 'accel-cmdqv', 'stale', 'stale-cmdqv',
                     'compare'):
        feature_checks(tap, ours)
        stale = args.mode.startswith('stale')
        vsmmu_checks(tap, ours, forwarding=not stale,
                     l2_vfio=l2boot == 'acpi',
                     sent=args.mode != 'stale')
    if args.mode == 'compare':
        # our cmdqv=on run is judged as the accel-cmdqv mode's (L1's
        # records come before any run)
        ours = [r for r in records if r.get('qemu') in (None, 'ours-cmdqv')]
        feature_checks(tap, ours)
        vsmmu_checks(tap, ours, forwarding=True, l2_vfio=l2boot == 'acpi',
                     sent=True)
        cmdqv_checks(tap, ours)
    for rec in records:
        if rec.get('prog') in ('qmp', 'kernel', 'qemu-stderr'):
            continue
        if rec.get('qemu', '').startswith('upstream'):
            tap.result(True, f'{rec["level"]} {rec.get("prog")} (upstream): '
                       f'{rec.get("what")} [{rec.get("step")}]: got '
                       f'{rec.get("got")}, ours expects {rec.get("expect")}',
                       'recorded, not judged')
            continue
        if rec.get('call') == 'IOMMU_HWPT_INVALIDATE':
            calls[rec['step']] = rec
        exp, got = str(rec.get('expect')), str(rec.get('got'))
        label = f'{rec["level"]} {rec.get("prog")}'
        desc = f'{label}: {rec.get("what")} [{rec.get("step")}]'
        todo = rec.get('todo')
        if exp == '*':
            tap.result(True, f'{desc}: {got}', 'recorded, not judged')
        elif exp == got:
            tap.result(True, f'{desc}: {got}', todo=todo)
        else:
            tap.result(False, f'{desc}: got {got}, expected {exp}',
                       todo=todo)
        if rec.get('call') == 'entry_num' and 'in' in rec:
            issued_check(tap, rec, calls, asids)

    with open(disk, 'rb') as f:
        image = f.read()
    for level, (off, marker) in MARKERS.items():
        if (level, 'disk') not in stages and \
                (level, 'disk@ours') not in stages:
            continue
        found = image[off:off + len(marker)] == marker
        tap.result(found, f'host: the disk image holds the marker {level} '
                   f'wrote at {off >> 20} MiB')
    ok = hashlib.sha256(image[:DISK_SUM_LEN]).hexdigest() == disksum
    tap.result(ok, 'host: the first MiB of the disk is unchanged')


def timings(args, stages, secs):
    out = [f'L0 run: {secs:.1f} s']
    order = sorted(stages.items(), key=lambda kv: kv[1])
    for (level, name), t in order:
        out.append(f'{t:7.1f} s  {level} {name}')
    l1 = stages.get(('L1', 'init'))
    l2s, l2 = stages.get(('L1', 'l2-start')), stages.get(('L2', 'init'))
    if l1 is not None:
        out.append(f'L1 boot (L0 start -> L1 /init): {l1:.1f} s')
    if l2s is not None and l2 is not None:
        out.append(f'L2 boot (L2 QEMU start -> L2 /init): {l2 - l2s:.1f} s')
    with open(os.path.join(args.run_dir, 'timings.txt'), 'w') as f:
        f.write('\n'.join(out) + '\n')
    return out


def nest_summary(records, nest, g):
    """nest-check in L1 (baseline mode): the uAPI against the kernel."""
    out = []
    refused = [r for r in nest if r.get('expect') not in ('ok', '*')]
    out.append(f'nesting uAPI in L1: {len(nest)} calls, {len(refused)} '
               f'refused; as expected: '
               f'{sum(1 for r in nest if r["expect"] == r["got"])}')
    inval = [f'{r["step"][6:]}={r["got"]}' for r in records
             if r.get('call') == 'entry_num' and r.get('expect') != '0']
    if inval:
        out.append('invalidation entry_num: ' + ' '.join(inval))
    out.append(f'vEVENTQ: fault -> {g("L1", "nest", "vevent_fault")}; '
               f'overflow -> {g("L1", "nest", "vevent_overflow")} '
               f'({g("L1", "nest", "vevent_lost_count")} dropped)')
    out.append(f'DMA S1+S2: {g("L1", "nest", "dma_s1")}; old VA before '
               f'TLBI: {g("L1", "nest", "dma_stale")}, after: '
               f'{g("L1", "nest", "dma_old_va_blocked")}; bypass: '
               f'{g("L1", "nest", "dma_bypass")}; abort: '
               f'{g("L1", "nest", "dma_abort")}')
    out.append(f'MSI: bypass {g("L1", "nest", "msi_bypass")}, S1 without '
               f'map {g("L1", "nest", "msi_s1_unmapped")}, S1 with 1:1 map '
               f'{g("L1", "nest", "msi_s1_identity")}')
    out.append(f'one iommu group: other HWPT '
               f'{g("L1", "nest", "group_attach_b_other")}, replace moves '
               f'the group: {g("L1", "nest", "group_dma_a_after_b")}')
    return out


def summary(records, tap, mode):
    """A few lines for the demo: the host, the uAPI, DMA, events."""
    got = {}
    for r in records:
        got.setdefault((r['level'], r.get('prog'), r.get('step')), r)

    def g(level, prog, step):
        r = got.get((level, prog, step))
        return r.get('got', '-') if r else '-'

    out = [f'checks: {tap.n - tap.failed - tap.todo} ok, {tap.failed} '
           f'failed, {tap.todo} known not to work yet (TODO)']
    hw = got.get(('L1', 'nest', 'hw_info'))
    if hw and 'out' in hw:
        regs = hw['out'].get('idr0_5_iidr_aidr', [])
        names = ['IDR0', 'IDR1', 'IDR2', 'IDR3', 'IDR4', 'IDR5', 'IIDR',
                 'AIDR']
        out.append('L1 host SMMU: ' +
                   ' '.join(f'{n}={v}' for n, v in zip(names, regs)))
        out.append(f'  S1P={g("L1", "nest", "idr0_s1p")} '
                   f'S2P={g("L1", "nest", "idr0_s2p")} '
                   f'FWB={g("L1", "nest", "idr3_fwb")}')
    nest = [r for r in records if r.get('prog') == 'nest' and
            r.get('call', '').startswith(('IOMMU_', 'VFIO_'))]
    if nest:
        out += nest_summary(records, nest, g)
    def read_ok(level, prog, step='disk_read'):
        r = got.get((level, prog, step))
        if not r:
            return '-'
        return 'ok' if r['got'] == r['expect'] else 'failed'

    out.append(f'L1 virtio-blk: disk read {read_ok("L1", "l1")}; L1 '
               f'dma-check: {g("L1", "dma", "l1dma_roundtrip")}')
    out.append(f'L2: edu {g("L2", "l2", "edu_visible")}, virtio-blk '
               f'{g("L2", "l2", "blk_visible")}, disk read '
               f'{read_ok("L2", "l2")}, QEMU exit '
               f'{g("L1", "l1", "l2_qemu_exit")}')
    if got.get(('L2', 'l2', 'smmu_probed')):
        out.append(f'L2 vSMMU: probed {g("L2", "l2", "smmu_probed")}, '
                   f'virtio-blk MSI-X {g("L2", "l2", "blk_msi")}, '
                   f'VFIO edu DMA {g("L2", "dma", "l2dma_roundtrip")}, '
                   f'unmapped IOVA {g("L2", "dma", "l2dma_unmapped_blocked")}'
                   f', fault in the guest event log '
                   f'{g("L2", "l2", "smmu_event")}')
    if got.get(('L2', 'l2', 'hot_unplug')):
        out.append(f'L2 devices hot-unplugged: {g("L2", "l2", "hot_unplug")}'
                   f', plugged back: {g("L2", "l2", "hot_replug")}, then '
                   f'edu DMA: {g("L2", "dma", "l2replug_roundtrip")}, disk '
                   f'read: {read_ok("L2", "l2", "disk_read_replug")}')
    host, guest = smmu_features(records, 'L1'), smmu_features(records, 'L2')
    if mode != 'baseline' and host is not None and guest is not None:
        out.append(f'arm-smmu-v3 driver features: L1 (host SMMU) {host:#x}, '
                   f'L2 (vSMMU) {guest:#x}; the guest does not get: '
                   f'{" ".join(feature_names(host & ~guest)) or "-"}')
    out += vsmmu_summary(vsmmu_state(records, mode),
                         vsmmu_state(records, f'{mode}-live'))
    return out


def ste_config(words):
    """The Config of a guest STE (word 0 bit 0: V, bits 3:1: Config)."""
    if not words or not words[0] & 1:
        return 'invalid'
    return {0: 'abort', 4: 'bypass', 5: 'S1'}.get((words[0] >> 1) & 7,
                                                  'other')


def vsmmu_summary(state, live=None):
    """L1's vSMMU as x-query-smmuv3-accel saw it at L2's power-off, its
    devices as they were while L2 ran (LIVE) when that came."""
    if not isinstance(state, list):
        return []
    if isinstance(live, list) and len(live) == len(state):
        state = [dict(v, devices=lv['devices'])
                 for v, lv in zip(state, live)]
    out = []
    names = ['IDR0', 'IDR1', 'IDR2', 'IDR3', 'IDR4', 'IDR5']
    for v in state:
        out.append(f'vSMMU {v["id"]} in L1 QEMU (vIOMMU {v["viommu"]}, '
                   f'S2 HWPT {v["s2-hwpt"]}, vEVENTQ '
                   f'{v.get("veventq", "freed")}):')
        out.append('  host  ' + ' '.join(
            f'{n}={r:08x}' for n, r in zip(names, v['host-idr'])))
        out.append('  guest ' + ' '.join(
            f'{n}={r:08x}' for n, r in zip(names, v['guest-idr'])))
        changed = [f'{f["name"]} {f["host"]}->{f["guest"]} ({f["rule"]})'
                   for f in v['fields']
                   if 'host' in f and f['host'] != f['guest']]
        out.append("  fields not the host's: " +
                   (', '.join(changed) or 'none'))
        hidden = [f'{n} {h & ~g:#x}' for n, h, g in
                  zip(names, v['host-idr'], v['guest-idr']) if h & ~g]
        out.append('  host bits the guest does not see: ' +
                   (', '.join(hidden) or 'none'))
        when = 'while L2 ran' if isinstance(live, list) else 'at power-off'
        for d in v['devices']:
            ste = ste_config(d['ste'])
            out.append(f'  device {d["device"]} ({when}): vSID '
                       f'{d["vsid"]:#x}, vDEVICE {d.get("vdevice", "-")}, '
                       f'guest STE {ste}, nested HWPT {d["hwpt"]}'
                       if 'vsid' in d else
                       f'  device {d["device"]} ({when}): no vDEVICE, '
                       f'guest STE {ste}, HWPT {d["hwpt"]}')
        out.append(f'  invalidations: {v["commands-forwarded"]} commands in '
                   f'{v["batches"]} host calls, {v["host-errors"]} host '
                   f'errors; bad STEs {v["bad-stes"]}; events relayed '
                   f'{v["events"]}, lost {v["events-lost"]}')
    return out


def bench_found(records):
    """The io-bench and inval-bench results, by step."""
    return {r['step']: r['out'] for r in records
            if r.get('prog') in ('io-bench', 'inval-bench') and
            r.get('got') == 'ok' and 'out' in r}


def bench_figures(found, c):
    """Configuration C's figures: 4 KiB reads/s, 64 KiB MB/s, and the
    latency of a 1-page and of a 64-page unmap in us (None: not run)."""
    a, b = found.get(f'{c}_4k_read'), found.get(f'{c}_64k_read')
    fig = {'iops': a['reads'] * 1e9 / a['ns'] if a and a['ns'] else None,
           'mbs': b['bytes'] * 1e3 / b['ns'] if b and b['ns'] else None}
    for p in ('1p', '64p'):
        v = found.get(f'{c}_{p}_unmap')
        fig[p] = v['ns'] / v['rounds'] / 1e3 if v and v['rounds'] else None
    return fig


def fmt(v, width, digits=0):
    return f'{v:{width}.{digits}f}' if v is not None else f'{"-":>{width}}'


def ratio(v, ref):
    return v / ref if v is not None and ref else None


def bench_report(records):
    """The benchmark's figures, side by side, as ratios to a reference."""
    found = bench_found(records)
    fig = {c: bench_figures(found, c) for c in BENCH_CONFIGS}
    out = ['L2 I/O: virtio-blk assigned to L2, direct reads; iommu.strict=1 '
           'under a vIOMMU',
           f'  {"vIOMMU in L2":<14}{"4K reads/s":>12}{"x none":>8}'
           f'{"64K MB/s":>10}{"x none":>8}']
    for c in BENCH_CONFIGS:
        iops, mbs = fig[c]['iops'], fig[c]['mbs']
        out.append(f'  {c:<14}{fmt(iops, 12)}'
                   f'{fmt(ratio(iops, fig["none"]["iops"]), 8, 2)}'
                   f'{fmt(mbs, 10, 1)}'
                   f'{fmt(ratio(mbs, fig["none"]["mbs"]), 8, 2)}')
    out += ['L2 unmap latency: VFIO + iommufd in L2, 4 KiB pages, one '
            'TLBI per page',
            f'  {"vIOMMU in L2":<14}{"1 page us":>11}{"x accel":>9}'
            f'{"64 pages us":>13}{"x accel":>9}']
    for c in BENCH_CONFIGS[1:]:
        one, many = fig[c]['1p'], fig[c]['64p']
        out.append(f'  {c:<14}{fmt(one, 11, 1)}'
                   f'{fmt(ratio(one, fig["accel"]["1p"]), 9, 2)}'
                   f'{fmt(many, 13, 1)}'
                   f'{fmt(ratio(many, fig["accel"]["64p"]), 9, 2)}')
    cv, tr = fig['accel-cmdqv'], fig['accel']
    out += ['accel-cmdqv against trapped accel (the guest\'s queues on the '
            'host\'s CMDQV):',
            f'  4K reads/s x{fmt(ratio(cv["iops"], tr["iops"]), 5, 2)}, '
            f'64K MB/s x{fmt(ratio(cv["mbs"], tr["mbs"]), 5, 2)}, '
            f'1-page unmap x{fmt(ratio(cv["1p"], tr["1p"]), 5, 2)}, '
            f'64-page unmap x{fmt(ratio(cv["64p"], tr["64p"]), 5, 2)}']
    for c in ('accel', 'accel-percmd', 'accel-cmdqv'):
        state = vsmmu_state(records, c)
        if isinstance(state, list) and state:
            v = state[0]
            out.append(f'  {c}: {v["commands-forwarded"]} commands '
                       f'forwarded in {v["batches"]} host calls')
    return out


def compare_report(records, stages):
    """The compare mode's tables: the accel mode's L2, then with cmdqv=on
    (the guest's queues on the host's CMDQV), each under both QEMUs."""
    out = []
    for suffix, title in COMPARE_SETS:
        if out:
            out.append('')
        out += compare_table(records, stages, suffix, title)
    return out


def device_del_cell(records):
    """What QEMU answered to the accel run's device_del commands: ok, or
    its error."""
    replies = [r['reply'] for r in records
               if r.get('prog') == 'qmp' and r['step'] == 'accel-del']
    errors = [r['error'].get('desc', '?') for r in replies if 'error' in r]
    if errors:
        return f'refused: {errors[0][:100]}'
    return 'ok' if replies else 'not sent'


def compare_table(records, stages, suffix, title):
    """One row per check of the accel mode's L2 run SUFFIX ('' or
    '-cmdqv'), a column per QEMU: ok, fails (with what came instead), or
    why it did not run; then the bench run's figures as ratios."""
    run = {q: q + suffix for q in COMPARE_QEMUS}

    def cell(rec):
        if rec is None:
            return '-'
        exp, got = str(rec.get('expect')), str(rec.get('got'))
        if exp == '*':
            return got
        if exp == got:
            return 'ok'
        return f'todo: {got}' if rec.get('todo') else f'fails: {got}'

    def started(q):
        if ('L2', f'init@{run[q]}') in stages:
            return 'ok'
        errs = [r['text'] for r in records if r.get('qemu') == run[q] and
                r.get('prog') == 'qemu-stderr']
        # QEMU's error line, not a warning before it
        first = next((e for e in errs if 'warning:' not in e and
                      ('rror' in e or 'qemu-system' in e)),
                     errs[0] if errs else '')
        return f'refused at start: {first[:100]}' if first else 'no L2'

    col = {v: q for q, v in run.items()}
    rows = {}
    order = []
    for r in records:
        q = col.get(r.get('qemu'))
        if q is None or r.get('prog') in ('qmp', 'kernel', 'qemu-stderr'):
            continue
        key = (r['level'], r.get('prog'), r.get('step'))
        if key not in rows:
            rows[key] = {'what': r.get('what'), 'cells': {}}
            order.append(key)
        rows[key]['cells'].setdefault(q, r)
    table = [('L2 boots with the accel vSMMU and both devices',
              {q: started(q) for q in COMPARE_QEMUS})]
    feats = {}
    for q in COMPARE_QEMUS:
        f = smmu_features([r for r in records if r.get('qemu') == run[q]],
                          'L2')
        feats[q] = f'{f:#x}' if f is not None else '-'
    table.append(("L2's SMMU driver features (arm-smmu-v3 probe line)",
                  feats))
    table.append(('device_del of both assigned devices while L2 runs',
                  {q: device_del_cell([r for r in records
                                       if r.get('qemu') == run[q]])
                   for q in COMPARE_QEMUS}))
    replug = {}
    for q in COMPARE_QEMUS:
        got = {r['step']: r.get('got') for r in records
               if r.get('qemu') == run[q] and
               r.get('step') in ('hot_unplug', 'hot_replug')}
        replug[q] = ('ok' if got == {'hot_unplug': 'yes', 'hot_replug': 'yes'}
                     else 'no')
    table.append(('unplug and replug both devices while L2 runs', replug))
    table.append(('L2 powers off', {q: 'ok' if ('L2', f'end@{run[q]}')
                                    in stages else 'no'
                                    for q in COMPARE_QEMUS}))
    query = {}
    for q in COMPARE_QEMUS:
        st = vsmmu_state([r for r in records if r.get('qemu') == run[q]],
                         'accel')
        query[q] = 'ok' if isinstance(st, list) and st else 'no such command'
    table.append(("the vSMMU's state over QMP (x-query-smmuv3-accel)", query))
    for key in order:
        level, prog, step = key
        table.append((f'{level} {prog}: {rows[key]["what"]} [{step}]',
                      {q: cell(rows[key]['cells'].get(q))
                       for q in COMPARE_QEMUS}))
    ok = {q: sum(1 for _, c in table if c[q] == 'ok')
          for q in COMPARE_QEMUS}
    judged = sum(1 for _, c in table if 'ok' in c.values() or
                 any(v.startswith(('fails', 'no', 'refused', 'todo'))
                     for v in c.values()))
    out = [f'{title}, ours against upstream QEMU 11.1.3 (Debian arm64 '
           'build): the same L1, command line and L2',
           f'{"check":<72} {"ours":<12} upstream']
    for what, c in table:
        if len(c['ours']) <= 12 and len(c['upstream']) <= 40:
            out.append(f'{what[:72]:<72} {c["ours"]:<12} {c["upstream"]}')
            continue
        out.append(f'{what[:72]:<72} (below)')
        for q in COMPARE_QEMUS:
            out.append(f'    {q}: {c[q]}')
    out.append(f'{judged} checks with a verdict: ours {ok["ours"]} ok, '
               f'upstream {ok["upstream"]} ok')
    # L2 boot: from L1 starting L2's QEMU to L2's /init
    boot = {q: (stages[('L2', f'init@{run[q]}')] -
                stages[('L1', f'l2-boot@{run[q]}')]
                if ('L2', f'init@{run[q]}') in stages and
                ('L1', f'l2-boot@{run[q]}') in stages else None)
            for q in COMPARE_QEMUS}
    found = bench_found(records)
    fig = {q: bench_figures(found, run[q]) for q in COMPARE_QEMUS}
    out += [f'figures (bench mode, {title}, ril=off; TCG host: ratios '
            'mean more than values)',
            f'  {"":<34}{"ours":>10}{"upstream":>10}{"ours/up":>9}']
    rows = [('L2 boot, s (lower is better)', boot, 1),
            ('4 KiB reads/s', {q: fig[q]['iops'] for q in fig}, 0),
            ('64 KiB MB/s', {q: fig[q]['mbs'] for q in fig}, 1),
            ('1-page unmap, us (lower is better)',
             {q: fig[q]['1p'] for q in fig}, 1),
            ('64-page unmap, us (lower is better)',
             {q: fig[q]['64p'] for q in fig}, 1)]
    for what, v, digits in rows:
        out.append(f'  {what:<34}{fmt(v["ours"], 10, digits)}'
                   f'{fmt(v["upstream"], 10, digits)}'
                   f'{fmt(ratio(v["ours"], v["upstream"]), 9, 2)}')
    state = vsmmu_state([r for r in records
                         if r.get('qemu') == f'ours{suffix}-bench'],
                        f'ours{suffix}')
    if isinstance(state, list) and state:
        v = state[0]
        out.append(f'  host calls per guest command: ours '
                   f'{v["batches"] / max(v["commands-forwarded"], 1):.2f} '
                   f'({v["commands-forwarded"]} commands, {v["batches"]} '
                   'calls); upstream: one per command by design, not '
                   'countable from outside')
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--qemu', required=True)
    ap.add_argument('--kernel', required=True)
    ap.add_argument('--initramfs', required=True)
    ap.add_argument('--run-dir', required=True)
    ap.add_argument('--mode', choices=sorted(STAGES), default='baseline')
    ap.add_argument('--timeout', type=int, default=900)
    ap.add_argument('--l2-boot', choices=['dt', 'acpi'],
                    help='L2 from a device tree or UEFI + ACPI '
                    '(default: dt for baseline, acpi with the vSMMU)')
    ap.add_argument('--l1-boot', choices=['dt', 'acpi'], default='dt',
                    help='L1 from a device tree or UEFI (AAVMF) + ACPI')
    ap.add_argument('--l0-smmu', choices=['cmdqv', 'legacy'],
                    default='cmdqv',
                    help="L0's SMMU: -device arm-smmuv3 with a CMDQV, or "
                    "the machine's iommu=smmuv3 without")
    ap.add_argument('--l2-timeout', type=int, default=240,
                    help='seconds before L1 kills L2')
    ap.add_argument('--l2-trace', action='append', default=[],
                    help="trace events of L1's QEMU (the one running L2), "
                    'on the console')
    ap.add_argument('--extra-initrd',
                    help="an initramfs fragment appended to L1's image "
                    "(compare mode: upstream's QEMU)")
    ap.add_argument('--summary', action='store_true')
    ap.add_argument('--brief', action='store_true',
                    help="no 'ok' lines on stdout (tap.txt has them)")
    ap.add_argument('--trace', action='append', default=[],
                    help='more L0 trace events (patterns), into l0.log')
    args = ap.parse_args()

    os.makedirs(args.run_dir, exist_ok=True)
    disk = os.path.join(args.run_dir, 'disk.img')
    disksum = make_disk(disk)
    l2boot = args.l2_boot or ('dt' if args.mode == 'baseline' else 'acpi')
    append = (f'console=ttyAMA0 panic=-1 rdinit=/init e2e.mode={args.mode} '
              f'e2e.disksum={disksum} e2e.l1boot={args.l1_boot} '
              f'e2e.l2boot={l2boot} e2e.l2timeout={args.l2_timeout} '
              f'e2e.l0smmu={args.l0_smmu}')
    firmware = []
    if args.l1_boot == 'acpi':
        # UEFI loads -kernel/-initrd and hands over ACPI (IORT for the SMMU)
        firmware = ['-bios', L1_FIRMWARE]
        append += ' acpi=force'
    if args.l2_trace:
        append += ' e2e.l2trace=' + ','.join(args.l2_trace)
    initrd = os.path.join(args.initramfs, 'l1.cpio.gz')
    if args.extra_initrd:
        # the kernel unpacks concatenated compressed archives in turn
        joined = os.path.join(args.run_dir, 'l1-initrd.cpio.gz')
        with open(joined, 'wb') as out:
            for part in (initrd, args.extra_initrd):
                with open(part, 'rb') as f:
                    out.write(f.read())
        initrd = joined
    if args.l0_smmu == 'cmdqv':
        # before the PCI devices it translates; the CMDQV carries L1's
        # commands (VINTF0's VCMDQs); stale-cmdqv: it drops L2's TLBIs
        smmu = ['-M', 'virt,virtualization=on,gic-version=3',
                '-device', 'arm-smmuv3,primary-bus=pcie.0,stage=nested,'
                's2fwb=on,cmdqv=on' +
                (',x-cmdqv-guest-tlbi=off' if args.mode == 'stale-cmdqv'
                 else '')]
    else:
        smmu = ['-M', 'virt,virtualization=on,gic-version=3,iommu=smmuv3',
                '-global', 'arm-smmuv3.stage=nested',
                '-global', 'arm-smmuv3.s2fwb=on']
    argv = [args.qemu] + smmu + [
            '-cpu', 'max,pauth-impdef=on', '-smp', '2', '-m', '2G',
            '-accel', 'tcg', '-nodefaults', '-display', 'none',
            '-serial', 'stdio', '-no-reboot',
            '-kernel', os.path.join(args.kernel, 'Image'),
            '-initrd', initrd,
            '-append', append] + firmware + [
            '-d', 'guest_errors', '-D', os.path.join(args.run_dir, 'l0.log')]
    for ev in L0_TRACE + args.trace:
        argv += ['-trace', ev]
    argv += [a.format(disk=disk) for a in L0_DEVICES]
    with open(os.path.join(args.run_dir, 'l0.cmdline'), 'w') as f:
        f.write(' '.join(argv) + '\n')

    tap = Tap(os.path.join(args.run_dir, 'tap.txt'), args.brief)
    tap.comment(f'mode {args.mode}, L1 boot {args.l1_boot}, L2 boot '
                f'{l2boot}, run directory {args.run_dir}')
    tap.comment('booting L0 -> L1 -> L2; the console goes to console.log')
    status, lines, secs = run_l0(argv, os.path.join(args.run_dir,
                                                     'console.log'),
                                 args.timeout)
    records, stages = parse_console(lines)
    with open(os.path.join(args.run_dir, 'results.jsonl'), 'w') as f:
        for rec in records:
            f.write(json.dumps(rec) + '\n')
    verdicts(tap, args, l2boot, status, secs, records, stages, disk, disksum)
    for line in timings(args, stages, secs):
        tap.comment(f'timing: {line}')
    if args.mode == 'compare':
        text = compare_report(records, stages)
        with open(os.path.join(args.run_dir, 'compare.txt'), 'w') as f:
            f.write('\n'.join(text) + '\n')
        for line in text:
            tap.comment(line)
    if args.mode == 'bench':
        text = bench_report(records)
        with open(os.path.join(args.run_dir, 'bench.txt'), 'w') as f:
            f.write('\n'.join(text) + '\n')
        for line in text:
            tap.comment(line)
    if args.summary:
        text = summary(records, tap, args.mode)
        with open(os.path.join(args.run_dir, 'summary.txt'), 'w') as f:
            f.write('\n'.join(text) + '\n')
        tap.comment('summary:')
        for line in text:
            tap.comment(f'  {line}')
    tap.plan()
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
