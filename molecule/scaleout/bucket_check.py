"""Compare every file under a local directory with the object of the same path under a bucket's
prefix, read straight from the store (MLFLOW_S3_ENDPOINT_URL and the AWS_* keys in the
environment): the same set of files, byte for byte. Exits non-zero on any difference.

Usage: bucket_check.py DIRECTORY BUCKET PREFIX
"""
import hashlib
import os
import sys

import boto3


def main(root, bucket, prefix):
    client = boto3.client("s3", endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"])
    local = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                local[f"{prefix}/{os.path.relpath(path, root)}"] = hashlib.file_digest(handle, "sha256").hexdigest()
    there = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        for item in page.get("Contents", []):
            digest = hashlib.sha256()
            for chunk in client.get_object(Bucket=bucket, Key=item["Key"])["Body"].iter_chunks(1 << 20):
                digest.update(chunk)
            there[item["Key"]] = digest.hexdigest()
    missing = sorted(set(local) - set(there))
    differ = sorted(key for key in set(local) & set(there) if local[key] != there[key])
    if not local or missing or differ:
        print(f"files {len(local)}, missing in the bucket {missing[:5]}, different {differ[:5]}")
        return 1
    print(f"{len(local)} files, each one byte for byte in s3://{bucket}/{prefix}/ "
          f"({len(there) - len(local)} more written there since the move)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
