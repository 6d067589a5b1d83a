#!/usr/bin/env python3
"""Writes a synthetic but realistic Backstage catalog for benchmarks.

    bench/generate_catalog.py --entities 100000 --out /tmp/catalog100k

Produces files of 1,000 entities each (catalog-0000.yaml, ...) with a realistic mix:
domains, systems, groups with parents, users in groups, components (services, websites,
libraries) that depend on each other and provide/consume APIs, APIs with small OpenAPI
definitions, and resources. Every reference resolves. Deterministic for a given size.
"""
import argparse
import os
import random

WORDS = ("order payment basket product search user account invoice shipping stock price "
         "review catalog cart checkout coupon loyalty email notify report audit session "
         "token ledger refund tax delivery warehouse supplier rating media image").split()
LIFECYCLES = ["production"] * 6 + ["experimental"] * 3 + ["deprecated"]
LANGS = ["go", "java", "python", "rust", "nodejs", "kotlin", "typescript"]


def name(rng, prefix, i):
    return f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{prefix}{i}"


def plan(total):
    """How many entities of each kind for `total` entities."""
    share = {"domain": 0.0003, "system": 0.003, "group": 0.005, "user": 0.05,
             "api": 0.2, "resource": 0.1417}
    counts = {k: max(1, int(total * v)) for k, v in share.items()}
    counts["component"] = total - sum(counts.values())
    return counts


def entities(total, seed=7):
    rng = random.Random(seed)
    n = plan(total)
    domains = [f"domain-{i}" for i in range(n["domain"])]
    systems = [f"system-{i}" for i in range(n["system"])]
    groups = [f"team-{i}" for i in range(n["group"])]
    apis = [name(rng, "api", i) for i in range(n["api"])]
    resources = [name(rng, "db", i) for i in range(n["resource"])]
    components = [name(rng, "svc", i) for i in range(n["component"])]

    for d in domains:
        yield ("Domain", d, {"owner": rng.choice(groups)}, {})
    for s in systems:
        yield ("System", s, {"owner": rng.choice(groups), "domain": rng.choice(domains)}, {})
    for i, g in enumerate(groups):
        spec = {"type": "team", "children": []}
        if i > 0:
            spec["parent"] = groups[rng.randrange(0, i)]
        yield ("Group", g, spec, {})
    for i in range(n["user"]):
        yield ("User", f"user-{i}", {"memberOf": rng.sample(groups, k=min(2, len(groups)))},
               {"title": f"User {i}"})
    for a in apis:
        definition = ("openapi: 3.0.3\ninfo: {title: %s, version: 1.0.0}\npaths:\n"
                      "  /%s:\n    get: {summary: List, responses: {'200': {description: OK}}}\n"
                      % (a, a.split("-")[0]))
        yield ("API", a, {"type": "openapi", "lifecycle": rng.choice(LIFECYCLES),
                          "owner": rng.choice(groups), "system": rng.choice(systems),
                          "definition": definition}, {})
    for r in resources:
        yield ("Resource", r, {"type": rng.choice(["database", "bucket", "queue", "cache"]),
                               "owner": rng.choice(groups), "system": rng.choice(systems)}, {})
    for i, c in enumerate(components):
        spec = {"type": rng.choice(["service"] * 6 + ["website"] * 2 + ["library"]),
                "lifecycle": rng.choice(LIFECYCLES), "owner": rng.choice(groups),
                "system": rng.choice(systems),
                "providesApis": rng.sample(apis, k=1),
                "consumesApis": rng.sample(apis, k=2),
                "dependsOn": ["resource:" + rng.choice(resources)]}
        if i > 0:
            spec["dependsOn"].append("component:" + components[rng.randrange(0, i)])
        lang = rng.choice(LANGS)
        yield ("Component", c, spec, {
            "description": f"The {c.replace('-', ' ')} service, written in {lang}.",
            "tags": [lang, rng.choice(WORDS)]})


def yaml_scalar(value):
    if isinstance(value, str):
        if "\n" in value:
            return "|\n" + "".join("      " + line + "\n" for line in value.splitlines())
        return value
    return str(value)


def to_yaml(kind, name, spec, meta):
    lines = ["apiVersion: backstage.io/v1alpha1", f"kind: {kind}", "metadata:", f"  name: {name}"]
    for key, value in meta.items():
        if isinstance(value, list):
            lines.append(f"  {key}: [{', '.join(value)}]")
        else:
            lines.append(f"  {key}: {yaml_scalar(value)}")
    lines.append("spec:")
    for key, value in spec.items():
        if isinstance(value, list):
            lines.append(f"  {key}: [{', '.join(value)}]")
        elif isinstance(value, str) and "\n" in value:
            lines.append(f"  {key}: {yaml_scalar(value)}".rstrip("\n"))
        else:
            lines.append(f"  {key}: {yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--per-file", type=int, default=1_000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    batch, index, written = [], 0, 0
    for entity in entities(args.entities):
        batch.append(to_yaml(*entity))
        if len(batch) == args.per_file:
            with open(os.path.join(args.out, f"catalog-{index:04d}.yaml"), "w") as f:
                f.write("---\n".join(batch))
            written += len(batch)
            batch, index = [], index + 1
    if batch:
        with open(os.path.join(args.out, f"catalog-{index:04d}.yaml"), "w") as f:
            f.write("---\n".join(batch))
        written += len(batch)
    print(f"wrote {written} entities in {index + (1 if batch else 0)} files to {args.out}")


if __name__ == "__main__":
    main()
