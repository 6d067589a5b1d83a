//! `kustomize build`, in Rust and without I/O, for the part of kustomize that Portico's
//! overlays use: the tests and `portico render --check` judge what a cluster receives (the
//! base with an overlay's patches, labels and images applied), not only the pieces.
//!
//! It follows kustomize v5.5.0 (`api/internal/target`, `api/filters/*`,
//! `plugin/builtin/*`) and is compared with `kubectl kustomize` on every golden overlay
//! and on a tree written for the features the renderer does not use yet
//! (`tests/kustomize.rs`, outputs in `tests/kustomize/`):
//!
//! - `resources`: files (every YAML document an object; a file must lie in or below the
//!   kustomization's directory, kustomize's default load restriction) and directories
//!   with a kustomization, built recursively; an object added twice is an error;
//! - then kustomize's transformers in its order: `patches` (RFC 6902 JSON patches, inline
//!   or from a `path`, applied to every object the `target`'s group, version, kind and
//!   name select, each an anchored regular expression), `namespace` (set on every object
//!   but a Namespace, which is renamed to it instead, as kustomize's field specs do; two
//!   objects that become one are an error), `namePrefix` and `nameSuffix` (every name but
//!   a Namespace's), `labels` (`pairs`,
//!   `includeSelectors`, `includeTemplates`) and `commonLabels` with kustomize's field
//!   specs, `commonAnnotations`, `images` (`newName`, `newTag`, `digest`, `tagSuffix`, on
//!   every `containers[].image` and `initContainers[].image`, then on the pod-template
//!   field specs again, as kustomize does);
//! - after a rename, kustomize's name references, once over the whole build: a
//!   Deployment's or a CronJob's `serviceAccountName` and ConfigMap references (volumes,
//!   projected volumes, `env[].valueFrom.configMapKeyRef`, `envFrom[].configMapRef`, in
//!   containers and init containers), an HPA's `scaleTargetRef` to a Deployment; a
//!   reference is rewritten when it names an earlier name of such an object in the
//!   referrer's namespace, and left as written otherwise. kustomize knows no field of a
//!   custom resource: a Rollout's or a ServiceMonitor's fields keep the names they were
//!   written with, and so does an HPA's `scaleTargetRef` to a Rollout, unless a Deployment
//!   of the build had that name (kustomize does not read the reference's `kind`);
//! - the result in kustomize's legacy order (Namespace, …, Service, Deployment, …, the
//!   rest by group, version and kind, then namespace and name).
//!
//! The renames are followed for Namespace, ServiceAccount, Service, ConfigMap, Deployment,
//! CronJob, HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy and custom
//! resources; a build that renames any other built-in kind (a StatefulSet, a Secret, a
//! RoleBinding, …, each with name references or namespace fields of its own in kustomize)
//! is refused, naming the object. Every other kustomization field is refused, naming the
//! file and the field, never ignored: strategic-merge patches would need kustomize's
//! per-kind merge keys, generators its name hashes.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::crd::CrdProblem;
use crate::render::Rendered;

/// An overlay that does not build.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BuildError {
    /// The directory built (`deploy/k8s/overlays/production`).
    pub overlay: String,
    /// The file at fault: a kustomization or a resource.
    pub file: String,
    pub message: String,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (kustomize build): {}: {}",
            self.overlay, self.file, self.message
        )
    }
}

/// The kustomization file names kustomize looks for, in its order.
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The directories of `rendered` that hold an overlay: a kustomization under
/// `deploy/k8s/overlays/`.
pub fn overlays(rendered: &Rendered) -> Vec<String> {
    rendered
        .files
        .iter()
        .filter_map(|f| {
            let (dir, name) = f.path.rsplit_once('/')?;
            let (parent, _) = dir.rsplit_once('/')?;
            (parent == "deploy/k8s/overlays" && KUSTOMIZATION_FILES.contains(&name))
                .then(|| dir.to_string())
        })
        .collect()
}

/// `kustomize build <dir>` over the files of `rendered`: the objects, in kustomize's
/// output order.
pub fn build(rendered: &Rendered, dir: &str) -> Result<Vec<Value>, BuildError> {
    let tree = Tree {
        files: rendered
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.contents.as_str()))
            .collect(),
    };
    let dir = normalize(dir).map_err(|message| BuildError {
        overlay: dir.to_string(),
        file: dir.to_string(),
        message,
    })?;
    let mut objects = build_dir(&tree, &dir, &mut Vec::new())
        .and_then(|mut objects| {
            rewrite_name_references(&mut objects)?;
            Ok(objects)
        })
        .map_err(|fault| BuildError {
            overlay: dir.clone(),
            file: fault.file,
            message: fault.message,
        })?;
    objects.sort_by(|a, b| legacy_order(&Id::of(&a.value), &Id::of(&b.value)));
    Ok(objects
        .into_iter()
        .map(|mut o| {
            integral_floats_as_integers(&mut o.value);
            o.value
        })
        .collect())
}

/// What [`check`] found in every overlay of a render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverlayCheck {
    /// How many overlays built.
    pub built: usize,
    /// The overlays that do not build.
    pub problems: Vec<BuildError>,
    /// Custom resources of a built overlay that their CRD's schema refuses: a patch can
    /// break an object that passes on its own. The file is `<overlay> (kustomize build)`.
    pub crd_problems: Vec<CrdProblem>,
}

/// Builds every overlay of `rendered` and checks each built custom resource against its
/// CRD's schema ([`crate::crd::check_resource`]).
pub fn check(rendered: &Rendered) -> OverlayCheck {
    let mut report = OverlayCheck::default();
    for overlay in overlays(rendered) {
        match build(rendered, &overlay) {
            Ok(objects) => {
                report.built += 1;
                let file = format!("{overlay} (kustomize build)");
                for object in &objects {
                    report
                        .crd_problems
                        .extend(crate::crd::check_resource(&file, object));
                }
            }
            Err(error) => report.problems.push(error),
        }
    }
    report
}

/// A problem inside a build, before the overlay is named.
#[derive(Debug)]
struct Fault {
    file: String,
    message: String,
}

fn fault(file: &str, message: impl Into<String>) -> Fault {
    Fault {
        file: file.to_string(),
        message: message.into(),
    }
}

/// The rendered files by path.
struct Tree<'a> {
    files: BTreeMap<&'a str, &'a str>,
}

impl Tree<'_> {
    fn is_dir(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.files
            .range(prefix.as_str()..)
            .next()
            .is_some_and(|(path, _)| path.starts_with(&prefix))
    }

    /// The kustomization of `dir` (path and text), if it has one; more than one is an
    /// error, as in kustomize.
    fn kustomization(&self, dir: &str) -> Result<Option<(String, &str)>, Fault> {
        let found: Vec<(String, &str)> = KUSTOMIZATION_FILES
            .iter()
            .filter_map(|name| {
                let path = format!("{dir}/{name}");
                self.files.get(path.as_str()).map(|text| (path, *text))
            })
            .collect();
        if found.len() > 1 {
            let names: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
            return Err(fault(
                dir,
                format!(
                    "found more than one kustomization file ({}); keep one",
                    names.join(", ")
                ),
            ));
        }
        Ok(found.into_iter().next())
    }
}

/// One object of a build, with where it came from.
struct Object {
    value: Value,
    /// The file it was read from, for messages.
    file: String,
    /// Its name when read: kustomize's patch targets match it as well as the current one.
    original_name: String,
    /// The names it had before each `namespace`, `namePrefix` or `nameSuffix` (kustomize's
    /// previous ids): a name reference to one of them is rewritten to its name.
    previous_names: Vec<String>,
}

impl Object {
    fn describe(&self) -> String {
        let id = Id::of(&self.value);
        format!("{}/{} (from {})", id.kind, id.name, self.file)
    }
}

/// What kustomize identifies an object by.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Id {
    group: String,
    version: String,
    kind: String,
    name: String,
    namespace: String,
}

impl Id {
    fn of(value: &Value) -> Id {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let api_version = text(&value["apiVersion"]);
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) => (group.to_string(), version.to_string()),
            None => (String::new(), api_version),
        };
        Id {
            group,
            version,
            kind: text(&value["kind"]),
            name: text(&value["metadata"]["name"]),
            namespace: text(&value["metadata"]["namespace"]),
        }
    }

    fn same_gvk(&self, other: &Id) -> bool {
        self.group == other.group && self.version == other.version && self.kind == other.kind
    }

    /// Kustomize's identity: an empty namespace is `default`.
    fn same_object(&self, other: &Id) -> bool {
        let namespace = |id: &Id| {
            if id.namespace.is_empty() {
                "default".to_string()
            } else {
                id.namespace.clone()
            }
        };
        self.same_gvk(other) && self.name == other.name && namespace(self) == namespace(other)
    }
}

