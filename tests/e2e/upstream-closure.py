#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The arm64 packages a Debian binary package needs to run: its library
# dependencies (Depends and Pre-Depends, Section libs), followed
# recursively, each at its version in SUITE.  Reads the local apt lists
# (arm64 must be a foreign architecture, build-aux/setup.sh); prints one
# "name=version" a line, the root first.  Other dependencies (data,
# helpers, Architecture: all) are not followed: upstream-qemu.sh checks
# afterwards that every shared object the binary loads is there.
#
# usage: upstream-closure.py SUITE PACKAGE=VERSION

import re
import subprocess
import sys


def madison(names):
    """name -> version in the suite, for the arm64 packages NAMES."""
    out = subprocess.run(['apt-cache', 'madison'] +
                         [f'{n}:arm64' for n in names],
                         capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        f = [x.strip() for x in line.split('|')]
        if len(f) == 3 and f' {SUITE}/' in f' {f[2]}' and 'arm64' in f[2]:
            found.setdefault(f[0].removesuffix(':arm64'), f[1])
    return found


def records(pairs):
    """The apt records of the name=version PAIRS, by name."""
    out = subprocess.run(['apt-cache', 'show'] +
                         [f'{n}:arm64={v}' for n, v in pairs],
                         capture_output=True, text=True).stdout
    recs = {}
    for block in out.split('\n\n'):
        fields, key = {}, None
        for line in block.splitlines():
            if line[:1] in (' ', '\t') and key:
                fields[key] += ' ' + line.strip()
            elif ':' in line:
                key, _, val = line.partition(':')
                fields[key] = val.strip()
        if 'Package' in fields:
            recs.setdefault(fields['Package'], fields)
    return recs


def deps(rec):
    """The first alternative of each Depends and Pre-Depends entry."""
    names = []
    for field in ('Pre-Depends', 'Depends'):
        for entry in rec.get(field, '').split(','):
            first = entry.split('|')[0].strip()
            name = re.split(r'[ (:]', first)[0]
            if name:
                names.append(name)
    return names


SUITE = sys.argv[1]
root_name, _, root_version = sys.argv[2].partition('=')
chosen = [(root_name, root_version)]
seen = {root_name}
level = [(root_name, root_version)]
while level:
    recs = records(level)
    missing = [n for n, _ in level if n not in recs]
    if missing:
        sys.exit(f'upstream-closure: no arm64 record for {missing}')
    want = sorted({d for n, _ in level for d in deps(recs[n])} - seen)
    seen.update(want)
    if not want:
        break
    versions = madison(want)
    level = []
    for name in want:
        if name not in versions:
            continue        # virtual, or not in the suite for arm64
        level.append((name, versions[name]))
    # only shared libraries are followed
    recs = records(level)
    level = [(n, v) for n, v in level
             if recs.get(n, {}).get('Section', '').endswith('libs') and
             recs[n].get('Architecture') != 'all']
    chosen += level
for name, version in chosen:
    print(f'{name}={version}')
