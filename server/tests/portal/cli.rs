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
