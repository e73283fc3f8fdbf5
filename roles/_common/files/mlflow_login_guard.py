"""mlflow-login-guard: the blocks of presets.mlflow's guard against password guessing.

    mlflow-login-guard                        list the blocks and the failures counted
    mlflow-login-guard unblock ADDRESS [USER] lift the blocks of an address (of one user there)
    mlflow-login-guard unblock --all          lift every block

It talks to this host's nginx through the guard's control socket, which only
root can reach. An IPv6 client is counted by its /64 (as the list shows it).
(/usr/local/sbin/mlflow-login-guard runs this file with the host's python3.)
"""
import http.client
import socket
import sys
import urllib.parse

SOCKET = "/run/presets-mlflow-guard/control.sock"


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def ask(path, query=None):
    connection = UnixConnection(SOCKET)
    try:
        connection.request("GET", path + ("?" + urllib.parse.urlencode(query) if query else ""))
        answer = connection.getresponse()
        body = answer.read().decode()
    except OSError as error:
        sys.exit(f"mlflow-login-guard: nginx's guard does not answer on {SOCKET}: {error}"
                 " (is the guard on, nginx running, and are you root?)")
    if answer.status != 200:
        sys.exit(f"mlflow-login-guard: {path} answered {answer.status}: {body.strip()}")
    return body


def main(argv):
    if not argv or argv == ["list"]:
        rows = [line.split("\t") for line in ask("/blocks").splitlines() if line]
        if not rows:
            print("No block and no failed login counted.")
            return 0
        print(f"{'STATE':9} {'ADDRESS':40} {'USER':24} {'FAILURES':>8} {'SECONDS LEFT':>12}")
        for state, address, user, failures, seconds in sorted(rows):
            print(f"{state:9} {address:40} {user:24} {failures:>8} {seconds:>12}")
        return 0
    if argv[0] == "unblock" and argv[1:] == ["--all"]:
        print(f"lifted {ask('/unblock', {'all': '1'}).strip()} block(s)")
        return 0
    if argv[0] == "unblock" and len(argv) in (2, 3):
        query = {"address": argv[1]}
        if len(argv) == 3:
            query["user"] = argv[2]
        print(f"lifted {ask('/unblock', query).strip()} block(s)")
        return 0
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
