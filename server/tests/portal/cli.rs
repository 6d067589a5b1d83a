//! The binary's start-up behaviour: bad configuration fails fast with one clear line.

use crate::support::portico;

#[test]
fn bad_configuration_exits_2_with_one_line_naming_key_value_and_fix() {
    let output = portico()
        .env("PORTICO_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("PORTICO_LISTEN"), "{stderr}");
    assert!(stderr.contains("not-an-address"), "{stderr}");
    assert!(stderr.contains("host:port"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn an_unreachable_database_is_a_clear_error_not_a_panic() {
    let output = portico()
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("cannot connect to the database"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn migrate_creates_the_sqlite_database_and_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/folder/portico.db");
    let output = portico()
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(db.exists());
}

#[tokio::test]
async fn a_token_made_on_the_command_line_is_in_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("portico.db").display());
    let org = concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/org.yaml");
    let run = |args: &[&str]| {
        portico()
            .env("DATABASE_URL", &url)
            .env("PORTICO_LOG", "error")
            .args(args)
            .output()
            .unwrap()
    };
    let imported = run(&["catalog", "import", org]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let create = [
        "token",
        "create",
        "--user",
        "ada.lovelace",
        "--name",
        "ci",
        "--scope",
        "read",
    ];
    let made = run(&create);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let again = run(&create);
    assert_eq!(again.status.code(), Some(1), "a second live token named ci");

    let store = store::Store::connect(&url).await.unwrap();
    let entries = store
        .audit_entries(&store::AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut outcomes: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                e.outcome.as_str(),
                e.actor_ref.as_deref(),
                e.client_ip.as_str(),
            )
        })
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            (
                "identity.token.create",
                "failed",
                Some("user:default/ada.lovelace"),
                "local"
            ),
            (
                "identity.token.create",
                "succeeded",
                Some("user:default/ada.lovelace"),
                "local"
            ),
        ],
        "{entries:?}"
    );
    let prefix = String::from_utf8(made.stdout).unwrap()[..11].to_string();
    assert!(
        entries
            .iter()
            .any(|e| e.target == format!("API token \"ci\" ({prefix})")),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .all(|e| e.user_agent.contains("command line"))
    );
}