fn build_dir(tree: &Tree, dir: &str, stack: &mut Vec<String>) -> Result<Vec<Object>, Fault> {
    if stack.iter().any(|d| d == dir) {
        return Err(fault(dir, format!("cycle: {} → {dir}", stack.join(" → "))));
    }
    let (file, text) = tree.kustomization(dir)?.ok_or_else(|| {
        fault(
            dir,
            "no kustomization.yaml in this directory (a resource directory needs one)",
        )
    })?;
    let kustomization = Kustomization::parse(tree, dir, &file, text)?;
    stack.push(dir.to_string());
    let mut objects: Vec<Object> = Vec::new();
    for (i, entry) in kustomization.resources.iter().enumerate() {
        let at = format!("resources[{i}] \"{entry}\"");
        let path =
            normalize(&format!("{dir}/{entry}")).map_err(|m| fault(&file, format!("{at}: {m}")))?;
        let added = if let Some(contents) = tree.files.get(path.as_str()) {
            if !within(&path, dir) {
                return Err(fault(
                    &file,
                    format!(
                        "{at}: a file outside {dir}/ (kustomize loads files only in or below the kustomization's directory; directories with a kustomization may be anywhere)"
                    ),
                ));
            }
            read_objects(&path, contents)?
        } else if tree.is_dir(&path) {
            build_dir(tree, &path, stack)?
        } else {
            return Err(fault(
                &file,
                format!("{at}: no such file or directory among the rendered files ({path})"),
            ));
        };
        for object in added {
            let id = Id::of(&object.value);
            if let Some(existing) = objects.iter().find(|o| Id::of(&o.value).same_object(&id)) {
                return Err(fault(
                    &file,
                    format!(
                        "{at}: {} is already in the build (from {}); kustomize refuses an object twice",
                        object.describe(),
                        existing.file
                    ),
                ));
            }
            objects.push(object);
        }
    }
    stack.pop();
    for patch in &kustomization.patches {
        patch.apply(&mut objects, &file)?;
    }
    kustomization.names.apply(&mut objects, &file)?;
    for labels in &kustomization.labels {
        labels.apply(&mut objects, &file)?;
    }
    if !kustomization.common_annotations.is_empty() {
        set_entries(
            &mut objects,
            &kustomization.common_annotations,
            &COMMON_ANNOTATIONS.iter().collect::<Vec<_>>(),
            &file,
            "commonAnnotations",
        )?;
    }
    for image in &kustomization.images {
        image.apply(&mut objects, &file)?;
    }
    Ok(objects)
}

/// The objects of one resource file: every YAML document that is not empty.
fn read_objects(path: &str, contents: &str) -> Result<Vec<Object>, Fault> {
    if let Some(problem) = ambiguous_scalar(contents, Reader::Resource) {
        return Err(fault(path, problem));
    }
    let mut objects = Vec::new();
    for (i, document) in yaml_serde::Deserializer::from_str(contents).enumerate() {
        let value = Value::deserialize(document)
            .map_err(|e| fault(path, format!("does not parse as YAML: {e}")))?;
        let at = format!("document {}", i + 1);
        let map = match &value {
            Value::Null => continue,
            Value::Object(map) => map,
            _ => return Err(fault(path, format!("{at} is not a Kubernetes object"))),
        };
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default();
        if kind.is_empty() {
            return Err(fault(path, format!("{at} has no kind")));
        }
        if kind.ends_with("List") && map.contains_key("items") {
            return Err(fault(
                path,
                format!(
                    "{at}: a {kind} is not supported by Portico's kustomize build; write its items as documents"
                ),
            ));
        }
        if kind == "Kustomization" || kind == "Component" {
            return Err(fault(
                path,
                format!("{at} is a {kind}: list its directory in resources, not the file"),
            ));
        }
        let Some(name) = value["metadata"]["name"].as_str().filter(|n| !n.is_empty()) else {
            return Err(fault(path, format!("{at} ({kind}) has no metadata.name")));
        };
        let original_name = name.to_string();
        objects.push(Object {
            value,
            file: path.to_string(),
            original_name,
            previous_names: Vec::new(),
        });
    }
    Ok(objects)
}

/// `path` with `.` and `..` resolved; an error when it climbs above the tree's root.
fn normalize(path: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or("points outside the rendered tree")?;
            }
            part => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}

fn within(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// A kustomization, reduced to what Portico's build does.
struct Kustomization {
    resources: Vec<String>,
    patches: Vec<Patch>,
    /// `labels` entries, then `commonLabels` (as kustomize orders its label transformers).
    labels: Vec<Labels>,
    common_annotations: BTreeMap<String, String>,
    images: Vec<Image>,
    names: Names,
}

const SUPPORTED: &str = "apiVersion, kind, metadata, resources, patches, namespace, namePrefix, nameSuffix, labels, commonLabels, commonAnnotations, images";

impl Kustomization {
    fn parse(tree: &Tree, dir: &str, file: &str, text: &str) -> Result<Kustomization, Fault> {
        if let Some(problem) = ambiguous_scalar(text, Reader::Yaml11) {
            return Err(fault(file, problem));
        }
        let value: Value = yaml_serde::from_str(text)
            .map_err(|e| fault(file, format!("does not parse as YAML: {e}")))?;
        let err = |message: String| fault(file, message);
        let Value::Object(map) = value else {
            return Err(err("is not a mapping of kustomization fields".into()));
        };
        let mut kustomization = Kustomization {
            resources: vec![],
            patches: vec![],
            labels: vec![],
            common_annotations: BTreeMap::new(),
            images: vec![],
            names: Names::default(),
        };
        let mut common_labels = BTreeMap::new();
        for (key, value) in &map {
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "apiVersion" => {
                    let version = string(value, key).map_err(err)?;
                    if version != "kustomize.config.k8s.io/v1beta1" {
                        return Err(err(format!(
                            "apiVersion \"{version}\": a Kustomization is kustomize.config.k8s.io/v1beta1"
                        )));
                    }
                }
                "kind" => {
                    let kind = string(value, key).map_err(err)?;
                    if kind != "Kustomization" {
                        return Err(err(format!(
                            "kind \"{kind}\" is not supported by Portico's kustomize build (only Kustomization)"
                        )));
                    }
                }
                "metadata" => {
                    if !value.is_object() {
                        return Err(err("metadata must be a mapping".into()));
                    }
                }
                "resources" => {
                    kustomization.resources = list(value, key)
                        .map_err(err)?
                        .iter()
                        .enumerate()
                        .map(|(i, entry)| string(entry, &format!("resources[{i}]")))
                        .collect::<Result<_, _>>()
                        .map_err(err)?;
                }
                "patches" => {
                    for (i, entry) in list(value, key).map_err(err)?.iter().enumerate() {
                        kustomization
                            .patches
                            .push(Patch::parse(tree, dir, file, i, entry)?);
                    }
                }
                "labels" => {
                    for (i, entry) in list(value, key).map_err(err)?.iter().enumerate() {
                        kustomization
                            .labels
                            .push(Labels::parse(entry, &format!("labels[{i}]")).map_err(err)?);
                    }
                }
                "namespace" => {
                    kustomization.names.namespace = string(value, key).map_err(err)?;
                }
                "namePrefix" => kustomization.names.prefix = string(value, key).map_err(err)?,
                "nameSuffix" => kustomization.names.suffix = string(value, key).map_err(err)?,
                "commonLabels" => common_labels = strings(value, key).map_err(err)?,
                "commonAnnotations" => {
                    kustomization.common_annotations = strings(value, key).map_err(err)?;
                }
                "images" => {
                    for (i, entry) in list(value, key).map_err(err)?.iter().enumerate() {
                        kustomization
                            .images
                            .push(Image::parse(entry, &format!("images[{i}]")).map_err(err)?);
                    }
                }
                other => {
                    return Err(err(format!(
                        "field \"{other}\" is not supported by Portico's kustomize build (supported: {SUPPORTED})"
                    )));
                }
            }
        }
        if !common_labels.is_empty() {
            kustomization.labels.push(Labels {
                what: "commonLabels".into(),
                pairs: common_labels,
                include_selectors: true,
                include_templates: false,
            });
        }
        Ok(kustomization)
    }
}

