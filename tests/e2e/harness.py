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
#                   --run-dir DIR [--mode baseline|accel] [--timeout S]
#                   [--l2-boot dt|acpi] [--l2-timeout S] [--l2-trace EV]...
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
L0_TRACE = ['smmuv3_cmdq_tlbi_nh_asid', 'smmuv3_cmdq_consume_error',
            'smmuv3_record_event']

# Stages each level must reach, in order, per mode.
STAGES = {
    'baseline': [('L1', 'init'), ('L1', 'disk'), ('L1', 'bind'),
                 ('L1', 'nest'), ('L1', 'dma'), ('L1', 'l2-start'),
                 ('L2', 'init'), ('L2', 'disk'), ('L2', 'end'),
                 ('L1', 'l2-exit'), ('L1', 'after'), ('L1', 'end')],
    'accel': [('L1', 'init'), ('L1', 'disk'), ('L1', 'bind'),
              ('L1', 'dma'), ('L1', 'l2-start'), ('L2', 'init'),
              ('L2', 'disk'), ('L2', 'dma'), ('L2', 'end'),
              ('L1', 'l2-exit'), ('L1', 'after'), ('L1', 'end')],
}

DISK_SIZE = 4 << 20
DISK_SUM_LEN = 1 << 20
MARKERS = {'L1': (1 << 20, b'e2e-l1-marker'), 'L2': (2 << 20, b'e2e-l2-marker')}
MARKER_ASID_MIN = 0x8000
CHUNK = 63      # Linux: CMDQ_BATCH_ENTRIES - 1 commands per issued chunk


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, desc, note=None):
        self.n += 1
        if not ok:
            self.failed += 1
        line = f'{"ok" if ok else "not ok"} {self.n} - {desc}'
        if note:
            line += f' # {note}'
        print(line, flush=True)

    def comment(self, text):
        for line in text.splitlines():
            print(f'# {line}', flush=True)

    def plan(self):
        print(f'1..{self.n}', flush=True)


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
    """Records and stage times, each attributed to L1 or L2."""
    records, stages = [], {}
    for t, text in lines:
        level = 'L1'
        if text.startswith('[L2] '):
            level, text = 'L2', text[5:]
        text = text.strip()
        if text.startswith('E2E-STAGE '):
            name = text.split()[1]
            stages.setdefault((level, name), t)
        elif text.startswith('E2E {'):
            try:
                rec = json.loads(text[4:])
            except json.JSONDecodeError:
                rec = {'prog': '?', 'step': 'garbled', 'what': text[:80],
                       'expect': 'a record', 'got': 'garbled line'}
            rec['level'] = level
            rec['t'] = round(t, 2)
            records.append(rec)
    return records, stages


def trace_asids(path):
    asids = set()
    pat = re.compile(r'smmuv3_cmdq_tlbi_nh_asid asid=(\d+)')
    try:
        with open(path, errors='replace') as f:
            for line in f:
                m = pat.search(line)
                if m:
                    asids.add(int(m.group(1)))
    except OSError:
        pass
    return asids


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


def verdicts(tap, args, status, secs, records, stages, disk, disksum):
    tap.result(status == 0, f'L0: QEMU exited with status {status} '
               f'after {secs:.1f} s')
    for level, name in STAGES[args.mode]:
        t = stages.get((level, name))
        tap.result(t is not None, f'{level}: reached stage "{name}"' +
                   (f' at {t:.1f} s' if t is not None else ''))

    asids = trace_asids(os.path.join(args.run_dir, 'l0.log'))
    calls = {}
    for rec in records:
        if rec.get('call') == 'IOMMU_HWPT_INVALIDATE':
            calls[rec['step']] = rec
        exp, got = str(rec.get('expect')), str(rec.get('got'))
        label = f'{rec["level"]} {rec.get("prog")}'
        desc = f'{label}: {rec.get("what")} [{rec.get("step")}]'
        if exp == '*':
            tap.result(True, f'{desc}: {got}', 'recorded, not judged')
        elif exp == got:
            tap.result(True, f'{desc}: {got}')
        else:
            tap.result(False, f'{desc}: got {got}, expected {exp}')
        if rec.get('call') == 'entry_num' and 'in' in rec:
            issued_check(tap, rec, calls, asids)

    with open(disk, 'rb') as f:
        image = f.read()
    for level, (off, marker) in MARKERS.items():
        if (level, 'disk') not in stages:
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


