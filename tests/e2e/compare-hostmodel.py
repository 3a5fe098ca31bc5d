#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Compare the host model (tests/hostmodel) with the real kernel on the
# same sequence: nest-check, built for this machine, runs against
# libhostmodel.so with hostmodel-l1.conf (the L1 host as the model sees
# it); its records are compared, call by call, with those nest-check gave
# in L1 on Linux (a results.jsonl of a baseline run).  Prints TAP: one
# line per call both ran, ok when the model gave the kernel's result (and
# entry_num).  Calls only the kernel could run (DMA, events, MSI: the
# model does no DMA) are counted, not compared.  The kernel is right:
# a "not ok" is the model's to fix.
#
# usage: compare-hostmodel.py --top TOP --build BUILD [--results FILE]
#        (default FILE: BUILD/e2e/run-baseline/results.jsonl)

import argparse
import json
import os
import subprocess
import sys

SOURCES = ['nest-check.c', 'nest-check-objects.c', 'nest-check-inval.c',
           'nest-check-dma.c', 'nest-check-group.c', 'nest-check-cmdqv.c',
           'smmu-s1.c', 'vevent.c',
           'iommufd-calls.c', 'e2e-report.c', 'vfio-edu.c']
DEVICES = ['-c', '-s', '42', '-g',
           '/dev/vfio/devices/vfio1,/dev/vfio/devices/vfio2',
           '/dev/vfio/devices/vfio0']


def keyed(records):
    """(step, call, n-th occurrence) -> record, in order."""
    seen, out = {}, {}
    for r in records:
        k = (r.get('step'), r.get('call'))
        seen[k] = seen.get(k, 0) + 1
        out[k + (seen[k],)] = r
    return out


def build(top, build_dir):
    out = os.path.join(build_dir, 'e2e', 'host')
    os.makedirs(out, exist_ok=True)
    # The model is built apart from the one make check builds.
    lib = os.path.join(out, 'hostmodel', 'libhostmodel.so')
    subprocess.run(['make', '--no-print-directory', '-s', '-f',
                    os.path.join(top, 'tests/hostmodel/hostmodel.mk'),
                    f'QEMU_TREE={top}/qemu', f'BUILD={out}', lib],
                   cwd=top, check=True, stdout=sys.stderr)
    exe = os.path.join(out, 'nest-check')
    here = os.path.join(top, 'tests', 'e2e')
    subprocess.run(['gcc', '-std=gnu11', '-O2', '-Wall', '-isystem',
                    os.path.join(top, 'qemu', 'linux-headers'), '-o', exe] +
                   [os.path.join(here, s) for s in SOURCES], check=True)
    return exe, lib


def run_model(top, exe, lib):
    env = dict(os.environ)
    env['HOSTMODEL_HOST'] = os.path.join(top, 'tests', 'e2e',
                                         'hostmodel-l1.conf')
    env['LD_PRELOAD'] = lib
    p = subprocess.run([exe] + DEVICES, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    recs = []
    for line in p.stdout.splitlines():
        if line.startswith('E2E {'):
            recs.append(json.loads(line[4:]))
    return recs, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--top', required=True)
    ap.add_argument('--build', required=True)
    ap.add_argument('--results')
    args = ap.parse_args()
    top, build_dir = os.path.abspath(args.top), os.path.abspath(args.build)
    results = args.results or os.path.join(build_dir, 'e2e', 'run-baseline',
                                           'results.jsonl')
    try:
        with open(results) as f:
            kernel = [json.loads(line) for line in f]
    except OSError as e:
        print(f'1..0 # SKIP no kernel results ({e}): run tests/e2e/run.sh')
        return 0
    kernel = [r for r in kernel if r.get('prog') == 'nest']
    exe, lib = build(top, build_dir)
    model, text = run_model(top, exe, lib)
    with open(os.path.join(build_dir, 'e2e', 'host', 'model.out'), 'w') as f:
        f.write(text)

    kk, mk = keyed(kernel), keyed(model)
    n = failed = only_kernel = 0
    for key, kr in kk.items():
        step, call, _ = key
        if call in ('edu DMA', 'read vEVENTQ', 'mmap BAR0'):
            continue
        mr = mk.get(key)
        if mr is None:
            only_kernel += 1
            continue
        n += 1
        ok = mr['got'] == kr['got']
        desc = f'{step} ({call}): kernel {kr["got"]}'
        if ok:
            print(f'ok {n} - model agrees: {desc}')
        else:
            failed += 1
            print(f'not ok {n} - model differs: {desc}, model {mr["got"]}')
    print(f'# {only_kernel} kernel calls have no model counterpart '
          f'(they follow DMA or events the model does not do)')
    print(f'1..{n}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