fn string(value: &Value, at: &str) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{at} must be a string, not {value} (quote it)"))
}

fn list<'v>(value: &'v Value, at: &str) -> Result<&'v Vec<Value>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("{at} must be a list"))
}

fn mapping<'v>(
    value: &'v Value,
    at: &str,
    fields: &[&str],
) -> Result<&'v Map<String, Value>, String> {
    let map = value
        .as_object()
        .ok_or_else(|| format!("{at} must be a mapping"))?;
    if let Some(other) = map.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(format!(
            "{at}.{other} is not supported by Portico's kustomize build (supported: {})",
            fields.join(", ")
        ));
    }
    Ok(map)
}

/// A mapping of strings to strings (labels, annotations).
fn strings(value: &Value, at: &str) -> Result<BTreeMap<String, String>, String> {
    let map = value
        .as_object()
        .ok_or_else(|| format!("{at} must be a mapping"))?;
    map.iter()
        .map(|(k, v)| Ok((k.clone(), string(v, &format!("{at}.{k}"))?)))
        .collect()
}

fn optional_string(
    map: &Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => string(value, &format!("{at}.{key}")).map(Some),
    }
}

fn boolean(map: &Map<String, Value>, key: &str, at: &str) -> Result<bool, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!("{at}.{key} must be true or false, not {other}")),
    }
}

/// kustomize anchors every selector field: `^(?:pattern)$`.
fn anchored(pattern: &str, at: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| format!("{at} \"{pattern}\" is not a regular expression: {e}"))
}

/// One entry of `patches`: a JSON patch and the objects it applies to.
struct Patch {
    index: usize,
    target: Target,
    operations: json_patch::Patch,
}

/// A patch's `target`; each field an anchored regular expression, absent matches all.
struct Target {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
}

impl Target {
    fn matches(&self, object: &Object) -> bool {
        let id = Id::of(&object.value);
        let field =
            |regex: &Option<Regex>, text: &str| regex.as_ref().is_none_or(|r| r.is_match(text));
        field(&self.group, &id.group)
            && field(&self.version, &id.version)
            && field(&self.kind, &id.kind)
            && (field(&self.name, &object.original_name) || field(&self.name, &id.name))
    }
}

impl Patch {
    fn parse(
        tree: &Tree,
        dir: &str,
        file: &str,
        index: usize,
        entry: &Value,
    ) -> Result<Patch, Fault> {
        let at = format!("patches[{index}]");
        let err = |message: String| fault(file, message);
        let map = mapping(entry, &at, &["patch", "path", "target"]).map_err(err)?;
        let inline = optional_string(map, "patch", &at).map_err(err)?;
        let from_file = optional_string(map, "path", &at).map_err(err)?;
        // As kustomize: the inline patch trimmed, an empty one as absent.
        let inline = inline.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let text = match (inline, from_file.filter(|p| !p.is_empty())) {
            (Some(_), Some(_)) => {
                return Err(err(format!(
                    "{at}: patch and path can't be set at the same time"
                )));
            }
            (Some(text), None) => text.to_string(),
            (None, Some(path)) => {
                let full = normalize(&format!("{dir}/{path}"))
                    .map_err(|m| err(format!("{at}.path \"{path}\": {m}")))?;
                if !within(&full, dir) {
                    return Err(err(format!(
                        "{at}.path \"{path}\": a file outside {dir}/ (kustomize loads files only in or below the kustomization's directory)"
                    )));
                }
                let text = tree.files.get(full.as_str()).ok_or_else(|| {
                    err(format!(
                        "{at}.path \"{path}\": no such file among the rendered files ({full})"
                    ))
                })?;
                text.trim().to_string()
            }
            (None, None) => return Err(err(format!("{at}: must specify one of patch and path"))),
        };
        // As kustomize: JSON when it starts with `[`, YAML otherwise; a list is a JSON
        // patch, a mapping a strategic-merge patch.
        let value: Value = if text.starts_with('[') {
            serde_json::from_str(&text)
                .map_err(|e| err(format!("{at}: the JSON patch does not parse: {e}")))?
        } else {
            if let Some(problem) = ambiguous_scalar(&text, Reader::Yaml11) {
                return Err(err(format!("{at}: the patch's {problem}")));
            }
            yaml_serde::from_str(&text)
                .map_err(|e| err(format!("{at}: the patch does not parse as YAML: {e}")))?
        };
        if value.is_object() {
            return Err(err(format!(
                "{at}: a strategic-merge patch is not supported by Portico's kustomize build; write it as a JSON patch (a list of operations)"
            )));
        }
        let operations: json_patch::Patch = serde_json::from_value(value)
            .map_err(|e| err(format!("{at}: not a JSON patch (RFC 6902): {e}")))?;
        let Some(target) = map.get("target").filter(|t| !t.is_null()) else {
            return Err(err(format!("{at}: a JSON patch needs a target")));
        };
        let target_at = format!("{at}.target");
        let target =
            mapping(target, &target_at, &["group", "version", "kind", "name"]).map_err(err)?;
        let field = |key: &str| -> Result<Option<Regex>, Fault> {
            match optional_string(target, key, &target_at).map_err(err)? {
                Some(pattern) if !pattern.is_empty() => {
                    anchored(&pattern, &format!("{target_at}.{key}"))
                        .map(Some)
                        .map_err(err)
                }
                _ => Ok(None),
            }
        };
        Ok(Patch {
            index,
            target: Target {
                group: field("group")?,
                version: field("version")?,
                kind: field("kind")?,
                name: field("name")?,
            },
            operations,
        })
    }

    fn apply(&self, objects: &mut [Object], file: &str) -> Result<(), Fault> {
        for object in objects.iter_mut().filter(|o| self.target.matches(o)) {
            if let Err(e) = json_patch::patch(&mut object.value, &self.operations) {
                return Err(fault(
                    file,
                    format!("patches[{}] on {}: {e}", self.index, object.describe()),
                ));
            }
        }
        Ok(())
    }
}

/// A kustomization's `namespace`, `namePrefix` and `nameSuffix` (kustomize's namespace,
/// prefix and suffix transformers, in that order, after the patches).
#[derive(Debug, Default)]
struct Names {
    namespace: String,
    prefix: String,
    suffix: String,
}

