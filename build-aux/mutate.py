#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Mutation testing of the accel vSMMU: make small faults in the product
# code (flipped conditions, removed calls, changed constants, early
# returns), rebuild incrementally and run the fast suites; a mutant the
# suites do not notice "survives".  Prints killed/survived per file, the
# score and the survivors.  'make mutate' runs it; not part of make check.
#
#   build-aux/mutate.py [--files GLOB...] [--max N] [--seed S] [--list]
#                       [--rerun EARLIER.json]
#
# A mutant that does not build is not counted.  Each mutant is reverted
# before the next, and the tree is rebuilt clean at the end.  Mutants
# judged equivalent (the program means the same) are listed, each with
# why, in build-aux/mutate-equivalent.txt: not run, not counted.
import argparse
import fnmatch
import json
import os
import random
import re
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# MUTATE_BUILD: another configured build directory than build/
BUILD = os.environ.get('MUTATE_BUILD', os.path.join(TOP, 'build'))
FILES = ['hw/arm/smmuv3-accel*.c', 'hw/arm/smmuv3-cmdqv.c',
         'backends/iommufd-*.c']
SKIP_FILES = ['hw/arm/smmuv3-accel-stubs.c', 'hw/arm/smmuv3-accel-hmp.c']
# The suites run for each mutant, cheapest first; the first failure kills.
SUITES = [
    ('tests/qtest/arm-smmuv3-cmdqv-test', 60),
    ('tests/qtest/arm-smmuv3-accel-cmdqv-test', 120),
    ('tests/qtest/arm-smmuv3-accel-test', 240),
    ('tests/qtest/arm-smmuv3-accel-ste-test', 120),
    ('tests/qtest/arm-smmuv3-accel-cmdq-test', 120),
    ('tests/qtest/arm-smmuv3-accel-evtq-test', 120),
    ('tests/qtest/arm-smmuv3-accel-msi-test', 120),
    ('tests/qtest/arm-smmuv3-accel-emulated-test', 120),
    ('tests/qtest/arm-smmuv3-accel-hotplug-test', 240),
    ('tests/qtest/arm-smmuv3-accel-group-test', 120),
    ('tests/qtest/arm-smmuv3-accel-kernel-test', 60),
    ('tests/qtest/arm-smmuv3-accel-instances-test', 120),
    ('tests/qtest/arm-smmuv3-accel-hostile-test', 240),
    ('tests/qtest/arm-smmuv3-accel-fdt-test', 120),
    ('tests/qtest/arm-smmuv3-accel-acpi-test', 120),
    ('tests/unit/test-iommufd-veventq', 60),
    ('tests/unit/test-iommufd-nesting', 60),
]

# (name, regex, replacement): each match in a line is one mutant
OPERATORS = [
    ('eq-to-ne', r'(?<![=!<>])==(?!=)', '!='),
    ('ne-to-eq', r'!=', '=='),
    ('lt-to-le', r'(?<![<-])<(?![<=])', '<='),
    ('le-to-lt', r'<=', '<'),
    ('gt-to-ge', r'(?<![->])>(?![>=])', '>='),
    ('ge-to-gt', r'>=', '>'),
    ('and-to-or', r'&&', '||'),
    ('or-to-and', r'\|\|', '&&'),
    ('not-dropped', r'(?<=[(\s])!(?=[a-z_(])', ''),
    ('const-plus-one', r'(?<![\w.])([1-9][0-9]*)(?![\w.])', None),
    ('zero-to-one', r'(?<![\w.])0(?![\w.x])', '1'),
    ('true-false', r'\btrue\b', 'false'),
    ('false-true', r'\bfalse\b', 'true'),
]

SKIP_LINE = re.compile(r'^\s*(#|/\*|\*|//)|\btrace_|qemu_log_mask|'
                       r'error_setg|error_report|warn_report|'
                       r'error_prepend|error_append|g_test|"')


def code_lines(text):
    """Line numbers inside function bodies (brace depth > 0)."""
    depth = 0
    out = []
    for i, line in enumerate(text.split('\n')):
        stripped = re.sub(r'"(\\.|[^"\\])*"', '""', line)
        if depth > 0:
            out.append(i)
        depth += stripped.count('{') - stripped.count('}')
    return set(out)


