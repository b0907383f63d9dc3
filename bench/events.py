"""Issue 11 benchmark: the cost of triggers and EventBridge on writes, and delivery throughput.

Three servers run side by side on one machine, measured in interleaved rounds:
  none   no triggers, no endpoint (events recorded, nothing delivered)
  alive  10 SNS triggers + EventBridge, delivering to a local moto server
  down   the same 10 triggers + EventBridge, the endpoint refusing connections
Per round and server: median PutFile latency (ccl-bench, one keep-alive connection), back to
back and paced (one call every PACE_MS), and median `git push` latency (one new commit per
push). Then: deliveries per second to moto, for trigger
records (SNS Publish) and for EventBridge events (PutEvents, 10 per call).

Run through bench/events.sh (it builds the release binaries and picks moto's Python, which has
boto3). Settings: ROUNDS, N_PUT, N_PUSH, PACE_MS, DRAIN_WRITES, MAINTENANCE.

Background maintenance is off in all three servers unless MAINTENANCE=true: it is the same in
each configuration, but it starts when a repository has gathered enough new objects, so it
lands on whichever server is being measured at that moment (git's maintenance took 30-40 % of
a core during PutFile runs), which is noise in a comparison of the event configurations.
"""

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/codecommit-local")
BENCH = os.path.join(ROOT, "target/release/ccl-bench")
WORK = os.environ.get("BENCH_WORK", os.path.join(ROOT, "bench/work"))
MOTO = os.environ.get(
    "CODECOMMIT_LOCAL_MOTO_SERVER", os.path.join(ROOT, "target/test-venv/bin/moto_server")
)
ROUNDS = int(os.environ.get("ROUNDS", "5"))
N_PUT = int(os.environ.get("N_PUT", "100"))
N_PUSH = int(os.environ.get("N_PUSH", "15"))
DRAIN_WRITES = int(os.environ.get("DRAIN_WRITES", "100"))
PACE_MS = int(os.environ.get("PACE_MS", "20"))
MAINTENANCE = os.environ.get("MAINTENANCE", "false")
ACCOUNT = "000000000000"
REGION = "us-east-1"
GIT_ENV = dict(
    os.environ,
    GIT_TERMINAL_PROMPT="0",
    GIT_CONFIG_NOSYSTEM="1",
    GIT_AUTHOR_NAME="bench",
    GIT_AUTHOR_EMAIL="bench@example.com",
    GIT_COMMITTER_NAME="bench",
    GIT_COMMITTER_EMAIL="bench@example.com",
)

procs = []


def spawn(args, env=None, ready=r"http://[0-9.:]+", log=None):
    """Starts a process that prints its URL on stderr/stdout; answers (process, url). Its
    output goes on to `log` (a path) when one is given."""
    p = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    procs.append(p)
    for line in p.stdout:
        m = re.search(ready, line)
        if m:
            # Keep draining so the process never blocks on a full pipe.
            sink = open(log, "w") if log else subprocess.DEVNULL
            subprocess.Popen(["cat"], stdin=p.stdout, stdout=sink)
            return p, m.group(0)
    raise SystemExit(f"{args[0]} did not start")


def api(url, op, body):
    req = urllib.request.Request(
        url + "/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"CodeCommit_20150413.{op}",
        },
    )
    with urllib.request.urlopen(req) as r:
        text = r.read()
        return json.loads(text) if text else {}


def pending(url):
    with urllib.request.urlopen(url + "/_events?limit=1") as r:
        return json.loads(r.read())["pending"]


def wait_drained(url, timeout=600):
    start = time.monotonic()
    while pending(url) > 0:
        if time.monotonic() - start > timeout:
            raise SystemExit("delivery did not drain")
        time.sleep(0.02)
    return time.monotonic() - start


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


def median(xs):
    return statistics.median(xs)


