"""Scan a TLS endpoint with sslyze and fail on anything weak.

Usage: tls_scan.py HOST:PORT [HOST:PORT ...]   (run with the sslyze virtualenv)

Fails (exit 1, one line per finding) when the server accepts SSL 2.0/3.0,
TLS 1.0/1.1, a TLS 1.2 suite without forward secrecy or without AEAD, lacks
TLS 1.3, is vulnerable to Heartbleed, CCS injection or ROBOT, allows insecure
or client-initiated renegotiation, compresses (CRIME), or resumes a TLS 1.2
session from a ticket (session tickets are off: their key would outlive
forward secrecy). Prints a verdict line per endpoint either way.
"""
import json
import subprocess
import sys
import tempfile

OLD_PROTOCOLS = ["ssl_2_0", "ssl_3_0", "tls_1_0", "tls_1_1"]
COMMANDS = ["sslv2", "sslv3", "tlsv1", "tlsv1_1", "tlsv1_2", "tlsv1_3", "heartbleed",
            "openssl_ccs", "robot", "reneg", "compression", "resum"]


def strong_tls12(name):
    # Forward secrecy (ECDHE/DHE key exchange) and an AEAD cipher.
    return ("_ECDHE_" in name or "_DHE_" in name) and ("_GCM_" in name or "CHACHA20_POLY1305" in name)


def findings(scan):
    res = scan["scan_result"]
    found = []

    def accepted(key):
        attempt = res[f"{key}_cipher_suites"]
        if attempt["status"] != "COMPLETED":
            found.append(f"{key} scan did not complete: {attempt.get('error_reason')}")
            return []
        return [s["cipher_suite"]["name"] for s in attempt["result"]["accepted_cipher_suites"]]

    for key in OLD_PROTOCOLS:
        suites = accepted(key)
        if suites:
            found.append(f"accepts {key} ({len(suites)} suites, e.g. {suites[0]})")
    weak = [s for s in accepted("tls_1_2") if not strong_tls12(s)]
    if weak:
        found.append(f"TLS 1.2 accepts weak suites: {', '.join(weak)}")
    tls13 = accepted("tls_1_3")
    if not tls13:
        found.append("TLS 1.3 is not offered")

    def result(key):
        attempt = res[key]
        if attempt["status"] != "COMPLETED":
            found.append(f"{key} scan did not complete: {attempt.get('error_reason')}")
            return {}
        return attempt["result"]

    if result("heartbleed").get("is_vulnerable_to_heartbleed"):
        found.append("vulnerable to Heartbleed")
    if result("openssl_ccs_injection").get("is_vulnerable_to_ccs_injection"):
        found.append("vulnerable to OpenSSL CCS injection")
    robot = result("robot").get("robot_result", "")
    if robot.startswith("VULNERABLE"):
        found.append(f"ROBOT: {robot}")
    reneg = result("session_renegotiation")
    if reneg.get("supports_secure_renegotiation") is False:
        found.append("no secure renegotiation (RFC 5746)")
    if reneg.get("is_vulnerable_to_client_renegotiation_dos"):
        found.append("allows client-initiated renegotiation (DoS)")
    if result("tls_compression").get("supports_compression"):
        found.append("supports TLS compression (CRIME)")
    tickets = result("session_resumption").get("tls_ticket_resumption_result")
    if tickets != "NOT_SUPPORTED":
        found.append(f"TLS 1.2 session tickets: {tickets}")
    return found, accepted("tls_1_2"), tls13


def main(targets):
    if not targets:
        raise SystemExit(__doc__)
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, "-m", "sslyze", "--quiet", f"--json_out={out.name}",
               "--mozilla_config=disable"] + [f"--{c}" for c in COMMANDS] + targets
        # Its own report (a disabled compliance check) is noise here: only the JSON counts.
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        report = json.load(open(out.name))
    bad = False
    for scan in report["server_scan_results"]:
        where = f"{scan['server_location']['hostname']}:{scan['server_location']['port']}"
        if scan["scan_status"] != "COMPLETED":
            print(f"{where}: scan failed: {scan.get('connectivity_error_trace')}")
            bad = True
            continue
        problems, tls12, tls13 = findings(scan)
        if problems:
            bad = True
            for p in problems:
                print(f"{where}: WEAK: {p}")
        else:
            print(f"{where}: OK: TLS 1.2 ({len(tls12)} suites, all ECDHE+AEAD) and TLS 1.3 "
                  f"({len(tls13)} suites) only; no Heartbleed, CCS injection, ROBOT, "
                  f"client renegotiation, compression or session tickets")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
