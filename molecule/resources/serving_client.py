"""Call a served model's /invocations over HTTPS, the way its users do.

    serving_client.py URL BODY_FILE --until STOP_FILE   call until STOP_FILE exists
    serving_client.py URL BODY_FILE --seconds N          call for N seconds (a benchmark)

Options: --token-file F (sent as "Authorization: Bearer ..."), --ca F (verify
the server with it), --threads T (default 1), --keep-alive (each thread keeps
one connection; by default each call is a new connection). Prints JSON: calls,
failed, the first errors, each distinct answer with its count, and predictions
per second.
"""
import argparse
import collections
import http.client
import json
import os
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("body")
    parser.add_argument("--until")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--token-file")
    parser.add_argument("--ca")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--keep-alive", action="store_true")
    args = parser.parse_args()
    with open(args.body, "rb") as handle:
        body = handle.read()
    headers = {"Content-Type": "application/json"}
    if args.token_file:
        with open(args.token_file, encoding="utf-8") as handle:
            headers["Authorization"] = "Bearer " + handle.read().strip()
    context = ssl.create_default_context(cafile=args.ca) if args.ca else None
    lock = threading.Lock()
    answers, errors = collections.Counter(), []
    counts = {"calls": 0, "failed": 0}
    began = time.monotonic()

    def done():
        if args.until:
            return os.path.exists(args.until)
        return time.monotonic() - began >= args.seconds

    url = urllib.parse.urlsplit(args.url)

    def call_anew():
        request = urllib.request.Request(args.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=30, context=context) as answer:
            return answer.read().decode()

    def connection():
        if url.scheme == "https":
            return http.client.HTTPSConnection(url.netloc, timeout=30, context=context)
        return http.client.HTTPConnection(url.netloc, timeout=30)

    def worker():
        kept = connection() if args.keep_alive else None
        while not done():
            try:
                if kept is None:
                    result = call_anew()
                else:
                    kept.request("POST", url.path, body=body, headers=headers)
                    answer = kept.getresponse()
                    result = answer.read().decode()
                    if answer.status != 200:
                        raise OSError(f"HTTP {answer.status}: {result[:200]}")
                failure = None
            except (OSError, http.client.HTTPException, urllib.error.URLError) as error:
                result, failure = None, f"{type(error).__name__}: {error}"
                if kept is not None:
                    kept.close()
                    kept = connection()
            with lock:
                counts["calls"] += 1
                if failure:
                    counts["failed"] += 1
                    if len(errors) < 5:
                        errors.append(failure)
                else:
                    answers[result] += 1

    threads = [threading.Thread(target=worker) for _round in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    print(json.dumps({**counts, "errors": errors, "answers": dict(answers),
                      "per_second": round(counts["calls"] / elapsed, 1)}))


if __name__ == "__main__":
    main()
