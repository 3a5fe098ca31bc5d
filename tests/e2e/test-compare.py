#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The compare mode's bookkeeping in harness.py, on a made-up console: the
# records and stages of each QEMU's L2 run are told apart, upstream's are
# recorded but never fail the run, ours are judged, and the table says who
# refused to start and why.  TAP on stdout.

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def rec(step, expect, got, level='L2', prog='l2'):
    return (f'E2E {{"prog":"{prog}","step":"{step}","call":"-",'
            f'"what":"{step} works","expect":"{expect}","got":"{got}",'
            '"errno":0}')


CONSOLE = [
    'E2E-STAGE l2-start 1.0',
    'E2E-QEMU ours',
    rec('dt_start', '0', '0', 'L1', 'l1'),
    'E2E-STAGE l2-boot 2.0',
    '[L2] E2E-STAGE init 1.0',
    '[L2] ' + rec('disk_read', 'abc', 'abc'),
    '[L2] ' + rec('bind', 'ok', 'ok', prog='dma'),
    '[L2] E2E-STAGE end 3.0',
    'E2E-QEMU upstream',
    rec('dt_start', '0', '1', 'L1', 'l1'),
    'E2E-STAGE l2-boot 9.0',
    '# L2 qemu: qemu-system-aarch64: warning: something harmless',
    '# L2 qemu: qemu-system-aarch64: -device x: not supported for DT',
    'E2E-QEMU none',
    'E2E-STAGE l2-exit 20.0',
]


class Args:
    mode = 'compare'
    run_dir = '/nonexistent'


def main():
    n = 0
    failed = 0

    def check(ok, what):
        nonlocal n, failed
        n += 1
        failed += not ok
        print(f'{"ok" if ok else "not ok"} {n} - {what}')

    lines = [(float(i), text) for i, text in enumerate(CONSOLE)]
    records, stages = harness.parse_console(lines)
    by = {(r.get('qemu'), r['step']): r for r in records}
    check(by[('ours', 'disk_read')]['level'] == 'L2',
          "ours's L2 record is ours and L2's")
    check(('upstream', 'disk_read') not in by,
          "no upstream record where upstream's L2 never ran")
    check(by[('upstream', 'dt_start')]['got'] == '1',
          "upstream's L1 probe is upstream's")
    check(('L2', 'init@ours') in stages and
          ('L2', 'init@upstream') not in stages and
          ('L1', 'l2-boot@upstream') in stages and
          ('L1', 'l2-start') in stages and ('L1', 'l2-exit') in stages,
          'stages: L2 and l2-boot carry the QEMU, the others do not')

    table = harness.compare_report(records, stages)
    text = '\n'.join(table)
    i = next(i for i, t in enumerate(table) if t.startswith('L2 boots'))
    start = ' '.join(table[i:i + 3])     # the row, or the row and below
    check('ok' in start and 'refused at start: qemu-system-aarch64: '
          '-device x: not supported for DT' in start,
          'the start row: ours ok, upstream refused with its error line')
    probe = next(t for t in table if '[dt_start]' in t)
    check(probe.split()[-3:] == ['ok', 'fails:', '1'],
          f'the probe row: ok for ours, fails: 1 for upstream ({probe!r})')
    disk = next(t for t in table if '[disk_read]' in t)
    check(disk.split()[-2:] == ['ok', '-'],
          "a check upstream's L2 never reached reads '-'")
    check('checks with a verdict: ours' in text and 'upstream' in text,
          'the table ends with the counts')

    class Tap(harness.Tap):
        def __init__(self):
            super().__init__(os.devnull)
            self.lines = []

        def emit(self, line, quiet=False):
            self.lines.append(line)

    tap = Tap()
    with tempfile.TemporaryDirectory() as d:
        disk = os.path.join(d, 'disk.img')
        disksum = harness.make_disk(disk)
        args = Args()
        args.run_dir = d
        harness.verdicts(tap, args, 'acpi', 0, 1.0, records, stages, disk,
                         disksum)
    bad = [t for t in tap.lines if t.startswith('not ok')]
    check(not [t for t in bad if 'upstream' in t],
          "upstream's failures are recorded, never a failure of the run")
    check(any('[dt_start]' in t and 'recorded, not judged' in t and
              'upstream' in t for t in tap.lines),
          "upstream's failed probe is in the TAP as recorded")
    # the stage names quoted: ours-cmdqv's stages are judged too
    check(any('"init@ours"' in t for t in bad) is False and
          any('"end@ours"' in t for t in bad) is False and
          any('"disk@ours"' in t for t in bad),
          "ours's stages are judged: reached ones pass, a missing one fails")
    print(f'1..{n}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