def mutants_of(path):
    text = open(os.path.join(TOP, path)).read()
    lines = text.split('\n')
    inside = code_lines(text)
    muts = []
    for i, line in enumerate(lines):
        if i not in inside or SKIP_LINE.search(line):
            continue
        for name, rx, rep in OPERATORS:
            for m in re.finditer(rx, line):
                if rep is None:
                    new = str(int(m.group(1)) + 1)
                else:
                    new = rep
                mutated = line[:m.start()] + new + line[m.end():]
                muts.append((path, i, name, line, mutated))
        # A call whose result is not used: removed
        if re.match(r'^\s+[a-z_][a-z0-9_]*\(.*\);\s*$', line) and \
           not re.match(r'^\s+(return|g_assert)', line):
            muts.append((path, i, 'call-removed', line, ''))
        # Early return at the top of a function body
        if re.match(r'^[a-z].*\)$', line) and i + 1 < len(lines) and \
           lines[i + 1] == '{' and not line.startswith('static const'):
            if line.startswith('static void') or line.startswith('void'):
                ret = '    return;'
            elif re.match(r'^(static )?bool ', line):
                ret = '    return %s;' % random.choice(['true', 'false'])
            else:
                continue
            muts.append((path, i + 1, 'early-return', '{', '{\n' + ret))
    return muts


EQUIVALENT = os.path.join(TOP, 'build-aux', 'mutate-equivalent.txt')


def load_equivalent():
    """{(path, op, prev, old, new): why} from 'path | op | old | new | why'.

    In the file, '\\|' stands for a '|' of the code, and 'PREV // OLD'
    (or 'PREV2 // PREV // OLD') names the lines before too, for a line
    written more than once; '(removed)' is a removed line."""
    eq = {}
    if not os.path.exists(EQUIVALENT):
        return eq
    for line in open(EQUIVALENT):
        if not line.strip() or line.startswith('#'):
            continue
        f = [x.strip().replace('\\|', '|')
             for x in line.rstrip('\n').split(' | ')]
        if len(f) != 5:
            sys.exit('%s: bad line: %s' % (EQUIVALENT, line.strip()))
        *prev, old = f[2].split(' // ')
        mutated = '' if f[3] == '(removed)' else f[3]
        eq[(f[0], f[1], tuple(prev), old, mutated)] = f[4]
    return eq


def equivalent_why(equivalent, path, i, name, old, new):
    lines = [l.strip() for l in
             open(os.path.join(TOP, path)).read().split('\n')]
    for (p, n, prev, o, w), why in equivalent.items():
        if (p, n, o, w) != (path, name, old.strip(), new.strip()):
            continue
        if tuple(lines[max(0, i - len(prev)):i]) == prev:
            return why
    return None


