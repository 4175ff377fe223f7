#!/usr/bin/env python3
"""`cds hooks serve` end to end: the built executable on a loopback port, a real HTTP client
(requests), JWTs minted by PyJWT from keys generated here, every response judged against
docs/schemas/cds-hooks-response.schema.json (jsonschema) and its invariants, TLS through
nginx (when installed), and the curl examples of docs/ehr-integration.md run as written.

usage: hooks_http_test.py [path/to/cds]"""
import copy
import datetime
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import jsonschema
import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CDS = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/cds")
AS_OF = "2026-03-02"
SERVICE = "iliopsoas-syndrome"
ISSUER = "https://ehr.example.org"
SUBJECT = "ehr-client-1"
schema = json.load(open(os.path.join(ROOT, "docs/schemas/cds-hooks-response.schema.json")))
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}", flush=True)


def patient_view_request(bundle_path=os.path.join(ROOT, "Tests/FHIR/13-student-dancer.bundle.json"), hook_instance=None):
    """A patient-view request whose prefetch carries the Bundle's resources, as an EHR sends it."""
    bundle = json.load(open(bundle_path))
    resources = [e["resource"] for e in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    by_key = {"observations": "Observation", "conditions": "Condition", "procedures": "Procedure",
              "allergies": "AllergyIntolerance", "medications": "MedicationStatement"}
    prefetch = {"patient": patient}
    for key, kind in by_key.items():
        items = [r for r in resources if r["resourceType"] == kind]
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "total": len(items),
                         "entry": [{"fullUrl": f"urn:uuid:{key}-{i}", "resource": r} for i, r in enumerate(items)]}
    return {"hook": "patient-view", "hookInstance": hook_instance or str(uuid.uuid4()),
            "context": {"userId": "Practitioner/example", "patientId": patient["id"]}, "prefetch": prefetch}


def b64url_int(n, length):
    import base64
    return base64.urlsafe_b64encode(n.to_bytes(length, "big")).rstrip(b"=").decode()


def jwk_of(private_key, kid):
    public = private_key.public_key().public_numbers()
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return {"kty": "EC", "crv": "P-384", "kid": kid, "use": "sig", "alg": "ES384",
                "x": b64url_int(public.x, 48), "y": b64url_int(public.y, 48)}
    size = (public.n.bit_length() + 7) // 8
    return {"kty": "RSA", "kid": kid, "alg": "RS384", "n": b64url_int(public.n, size), "e": b64url_int(public.e, 3)}


EC_KEY = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_EC_KEY = ec.generate_private_key(ec.SECP384R1())


def token(aud, key=EC_KEY, kid="ec1", alg="ES384", iss=ISSUER, sub=SUBJECT, exp_in=240, iat_shift=0, jti=None, headers=None, **extra):
    now = int(time.time())
    claims = {"iss": iss, "sub": sub, "aud": aud, "exp": now + exp_in, "iat": now + iat_shift, "jti": jti or str(uuid.uuid4())}
    claims.update(extra)
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT", **(headers or {})})


def unsigned_token(aud):
    """alg none: PyJWT writes it with key None."""
    now = int(time.time())
    return jwt.encode({"iss": ISSUER, "sub": SUBJECT, "aud": aud, "exp": now + 60, "iat": now, "jti": str(uuid.uuid4())},
                      None, algorithm="none", headers={"kid": "ec1"})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`cds hooks serve` on a loopback port; stderr collected (the access log)."""

    def __init__(self, args, env=None):
        self.process = subprocess.Popen([CDS, "hooks", "serve", "--host", "127.0.0.1", "--port", "0", "--as-of", AS_OF, *args],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        cwd=ROOT, env=env)
        self.lines = []
        self.port = None
        ready = threading.Event()

        def read():
            for raw in self.process.stderr:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.lines.append(line)
                m = re.fullmatch(r"listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        ready.wait(120)
        if self.port is None:
            raise SystemExit("cds hooks serve did not start:\n" + "\n".join(self.lines))
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)

    def log(self):
        return "\n".join(self.lines)


def evaluate(request):
    """`cds evaluate --format cds-hooks` on the same request: the bytes HTTP must return."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(request, f)
    r = subprocess.run([CDS, "evaluate", "--format", "cds-hooks", "--as-of", AS_OF, f.name], capture_output=True, cwd=ROOT)
    os.unlink(f.name)
    return r