/// The kinds `namespace`, `namePrefix` and `nameSuffix` are supported for, by group: the
/// kinds of the renderer's trees whose kustomize rules this build follows.
const RENAMEABLE: [(&str, &str); 9] = [
    ("", "Namespace"),
    ("", "ServiceAccount"),
    ("", "Service"),
    ("", "ConfigMap"),
    ("apps", "Deployment"),
    ("batch", "CronJob"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("policy", "PodDisruptionBudget"),
    ("networking.k8s.io", "NetworkPolicy"),
];

/// Every kind kustomize's name-reference, namespace and prefix field specs name
/// (builtinpluginconsts/namereference.go, namespace.go; the prefix transformer's skip
/// list). They match by kind alone, so a custom resource of such a kind is refused too.
const KINDS_WITH_RULES: &[&str] = &[
    "APIService",
    "ClusterRole",
    "ClusterRoleBinding",
    "ConfigMap",
    "CronJob",
    "CustomResourceDefinition",
    "DaemonSet",
    "Deployment",
    "HTTPRoute",
    "HorizontalPodAutoscaler",
    "Ingress",
    "IngressClass",
    "Job",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Pod",
    "PodTemplate",
    "PriorityClass",
    "ReplicaSet",
    "ReplicationController",
    "Role",
    "RoleBinding",
    "Secret",
    "Service",
    "ServiceAccount",
    "StatefulSet",
    "StorageClass",
    "ValidatingWebhookConfiguration",
];

/// Whether the build follows kustomize for `id` under a rename: one of [`RENAMEABLE`], or
/// a custom resource (a group with a dot, not `*.k8s.io`) whose kind kustomize has no rule
/// for; kustomize knows no field of a custom resource.
fn rename_supported(id: &Id) -> bool {
    if RENAMEABLE.contains(&(id.group.as_str(), id.kind.as_str())) {
        return true;
    }
    let built_in = !id.group.contains('.') || id.group.ends_with(".k8s.io");
    !built_in && !KINDS_WITH_RULES.contains(&id.kind.as_str())
}

/// Of the kinds the build renames, the cluster-scoped ones (kustomize's built-in list;
/// it takes every kind it does not know, custom resources included, for namespaced).
fn is_cluster_scoped(id: &Id) -> bool {
    id.group.is_empty() && id.kind == "Namespace"
}

/// kustomize's `IsNsEquals`: an empty namespace is `default`.
fn same_namespace(a: &Id, b: &Id) -> bool {
    let namespace = |id: &Id| {
        if id.namespace.is_empty() {
            "default"
        } else {
            id.namespace.as_str()
        }
        .to_string()
    };
    namespace(a) == namespace(b)
}

fn set_metadata(object: &mut Object, key: &str, value: String) {
    if let Some(metadata) = object.value["metadata"].as_object_mut() {
        metadata.insert(key.to_string(), Value::String(value));
    }
}

impl Names {
    fn fields(&self) -> Vec<&'static str> {
        [
            ("namespace", &self.namespace),
            ("namePrefix", &self.prefix),
            ("nameSuffix", &self.suffix),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(field, _)| field)
        .collect()
    }

    fn apply(&self, objects: &mut [Object], file: &str) -> Result<(), Fault> {
        let fields = self.fields();
        let renamed_below = objects.iter().any(|o| !o.previous_names.is_empty());
        if fields.is_empty() && !renamed_below {
            return Ok(());
        }
        // The name references are rewritten over the whole build: an object added above
        // a renamed base is a referrer too.
        let why = if fields.is_empty() {
            "a base's namespace, namePrefix or nameSuffix (kustomize then rewrites name references in every object of the build)".to_string()
        } else {
            fields.join(", ")
        };
        if let Some(object) = objects
            .iter()
            .find(|o| !rename_supported(&Id::of(&o.value)))
        {
            let kinds: Vec<&str> = RENAMEABLE.iter().map(|(_, kind)| *kind).collect();
            return Err(fault(
                file,
                format!(
                    "{why}: {} is not supported by Portico's kustomize build, which follows kustomize's renames and name references for {} and custom resources only",
                    object.describe(),
                    kinds.join(", ")
                ),
            ));
        }
        if !self.namespace.is_empty() {
            for object in objects.iter_mut() {
                let id = Id::of(&object.value);
                object.previous_names.push(id.name.clone());
                if id.kind == "Namespace" {
                    // kustomize's namespace field specs rename a Namespace to it.
                    set_metadata(object, "name", self.namespace.clone());
                } else if !is_cluster_scoped(&id) {
                    set_metadata(object, "namespace", self.namespace.clone());
                }
            }
            for (i, object) in objects.iter().enumerate() {
                let id = Id::of(&object.value);
                if let Some(other) = objects[..i]
                    .iter()
                    .find(|o| Id::of(&o.value).same_object(&id))
                {
                    return Err(fault(
                        file,
                        format!(
                            "namespace \"{}\": {} and {} become the same object (kustomize: ID conflict)",
                            self.namespace,
                            other.describe(),
                            object.describe()
                        ),
                    ));
                }
            }
        }
        if !self.prefix.is_empty() || !self.suffix.is_empty() {
            for object in objects.iter_mut() {
                let id = Id::of(&object.value);
                // kustomize's prefix and suffix transformer skips Namespaces.
                if id.kind == "Namespace" {
                    continue;
                }
                object.previous_names.push(id.name.clone());
                let name = format!("{}{}{}", self.prefix, id.name, self.suffix);
                set_metadata(object, "name", name);
            }
        }
        Ok(())
    }
}

