#!/usr/bin/env python3
"""Build the peer dataset: real response bodies recorded by pydantic-ai's tests,
priced by pydantic/genai-prices. Run once, offline from the test suite.

Regenerate (network only for the two downloads):

    python3 -m venv /tmp/peervenv
    /tmp/peervenv/bin/pip install genai-prices==0.2.3 pyyaml
    git clone https://github.com/pydantic/pydantic-ai /tmp/pydantic-ai   # full history: the
    #   recording instant of a body without `created` is its cassette's last commit date
    /tmp/peervenv/bin/python bench/peer_prices.py /tmp/pydantic-ai \
        > crates/llmcost-cli/tests/fixtures/peer/bodies.jsonl
    # only the peer's figures again (another genai-prices version), from the kept bodies:
    /tmp/peervenv/bin/python bench/peer_prices.py --reprice bodies.jsonl > bodies.new.jsonl

Each output line: {"n", "provider", "source", "at", "at_from", "body", "peer"}.
`body` keeps only the keys a usage parser reads (model, usage/usageMetadata, id,
created, object/type, service tier); content text is dropped. `peer` is
{"total": "<USD>", "model": "<genai-prices id>"} or {"unknown": "<reason>"}.
The test `crates/llmcost-cli/tests/it/peer.rs` reads this file; it never runs this script.
"""

import datetime as dt
import json
import subprocess
import sys
import warnings

import yaml
import genai_prices
from genai_prices import Usage, calc_price, extract_usage

warnings.simplefilter("ignore")

HOSTS = {
    "api.openai.com": "openai",
    "api.anthropic.com": "anthropic",
    "generativelanguage.googleapis.com": "google",
    "aiplatform.googleapis.com": "google",
    "api.deepseek.com": "deepseek",
    "api.mistral.ai": "mistral",
    "api.x.ai": "xai",
}
KEEP = [
    "id", "object", "type", "model", "modelVersion", "responseId", "created",
    "created_at", "createTime", "service_tier", "usage", "usageMetadata",
]
FLAVORS = {
    "openai": ["chat", "responses", "embeddings"],
    "anthropic": ["default", "anthropic"],
    "google": ["default"],
    "deepseek": ["default", "chat"],
    "mistral": ["default", "chat"],
    "xai": ["default", "chat"],
}


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, check=True).stdout


def trim(body):
    return {k: body[k] for k in KEEP if k in body}


def instant(body, commit_date):
    c = body.get("created")
    if isinstance(c, int) and c > 0:
        return dt.datetime.fromtimestamp(c, dt.timezone.utc), "created"
    if isinstance(c, str) and c:
        # xAI gRPC: RFC 3339 with nanoseconds.
        s = c.rstrip("Z").split(".")[0]
        return dt.datetime.fromisoformat(s).replace(tzinfo=dt.timezone.utc), "created"
    c = body.get("created_at")
    if isinstance(c, (int, float)) and c > 0:
        return dt.datetime.fromtimestamp(int(c), dt.timezone.utc), "created_at"
    return commit_date, "cassette_commit"


def last_commit_dates(repo):
    """The date of the last commit that touched each cassette (one pass over the log)."""
    dates = {}
    cur = None
    for line in git(repo, "log", "--format=C %cI", "--name-only", "HEAD", "--", "tests").split("\n"):
        if line.startswith("C "):
            cur = dt.datetime.fromisoformat(line[2:]).astimezone(dt.timezone.utc)
        elif line and line not in dates:
            dates[line] = cur
    return dates


