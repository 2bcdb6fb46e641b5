"""Traffic helpers for the kernel network tests (test/kernel/netlab.ts runs them inside a netns).

  http-count URL N TIMEOUT          N GETs, a new connection each: {"counts": {body: n}, "errors": {kind: n}}
  udp-count HOST PORT N TIMEOUT     N datagrams, a new socket each: {"counts": …, "errors": …, "sources": [addr:port]}
  tcp-send HOST PORT TIMEOUT        one line over TCP, prints the reply: {"reply": …} or {"error": kind}
  wait-http DEADLINE_S URL...       until every URL answers 200 (exit 1 at the deadline)
  udp-echo ADDR PORT NAME           answers every datagram with NAME ("ready" on stdout once bound)
  tcp-echo ADDR PORT NAME           answers every line with NAME ("ready" once listening), one thread per connection
  hold HOST PORT                    one TCP connection; for every stdin line sends one and prints the reply line
"""
import json
import socket
import sys
import threading
import time
import urllib.request


def kind(e):
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(e, ConnectionRefusedError):
        return "refused"
    r = getattr(e, "reason", None)
    if r is not None and r is not e:
        return kind(r)
    return type(e).__name__


def http_count(url, n, timeout):
    counts, errors = {}, {}
    for _ in range(n):
        try:
            req = urllib.request.Request(url, headers={"Connection": "close"})
            with urllib.request.urlopen(req, timeout=timeout) as r:
                body = r.read().decode().strip()
            counts[body] = counts.get(body, 0) + 1
        except Exception as e:  # noqa: BLE001 - every failure is counted by kind
            k = kind(e)
            errors[k] = errors.get(k, 0) + 1
    print(json.dumps({"counts": counts, "errors": errors}))


def udp_count(host, port, n, timeout):
    counts, errors, sources = {}, {}, set()
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        try:
            s.sendto(b"ping %d\n" % i, (host, port))
            data, src = s.recvfrom(2048)
            body = data.decode().strip()
            counts[body] = counts.get(body, 0) + 1
            sources.add("%s:%d" % src)
        except Exception as e:  # noqa: BLE001
            k = kind(e)
            errors[k] = errors.get(k, 0) + 1
        finally:
            s.close()
    print(json.dumps({"counts": counts, "errors": errors, "sources": sorted(sources)}))


def tcp_send(host, port, timeout):
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"hello\n")
            print(json.dumps({"reply": s.makefile().readline().strip()}))
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"error": kind(e)}))


def wait_http(deadline_s, urls):
    end = time.monotonic() + deadline_s
    pending = list(urls)
    while pending:
        url = pending[0]
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                r.read()
            pending.pop(0)
        except Exception:  # noqa: BLE001
            if time.monotonic() > end:
                print("not answering: " + " ".join(pending), file=sys.stderr)
                sys.exit(1)
            time.sleep(0.05)


def udp_echo(addr, port, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("ready", flush=True)
    while True:
        _, src = s.recvfrom(2048)
        s.sendto(name.encode() + b"\n", src)


def tcp_echo(addr, port, name):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(64)
    print("ready", flush=True)

    def serve(c):
        with c:
            f = c.makefile("rb")
            for _ in f:
                c.sendall(name.encode() + b"\n")

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def hold(host, port):
    s = socket.create_connection((host, port), timeout=5)
    f = s.makefile("rb")
    for _ in sys.stdin:
        s.sendall(b"again\n")
        print(f.readline().decode().strip(), flush=True)


def main(argv):
    cmd, args = argv[0], argv[1:]
    if cmd == "http-count":
        http_count(args[0], int(args[1]), float(args[2]))
    elif cmd == "udp-count":
        udp_count(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif cmd == "tcp-send":
        tcp_send(args[0], int(args[1]), float(args[2]))
    elif cmd == "wait-http":
        wait_http(float(args[0]), args[1:])
    elif cmd == "udp-echo":
        udp_echo(args[0], int(args[1]), args[2])
    elif cmd == "tcp-echo":
        tcp_echo(args[0], int(args[1]), args[2])
    elif cmd == "hold":
        hold(args[0], int(args[1]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