/// kustomize's name references (builtinpluginconsts/namereference.go) from the kinds
/// [`RENAMEABLE`] holds to the kinds it holds: the referent's kind, the referrer's kind,
/// the path of the name in the referrer.
#[rustfmt::skip]
const NAME_REFERENCES: &[(&str, &str, &str)] = &[
    ("Deployment", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name"),
    ("ConfigMap", "Deployment", "spec/template/spec/volumes/configMap/name"),
    ("ConfigMap", "Deployment", "spec/template/spec/containers/env/valueFrom/configMapKeyRef/name"),
    ("ConfigMap", "Deployment", "spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name"),
    ("ConfigMap", "Deployment", "spec/template/spec/containers/envFrom/configMapRef/name"),
    ("ConfigMap", "Deployment", "spec/template/spec/initContainers/envFrom/configMapRef/name"),
    ("ConfigMap", "Deployment", "spec/template/spec/volumes/projected/sources/configMap/name"),
    ("ConfigMap", "CronJob", "spec/jobTemplate/spec/template/spec/volumes/configMap/name"),
    ("ConfigMap", "CronJob", "spec/jobTemplate/spec/template/spec/volumes/projected/sources/configMap/name"),
    ("ConfigMap", "CronJob", "spec/jobTemplate/spec/template/spec/containers/env/valueFrom/configMapKeyRef/name"),
    ("ConfigMap", "CronJob", "spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name"),
    ("ConfigMap", "CronJob", "spec/jobTemplate/spec/template/spec/containers/envFrom/configMapRef/name"),
    ("ConfigMap", "CronJob", "spec/jobTemplate/spec/template/spec/initContainers/envFrom/configMapRef/name"),
    ("ServiceAccount", "Deployment", "spec/template/spec/serviceAccountName"),
    ("ServiceAccount", "CronJob", "spec/jobTemplate/spec/template/spec/serviceAccountName"),
];

/// kustomize's name-reference transformer, run once over the whole build as kustomize
/// does (`FixBackReferences`): a reference that names a previous name of an object of
/// the referent's kind in the referrer's namespace (`SubsetThatCouldBeReferencedByResource`)
/// becomes that object's name. References to objects outside the build, or in another
/// namespace, stay as written.
fn rewrite_name_references(objects: &mut [Object]) -> Result<(), Fault> {
    if objects.iter().all(|o| o.previous_names.is_empty()) {
        return Ok(());
    }
    let referents: Vec<(Id, Vec<String>)> = objects
        .iter()
        .map(|o| (Id::of(&o.value), o.previous_names.clone()))
        .collect();
    for object in objects.iter_mut() {
        let referrer = Id::of(&object.value);
        for (referent_kind, _, path) in NAME_REFERENCES
            .iter()
            .filter(|(_, kind, _)| *kind == referrer.kind)
        {
            let mut rewrite = |node: &mut Value| {
                let Some(old) = node.as_str() else {
                    return Ok(());
                };
                let candidates: Vec<&Id> = referents
                    .iter()
                    .filter(|(id, previous)| {
                        id.kind == *referent_kind
                            && previous.iter().any(|p| p == old)
                            && (is_cluster_scoped(id) || same_namespace(id, &referrer))
                    })
                    .map(|(id, _)| id)
                    .collect();
                match candidates.as_slice() {
                    [] => Ok(()),
                    [id, ..] if candidates.iter().all(|c| c.name == id.name) => {
                        *node = Value::String(id.name.clone());
                        Ok(())
                    }
                    many => {
                        let names: Vec<String> = many
                            .iter()
                            .map(|id| format!("{}/{}", id.namespace, id.name))
                            .collect();
                        Err(format!(
                            "\"{old}\" may be any of {} (kustomize then chooses by prefix and suffix, which Portico's build does not); give them distinct names",
                            names.join(", ")
                        ))
                    }
                }
            };
            let steps: Vec<&str> = path.split('/').collect();
            if let Err(message) = walk(&mut object.value, &steps, false, &mut rewrite) {
                return Err(fault(
                    &object.file,
                    format!(
                        "the name reference {path} of {}: {message}",
                        object.describe()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A place kustomize sets labels, annotations or images: a path of fields (`[]` marks a
/// list; a list met on the way is walked element by element), for the kinds it names.
struct FieldSpec {
    group: Option<&'static str>,
    version: Option<&'static str>,
    kind: Option<&'static str>,
    path: &'static str,
    /// Create missing maps along the path.
    create: bool,
}

const fn spec(
    group: Option<&'static str>,
    version: Option<&'static str>,
    kind: Option<&'static str>,
    path: &'static str,
    create: bool,
) -> FieldSpec {
    FieldSpec {
        group,
        version,
        kind,
        path,
        create,
    }
}

const APPS: Option<&str> = Some("apps");
const BATCH: Option<&str> = Some("batch");
const V1: Option<&str> = Some("v1");
const NETWORKING: Option<&str> = Some("networking.k8s.io");

/// kustomize's `metadataLabelsFieldSpecs` (builtinpluginconsts/metadatalabels.go): what
/// `includeTemplates` adds.
#[rustfmt::skip]
const TEMPLATE_LABELS: &[FieldSpec] = &[
    spec(None, None, None, "metadata/labels", true),
    spec(None, V1, Some("ReplicationController"), "spec/template/metadata/labels", true),
    spec(None, None, Some("Deployment"), "spec/template/metadata/labels", true),
    spec(None, None, Some("ReplicaSet"), "spec/template/metadata/labels", true),
    spec(None, None, Some("DaemonSet"), "spec/template/metadata/labels", true),
    spec(APPS, None, Some("StatefulSet"), "spec/template/metadata/labels", true),
    spec(APPS, None, Some("StatefulSet"), "spec/volumeClaimTemplates[]/metadata/labels", true),
    spec(BATCH, None, Some("Job"), "spec/template/metadata/labels", true),
    spec(BATCH, None, Some("CronJob"), "spec/jobTemplate/metadata/labels", true),
    spec(BATCH, None, Some("CronJob"), "spec/jobTemplate/spec/template/metadata/labels", true),
];

/// kustomize's `commonLabelFieldSpecs` (builtinpluginconsts/commonlabels.go), without the
/// template ones it appends: the selectors `includeSelectors` and `commonLabels` change.
#[rustfmt::skip]
const SELECTOR_LABELS: &[FieldSpec] = &[
    spec(None, V1, Some("Service"), "spec/selector", true),
    spec(None, V1, Some("ReplicationController"), "spec/selector", true),
    spec(None, None, Some("Deployment"), "spec/selector/matchLabels", true),
    spec(APPS, None, Some("Deployment"), POD_AFFINITY_PREFERRED, false),
    spec(APPS, None, Some("Deployment"), POD_AFFINITY_REQUIRED, false),
    spec(APPS, None, Some("Deployment"), POD_ANTI_AFFINITY_PREFERRED, false),
    spec(APPS, None, Some("Deployment"), POD_ANTI_AFFINITY_REQUIRED, false),
    spec(APPS, None, Some("Deployment"), TOPOLOGY_SPREAD, false),
    spec(None, None, Some("ReplicaSet"), "spec/selector/matchLabels", true),
    spec(None, None, Some("DaemonSet"), "spec/selector/matchLabels", true),
    spec(APPS, None, Some("StatefulSet"), "spec/selector/matchLabels", true),
    spec(APPS, None, Some("StatefulSet"), POD_AFFINITY_PREFERRED, false),
    spec(APPS, None, Some("StatefulSet"), POD_AFFINITY_REQUIRED, false),
    spec(APPS, None, Some("StatefulSet"), POD_ANTI_AFFINITY_PREFERRED, false),
    spec(APPS, None, Some("StatefulSet"), POD_ANTI_AFFINITY_REQUIRED, false),
    spec(APPS, None, Some("StatefulSet"), TOPOLOGY_SPREAD, false),
    spec(BATCH, None, Some("Job"), "spec/selector/matchLabels", false),
    spec(BATCH, None, Some("CronJob"), "spec/jobTemplate/spec/selector/matchLabels", false),
    spec(Some("policy"), None, Some("PodDisruptionBudget"), "spec/selector/matchLabels", false),
    spec(NETWORKING, None, Some("NetworkPolicy"), "spec/podSelector/matchLabels", false),
    spec(NETWORKING, None, Some("NetworkPolicy"), "spec/ingress/from/podSelector/matchLabels", false),
    spec(NETWORKING, None, Some("NetworkPolicy"), "spec/egress/to/podSelector/matchLabels", false),
];

const POD_AFFINITY_PREFERRED: &str = "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels";
const POD_AFFINITY_REQUIRED: &str = "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels";
const POD_ANTI_AFFINITY_PREFERRED: &str = "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels";
const POD_ANTI_AFFINITY_REQUIRED: &str = "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels";
const TOPOLOGY_SPREAD: &str =
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels";

/// kustomize's `commonAnnotationFieldSpecs` (builtinpluginconsts/commonannotations.go).
#[rustfmt::skip]
const COMMON_ANNOTATIONS: &[FieldSpec] = &[
    spec(None, None, None, "metadata/annotations", true),
    spec(None, V1, Some("ReplicationController"), "spec/template/metadata/annotations", true),
    spec(None, None, Some("Deployment"), "spec/template/metadata/annotations", true),
    spec(None, None, Some("ReplicaSet"), "spec/template/metadata/annotations", true),
    spec(None, None, Some("DaemonSet"), "spec/template/metadata/annotations", true),
    spec(None, None, Some("StatefulSet"), "spec/template/metadata/annotations", true),
    spec(BATCH, None, Some("Job"), "spec/template/metadata/annotations", true),
    spec(BATCH, None, Some("CronJob"), "spec/jobTemplate/metadata/annotations", true),
    spec(BATCH, None, Some("CronJob"), "spec/jobTemplate/spec/template/metadata/annotations", true),
];

/// kustomize's `imagesFieldSpecs` (builtinpluginconsts/images.go). Its `create: true` has
/// no effect (the images filter gives no kind to create), so none here.
#[rustfmt::skip]
const IMAGES: &[FieldSpec] = &[
    spec(None, None, None, "spec/containers[]/image", false),
    spec(None, None, None, "spec/initContainers[]/image", false),
    spec(None, None, None, "spec/template/spec/containers[]/image", false),
    spec(None, None, None, "spec/template/spec/initContainers[]/image", false),
];

impl FieldSpec {
    fn applies_to(&self, id: &Id) -> bool {
        self.kind.is_none_or(|k| k == id.kind)
            && self.group.is_none_or(|g| g == id.group)
            && self.version.is_none_or(|v| v == id.version)
    }
}

/// kustomize's `fieldspec.Filter`: follows `path` from `node`, walking every element of a
/// list met on the way, and calls `set` on what is at the end. A missing field ends the
/// walk quietly unless `create` (then maps are created); a scalar on the way is an error.
fn walk(
    node: &mut Value,
    path: &[&str],
    create: bool,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        return set(node);
    };
    match node {
        Value::Null => Ok(()),
        Value::Array(items) => items
            .iter_mut()
            .try_for_each(|item| walk(item, path, create, set)),
        Value::Object(map) => {
            let (name, is_list) = match first.strip_suffix("[]") {
                Some(name) => (name, true),
                None => (*first, false),
            };
            if !create || is_list {
                let Some(field) = map.get_mut(name) else {
                    return Ok(());
                };
                if is_list && field.is_null() {
                    *field = Value::Array(vec![]);
                }
                walk(field, rest, create, set)
            } else {
                let field = map.entry(name).or_insert(Value::Null);
                if field.is_null() {
                    *field = Value::Object(Map::new());
                }
                walk(field, rest, create, set)
            }
        }
        other => Err(format!(
            "expected a mapping or a list at \"{first}\", found {other}"
        )),
    }
}

/// Sets every pair of `entries` at each field spec that applies (labels, annotations).
fn set_entries(
    objects: &mut [Object],
    entries: &BTreeMap<String, String>,
    specs: &[&FieldSpec],
    file: &str,
    what: &str,
) -> Result<(), Fault> {
    for object in objects.iter_mut() {
        let id = Id::of(&object.value);
        for spec in specs.iter().filter(|s| s.applies_to(&id)) {
            let path: Vec<&str> = spec.path.split('/').collect();
            let mut set = |node: &mut Value| match node {
                Value::Object(map) => {
                    for (key, value) in entries {
                        map.insert(key.clone(), Value::String(value.clone()));
                    }
                    Ok(())
                }
                other => Err(format!("expected a mapping, found {other}")),
            };
            if let Err(message) = walk(&mut object.value, &path, spec.create, &mut set) {
                return Err(fault(
                    file,
                    format!("{what} on {}: {}: {message}", object.describe(), spec.path),
                ));
            }
        }
    }
    Ok(())
}

/// One entry of `labels` (or `commonLabels`).
struct Labels {
    what: String,
    pairs: BTreeMap<String, String>,
    include_selectors: bool,
    include_templates: bool,
}

impl Labels {
    fn parse(entry: &Value, at: &str) -> Result<Labels, String> {
        let map = mapping(
            entry,
            at,
            &["pairs", "includeSelectors", "includeTemplates"],
        )?;
        Ok(Labels {
            what: at.to_string(),
            pairs: match map.get("pairs") {
                None | Some(Value::Null) => BTreeMap::new(),
                Some(pairs) => strings(pairs, &format!("{at}.pairs"))?,
            },
            include_selectors: boolean(map, "includeSelectors", at)?,
            include_templates: boolean(map, "includeTemplates", at)?,
        })
    }

    /// The field specs, as kustomize's label transformer configuration chooses them.
    fn specs(&self) -> Vec<&'static FieldSpec> {
        if self.include_selectors {
            SELECTOR_LABELS.iter().chain(TEMPLATE_LABELS).collect()
        } else if self.include_templates {
            TEMPLATE_LABELS.iter().collect()
        } else {
            TEMPLATE_LABELS[..1].iter().collect()
        }
    }

    fn apply(&self, objects: &mut [Object], file: &str) -> Result<(), Fault> {
        if self.pairs.is_empty() {
            return Ok(());
        }
        set_entries(objects, &self.pairs, &self.specs(), file, &self.what)
    }
}

/// One entry of `images`.
struct Image {
    at: String,
    /// `^name(:tag)?(@sha256:digest)?$`, as kustomize matches (the name is a regular
    /// expression there too).
    matcher: Regex,
    new_name: Option<String>,
    new_tag: Option<String>,
    digest: Option<String>,
    tag_suffix: Option<String>,
}

impl Image {
    fn parse(entry: &Value, at: &str) -> Result<Image, String> {
        let map = mapping(
            entry,
            at,
            &["name", "newName", "newTag", "digest", "tagSuffix"],
        )?;
        let name = optional_string(map, "name", at)?
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("{at}.name is required"))?;
        let matcher = Regex::new(&format!(
            "^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$"
        ))
        .map_err(|e| format!("{at}.name \"{name}\" is not a regular expression: {e}"))?;
        let field =
            |key: &str| Ok::<_, String>(optional_string(map, key, at)?.filter(|v| !v.is_empty()));
        Ok(Image {
            at: at.to_string(),
            matcher,
            new_name: field("newName")?,
            new_tag: field("newTag")?,
            digest: field("digest")?,
            tag_suffix: field("tagSuffix")?,
        })
    }

    /// kustomize's images transformer: every `image` of a list called `containers` or
    /// `initContainers` anywhere in the object, then the pod-template field specs again
    /// (a `tagSuffix` is appended twice there, as kustomize does). CRDs are left alone.
    fn apply(&self, objects: &mut [Object], file: &str) -> Result<(), Fault> {
        for object in objects.iter_mut() {
            if object.value["kind"] == "CustomResourceDefinition" {
                continue;
            }
            let mut update = |node: &mut Value| self.update(node);
            let result = containers_anywhere(&mut object.value, &mut update).and_then(|()| {
                IMAGES.iter().try_for_each(|spec| {
                    let path: Vec<&str> = spec.path.split('/').collect();
                    walk(&mut object.value, &path, false, &mut update)
                })
            });
            if let Err(message) = result {
                return Err(fault(
                    file,
                    format!("{} on {}: {message}", self.at, object.describe()),
                ));
            }
        }
        Ok(())
    }

    /// kustomize's `imageTagUpdater`.
    fn update(&self, node: &mut Value) -> Result<(), String> {
        let value = match node {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => return Ok(()),
            other => return Err(format!("an image must be a string, found {other}")),
        };
        if !self.matcher.is_match(&value) {
            return Ok(());
        }
        let (name, tag, digest) = split_image(&value);
        let mut name = self.new_name.clone().unwrap_or(name.to_string());
        let (tag, digest) = match (&self.new_tag, &self.digest, &self.tag_suffix) {
            (Some(tag), Some(digest), _) => (tag.clone(), digest.clone()),
            (Some(tag), None, _) => (tag.clone(), String::new()),
            (None, Some(digest), _) => (String::new(), digest.clone()),
            (None, None, Some(suffix)) => (format!("{tag}{suffix}"), String::new()),
            (None, None, None) => (tag.to_string(), digest.to_string()),
        };
        if !tag.is_empty() {
            name = format!("{name}:{tag}");
        }
        if !digest.is_empty() {
            name = format!("{name}@{digest}");
        }
        *node = Value::String(name);
        Ok(())
    }
}

/// kustomize's `LegacyFilter` walk: depth first, each field's value before the field.
fn containers_anywhere(
    node: &mut Value,
    update: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                containers_anywhere(value, update)?;
                if (key == "containers" || key == "initContainers")
                    && let Value::Array(items) = value
                {
                    for item in items {
                        if let Some(image) = item.as_object_mut().and_then(|c| c.get_mut("image")) {
                            update(image)?;
                        }
                    }
                }
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter_mut()
            .try_for_each(|item| containers_anywhere(item, update)),
        _ => Ok(()),
    }
}

/// kustomize's `image.Split`: name, tag and digest of an image reference; a `:` before
/// the first `/` is a registry's port, not a tag.
fn split_image(image: &str) -> (&str, &str, &str) {
    let slash = match image.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let search = &image[slash..];
    let at = search.find('@').map(|i| i + slash);
    let colon = search.find(':').map(|i| i + slash);
    match (colon, at) {
        (None, None) => (image, "", ""),
        (Some(colon), Some(at)) if colon < at => {
            (&image[..colon], &image[colon + 1..at], &image[at + 1..])
        }
        (_, Some(at)) => (&image[..at], "", &image[at + 1..]),
        (Some(colon), None) => (&image[..colon], &image[colon + 1..], ""),
    }
}

/// Which of kustomize's YAML readers reads a text: resources go through go-yaml v3; a
/// kustomization and a patch written in YAML through sigs.k8s.io/yaml, which reads YAML 1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    Resource,
    Yaml11,
}

/// The first plain scalar of `text` that kustomize reads as another value than this build
/// does (YAML 1.2): `0755` (octal 493 there), `1_000`, a date (a timestamp there, written
/// back as `2001-12-14T00:00:00Z`), `.inf` and `.nan`, and for YAML 1.1 `on`, `off`,
/// `yes`, `no`, `y` and `n` (booleans there). Such a value is refused rather than read
/// differently: quoting it settles the question. A line-based scan of block YAML (flow
/// collections split at their punctuation, block scalars skipped): it may refuse a value
/// a full parser would find quoted, never let a plain one through.
fn ambiguous_scalar(text: &str, reader: Reader) -> Option<String> {
    let mut block_parent: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let content = line.trim_start();
        let indent = line.len() - content.len();
        if let Some(parent) = block_parent {
            if content.is_empty() || indent > parent {
                continue;
            }
            block_parent = None;
        }
        // Each `- ` opens a sequence entry further in.
        let mut rest = content;
        let mut parent = indent;
        while let Some(after) = rest.strip_prefix("- ") {
            parent = line.len() - rest.len();
            rest = after.trim_start();
        }
        let rest = without_comment(rest);
        let (key, value) = split_key(rest);
        let mut tokens: Vec<&str> = key.into_iter().collect();
        let value = value.trim();
        if value.starts_with(['|', '>']) {
            block_parent = Some(if key.is_some() {
                line.len() - rest.len()
            } else {
                parent
            });
        } else if value.starts_with(['[', '{']) {
            tokens.extend(value.split(['[', ']', '{', '}', ',']).flat_map(|entry| {
                let (key, value) = split_key(entry.trim());
                key.into_iter().chain([value])
            }));
        } else {
            tokens.push(value);
        }
        for token in tokens {
            let token = token.trim();
            if let Some(reading) = kustomize_reading(token, reader) {
                return Some(format!(
                    "line {}: the plain value `{token}` is {reading} to kustomize's YAML reader; quote it",
                    n + 1
                ));
            }
        }
    }
    None
}

/// What kustomize takes the plain scalar `token` for, when it is not what a YAML 1.2
/// reader takes it for.
fn kustomize_reading(token: &str, reader: Reader) -> Option<&'static str> {
    static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$").expect("a valid pattern")
    });
    const YAML11_BOOLEANS: [&str; 16] = [
        "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off",
        "OFF",
    ];
    if token.is_empty() || token.starts_with(['"', '\'', '&', '*', '!']) {
        return None;
    }
    let unsigned = token.trim_start_matches(['-', '+']);
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if unsigned.len() > 1 && unsigned.starts_with('0') && digits(unsigned) {
        Some("an octal or decimal number")
    } else if token.contains('_')
        && unsigned.starts_with(|c: char| c.is_ascii_digit())
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b"_.xXoO+-".contains(&b))
    {
        Some("a number (`_` separates digits there)")
    } else if matches!(unsigned.to_ascii_lowercase().as_str(), ".inf" | ".nan") {
        Some("a float that JSON cannot hold")
    } else if TIMESTAMP.is_match(token) {
        Some("a timestamp")
    } else if reader == Reader::Yaml11 && YAML11_BOOLEANS.contains(&token) {
        Some("a boolean (YAML 1.1)")
    } else {
        None
    }
}