def bodies(repo):
    dates = last_commit_dates(repo)
    files = [
        f for f in git(repo, "ls-tree", "-r", "--name-only", "HEAD").split("\n")
        if f.startswith("tests/") and "/cassettes/" in f and f.endswith(".yaml")
    ]
    for f in sorted(files):
        try:
            doc = yaml.safe_load(git(repo, "show", "HEAD:" + f)) or {}
        except (yaml.YAMLError, subprocess.CalledProcessError) as e:
            print(f"skipped {f}: {type(e).__name__}", file=sys.stderr)
            continue
        date = dates[f]
        for i, it in enumerate(doc.get("interactions") or []):
            if not isinstance(it, dict):
                continue
            if "response_sample" in it or ("response" in it and "request" not in it):
                # xAI gRPC cassettes (the SDK's protobuf as JSON).
                provider = "xai"
                body = ((it.get("response_sample") or it.get("response") or {}).get("json")) or None
            else:
                req = it.get("request") or {}
                uri = req.get("uri") or ""
                host = uri.split("/")[2] if "://" in uri else ""
                provider = HOSTS.get(host)
                if provider is None:
                    continue
                resp = it.get("response") or {}
                body = resp.get("parsed_body")
                if body is None:
                    s = (resp.get("body") or {}).get("string")
                    try:
                        body = json.loads(s) if isinstance(s, str) else None
                    except ValueError:
                        body = None  # a stream (SSE) or not JSON
            if not isinstance(body, dict):
                continue
            if not (isinstance(body.get("usage"), dict) or isinstance(body.get("usageMetadata"), dict)):
                continue
            if "model" not in body and "modelVersion" not in body:
                continue
            yield provider, f"{f}#{i}", body, date


def xai_grpc_usage(u):
    # genai-prices has no extractor for the xAI SDK's gRPC JSON: map it by hand.
    cached = int(u.get("cached_prompt_text_tokens") or 0)
    return Usage(
        input_tokens=int(u.get("prompt_tokens") or 0),
        cache_read_tokens=cached,
        output_tokens=int(u.get("completion_tokens") or 0) + int(u.get("reasoning_tokens") or 0),
    )


def peer_price(provider, body, at):
    model = body.get("model") or body.get("modelVersion")
    usage = None
    errors = []
    for flavor in FLAVORS[provider]:
        try:
            usage = extract_usage(body, provider_id=provider, api_flavor=flavor).usage
            break
        except Exception as e:  # noqa: BLE001 - any failure means "try the next flavour"
            errors.append(f"{flavor}: {e}")
    via = None
    if usage is None and provider != "openai":
        # An OpenAI-compatible body the peer does not map for this provider
        # (DeepSeek's Responses API): read it with the OpenAI extractors, price it as `provider`.
        for flavor in FLAVORS["openai"]:
            try:
                usage = extract_usage(body, provider_id="openai", api_flavor=flavor).usage
                via = f"openai/{flavor}"
                break
            except Exception:  # noqa: BLE001
                pass
    if usage is None and provider == "xai" and isinstance(body.get("created"), str):
        via = "mapped by this script"
        usage = xai_grpc_usage(body["usage"])
    if usage is None:
        return {"unknown": "usage not extracted: " + "; ".join(errors)[:200]}
    try:
        p = calc_price(usage, model, provider_id=provider, genai_request_timestamp=at)
    except LookupError as e:
        return {"unknown": f"model not found: {e}"[:200]}
    except ValueError as e:
        return {"unknown": f"usage rejected: {e}"[:200]}
    out = {"total": str(p.total_price.normalize()), "model": p.model.id}
    if via:
        out["usage_via"] = via
    return out


def reprice(path):
    """Recompute only the peer's figures of an existing dataset (fast: no git)."""
    for line in open(path, encoding="utf-8"):
        rec = json.loads(line)
        at = dt.datetime.fromisoformat(rec["at"].replace("Z", "+00:00"))
        rec["peer"] = peer_price(rec["provider"], rec["body"], at)
        print(json.dumps(rec, separators=(",", ":")))


def main():
    if sys.argv[1] == "--reprice":
        reprice(sys.argv[2])
        return
    repo = sys.argv[1]
    head = git(repo, "rev-parse", "HEAD").strip()
    print(f"pydantic-ai {head}, genai-prices {genai_prices.__version__}", file=sys.stderr)
    n = 0
    for provider, source, body, date in bodies(repo):
        at, at_from = instant(body, date)
        t = trim(body)
        rec = {
            "n": n,
            "provider": provider,
            "source": source,
            "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "at_from": at_from,
            "body": t,
            "peer": peer_price(provider, body, at),
        }
        print(json.dumps(rec, separators=(",", ":"), sort_keys=False))
        n += 1
    print(f"{n} bodies", file=sys.stderr)


if __name__ == "__main__":
    main()