def summary(records, tap):
    """A few lines for the demo: the host, the uAPI, DMA, events."""
    got = {}
    for r in records:
        got.setdefault((r['level'], r.get('prog'), r.get('step')), r)

    def g(level, prog, step):
        r = got.get((level, prog, step))
        return r.get('got', '-') if r else '-'

    out = [f'checks: {tap.n - tap.failed} ok, {tap.failed} failed']
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
    def read_ok(level, prog):
        r = got.get((level, prog, 'disk_read'))
        return 'ok' if r and r['got'] == r['expect'] else 'failed'

    out.append(f'L1 virtio-blk: disk read {read_ok("L1", "l1")}; L1 '
               f'dma-check: {g("L1", "dma", "l1dma_roundtrip")}')
    out.append(f'L2: edu {g("L2", "l2", "edu_visible")}, virtio-blk '
               f'{g("L2", "l2", "blk_visible")}, disk read '
               f'{read_ok("L2", "l2")}, QEMU exit '
               f'{g("L1", "l1", "l2_qemu_exit")}')
    if got.get(('L2', 'l2', 'smmu_probed')):
        out.append(f'L2 vSMMU: probed {g("L2", "l2", "smmu_probed")}, '
                   f'dma-check {g("L2", "dma", "l2dma_roundtrip")}, '
                   f'event {g("L2", "l2", "smmu_event")}')
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
                    '(default: dt for baseline, acpi for accel)')
    ap.add_argument('--l2-timeout', type=int, default=240,
                    help='seconds before L1 kills L2')
    ap.add_argument('--l2-trace', action='append', default=[],
                    help="trace events of L1's QEMU (the one running L2), "
                    'on the console')
    ap.add_argument('--summary', action='store_true')
    ap.add_argument('--trace', action='append', default=[],
                    help='more L0 trace events (patterns), into l0.log')
    args = ap.parse_args()

    os.makedirs(args.run_dir, exist_ok=True)
    disk = os.path.join(args.run_dir, 'disk.img')
    disksum = make_disk(disk)
    l2boot = args.l2_boot or ('acpi' if args.mode == 'accel' else 'dt')
    append = (f'console=ttyAMA0 panic=-1 rdinit=/init e2e.mode={args.mode} '
              f'e2e.disksum={disksum} e2e.l2boot={l2boot} '
              f'e2e.l2timeout={args.l2_timeout}')
    if args.l2_trace:
        append += ' e2e.l2trace=' + ','.join(args.l2_trace)
    argv = [args.qemu,
            '-M', 'virt,virtualization=on,gic-version=3,iommu=smmuv3',
            '-global', 'arm-smmuv3.stage=nested',
            '-global', 'arm-smmuv3.s2fwb=on',
            '-cpu', 'max,pauth-impdef=on', '-smp', '2', '-m', '2G',
            '-accel', 'tcg', '-nodefaults', '-display', 'none',
            '-serial', 'stdio', '-no-reboot',
            '-kernel', os.path.join(args.kernel, 'Image'),
            '-initrd', os.path.join(args.initramfs, 'l1.cpio.gz'),
            '-append', append,
            '-d', 'guest_errors', '-D', os.path.join(args.run_dir, 'l0.log')]
    for ev in L0_TRACE + args.trace:
        argv += ['-trace', ev]
    argv += [a.format(disk=disk) for a in L0_DEVICES]
    with open(os.path.join(args.run_dir, 'l0.cmdline'), 'w') as f:
        f.write(' '.join(argv) + '\n')

    tap = Tap()
    tap.comment(f'mode {args.mode}, L2 boot {l2boot}, run directory '
                f'{args.run_dir}')
    status, lines, secs = run_l0(argv, os.path.join(args.run_dir,
                                                     'console.log'),
                                 args.timeout)
    records, stages = parse_console(lines)
    with open(os.path.join(args.run_dir, 'results.jsonl'), 'w') as f:
        for rec in records:
            f.write(json.dumps(rec) + '\n')
    verdicts(tap, args, status, secs, records, stages, disk, disksum)
    for line in timings(args, stages, secs):
        tap.comment(f'timing: {line}')
    if args.summary:
        text = summary(records, tap)
        with open(os.path.join(args.run_dir, 'summary.txt'), 'w') as f:
            f.write('\n'.join(text) + '\n')
        tap.comment('summary:')
        for line in text:
            tap.comment(f'  {line}')
    tap.plan()
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
