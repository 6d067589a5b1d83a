//! Helpers shared by the test binaries.

use yaml_serde::Value;

/// `base` (spec YAML) with the string `value` set at `path`: mapping keys,
/// or list indexes written as numbers. Serialising with the YAML library
/// writes any value faithfully, however hostile.
pub fn with(base: &str, path: &[&str], value: &str) -> String {
    let mut document: Value = yaml_serde::from_str(base).unwrap();
    let mut node = &mut document;
    for key in path {
        node = match key.parse::<usize>() {
            Ok(index) => &mut node[index],
            Err(_) => &mut node[*key],
        };
    }
    *node = Value::String(value.to_string());
    yaml_serde::to_string(&document).unwrap()
}
