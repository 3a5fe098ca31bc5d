#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run the fork's test suites, each a program that prints TAP, and print one
# summary line last: "N passed, N failed, N skipped".  Exit status 1 when
# anything failed.
#
# The suites are listed in tests/suites.list (one per line:
# "name  timeout-seconds  command...", with @BUILD@ and @TOP@ substituted).

import argparse
import os
import re
import shlex
import subprocess
import sys
import time

TAP_RESULT = re.compile(r'^(not ok|ok)\b\s*(\d+)?\s*-?\s*(.*?)(?:\s+#\s*(SKIP|TODO)\b(.*))?$',
                        re.IGNORECASE)


def read_suites(path, build, top):
    suites = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            line = line.replace('@BUILD@', build).replace('@TOP@', top)
            words = shlex.split(line)
            if len(words) < 3:
                sys.exit(f'{path}:{lineno}: expected "name timeout command..."')
            suites.append((words[0], int(words[1]), words[2:]))
    return suites


def run_suite(name, timeout, argv, env, cwd, verbose, log):
    counts = {'pass': 0, 'fail': 0, 'skip': 0}
    failed = []
    start = time.monotonic()
    log.write(f'=== {name}: {shlex.join(argv)}\n')
    log.flush()
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                errors='replace', start_new_session=True)
    except OSError as e:
        print(f'FAIL {name}: cannot start {argv[0]}: {e}')
        counts['fail'] += 1
        return counts
    try:
        out, _ = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, _ = proc.communicate()
        rc = None
    log.write(out)
    for line in out.splitlines():
        m = TAP_RESULT.match(line.strip())
        if not m:
            continue
        verdict, _, desc, directive = m.group(1).lower(), m.group(2), m.group(3), m.group(4)
        if directive and directive.upper() == 'SKIP':
            counts['skip'] += 1
        elif verdict == 'ok':
            counts['pass'] += 1
        elif directive and directive.upper() == 'TODO':
            counts['skip'] += 1
        else:
            counts['fail'] += 1
            failed.append(desc)
        if verbose:
            print(f'  {line.strip()}')
    dur = time.monotonic() - start
    if rc is None:
        counts['fail'] += 1
        failed.append(f'timed out after {timeout} s')
    elif rc != 0 and not failed:
        counts['fail'] += 1
        failed.append(f'exited with status {rc}')
    status = 'FAIL' if failed else 'ok  '
    print(f'{status} {name}: {counts["pass"]} passed, {counts["fail"]} failed, '
          f'{counts["skip"]} skipped ({dur:.1f} s)')
    for d in failed:
        print(f'       not ok: {d}')
    if failed:
        tail = out.splitlines()[-30:]
        print('       --- last lines of output ---')
        for line in tail:
            print(f'       | {line}')
    sys.stdout.flush()
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--top', required=True)
    ap.add_argument('--suites', default=None)
    ap.add_argument('--only', default=None, help='run suites whose name contains this')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    top = os.path.abspath(args.top)
    suites = read_suites(args.suites or os.path.join(top, 'tests', 'suites.list'), build, top)

    env = dict(os.environ)
    env['QTEST_QEMU_BINARY'] = os.path.join(build, 'qemu-system-aarch64')
    env['G_TEST_SRCDIR'] = os.path.join(top, 'qemu', 'tests')
    env['G_TEST_BUILDDIR'] = os.path.join(build, 'tests')
    env['PYTHON'] = sys.executable
    env.setdefault('MALLOC_PERTURB_', '85')
    # The host kernel model the accel qtests run QEMU on
    env['HOSTMODEL_LIB'] = os.path.join(build, 'hostmodel', 'libhostmodel.so')
    env['HOSTMODEL_DIR'] = os.path.join(top, 'tests', 'hostmodel')

    total = {'pass': 0, 'fail': 0, 'skip': 0}
    logpath = os.path.join(build, 'check.log')
    with open(logpath, 'w') as log:
        for name, timeout, argv in suites:
            if args.only and args.only not in name:
                continue
            c = run_suite(name, timeout, argv, env, build, args.verbose, log)
            for k in total:
                total[k] += c[k]
    print(f'full output: {logpath}')
    print(f'{total["pass"]} passed, {total["fail"]} failed, {total["skip"]} skipped')
    return 1 if total['fail'] else 0


if __name__ == '__main__':
    sys.exit(main())
