//! Three `portico` processes on one PostgreSQL database, as a company runs the portal
//! behind a load balancer (issue 14): started at once, they apply the migrations once;
//! locations registered through any of them are read once per refresh interval between
//! them, none starved; a write through one is read through the others; and a replica
//! killed with SIGKILL in the middle of a read loses nothing — its claim lapses and
//! another replica reads the location.
//!
//! PostgreSQL only (SQLite is one process's file): skipped without `TEST_DATABASE_URL`,
//! which CI sets.

use axum::extract::{ConnectInfo, Path as UrlPath, State};
use axum::routing::get;
use sqlx::Connection;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const INTERVAL_SECS: u64 = 4;
const LEASE_SECS: u64 = 10;
const LOCATIONS: usize = 12;

/// The catalog files' server: counts every read, and makes the reads of `slow` files
/// hang, remembering who is reading them.
#[derive(Default)]
struct Files {
    reads: BTreeMap<String, Vec<Instant>>,
    slow: BTreeSet<String>,
    /// The client address of each read of a slow file that is under way.
    reading_slow: Vec<SocketAddr>,
}

type SharedFiles = Arc<Mutex<Files>>;

async fn file_server() -> (u16, SharedFiles) {
    let files: SharedFiles = Arc::default();
    let serve = |State(files): State<SharedFiles>,
                 ConnectInfo(peer): ConnectInfo<SocketAddr>,
                 UrlPath(name): UrlPath<String>| async move {
        let slow = {
            let mut f = files.lock().unwrap();
            f.reads
                .entry(name.clone())
                .or_default()
                .push(Instant::now());
            let slow = f.slow.contains(&name);
            if slow {
                f.reading_slow.push(peer);
            }
            slow
        };
        if slow {
            tokio::time::sleep(Duration::from_secs(15)).await;
        }
        let entity = name.trim_end_matches(".yaml");
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {entity}\n\
             spec:\n  type: service\n  lifecycle: production\n  owner: group:default/team\n"
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = axum::Router::new()
        .route("/{name}", get(serve))
        .with_state(files.clone());
    tokio::spawn(server::serve::serve(
        listener,
        router,
        std::future::pending(),
    ));
    (port, files)
}

/// A database of its own on the `TEST_DATABASE_URL` server; dropped by [`Cluster`].
async fn database(admin_url: &str) -> (String, String) {
    let name = format!("replicas_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut url = url::Url::parse(admin_url).unwrap();
    url.set_path(&format!("/{name}"));
    (name, url.to_string())
}

struct Replica {
    child: Child,
    url: String,
}

struct Cluster {
    replicas: Vec<Replica>,
    admin_url: String,
    database: String,
    _dir: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for replica in &mut self.replicas {
            let _ = replica.child.kill();
            let _ = replica.child.wait();
        }
        let admin_url = self.admin_url.clone();
        let database = self.database.clone();
        // Drop runs outside the test's runtime once it has ended; use a small one.
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                            .execute(&mut admin)
                            .await;
                }
            })
        })
        .join()
        .ok();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts three replicas at once on a new database.
async fn cluster(admin_url: &str, files_port: u16) -> Cluster {
    let (database, url) = database(admin_url).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("portico.yaml");
    std::fs::write(
        &config,
        format!(
            "catalog_refresh_interval_secs: {INTERVAL_SECS}\n\
             background_poll_secs: 1\n\
             background_lease_secs: {LEASE_SECS}\n\
             catalog_url_allow: 127.0.0.1:{files_port}\n\
             permissions:\n  anonymous_read: true\n  rules:\n    - actions: \"*\"\n      allow: anyone\n"
        ),
    )
    .unwrap();
    let replicas = (0..3)
        .map(|i| {
            let port = free_port();
            let log = std::fs::File::create(dir.path().join(format!("replica-{i}.log"))).unwrap();
            let child = crate::support::portico_bare()
                .env("PORTICO_CONFIG", &config)
                .env("DATABASE_URL", &url)
                .env("PORTICO_LISTEN", format!("127.0.0.1:{port}"))
                .env("PORTICO_LOG", "info")
                .arg("serve")
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap();
            Replica {
                child,
                url: format!("http://127.0.0.1:{port}"),
            }
        })
        .collect();
    let cluster = Cluster {
        replicas,
        admin_url: admin_url.to_string(),
        database,
        _dir: dir,
    };
    let client = reqwest::Client::new();
    for replica in &cluster.replicas {
        let ready = async {
            loop {
                if let Ok(response) = client.get(format!("{}/readyz", replica.url)).send().await
                    && response.status().is_success()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(60), ready)
            .await
            .is_err()
        {
            let logs = std::fs::read_to_string(cluster._dir.path().join("replica-0.log"))
                .unwrap_or_default();
            panic!("a replica did not become ready in 60 s:\n{logs}");
        }
    }
    cluster
}

/// The process holding a TCP connection whose local port is `port` (Linux `/proc`).
fn process_with_local_port(pids: &[u32], port: u16) -> Option<u32> {
    let mut inodes = BTreeSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .skip(1)
        {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) {
                inodes.insert(format!("socket:[{}]", fields[9]));
            }
        }
    }
    pids.iter().copied().find(|pid| {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|link| inodes.contains(&link.to_string_lossy().to_string()))
            })
    })
}

