"""Signs an awsJson CodeCommit request with botocore's SigV4 signer (the aws CLI's).

    sign.py lua URL TARGET BODY KEY SECRET REGION   → a wrk script sending that signed request
    sign.py send URL TARGET BODY KEY SECRET REGION  → sends it once, prints the answer

Run it with the test virtualenv's python (it has botocore): target/test-venv/bin/python.
"""
import sys
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

mode, url, target, body, key, secret, region = sys.argv[1:8]
req = AWSRequest(method="POST", url=url, data=body.encode(), headers={
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": target,
})
SigV4Auth(Credentials(key, secret), "codecommit", region).add_auth(req)
if mode == "lua":
    print('wrk.method = "POST"')
    print(f"wrk.body = '{body}'")
    for k, v in req.headers.items():
        print(f'wrk.headers["{k}"] = "{v}"')
else:
    r = urllib.request.Request(url, data=body.encode(), headers=dict(req.headers.items()), method="POST")
    try:
        print(urllib.request.urlopen(r).read().decode())
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode())
        sys.exit(1)
