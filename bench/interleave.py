#!/usr/bin/env python3
"""Times two shell commands alternately (A, B, A, B, ...), so a noisy neighbour weighs on both
alike, and prints the medians and their ratio B/A.

usage: interleave.py NAME RUNS PREPARE_A CMD_A PREPARE_B CMD_B
(an empty PREPARE does nothing; the first pair is a warm-up and is not counted)
"""
import statistics
import subprocess
import sys
import time


def timed(prepare, cmd):
    if prepare:
        subprocess.run(prepare, shell=True, check=True)
    start = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True)
    return time.perf_counter() - start


def main():
    name, runs, prep_a, cmd_a, prep_b, cmd_b = sys.argv[1:7]
    a, b = [], []
    for i in range(int(runs) + 1):
        ta = timed(prep_a, cmd_a)
        tb = timed(prep_b, cmd_b)
        if i:
            a.append(ta)
            b.append(tb)
    ma, mb = statistics.median(a), statistics.median(b)
    ratios = sorted(y / x for x, y in zip(a, b))
    print(
        f"{name}: codecommit-local {mb:.3f}s, git file:// {ma:.3f}s, ratio of medians {mb/ma:.3f} "
        f"(pairwise {ratios[0]:.2f}..{ratios[-1]:.2f}, {len(a)} pairs)"
    )


if __name__ == "__main__":
    main()