/// `text` without a trailing ` # comment` (outside quotes).
fn without_comment(text: &str) -> &str {
    if text.starts_with('#') {
        return "";
    }
    let mut quote = None;
    let mut previous = b' ';
    for (i, b) in text.bytes().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'#' && previous == b' ' => return text[..i].trim_end(),
            None => {}
        }
        previous = b;
    }
    text
}

/// `key: value` split at the first `: ` (or a final `:`) outside quotes; no key when there
/// is none.
fn split_key(text: &str) -> (Option<&str>, &str) {
    let bytes = text.as_bytes();
    let mut quote = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(b'"') if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if i == 0 && (b == b'"' || b == b'\'') => quote = Some(b),
            None if i == 0 && (b == b'[' || b == b'{') => return (None, text),
            None if b == b':' && bytes.get(i + 1).is_none_or(|next| *next == b' ') => {
                return (Some(&text[..i]), &text[i + 1..]);
            }
            None => {}
        }
        i += 1;
    }
    (None, text)
}

/// kustomize writes its output through JSON (Go's `encoding/json`): a float with an
/// integral value comes out as an integer (`1.0` → `1`, `1e3` → `1000`).
fn integral_floats_as_integers(value: &mut Value) {
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64())
                && float.fract() == 0.0
                && float.abs() < 9.0e18
            {
                *value = Value::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

/// kustomize's default `legacy` output order (plugin/builtin/sortordertransformer).
fn legacy_order(a: &Id, b: &Id) -> Ordering {
    const FIRST: [&str; 22] = [
        "Namespace",
        "ResourceQuota",
        "StorageClass",
        "CustomResourceDefinition",
        "ServiceAccount",
        "PodSecurityPolicy",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "ConfigMap",
        "Secret",
        "Endpoints",
        "Service",
        "LimitRange",
        "PriorityClass",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "Deployment",
        "StatefulSet",
        "CronJob",
        "PodDisruptionBudget",
    ];
    const LAST: [&str; 2] = [
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ];
    let rank = |kind: &str| -> i64 {
        if let Some(i) = FIRST.iter().position(|k| *k == kind) {
            i as i64 - FIRST.len() as i64
        } else if let Some(i) = LAST.iter().position(|k| *k == kind) {
            1 + i as i64
        } else {
            0
        }
    };
    let or = |text: &str, absent: &'static str| {
        if text.is_empty() {
            absent.to_string()
        } else {
            text.to_string()
        }
    };
    let gvk = |id: &Id| {
        [
            or(&id.group, "~G"),
            or(&id.version, "~V"),
            or(&id.kind, "~K"),
        ]
        .join("_")
    };
    if !a.same_gvk(b) {
        return match rank(&a.kind).cmp(&rank(&b.kind)) {
            Ordering::Equal
                if a.kind == "Namespace"
                    && b.kind == "Namespace"
                    && (a.group.is_empty() || b.group.is_empty()) =>
            {
                gvk(b).cmp(&gvk(a))
            }
            Ordering::Equal => gvk(a).cmp(&gvk(b)),
            unequal => unequal,
        };
    }
    let id = |id: &Id| {
        let gvk = [
            or(&id.kind, "[noKind]"),
            or(&id.version, "[noVer]"),
            or(&id.group, "[noGrp]"),
        ]
        .join(".");
        [gvk, or(&id.namespace, "~X"), or(&id.name, "~N")].join("|")
    };
    id(a).cmp(&id(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::File;

    fn tree(files: &[(&str, &str)]) -> Rendered {
        Rendered {
            files: files
                .iter()
                .map(|(path, contents)| File {
                    path: path.to_string(),
                    contents: contents.to_string(),
                })
                .collect(),
        }
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/acme/web\n";

    fn overlay(kustomization: &str) -> Result<Vec<Value>, BuildError> {
        let rendered = tree(&[
            (
                "base/kustomization.yaml",
                "resources:\n  - deployment.yaml\n",
            ),
            ("base/deployment.yaml", DEPLOYMENT),
            ("overlays/x/kustomization.yaml", kustomization),
        ]);
        build(&rendered, "overlays/x")
    }

    #[test]
    fn image_references_split_as_kustomize_splits_them() {
        assert_eq!(split_image("nginx"), ("nginx", "", ""));
        assert_eq!(split_image("nginx:1.2"), ("nginx", "1.2", ""));
        assert_eq!(split_image("nginx@sha256:ab"), ("nginx", "", "sha256:ab"));
        assert_eq!(
            split_image("localhost:5000/a/b:1@sha256:ab"),
            ("localhost:5000/a/b", "1", "sha256:ab")
        );
        assert_eq!(
            split_image("localhost:5000/a/b"),
            ("localhost:5000/a/b", "", "")
        );
    }

    #[test]
    fn every_unsupported_field_is_refused_by_name() {
        for field in [
            "configMapGenerator: []",
            "secretGenerator: []",
            "patchesStrategicMerge: []",
            "replicas: []",
            "components: []",
        ] {
            let error = overlay(&format!("resources:\n  - ../../base\n{field}\n")).unwrap_err();
            let name = field.split(':').next().unwrap();
            assert_eq!(error.file, "overlays/x/kustomization.yaml");
            assert!(
                error
                    .message
                    .contains(&format!("field \"{name}\" is not supported")),
                "{error}"
            );
        }
        let error = overlay("resources:\n  - ../../base\npatches:\n  - target:\n      kind: Deployment\n      labelSelector: a=b\n    patch: '[]'\n").unwrap_err();
        assert!(
            error
                .message
                .contains("patches[0].target.labelSelector is not supported"),
            "{error}"
        );
        let error = overlay("resources:\n  - ../../base\npatches:\n  - target:\n      kind: Deployment\n    patch: |-\n      spec:\n        replicas: 2\n").unwrap_err();
        assert!(
            error
                .message
                .contains("strategic-merge patch is not supported"),
            "{error}"
        );
    }

    /// The expected values are what `kubectl kustomize` (v5.5.0) built from this tree: a
    /// prefix and a namespace in the base, a suffix above; references rewritten through
    /// every previous name, only within the referrer's namespace.
    #[test]
    fn renames_in_a_base_and_an_overlay_rewrite_references_as_kubectl_does() {
        let rendered = tree(&[
            (
                "base/kustomization.yaml",
                "resources: [r.yaml]\nnamePrefix: a-\nnamespace: one\n",
            ),
            (
                "base/r.yaml",
                "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: worker\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: zero\n",
            ),
            (
                "overlays/x/kustomization.yaml",
                "resources: [../../base, d.yaml]\nnameSuffix: -b\n",
            ),
            (
                "overlays/x/d.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: one\nspec:\n  template:\n    spec:\n      serviceAccountName: worker\n      containers:\n        - name: web\n          image: web\n          envFrom:\n            - configMapRef:\n                name: a-settings\n            - configMapRef:\n                name: settings\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\n  namespace: two\nspec:\n  template:\n    spec:\n      serviceAccountName: a-worker\n      containers:\n        - name: web\n          image: web\n          envFrom:\n            - configMapRef:\n                name: settings\n",
            ),
        ]);
        let built = build(&rendered, "overlays/x").unwrap();
        let names: Vec<String> = built
            .iter()
            .map(|o| {
                format!(
                    "{}/{}/{}",
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["namespace"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                "ServiceAccount/one/a-worker-b",
                "ConfigMap/one/a-settings-b",
                "Deployment/one/web-b",
                "Deployment/two/other-b"
            ]
        );
        let pod = |i: usize| &built[i]["spec"]["template"]["spec"];
        assert_eq!(pod(2)["serviceAccountName"], "a-worker-b");
        assert_eq!(
            pod(2)["containers"][0]["envFrom"],
            serde_json::json!([{"configMapRef": {"name": "a-settings-b"}}, {"configMapRef": {"name": "a-settings-b"}}])
        );
        // In another namespace: left alone.
        assert_eq!(pod(3)["serviceAccountName"], "a-worker");
        assert_eq!(
            pod(3)["containers"][0]["envFrom"][0]["configMapRef"]["name"],
            "settings"
        );
    }

    #[test]
    fn a_rename_over_a_kind_without_kustomizes_rules_here_is_refused() {
        const STATEFUL_SET: &str =
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n";
        let rendered = tree(&[
            ("base/kustomization.yaml", "resources: [s.yaml]\n"),
            ("base/s.yaml", STATEFUL_SET),
            (
                "overlays/x/kustomization.yaml",
                "resources: [../../base]\nnamePrefix: x-\n",
            ),
        ]);
        let error = build(&rendered, "overlays/x").unwrap_err();
        assert_eq!(error.file, "overlays/x/kustomization.yaml");
        assert!(
            error.message.starts_with(
                "namePrefix: StatefulSet/db (from base/s.yaml) is not supported by Portico's kustomize build"
            ),
            "{error}"
        );
        // Added above a renamed base, it would be a referrer kustomize rewrites.
        let rendered = tree(&[
            (
                "base/kustomization.yaml",
                "resources: [d.yaml]\nnamespace: shop\n",
            ),
            ("base/d.yaml", DEPLOYMENT),
            (
                "overlays/x/kustomization.yaml",
                "resources: [../../base, s.yaml]\n",
            ),
            ("overlays/x/s.yaml", STATEFUL_SET),
        ]);
        let error = build(&rendered, "overlays/x").unwrap_err();
        assert!(
            error
                .message
                .starts_with("a base's namespace, namePrefix or nameSuffix"),
            "{error}"
        );
        // A custom resource of a kind kustomize has rules for (by kind alone): refused.
        let rendered = tree(&[
            (
                "overlays/x/kustomization.yaml",
                "resources: [k.yaml]\nnamespace: shop\n",
            ),
            (
                "overlays/x/k.yaml",
                "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: web\n",
            ),
        ]);
        let error = build(&rendered, "overlays/x").unwrap_err();
        assert!(
            error.message.starts_with("namespace: Service/web"),
            "{error}"
        );
    }

    /// As `kubectl kustomize` v5.5.0: the HPA's target is a Rollout, but a Deployment had
    /// its name, and kustomize does not look at the reference's kind.
    #[test]
    fn a_scale_target_named_like_a_renamed_deployment_is_rewritten_whatever_its_kind() {
        let rendered = tree(&[
            (
                "overlays/x/kustomization.yaml",
                "resources: [r.yaml]\nnamePrefix: p-\n",
            ),
            (
                "overlays/x/r.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h\nspec:\n  scaleTargetRef:\n    apiVersion: argoproj.io/v1alpha1\n    kind: Rollout\n    name: web\n",
            ),
        ]);
        let built = build(&rendered, "overlays/x").unwrap();
        assert_eq!(built[1]["spec"]["scaleTargetRef"]["name"], "p-web");
    }

    #[test]
    fn a_namespace_that_makes_two_objects_one_is_an_error() {
        let rendered = tree(&[
            (
                "overlays/x/kustomization.yaml",
                "resources: [a.yaml]\nnamespace: shop\n",
            ),
            (
                "overlays/x/a.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: one\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: two\n",
            ),
        ]);
        let error = build(&rendered, "overlays/x").unwrap_err();
        assert!(error.message.contains("become the same object"), "{error}");
    }

    #[test]
    fn a_patch_that_does_not_apply_names_the_overlay_the_file_and_the_object() {
        let error = overlay("resources:\n  - ../../base\npatches:\n  - target:\n      kind: Deployment\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 2\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "overlays/x (kustomize build): overlays/x/kustomization.yaml: patches[0] on Deployment/web (from base/deployment.yaml): operation '/0' failed at path '/spec/replicas': path is invalid"
        );
    }

    #[test]
    fn missing_resources_cycles_and_duplicates_are_errors() {
        let error = overlay("resources:\n  - ../../nowhere\n").unwrap_err();
        assert!(
            error
                .message
                .contains("resources[0] \"../../nowhere\": no such file"),
            "{error}"
        );
        let error = overlay("resources:\n  - ../../base\n  - ../../base\n").unwrap_err();
        assert!(
            error
                .message
                .contains("Deployment/web (from base/deployment.yaml) is already in the build"),
            "{error}"
        );
        let error = overlay("resources:\n  - ../../base/deployment.yaml\n").unwrap_err();
        assert!(
            error.message.contains("a file outside overlays/x/"),
            "{error}"
        );
        let error = overlay("resources:\n  - ../../../up\n").unwrap_err();
        assert!(
            error.message.contains("outside the rendered tree"),
            "{error}"
        );
        let looped = tree(&[
            ("a/kustomization.yaml", "resources:\n  - ../b\n"),
            ("b/kustomization.yaml", "resources:\n  - ../a\n"),
        ]);
        let error = build(&looped, "a").unwrap_err();
        assert!(error.message.contains("cycle: a → b → a"), "{error}");
    }

    #[test]
    fn values_kustomize_would_read_differently_must_be_quoted() {
        let error = overlay(
            "resources:\n  - ../../base\nimages:\n  - name: ghcr.io/acme/web\n    newTag: 1.10\n",
        )
        .unwrap_err();
        assert!(
            error.message.contains("images[0].newTag must be a string"),
            "{error}"
        );
    }

    #[test]
    fn plain_values_kustomize_reads_otherwise_are_refused_quoted_ones_pass() {
        let refused = |text: &str, reader| ambiguous_scalar(text, reader).unwrap_or_default();
        assert_eq!(
            refused("a: 1\nb: on\n", Reader::Yaml11),
            "line 2: the plain value `on` is a boolean (YAML 1.1) to kustomize's YAML reader; quote it"
        );
        assert_eq!(ambiguous_scalar("b: on\n", Reader::Resource), None);
        assert_eq!(
            ambiguous_scalar("b: \"on\"\nc: 'yes'\n", Reader::Yaml11),
            None
        );
        assert!(refused("mode: 0755\n", Reader::Resource).contains("octal"));
        assert!(refused("n: 1_000\n", Reader::Resource).contains("`1_000`"));
        assert!(refused("day: 2001-12-14\n", Reader::Resource).contains("timestamp"));
        assert!(refused("x: .inf\n", Reader::Resource).contains("JSON"));
        assert!(refused("- op: add\n  value: [\"off\", on]\n", Reader::Yaml11).contains("`on`"));
        assert!(refused("- - y\n", Reader::Yaml11).contains("`y`"));
        assert!(refused("\"a: b\": no\n", Reader::Yaml11).contains("`no`"));
        // Block scalars, comments and quoted values are text.
        let quiet =
            "query: |\n  0755 on 2001-12-14\n  - yes\nlist:\n  - |\n    no\n  - x # on\n# y: n\n";
        assert_eq!(ambiguous_scalar(quiet, Reader::Yaml11), None);
        assert!(refused("q: |-\n  text\nnext: 0755\n", Reader::Resource).starts_with("line 3:"));
        let error = overlay("resources:\n  - ../../base\npatches:\n  - target:\n      kind: Deployment\n    patch: |-\n      - op: add\n        path: /metadata/labels\n        value: {debug: yes}\n").unwrap_err();
        assert_eq!(
            error.message,
            "patches[0]: the patch's line 3: the plain value `yes` is a boolean (YAML 1.1) to kustomize's YAML reader; quote it"
        );
    }

    #[test]
    fn integral_floats_come_out_as_integers_as_in_kustomize_output() {
        let mut value = serde_json::json!({"a": 1.0, "b": [2.5, 1e3], "c": "1.0", "d": 7});
        integral_floats_as_integers(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"a": 1, "b": [2.5, 1000], "c": "1.0", "d": 7})
        );
    }

    #[test]
    fn the_legacy_order_puts_namespaces_first_and_webhooks_last() {
        let id = |api_version: &str, kind: &str, name: &str| {
            Id::of(
                &serde_json::json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}),
            )
        };
        let mut ids = [
            id(
                "admissionregistration.k8s.io/v1",
                "ValidatingWebhookConfiguration",
                "v",
            ),
            id("argoproj.io/v1alpha1", "Rollout", "r"),
            id("apps/v1", "Deployment", "b"),
            id("apps/v1", "Deployment", "a"),
            id("v1", "Service", "s"),
            id("v1", "Namespace", "n"),
            id("autoscaling/v2", "HorizontalPodAutoscaler", "h"),
        ];
        ids.sort_by(legacy_order);
        let order: Vec<String> = ids
            .iter()
            .map(|i| format!("{}/{}", i.kind, i.name))
            .collect();
        assert_eq!(
            order,
            [
                "Namespace/n",
                "Service/s",
                "Deployment/a",
                "Deployment/b",
                "Rollout/r",
                "HorizontalPodAutoscaler/h",
                "ValidatingWebhookConfiguration/v"
            ]
        );
    }
}
