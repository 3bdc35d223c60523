#!/usr/bin/env python3
"""Writes large synthetic exports for the ingest benchmark (documentation addresses only).

usage: generate_exports.py OUTDIR EVENTS
Writes OUTDIR/Activities - A list of Google services accessed by.csv (16-column Google Takeout
layout) and OUTDIR/auth.log (OpenSSH, RFC 3339 prefixes), EVENTS records each.
"""
import os
import random
import sys

out, count = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
rng = random.Random(2024)
v4 = ["192.0.2.", "198.51.100.", "203.0.113."]
agents = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "App : GMAIL_APP. App Version : 6.0.260302. Os : IOS_OS. Os Version : 17.2. Device Type : MOBILE.",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
]

def address():
    if rng.random() < 0.2:
        return "2001:db8:%x::%x" % (rng.randrange(1, 0xffff), rng.randrange(1, 0xffff))
    return rng.choice(v4) + str(rng.randrange(1, 255))

with open(os.path.join(out, "Activities - A list of Google services accessed by.csv"), "w") as f:
    f.write("Gaia ID,Activity Timestamp,IP Address,Proxiedhost IP Address,Is Non-routable IP Address,"
            "Activity Country,Activity Region,Activity City,User Agent String,Product Name,Sub-Product Name,"
            "Referer Product Name,Referer Sub-Product Name,Activity Type,Gmail Access Channel,"
            "Android Webview Package Name\n")
    base = 1_700_000_000
    for i in range(count):
        t = base + i * 7
        stamp = "%04d-%02d-%02d %02d:%02d:%02d UTC" % (2023, 11, 14 + t // 86400 % 14, t // 3600 % 24, t // 60 % 60, t % 60)
        f.write('100000000000000000001,%s,%s,,No,DE,,Berlin,"%s",Gmail,,,,,IMAP,\n' % (stamp, address(), rng.choice(agents)))

with open(os.path.join(out, "auth.log"), "w") as f:
    for i in range(count):
        t = i * 3
        f.write("2024-03-%02dT%02d:%02d:%02d.000000+00:00 gw sshd[%d]: Failed password for invalid user u%d from %s port %d ssh2\n"
                % (1 + t // 86400 % 28, t // 3600 % 24, t // 60 % 60, t % 60, 1000 + i % 30000, i % 97, address(), 1024 + i % 60000))
print(out)
