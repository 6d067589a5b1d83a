#!/usr/bin/env python3
"""Writes a year of delivery history straight into a Portico database, for
bench/insights.sh: SERVICES components (component:default/svc-N) with DEPLOYMENTS
production deployments spread over the last 365 days, each shipping one change committed
an hour to a few days before, 6 % failed or rolled back and a few with an incident.

    generate_history.py sqlite|postgres DATABASE_URL SERVICES DEPLOYMENTS

The portal must have migrated the database (started once) before this runs."""
import datetime
import random
import subprocess
import sys

engine, url, services, deployments = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
random.seed(13)


def stamp(at):
    # As sqlx writes DateTime<Utc> to SQLite (RFC 3339, seconds) and PostgreSQL reads it.
    return at.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def rows():
    for n in range(deployments):
        service = f"component:default/svc-{n % services}"
        finished = now - datetime.timedelta(seconds=random.randrange(365 * 86400))
        committed = finished - datetime.timedelta(seconds=random.randrange(3600, 4 * 86400))
        roll = random.random()
        status = "succeeded" if roll > 0.06 else ("failed" if roll > 0.03 else "rolled_back")
        yield n, service, finished, committed, status


if engine == "sqlite":
    import sqlite3

    db = sqlite3.connect(url.removeprefix("sqlite://"))
    deployments_rows, changes_rows, incidents_rows = [], [], []
    for n, service, finished, committed, status in rows():
        sha = f"{n:012x}"
        deployments_rows.append((f"api:d{n}", service, "production", sha, status,
                                 stamp(finished), stamp(finished), stamp(finished)))
        changes_rows.append((service, sha, sha, stamp(committed)))
        if status == "succeeded" and n % 97 == 0:
            incidents_rows.append((f"api:i{n}", service, stamp(finished),
                                   stamp(finished + datetime.timedelta(minutes=45)), f"api:d{n}"))
    db.executemany("INSERT INTO deployments (id, component_ref, environment, sha, status, created_at, "
                   "status_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", deployments_rows)
    db.executemany("INSERT INTO changes (repository, sha, head, committed_at) VALUES (?, ?, ?, ?)",
                   sorted(changes_rows, key=lambda r: r[3]))
    db.executemany("INSERT INTO incidents (id, component_ref, opened_at, resolved_at, caused_by) "
                   "VALUES (?, ?, ?, ?, ?)", incidents_rows)
    db.commit()
    db.execute("ANALYZE")
else:
    sql = f"""
    INSERT INTO deployments (id, component_ref, environment, sha, status, created_at, status_at, finished_at)
    SELECT 'api:d' || n, 'component:default/svc-' || (n % {services}), 'production', lpad(to_hex(n), 12, '0'),
           CASE WHEN random() > 0.06 THEN 'succeeded' WHEN random() > 0.5 THEN 'failed' ELSE 'rolled_back' END,
           t, t, t
    FROM (SELECT n, now() - (random() * interval '365 days') AS t FROM generate_series(0, {deployments - 1}) n) s;
    INSERT INTO changes (repository, sha, head, committed_at)
    SELECT component_ref, sha, sha, finished_at - (interval '1 hour' + random() * interval '3 days')
    FROM deployments WHERE id LIKE 'api:d%' ORDER BY finished_at;
    INSERT INTO incidents (id, component_ref, opened_at, resolved_at, caused_by)
    SELECT 'api:i' || id, component_ref, finished_at, finished_at + interval '45 minutes', id
    FROM deployments WHERE id LIKE 'api:d%' AND status = 'succeeded' AND random() < 0.01;
    ANALYZE;
    """
    subprocess.run(["psql", url, "-qc", sql], check=True)