def run(cmd, timeout, env=None):
    try:
        p = subprocess.run(cmd, cwd=BUILD, env=env, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        return 'timeout', (e.stdout or b'').decode(errors='replace') \
            if isinstance(e.stdout, bytes) else (e.stdout or '')


def build():
    env = dict(os.environ)
    env['PATH'] = '/usr/lib/ccache:' + env['PATH']
    rc, out = run(['ninja', 'qemu-system-aarch64', 'tests/unit/'
                   'test-iommufd-veventq', 'tests/unit/test-iommufd-nesting'],
                  900, env)
    return rc == 0, out


def test_env():
    env = dict(os.environ)
    env['QTEST_QEMU_BINARY'] = os.path.join(BUILD, 'qemu-system-aarch64')
    env['HOSTMODEL_LIB'] = os.path.join(BUILD, 'hostmodel', 'libhostmodel.so')
    env['HOSTMODEL_DIR'] = os.path.join(TOP, 'tests', 'hostmodel')
    env['HOSTMODEL_HOST'] = os.path.join(TOP, 'tests', 'hostmodel', 'hosts',
                                         'qemu.conf')
    env['HOSTMODEL_CONTROL'] = os.path.join(BUILD, 'hostmodel',
                                            'mutate.sock')
    env['G_TEST_SRCDIR'] = os.path.join(TOP, 'qemu', 'tests')
    env['G_TEST_BUILDDIR'] = os.path.join(BUILD, 'tests')
    env['PYTHON'] = sys.executable
    return env


def suites_fail(env):
    for prog, timeout in SUITES:
        argv = [os.path.join(BUILD, prog), '--tap', '-k']
        if prog.endswith('test-iommufd-nesting'):
            env2 = dict(env, LD_PRELOAD=env['HOSTMODEL_LIB'])
        else:
            env2 = env
        rc, out = run(argv, timeout, env2)
        bad = [l for l in out.splitlines() if l.startswith('not ok') or
               l.startswith('Bail out')]
        if rc != 0 or bad:
            why = bad[0] if bad else 'exit %s' % rc
            return '%s: %s' % (os.path.basename(prog), why[:160])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--files', nargs='*', default=FILES)
    ap.add_argument('--max', type=int, default=0,
                    help='at most N mutants, sampled evenly per file')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--list', action='store_true')
    ap.add_argument('--rerun', metavar='JSON',
                    help='only the survivors of an earlier run (its JSON)')
    ap.add_argument('--json', default=os.path.join(BUILD, 'mutate.json'))
    args = ap.parse_args()
    random.seed(args.seed)

    paths = []
    for pat in args.files:
        for root, _, names in os.walk(TOP):
            for n in names:
                rel = os.path.relpath(os.path.join(root, n), TOP)
                if fnmatch.fnmatch(rel, pat) and rel not in SKIP_FILES and \
                   not rel.startswith(('qemu/', 'build')):
                    paths.append(rel)
    paths = sorted(set(paths))
    muts = []
    for p in paths:
        muts += mutants_of(p)
    equivalent = load_equivalent()
    if args.max and len(muts) > args.max:
        random.shuffle(muts)
        muts = sorted(muts[:args.max])
    if args.rerun:
        # By text, the nearest such line: the files may have moved since
        pick = set()
        for r in json.load(open(args.rerun)):
            if r['verdict'] != 'survived':
                continue
            same = [m for m in muts if (m[0], m[2], m[3].strip(),
                                        m[4].strip()) ==
                    (r['file'], r['op'], r['old'], r['new'])]
            if same:
                pick.add(min(same, key=lambda m: abs(m[1] + 1 - r['line'])))
            else:
                print('mutate: %s:%d %s is gone' % (r['file'], r['line'],
                                                    r['op']))
        muts = sorted(pick)
    if args.list:
        for path, i, name, old, new in muts:
            print('%s:%d %s\n  - %s\n  + %s' % (path, i + 1, name,
                                               old.strip(), new.strip()))
        print('%d mutants' % len(muts))
        return 0

    ok, out = build()
    if not ok or suites_fail(test_env()):
        print('mutate: the unmutated tree must build and pass first')
        return 1
    results = []
    start = time.monotonic()
    for n, (path, i, name, old, new) in enumerate(muts):
        why = equivalent_why(equivalent, path, i, name, old, new)
        if why:
            results.append({'file': path, 'line': i + 1, 'op': name,
                            'old': old.strip(), 'new': new.strip(),
                            'verdict': 'equivalent', 'why': why})
            print('[%d/%d] equivalent %s:%d %s' % (n + 1, len(muts), path,
                                                   i + 1, name))
            continue
        full = os.path.join(TOP, path)
        text = open(full).read()
        lines = text.split('\n')
        assert lines[i] == old
        lines[i] = new
        open(full, 'w').write('\n'.join(lines))
        try:
            ok, _ = build()
            verdict = 'stillborn'
            why = ''
            if ok:
                why = suites_fail(test_env())
                verdict = 'killed' if why else 'survived'
        finally:
            open(full, 'w').write(text)
        results.append({'file': path, 'line': i + 1, 'op': name,
                        'old': old.strip(), 'new': new.strip(),
                        'verdict': verdict, 'why': why or ''})
        print('[%d/%d %ds] %s %s:%d %s' % (n + 1, len(muts),
                                           time.monotonic() - start,
                                           verdict, path, i + 1, name))
        sys.stdout.flush()
        json.dump(results, open(args.json, 'w'), indent=1)
    build()

    print('\nper file (killed / survived, stillborn not counted):')
    total_k = total_s = 0
    for p in paths:
        k = sum(1 for r in results if r['file'] == p and
                r['verdict'] == 'killed')
        s = sum(1 for r in results if r['file'] == p and
                r['verdict'] == 'survived')
        total_k += k
        total_s += s
        if k or s:
            print('  %-40s %4d / %d' % (p, k, s))
    score = 100.0 * total_k / max(1, total_k + total_s)
    print('score: %d killed of %d (%.1f%%)' % (total_k, total_k + total_s,
                                               score))
    eqs = [r for r in results if r['verdict'] == 'equivalent']
    print('equivalent, not counted: %d' % len(eqs))
    for r in eqs:
        print('  %s:%d %s: %s' % (r['file'], r['line'], r['op'], r['why']))
    print('survivors:')
    for r in results:
        if r['verdict'] == 'survived':
            print('  %s:%d %s\n    - %s\n    + %s' % (r['file'], r['line'],
                                                    r['op'], r['old'],
                                                    r['new']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