#[tokio::test]
async fn three_replicas_share_one_postgresql_without_duplicate_or_lost_work() {
    let Some(admin_url) = store::testing::postgres_url() else {
        return;
    };
    let (files_port, files) = file_server().await;
    let mut cluster = cluster(&admin_url, files_port).await;
    let client = reqwest::Client::new();

    // The migrations ran once, though three replicas started them at once.
    let (_, url) = (&cluster.database, {
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&format!("/{}", cluster.database));
        url.to_string()
    });
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let migrations = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations/postgres"
    ))
    .unwrap()
    .count() as i64;
    let (applied, failed): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT success) FROM _sqlx_migrations",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!((applied, failed), (migrations, 0));

    // Register through the replicas in turn; read each entity through another.
    let target = |i: usize| format!("http://127.0.0.1:{files_port}/c-{i}.yaml");
    for i in 0..LOCATIONS {
        let via = &cluster.replicas[i % 3].url;
        let response = client
            .post(format!("{via}/api/catalog/locations"))
            .json(&serde_json::json!({"type": "url", "target": target(i)}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let other = &cluster.replicas[(i + 1) % 3].url;
        let read = client
            .get(format!(
                "{other}/api/catalog/entities/by-name/component/default/c-{i}"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(
            read.status(),
            200,
            "a write through one replica is read through another"
        );
    }

    // Watch five refresh intervals: every location read about once per interval, never
    // twice within one, none left behind.
    let watched = Instant::now();
    tokio::time::sleep(Duration::from_secs(5 * INTERVAL_SECS)).await;
    {
        let f = files.lock().unwrap();
        for i in 0..LOCATIONS {
            let reads = &f.reads[&format!("c-{i}.yaml")];
            for pair in reads.windows(2) {
                let gap = pair[1] - pair[0];
                assert!(
                    gap >= Duration::from_millis(INTERVAL_SECS * 1000 - 500),
                    "c-{i} was read twice within {gap:?}: {reads:?}"
                );
            }
            let in_window = reads.iter().filter(|t| **t >= watched).count();
            assert!(
                in_window >= 3,
                "c-{i} read {in_window} times in 5 intervals"
            );
        }
    }

    // A replica dies with SIGKILL in the middle of a read: the location stays claimed for
    // one lease, then another replica reads it; its entity is never lost.
    files.lock().unwrap().slow.insert("c-0.yaml".into());
    let reader = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Some(peer) = files.lock().unwrap().reading_slow.first().copied() {
                return peer;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("a replica reads the slow file within one interval");
    let pids: Vec<u32> = cluster.replicas.iter().map(|r| r.child.id()).collect();
    let pid = process_with_local_port(&pids, reader.port()).expect("the reading replica");
    let index = pids.iter().position(|p| *p == pid).unwrap();
    let mut dead = cluster.replicas.remove(index);
    dead.child.kill().unwrap(); // SIGKILL
    dead.child.wait().unwrap();
    let killed = Instant::now();
    let claimed: (Option<String>,) =
        sqlx::query_as("SELECT claimed_by FROM locations WHERE target = $1")
            .bind(target(0))
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert!(
        claimed.0.is_some(),
        "the dead replica's claim is still held"
    );
    files.lock().unwrap().slow.clear();
    let taken_over = tokio::time::timeout(
        Duration::from_secs(LEASE_SECS + 3 * INTERVAL_SECS + 10),
        async {
            loop {
                let read_after = files.lock().unwrap().reads["c-0.yaml"]
                    .iter()
                    .any(|t| *t > killed);
                let row: (Option<String>, Option<String>) = sqlx::query_as(
                    "SELECT claimed_by, last_error FROM locations WHERE target = $1",
                )
                .bind(target(0))
                .fetch_one(&mut db)
                .await
                .unwrap();
                if read_after && row.0.is_none() {
                    return row.1;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        },
    )
    .await
    .expect("another replica reads the location once the dead one's claim lapses");
    assert_eq!(taken_over, None, "the read after the take-over succeeded");
    assert!(
        killed.elapsed() >= Duration::from_secs(LEASE_SECS) - Duration::from_secs(2),
        "not before the lease lapsed"
    );
    for replica in &cluster.replicas {
        let read = client
            .get(format!(
                "{}/api/catalog/entities/by-name/component/default/c-0",
                replica.url
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), 200, "nothing was lost");
    }
}