def judge(name, response):
    """A 200 hook response: JSON, valid against the schema, unique card uuids."""
    try:
        body = response.json()
    except ValueError:
        check(name + " is JSON", False, response.text[:200])
        return None
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    check(name + " validates against cds-hooks-response.schema.json", not errors, errors[:3])
    uuids = [c.get("uuid") for c in body.get("cards", [])]
    check(name + " card uuids unique", len(uuids) == len(set(uuids)))
    for c in body.get("cards", []):
        recommended = [s for s in c.get("suggestions", []) if s.get("isRecommended")]
        check(name + " at most one recommended suggestion", c.get("selectionBehavior") != "at-most-one" or len(recommended) <= 1)
    check(name + " Content-Type", response.headers.get("Content-Type", "").startswith("application/json"))
    return body


def main():
    work = tempfile.mkdtemp(prefix="cds-hooks-http-")
    trust_path = os.path.join(work, "trust.json")
    trust = {"issuers": [{"iss": ISSUER, "subjects": [SUBJECT, "ehr-client-2"],
                          "jku": ["https://ehr.example.org/.well-known/jwks.json"],
                          "jwks": {"keys": [jwk_of(EC_KEY, "ec1"), jwk_of(RSA_KEY, "rsa1")]}}]}
    json.dump(trust, open(trust_path, "w"))
    feedback_log = os.path.join(work, "feedback.ndjson")
    server = Server(["--trust", trust_path, "--feedback-log", feedback_log, "--max-body-bytes", "262144"])
    try:
        run_http_checks(server, feedback_log)
        run_docs_examples(server)
    finally:
        status = server.stop()
    check("SIGTERM: graceful exit with status 0", status == 0, f"status {status}\n{server.log()[-2000:]}")
    check("stopped after SIGTERM", "cds: stopped" in server.log())
    log = server.log()
    access = [l for l in server.lines if "cds.http.access" in l]
    check("one access line per request, with method, path, status, duration and iss",
          access and all(re.search(r"method=\S+ .*path=\S+|path=\S+ .*method=\S+", l) and "status=" in l and "ms=" in l and "iss=" in l for l in access),
          access[:3])
    check("access log names the client's iss", any(f"iss={ISSUER}" in l and "status=200" in l for l in access))
    check("access log gives the reason of a refusal", any("status=401" in l and "refused=" in l and "expired" in l for l in access))
    request = patient_view_request()
    for needle in ['"2008-05-20"', "2008-05-20", "Practitioner/example", "anterior-hip-or-groin-pain"]:
        check(f"no patient data on stderr ({needle})", needle not in log)

    run_trust_file_checks(work)
    run_unauthenticated_checks()
    run_tls_checks(work)
    shutil.rmtree(work, ignore_errors=True)
    print(f"hooks http: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def run_http_checks(server, feedback_log):
    base = server.base
    hook_url = f"{base}/cds-services/{SERVICE}"
    session = requests.Session()

    def post(url, body, tok=None, content_type="application/json", **kw):
        headers = {"Content-Type": content_type}
        if tok is not False:
            headers["Authorization"] = "Bearer " + (tok or token(url))
        headers.update(kw.pop("headers", {}))
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return session.post(url, data=data, headers=headers, timeout=60, **kw)

    # Discovery: what `cds hooks discovery` prints.
    r = session.get(f"{base}/cds-services", headers={"Authorization": "Bearer " + token(f"{base}/cds-services")}, timeout=30)
    expected = subprocess.run([CDS, "hooks", "discovery"], capture_output=True, cwd=ROOT).stdout
    check("GET /cds-services: 200, the discovery document", r.status_code == 200 and r.content == expected, (r.status_code, r.text[:200]))

    # A hook call: byte for byte what `cds evaluate --format cds-hooks` writes.
    request = patient_view_request()
    reference = evaluate(request)
    check("cds evaluate accepts the request", reference.returncode == 0, reference.stderr[:300])
    r = post(hook_url, request)
    check("POST hook: 200", r.status_code == 200, (r.status_code, r.text[:300]))
    body = judge("POST hook", r)
    check("POST hook: body identical to cds evaluate --format cds-hooks", r.content == reference.stdout,
          (r.content[:120], reference.stdout[:120]))
    check("POST hook: cards", body is not None and len(body.get("cards", [])) > 0)
    check("keep-alive: the connection stays open", r.headers.get("Connection", "keep-alive").lower() != "close")

    # Every vignette-derived Bundle as a request validates too; RS384 tokens are accepted.
    for path in sorted(glob.glob(os.path.join(ROOT, "Tests/FHIR/*.bundle.json"))):
        req = patient_view_request(path)
        r = post(hook_url, req, tok=token(hook_url, key=RSA_KEY, kid="rsa1", alg="RS384"))
        name = os.path.basename(path)
        ref = evaluate(req)
        if ref.returncode == 0:
            check(f"{name} (RS384): 200", r.status_code == 200, (r.status_code, r.text[:200]))
            judge(name, r)
            check(f"{name}: identical to cds evaluate", r.content == ref.stdout)
        else:
            check(f"{name}: refused as cds evaluate refuses it", r.status_code in (400, 412), (r.status_code, ref.stderr[:200]))

    # Trust: every bad token is 401 with WWW-Authenticate, nothing evaluated.
    replayed = token(hook_url)
    check("a fresh jti: 200", post(hook_url, request, tok=replayed).status_code == 200)
    bad = {
        "expired": token(hook_url, exp_in=-120, iat_shift=-400),
        "future iat": token(hook_url, iat_shift=600, exp_in=290),
        "exp more than five minutes ahead": token(hook_url, exp_in=3600),
        "wrong aud": token(f"{base}/cds-services/another-service"),
        "aud of another host": token(f"https://elsewhere.example/cds-services/{SERVICE}"),
        "wrong signature": token(hook_url, key=OTHER_EC_KEY),
        "unknown kid": token(hook_url, kid="no-such-key"),
        "unknown issuer": token(hook_url, iss="https://rogue.example"),
        "alg none": unsigned_token(hook_url),
        "HS384": jwt.encode({"iss": ISSUER, "sub": SUBJECT, "aud": hook_url, "exp": int(time.time()) + 60, "iat": int(time.time()),
                             "jti": str(uuid.uuid4())}, "x" * 48, algorithm="HS384", headers={"kid": "ec1"}),
        "RS384 header on the EC key": token(hook_url, key=RSA_KEY, kid="ec1", alg="RS384"),
        "replayed jti": replayed,
        "jku not allow-listed": token(hook_url, headers={"jku": "https://rogue.example/jwks.json"}),
        "no jti": jwt.encode({"iss": ISSUER, "sub": SUBJECT, "aud": hook_url, "exp": int(time.time()) + 60, "iat": int(time.time())},
                             EC_KEY, algorithm="ES384", headers={"kid": "ec1"}),
        "not a JWT": "abc.def",
    }
    for name, tok in bad.items():
        r = post(hook_url, request, tok=tok)
        check(f"{name}: 401", r.status_code == 401, (r.status_code, r.text[:200]))
        check(f"{name}: WWW-Authenticate invalid_token", 'error="invalid_token"' in r.headers.get("WWW-Authenticate", ""),
              r.headers.get("WWW-Authenticate"))
        check(f"{name}: no cards", "cards" not in r.text)
    check("jku on the allow-list: 200", post(hook_url, request, tok=token(hook_url, headers={"jku": "https://ehr.example.org/.well-known/jwks.json"})).status_code == 200)
    r = post(hook_url, request, tok=False)
    check("missing Authorization: 401", r.status_code == 401)
    check("missing Authorization: WWW-Authenticate Bearer without error", r.headers.get("WWW-Authenticate", "").startswith("Bearer") and "error=" not in r.headers.get("WWW-Authenticate", ""))
    r = post(hook_url, request, tok=token(hook_url, sub="ehr-client-9"))
    check("a subject the issuer does not list: 403", r.status_code == 403, (r.status_code, r.text[:200]))
    r = session.post(hook_url, data=json.dumps(request), headers={"Authorization": "Basic dTpw", "Content-Type": "application/json"}, timeout=30)
    check("Basic instead of Bearer: 401", r.status_code == 401)

    # Paths, methods, sizes, media types, shapes.
    r = session.get(f"{base}/nothing-here", timeout=30)
    check("unknown path: 404", r.status_code == 404)
    check("unknown service: 404", post(f"{base}/cds-services/other", request).status_code == 404)
    r = session.put(f"{base}/cds-services", timeout=30)
    check("PUT /cds-services: 405 with Allow", r.status_code == 405 and "GET" in r.headers.get("Allow", ""), (r.status_code, r.headers))
    r = session.get(hook_url, headers={"Authorization": "Bearer " + token(hook_url)}, timeout=30)
    check("GET on the hook: 405 with Allow: POST", r.status_code == 405 and "POST" in r.headers.get("Allow", ""))
    big = copy.deepcopy(request)
    big["extension"] = {"padding": "x" * 300_000}
    r = post(hook_url, big)
    check("body over --max-body-bytes: 413", r.status_code == 413, r.status_code)
    r = post(hook_url, b"{\"hook\": ", )
    check("malformed JSON: 400 with the byte offset", r.status_code == 400 and "byte" in r.text, (r.status_code, r.text))
    r = post(hook_url, dict(request, hook="order-sign"))
    check("another hook: 400 with an explanation", r.status_code == 400 and "patient-view" in r.text, r.text)
    r = post(hook_url, {k: v for k, v in request.items() if k != "context"})
    check("no context: 400 naming /context", r.status_code == 400 and "/context" in r.text, r.text)
    r = post(hook_url, [1, 2])
    check("an array body: 400", r.status_code == 400)
    r = post(hook_url, request, content_type="text/plain")
    check("text/plain body: 415", r.status_code == 415, r.status_code)
    missing = json.load(open(os.path.join(ROOT, "Tests/FHIR/patient-view-missing-observations.hooks.json")))
    ref = evaluate(missing)
    r = post(hook_url, missing)
    if ref.returncode == 0:
        check("missing observations: answered as cds evaluate answers", r.status_code == 200 and r.content == ref.stdout, (r.status_code, r.text[:200]))
    else:
        check("missing prefetch the service needs: 412", r.status_code == 412, (r.status_code, r.text[:300]))
        check("412 names what is missing", "missing" in r.text)
    invalid = patient_view_request()
    invalid["prefetch"]["patient"]["birthDate"] = "not-a-date"
    r = post(hook_url, invalid)
    check("an unusable request: 400 or 412, never 200 with a guess", r.status_code in (400, 412) or r.status_code == 200 and r.content == evaluate(invalid).stdout,
          (r.status_code, r.text[:200]))

    # CORS (browser-based EHRs and the CDS Hooks sandbox).
    r = session.options(hook_url, headers={"Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "authorization, content-type"}, timeout=30)
    check("preflight: 204 without a token", r.status_code == 204, r.status_code)
    check("preflight: allows POST, Authorization and Content-Type",
          "POST" in r.headers.get("Access-Control-Allow-Methods", "") and "Authorization" in r.headers.get("Access-Control-Allow-Headers", "")
          and "Content-Type" in r.headers.get("Access-Control-Allow-Headers", "") and r.headers.get("Access-Control-Allow-Origin") == "*", dict(r.headers))
    r = post(hook_url, request, headers={"Origin": "https://sandbox.cds-hooks.org"})
    check("CORS: the response names the allowed origin", r.status_code == 200 and r.headers.get("Access-Control-Allow-Origin") == "*")
    r = post(hook_url, request, tok=False, headers={"Origin": "https://sandbox.cds-hooks.org"})
    check("CORS on a 401 too (the browser can read why)", r.status_code == 401 and r.headers.get("Access-Control-Allow-Origin") == "*")

    # Feedback, into the log `cds feedback report` reads.
    feedback_url = f"{hook_url}/feedback"
    cards = post(hook_url, request).json()["cards"]
    card = cards[0]
    reason = card["overrideReasons"][0]
    fb = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "overrideReason": {"reason": reason, "userComment": "seen"},
                        "outcomeTimestamp": "2026-03-02T10:00:00Z"}]}
    r = post(feedback_url, fb)
    check("feedback: 200", r.status_code == 200, (r.status_code, r.text))
    lines = open(feedback_log).read().splitlines() if os.path.exists(feedback_log) else []
    check("feedback: recorded in the feedback log", len(lines) == 1 and json.loads(lines[0])["card"] == card["uuid"], lines)
    report = subprocess.run([CDS, "feedback", "report", feedback_log], capture_output=True, text=True, cwd=ROOT)
    check("feedback: cds feedback report reads it", report.returncode == 0 and card["source"]["topic"]["code"] in report.stdout, report.stdout + report.stderr)
    r = post(feedback_url, {"feedback": [dict(fb["feedback"][0], card=str(uuid.uuid4()))]})
    check("feedback on a card never issued: 400", r.status_code == 400, (r.status_code, r.text))
    r = post(feedback_url, fb, tok=token(hook_url))
    check("feedback with the hook endpoint's aud: 401", r.status_code == 401)

    # A slow request does not block another: many at once, all answered.
    results = []

    def call():
        results.append(post(hook_url, request).status_code)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    check("16 concurrent hook calls: all 200", results == [200] * 16, results)


