"""Generated RIPE-style inetnum split dumps for the registry benchmarks: never registry data.

usage: registry-dumps.py FOLDER OBJECTS ADDRESSES SEED NAME:MOVED ... [--pfx2as FILE]

Netblocks of 64 to 1,024 addresses laid end to end from 1.0.0.0, OBJECTS of them, each with an
organisation. Each NAME:MOVED writes FOLDER/ripe.db.inetnum.NAME, with MOVED (0 or 1): whether
10 % of the netblocks are given to other organisations in it. --pfx2as writes a prefix table of
every fourth netblock's /24. FOLDER/addresses.txt gets ADDRESSES addresses inside the netblocks.
"""
import ipaddress
import random
import sys

args = sys.argv[1:]
pfx2as = None
if "--pfx2as" in args:
    at = args.index("--pfx2as")
    pfx2as = args[at + 1]
    del args[at:at + 2]
work, n, a, seed = args[0], int(args[1]), int(args[2]), int(args[3])
random.seed(seed)
blocks, start = [], 1 << 24
for i in range(n):
    size = 1 << random.randrange(6, 11)
    blocks.append((start, start + size - 1, i))
    start += size
for spec in args[4:]:
    name, moves = spec.split(":")
    moved = set(random.sample(range(n), n // 10)) if moves == "1" else set()
    # The date the dump's objects were last modified: its name when it is a date.
    modified = name if name[:2] == "20" else "2024-01-01"
    with open(f"{work}/ripe.db.inetnum.{name}", "w") as f:
        f.write("# generated for the benchmark: not registry data\n\n")
        for first, last, i in blocks:
            org = f"ORG-M{i % 50000}-TEST" if i not in moved else f"ORG-N{i % 7000}-TEST"
            f.write(
                f"inetnum:        {ipaddress.ip_address(first)} - {ipaddress.ip_address(last)}\n"
                f"netname:        SYNTH-{i}\n"
                f"descr:          Synthetic customer {i}\n"
                f"country:        ZZ\n"
                f"org:            {org}\n"
                f"admin-c:        DUMY-RIPE\n"
                f"tech-c:         DUMY-RIPE\n"
                f"status:         ASSIGNED PA\n"
                f"mnt-by:         SYNTH-MNT-{i % 900}\n"
                f"created:        2020-01-01T00:00:00Z\n"
                f"last-modified:  {modified}T00:00:00Z\n"
                f"source:         RIPE # Filtered\n\n")
if pfx2as:
    with open(f"{work}/{pfx2as}", "w") as f:
        for first, last, i in blocks[::4]:
            f.write(f"{ipaddress.ip_address(first & ~255)}\t24\t{64496 + i % 16}\n")
with open(f"{work}/addresses.txt", "w") as f:
    for _ in range(a):
        first, last, _ = random.choice(blocks)
        f.write(f"{ipaddress.ip_address(random.randrange(first, last + 1))}\n")