def main():
    os.makedirs(WORK, exist_ok=True)
    # moto stands in for AWS, which runs elsewhere: at the lowest CPU priority (MOTO_NICE) it
    # cannot take the cores from the servers being measured (a Python process working through
    # 11 deliveries per write keeps one of two cores busy). MOTO_NICE=0 measures it unniced.
    nice = ["nice", "-n", os.environ.get("MOTO_NICE", "19")] if shutil.which("nice") else []
    moto, moto_url = spawn([*nice, MOTO, "-H", "127.0.0.1", "-p", "0"], env=dict(os.environ, MOTO_ACCOUNT_ID=ACCOUNT))
    aws = dict(
        endpoint_url=moto_url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    sns, sqs, events = boto3.client("sns", **aws), boto3.client("sqs", **aws), boto3.client("events", **aws)
    # Ten topics, each with an SQS subscriber: each trigger has its own destination.
    topics = []
    for i in range(10):
        topics.append(sns.create_topic(Name=f"bench-pushes-{i}")["TopicArn"])
        sqs.create_queue(QueueName=f"bench-pushes-{i}-q")
        sns.subscribe(TopicArn=topics[-1], Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:bench-pushes-{i}-q")
    bus_queue = sqs.create_queue(QueueName="bench-bus-q")["QueueUrl"]
    events.put_rule(Name="bench", EventPattern=json.dumps({"source": ["aws.codecommit"]}))
    events.put_targets(Rule="bench", Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:bench-bus-q"}])

    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_url = f"http://127.0.0.1:{dead.getsockname()[1]}"
    dead.close()  # nothing listens there: connections are refused

    configs = {"none": [], "alive": ["--aws-endpoint-url", moto_url], "down": ["--aws-endpoint-url", dead_url]}
    servers = {}
    for name, extra in configs.items():
        data = os.path.join(WORK, f"events-{name}-data")
        shutil.rmtree(data, ignore_errors=True)
        env = dict(os.environ, CODECOMMIT_LOCAL_LOG="warn")
        for var in ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_EVENTBRIDGE"]:
            env.pop(var, None)
        _, url = spawn([BIN, "--port", "0", "--data-dir", data, "--maintenance", MAINTENANCE, *extra], env=env, ready=r"listening on (http://[0-9.:]+)", log=data + ".log")
        url = url.replace("listening on ", "")
        api(url, "CreateRepository", {"repositoryName": "bench"})
        work = os.path.join(WORK, f"events-{name}-work")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        git(work, "init", "-q", "-b", "main")
        with open(os.path.join(work, "f.txt"), "w") as f:
            f.write("0\n")
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "seed")
        git(work, "remote", "add", "origin", f"{url}/v1/repos/bench")
        git(work, "push", "-q", "origin", "main")
        if name != "none":
            triggers = [
                {"name": f"t{i}", "destinationArn": topics[i], "branches": [], "events": ["all"]}
                for i in range(10)
            ]
            api(url, "PutRepositoryTriggers", {"repositoryName": "bench", "triggers": triggers})
        servers[name] = (url, work)
    wait_drained(servers["alive"][0])

    counter = [0]

    def push_latency(work):
        samples = []
        for _ in range(N_PUSH):
            counter[0] += 1
            with open(os.path.join(work, "f.txt"), "w") as f:
                f.write(f"{counter[0]}\n")
            git(work, "commit", "-q", "-am", f"c{counter[0]}")
            t = time.perf_counter()
            git(work, "push", "-q", "origin", "main")
            samples.append((time.perf_counter() - t) * 1000)
        return median(samples)

    def put_latency(url, pace_ms=0):
        env = dict(os.environ, CCL_BENCH_PACE_MS=str(pace_ms))
        p = subprocess.run([BENCH, "latency", url, "bench", "put-file", str(N_PUT)], capture_output=True, text=True, env=env)
        if p.returncode != 0:
            time.sleep(0.5)  # the server's log is flushed every 20 ms
            name = next((n for n, (u, _) in servers.items() if u == url), url)
            sys.exit(f"ccl-bench against the {name} server ({url}) failed: {p.stderr.strip()} (its log: {WORK}/events-{name}-data.log)")
        return float(p.stdout.split("\t")[1])

    rows = []
    order = list(configs)
    for r in range(ROUNDS):
        result = {}
        for name in order[r % 3:] + order[: r % 3]:
            url, work = servers[name]
            result[name] = (put_latency(url), push_latency(work), put_latency(url, PACE_MS))
        rows.append(result)
        print(
            f"round {r + 1}: PutFile ms none {result['none'][0]:.2f} alive {result['alive'][0]:.2f} down {result['down'][0]:.2f} | "
            f"push ms none {result['none'][1]:.1f} alive {result['alive'][1]:.1f} down {result['down'][1]:.1f} | "
            f"paced PutFile ms none {result['none'][2]:.2f} alive {result['alive'][2]:.2f} down {result['down'][2]:.2f}",
            flush=True,
        )
    # Let the live server catch up before the throughput runs.
    wait_drained(servers["alive"][0])

    def ratio(kind, name):
        i = {"put": 0, "push": 1, "paced": 2}[kind]
        rs = [row[name][i] / row["none"][i] for row in rows]
        return median(rs), min(rs), max(rs)

    print()
    print(f"{'':24} {'median':>8} {'min':>6} {'max':>6}")
    for kind, label in [("put", "PutFile"), ("paced", f"PutFile/{PACE_MS}ms"), ("push", "push")]:
        for name in ["alive", "down"]:
            m, lo, hi = ratio(kind, name)
            print(f"{label + ' ' + name + '/none':24} {m:8.3f} {lo:6.3f} {hi:6.3f}")
    for kind, i in [("PutFile", 0), ("push", 1), (f"PutFile/{PACE_MS}ms", 2)]:
        print(
            f"{kind} median ms: none {median([r['none'][i] for r in rows]):.2f}, "
            f"alive {median([r['alive'][i] for r in rows]):.2f}, down {median([r['down'][i] for r in rows]):.2f}"
        )

    # Throughput: a backlog recorded while the endpoint was down, then drained by a restarted
    # server that can reach moto: deliveries per second, nothing else running.
    print()
    for label, with_triggers, writes in [
        ("10 SNS triggers + EventBridge", True, DRAIN_WRITES),
        ("EventBridge only", False, DRAIN_WRITES * 10),
    ]:
        data = os.path.join(WORK, "events-drain-data")
        shutil.rmtree(data, ignore_errors=True)
        env = dict(os.environ, CODECOMMIT_LOCAL_LOG="warn")
        held = ["--delivery-backoff-ms", "600000"]
        p, url = spawn([BIN, "--port", "0", "--data-dir", data, "--aws-endpoint-url", dead_url, *held], env=env, ready=r"listening on (http://[0-9.:]+)")
        url = url.replace("listening on ", "")
        api(url, "CreateRepository", {"repositoryName": "drain"})
        api(url, "PutFile", {"repositoryName": "drain", "branchName": "main", "filePath": "a", "fileContent": "YQ=="})
        if with_triggers:
            triggers = [{"name": f"t{i}", "destinationArn": topics[i], "branches": [], "events": ["all"]} for i in range(10)]
            api(url, "PutRepositoryTriggers", {"repositoryName": "drain", "triggers": triggers})
        subprocess.run([BENCH, "latency", url, "drain", "put-file", str(writes)], check=True, capture_output=True)
        backlog = pending(url)
        p.terminate()
        p.wait()
        t = time.monotonic()
        p, url = spawn([BIN, "--port", "0", "--data-dir", data, "--aws-endpoint-url", moto_url], env=env, ready=r"listening on (http://[0-9.:]+)")
        url = url.replace("listening on ", "")
        elapsed = time.monotonic() - t + wait_drained(url)
        p.terminate()
        p.wait()
        print(f"delivery, {label}: {backlog} deliveries in {elapsed:.2f} s = {backlog / elapsed:.0f}/s")


try:
    main()
finally:
    for p in procs:
        p.kill()
