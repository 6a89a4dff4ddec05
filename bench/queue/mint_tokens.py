#!/usr/bin/env python3
"""Access tokens (HS256 JWTs, as accounts/tokens.cpp issues them) for
customers FIRST..FIRST+COUNT-1, one a line, signed with SECRET: the waiting
room's benchmark joins as many customers as it likes without signing each
up (access tokens are checked without the database).
Usage: mint_tokens.py SECRET FIRST COUNT > tokens.txt"""
import base64, hashlib, hmac, json, sys, time

def b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")

secret, first, count = sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3])
now = int(time.time())
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
out = sys.stdout.buffer
for account in range(first, first + count):
    claims = {"sub": str(account), "role": "customer", "iat": now, "exp": now + 86400}
    body = header + b"." + b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = b64(hmac.new(secret, body, hashlib.sha256).digest())
    out.write(body + b"." + sig + b"\n")