def run_docs_examples(server):
    """The curl examples of docs/ehr-integration.md ("Running the HTTP service"), run as written
    (port 8080 replaced by the test server's, $TOKEN minted for each command's URL)."""
    text = open(os.path.join(ROOT, "docs/ehr-integration.md")).read()
    section = text.split("## Running the HTTP service", 1)
    check("docs/ehr-integration.md has the section Running the HTTP service", len(section) == 2)
    if len(section) != 2:
        return
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section[1], re.S):
        joined = block.replace("\\\n", " ")
        commands += [l.strip() for l in joined.splitlines() if l.strip().startswith("curl ")]
    check("the section has curl examples", len(commands) >= 2, commands)
    request_path = os.path.join(tempfile.mkdtemp(), "request.json")
    json.dump(patient_view_request(), open(request_path, "w"))
    for command in commands:
        command = command.replace("8080", str(server.port))
        url = re.search(r"http://127\.0\.0\.1:\d+\S*", command).group(0).strip("'\"")
        env = dict(os.environ, TOKEN=token(url), REQUEST=request_path)
        r = subprocess.run(["bash", "-c", command + " -w '\\n%{http_code}'"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
        status = r.stdout.rsplit("\n", 1)[-1]
        check(f"docs example: {command[:70]}", r.returncode == 0 and status in ("200", "204"), (r.returncode, status, r.stderr[:200]))


def run_trust_file_checks(work):
    """A trust file is validated at start: each mistake stops the service with its JSON path."""
    cases = {
        "private key material": ({"issuers": [{"iss": ISSUER, "jwks": {"keys": [dict(jwk_of(EC_KEY, "k"), d="AAAA")]}}]}, "/issuers/0/jwks/keys/0/d"),
        "a symmetric key": ({"issuers": [{"iss": ISSUER, "jwks": {"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}}]}, "/issuers/0/jwks/keys/0/k"),
        "an encryption key": ({"issuers": [{"iss": ISSUER, "jwks": {"keys": [dict(jwk_of(EC_KEY, "k"), use="enc")]}}]}, "/issuers/0/jwks/keys/0/use"),
        "alg HS256": ({"issuers": [{"iss": ISSUER, "jwks": {"keys": [dict(jwk_of(EC_KEY, "k"), alg="HS256")]}}]}, "/issuers/0/jwks/keys/0/alg"),
        "no kid": ({"issuers": [{"iss": ISSUER, "jwks": {"keys": [{k: v for k, v in jwk_of(EC_KEY, "k").items() if k != "kid"}]}}]}, "/issuers/0/jwks/keys/0/kid"),
        "no issuers": ({"issuers": []}, "/issuers"),
        "unknown member": ({"issuers": [{"iss": ISSUER, "jwks": {"keys": [jwk_of(EC_KEY, "k")]}}], "audience": "x"}, "/audience"),
    }
    for name, (document, path) in cases.items():
        f = os.path.join(work, "bad-trust.json")
        json.dump(document, open(f, "w"))
        r = subprocess.run([CDS, "hooks", "serve", "--port", "0", "--trust", f], capture_output=True, text=True, cwd=ROOT, timeout=60)
        check(f"trust file with {name}: refused at start (78) naming {path}", r.returncode == 78 and path + ":" in r.stderr, (r.returncode, r.stderr[-300:]))
    f = os.path.join(work, "broken.json")
    open(f, "w").write("{\"issuers\": [")
    r = subprocess.run([CDS, "hooks", "serve", "--port", "0", "--trust", f], capture_output=True, text=True, cwd=ROOT, timeout=60)
    check("trust file that is not JSON: refused with the byte offset", r.returncode == 78 and "byte" in r.stderr, r.stderr[-300:])
    r = subprocess.run([CDS, "hooks", "serve", "--port", "0"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    check("no --trust and no --allow-unauthenticated: usage error", r.returncode == 64 and "--trust" in r.stderr, (r.returncode, r.stderr))


def run_unauthenticated_checks():
    r = subprocess.run([CDS, "hooks", "serve", "--host", "0.0.0.0", "--port", "0", "--allow-unauthenticated"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    check("--allow-unauthenticated with a non-loopback --host: refused", r.returncode == 64 and "loopback" in r.stderr, (r.returncode, r.stderr))
    server = Server(["--allow-unauthenticated", "--base-path", "/ehr/cds/", "--request-timeout", "1"])
    try:
        check("--allow-unauthenticated: a warning at start", any("warning" in l and "allow-unauthenticated" in l for l in server.lines), server.lines)
        r = requests.post(f"{server.base}/ehr/cds/cds-services/{SERVICE}", data=json.dumps(patient_view_request()), headers={"Content-Type": "application/json"}, timeout=60)
        check("--allow-unauthenticated: a call without a token is answered (under --base-path)", r.status_code == 200, r.status_code)
        r = requests.get(f"{server.base}/cds-services", timeout=60)
        check("--base-path: the root is not served", r.status_code == 404, r.status_code)
        r = requests.get(f"{server.base}/ehr/cds/cds-services", timeout=60)
        check("--base-path: discovery under it", r.status_code == 200 and r.json()["services"][0]["id"] == SERVICE, r.status_code)
        # A body that stops arriving: 408 after --request-timeout, the connection not held.
        with socket.create_connection(("127.0.0.1", server.port), 30) as s:
            s.sendall(f"POST /ehr/cds/cds-services/{SERVICE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      "Content-Length: 100\r\n\r\n{".encode())
            reply = s.recv(4096).decode("latin-1")
        check("a stalled body: 408", reply.startswith("HTTP/1.1 408"), reply[:80])
    finally:
        server.process.send_signal(signal.SIGINT)
        check("SIGINT: graceful exit with status 0", server.process.wait(60) == 0)


def run_tls_checks(work):
    """TLS terminated by nginx in front of the service, judged by requests with certificate verification."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        check("nginx is installed (make setup-test)", False, "nginx not found")
        return
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA384()))
    cert_path, key_path = os.path.join(work, "tls.crt"), os.path.join(work, "tls.key")
    open(cert_path, "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open(key_path, "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    tls_port = free_port()
    public = f"https://localhost:{tls_port}"
    trust_path = os.path.join(work, "trust-tls.json")
    json.dump({"serviceBaseUrl": public, "issuers": [{"iss": ISSUER, "jwks": {"keys": [jwk_of(EC_KEY, "ec1")]}}]}, open(trust_path, "w"))
    server = Server(["--trust", trust_path])
    conf = os.path.join(work, "nginx.conf")
    example = open(os.path.join(ROOT, "docs/ehr-integration.md")).read()
    block = re.search(r"```nginx\n(.*?)```", example, re.S)
    check("docs/ehr-integration.md has the nginx example", block is not None)
    site = block.group(1) if block else ""
    site = (site.replace("listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;").replace("/etc/ssl/cds/tls.crt", cert_path)
            .replace("/etc/ssl/cds/tls.key", key_path).replace("127.0.0.1:8080", f"127.0.0.1:{server.port}"))
    open(conf, "w").write(f"""user root; worker_processes 1; daemon off; pid {work}/nginx.pid; error_log {work}/nginx-error.log;
events {{ worker_connections 64; }}
http {{ access_log off; client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;
fastcgi_temp_path {work}/fcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
{site}
}}
""")
    proxy = subprocess.Popen([nginx, "-c", conf, "-p", work], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", tls_port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        url = f"{public}/cds-services/{SERVICE}"
        request = patient_view_request()
        r = requests.post(url, data=json.dumps(request), headers={"Authorization": "Bearer " + token(url), "Content-Type": "application/json"},
                          verify=cert_path, timeout=60)
        check("TLS through nginx: 200 with certificate verification", r.status_code == 200, (r.status_code, r.text[:200]))
        check("TLS through nginx: identical to cds evaluate", r.content == evaluate(request).stdout)
        judge("TLS", r)
        r = requests.post(url, data=json.dumps(request), headers={"Authorization": "Bearer " + token(f"http://127.0.0.1:{server.port}/cds-services/{SERVICE}"),
                                                                   "Content-Type": "application/json"}, verify=cert_path, timeout=60)
        check("TLS: a token for the inner address is refused (aud is the public URL)", r.status_code == 401)
        try:
            requests.get(f"{public}/cds-services", timeout=10)
            check("TLS: an unverified certificate is refused by the client", False)
        except requests.exceptions.SSLError:
            check("TLS: an unverified certificate is refused by the client", True)
    finally:
        proxy.terminate()
        proxy.wait(30)
        server.stop()


if __name__ == "__main__":
    main()
