#!/usr/bin/env python3
"""A stand-in for the GitHub REST API, enough for publish:github and catalog:register:
repositories, blobs, trees, commits, refs, topics, team access, branch protection, and
the raw contents of what was pushed. For benchmarks (bench/scaffolder.sh); the test suite
has its own, stricter one in server/tests/portal/scaffolder.rs.

Usage: github_standin.py PORT [LATENCY_MS]   (requires `Authorization: Bearer ghp_bench`)
LATENCY_MS delays every answer, as GitHub's own round trip does (about 100 ms).
"""
import base64, json, re, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
repos = {}   # "owner/name" -> {"blobs": {sha: bytes}, "trees": {sha: {path: sha}}, "commits": {sha: tree}, "refs": {branch: commit}}
counter = [0]


def sha(prefix):
    with lock:
        counter[0] += 1
        return f"{prefix}{counter[0]:036d}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK hold every answer for ~40 ms, and that is what would be
        # measured.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def answer(self, status, body=None, raw=None):
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream" if raw is not None else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null") if length else None

    def route(self, method):
        time.sleep(LATENCY)
        if self.headers.get("Authorization") != "Bearer ghp_bench":
            return self.answer(401, {"message": "Bad credentials"})
        path = self.path.split("?")[0]
        body = self.body() if method in ("POST", "PUT", "PATCH", "DELETE") else None
        m = re.fullmatch(r"/users/([^/]+)", path)
        if m:
            return self.answer(200, {"login": m[1], "type": "Organization"})
        m = re.fullmatch(r"/orgs/([^/]+)/repos", path)
        if m and method == "POST":
            name = f"{m[1]}/{body['name']}"
            with lock:
                if name in repos:
                    return self.answer(422, {"message": "name already exists on this account"})
                repos[name] = {"blobs": {}, "trees": {}, "commits": {}, "refs": {"main": "init"}}
            return self.answer(201, {"default_branch": "main", "clone_url": f"https://github.com/{name}.git",
                                     "html_url": f"https://github.com/{name}"})
        if path.startswith("/orgs/") and method == "PUT":  # team access
            return self.answer(204)
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if not m:
            return self.answer(404, {"message": "Not Found"})
        name, rest = m[1], m[2] or ""
        repo = repos.get(name)
        if repo is None:
            return self.answer(404, {"message": "Not Found"})
        if rest == "":
            return self.answer(200, {"default_branch": "main"})
        if rest == "/git/blobs":
            s = sha("b")
            repo["blobs"][s] = base64.b64decode(body["content"])
            return self.answer(201, {"sha": s})
        if rest == "/git/trees":
            s = sha("t")
            repo["trees"][s] = {e["path"]: e["sha"] for e in body["tree"]}
            return self.answer(201, {"sha": s})
        if rest == "/git/commits":
            s = sha("c")
            repo["commits"][s] = body["tree"]
            return self.answer(201, {"sha": s})
        m = re.fullmatch(r"/git/ref/heads/(.+)", rest)
        if m:
            return self.answer(200 if m[1] in repo["refs"] else 404, {"ref": m[1]})
        if rest == "/git/refs":
            repo["refs"][body["ref"].removeprefix("refs/heads/")] = body["sha"]
            return self.answer(201, {"ref": body["ref"]})
        m = re.fullmatch(r"/git/refs/heads/(.+)", rest)
        if m and method == "PATCH":
            repo["refs"][m[1]] = body["sha"]
            return self.answer(200, {})
        if m and method == "DELETE":
            repo["refs"].pop(m[1], None)
            return self.answer(204)
        m = re.fullmatch(r"/contents/(.+)", rest)
        if m:
            ref = re.search(r"[?&]ref=([^&]+)", self.path)
            commit = repo["refs"].get(ref[1] if ref else "main")
            tree = repo["trees"].get(repo["commits"].get(commit, ""), {})
            blob = tree.get(m[1])
            if blob is None:
                return self.answer(404, {"message": "Not Found"})
            return self.answer(200, raw=repo["blobs"][blob])
        if method in ("PUT", "PATCH"):  # topics, protection, default branch
            return self.answer(200, {})
        return self.answer(404, {"message": f"stand-in has no {method} {path}"})

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def do_PATCH(self):
        self.route("PATCH")

    def do_DELETE(self):
        self.route("DELETE")


LATENCY = int(sys.argv[2]) / 1000 if len(sys.argv) > 2 else 0.0

if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()
