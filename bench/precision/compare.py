#!/usr/bin/env python3
"""Compare a new run (run.sh BINARY NEWDIR) with the hand-reviewed verdicts of verdicts.tsv.

usage: compare.py NEWDIR
A finding is matched by (repo, rule, path, line). Prints, per rule, how many reviewed TP/FP/DEB
findings the new run still reports or dropped, and lists every new finding nobody has reviewed yet."""
import collections, csv, json, os, sys

new_dir = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
reviewed = {}
with open(os.path.join(here, 'verdicts.tsv')) as f:
    for r in csv.DictReader(f, delimiter='\t'):
        reviewed[(r['repo'], r['rule'], r['path'], int(r['line']))] = r
seen, new = set(), []
for line in open(os.path.join(here, 'repos.tsv')):
    if line.startswith('#') or not line.strip():
        continue
    repo = line.split('\t')[0]
    p = os.path.join(new_dir, repo + '.json')
    if not os.path.exists(p):
        print(f'{repo}: no {p}'); continue
    for f in json.load(open(p))['findings']:
        k = (repo, f['rule'], f['path'], f['start']['line'])
        (seen.add(k) if k in reviewed else new.append((k, f['message'])))
stats = collections.defaultdict(collections.Counter)
for k, r in reviewed.items():
    stats[k[1]][(r['verdict'], 'kept' if k in seen else 'dropped')] += 1
print(f"{'rule':28}" + ''.join(f'{v + "-" + s:>12}' for v in ('TP', 'FP', 'DEB') for s in ('kept', 'dropped')))
for rule in sorted(stats):
    print(f'{rule:28}' + ''.join(f'{stats[rule][(v, s)]:>12}' for v in ('TP', 'FP', 'DEB') for s in ('kept', 'dropped')))
print(f'\n{len(new)} new finding(s) to review:')
for (repo, rule, path, line), msg in sorted(new):
    print(f'  {repo}\t{rule}\t{path}:{line}\t{msg}')
