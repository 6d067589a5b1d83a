use super::*;
use crate::{Limits, parse_documents};

fn langs(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(n, b)| (n.to_string(), *b)).collect()
}

fn facts() -> RepositoryFacts {
    RepositoryFacts {
        host: "github.com".into(),
        owner: "acme".into(),
        name: "web".into(),
        default_branch: "main".into(),
        description: Some("The shop's web front end".into()),
        languages: langs(&[("Go", 9000), ("Shell", 100)]),
        codeowners: None,
        admin_teams: Ok(Vec::new()),
    }
}

fn field<'a>(proposal: &'a ProposedEntity, name: &str) -> &'a ProposedField {
    proposal
        .fields
        .iter()
        .find(|f| f.field == name)
        .unwrap_or_else(|| panic!("no field {name} in {:?}", proposal.fields))
}

#[test]
fn repository_names_become_valid_entity_names() {
    assert_eq!(entity_name("web").as_deref(), Some("web"));
    assert_eq!(entity_name("Web_App.v2").as_deref(), Some("Web_App.v2"));
    assert_eq!(entity_name(".github").as_deref(), Some("github"));
    assert_eq!(entity_name("my repo!").as_deref(), Some("my-repo"));
    assert_eq!(entity_name("café-api").as_deref(), Some("caf--api"));
    assert_eq!(entity_name("--x--").as_deref(), Some("x"));
    assert_eq!(entity_name("..."), None);
    assert_eq!(entity_name(""), None);
    let long = format!("{}-{}", "a".repeat(62), "b".repeat(10));
    let name = entity_name(&long).unwrap();
    assert_eq!(
        name,
        "a".repeat(62),
        "cut to 63, then the dangling - trimmed"
    );
    for name in ["web", ".github", "my repo!", "café-api", &long] {
        assert!(is_valid_object_name(&entity_name(name).unwrap()), "{name}");
    }
}

#[test]
fn codeowners_are_read_as_github_reads_them() {
    let file = Codeowners::parse(
        "# Owners\n\n*       @acme/platform @alice  # everything\n/docs/  @acme/writers\n\\#odd  @bob\n",
    );
    assert_eq!(
        file.rules,
        vec![
            CodeownersRule {
                pattern: "*".into(),
                owners: vec!["@acme/platform".into(), "@alice".into()],
                line: 3,
            },
            CodeownersRule {
                pattern: "/docs/".into(),
                owners: vec!["@acme/writers".into()],
                line: 4,
            },
            CodeownersRule {
                pattern: "#odd".into(),
                owners: vec!["@bob".into()],
                line: 5,
            },
        ]
    );
    assert_eq!(file.whole_repository().unwrap().line, 3);
}

#[test]
fn the_last_rule_for_the_whole_repository_wins() {
    let file = Codeowners::parse("* @acme/old\n/src/ @acme/src\n** @acme/new\n*.md @acme/docs\n");
    assert_eq!(file.whole_repository().unwrap().owners, ["@acme/new"]);
    for pattern in ["*", "**", "/**", "/"] {
        let file = Codeowners::parse(&format!("{pattern} @x\n"));
        assert!(file.whole_repository().is_some(), "{pattern}");
    }
    for pattern in ["/*", "*.rs", "/src/", "docs/*"] {
        let file = Codeowners::parse(&format!("{pattern} @x\n"));
        assert!(file.whole_repository().is_none(), "{pattern}");
    }
}

#[test]
fn owners_map_to_groups_and_users() {
    assert_eq!(
        owner_ref("@acme/web-team").as_deref(),
        Some("group:default/web-team")
    );
    assert_eq!(owner_ref("@alice").as_deref(), Some("user:default/alice"));
    assert_eq!(owner_ref("alice@example.com"), None);
    assert_eq!(owner_ref("@acme/"), None);
    assert_eq!(owner_ref("@/team"), None);
}

#[test]
fn owner_from_codeowners_prefers_a_team() {
    let file = Codeowners::parse("* @alice @acme/web-team\n");
    let owner = suggest_owner(Some(("CODEOWNERS", &file)), &Ok(vec!["admins".into()]));
    assert_eq!(owner.state, FieldState::AnalysisSuggestedValue);
    assert_eq!(owner.value.as_deref(), Some("group:default/web-team"));
    assert!(
        owner.description.contains("CODEOWNERS line 1")
            && owner.description.contains("@alice @acme/web-team"),
        "{}",
        owner.description
    );
    let people = Codeowners::parse("* @alice\n");
    let owner = suggest_owner(Some((".github/CODEOWNERS", &people)), &Ok(Vec::new()));
    assert_eq!(owner.value.as_deref(), Some("user:default/alice"));
}

#[test]
fn owner_falls_back_to_the_admin_team_then_to_the_person() {
    // A later `*` with no owners un-owns the repository, as on GitHub.
    let unowned = Codeowners::parse("* @acme/old\n*\n/src/ @acme/src\n");
    let owner = suggest_owner(Some(("CODEOWNERS", &unowned)), &Ok(vec!["ops".into()]));
    assert_eq!(owner.value.as_deref(), Some("group:default/ops"));
    assert!(owner.description.contains("names no owner"), "{owner:?}");
    assert!(owner.description.contains("admin permission"), "{owner:?}");

    let emails = Codeowners::parse("* dev@example.com\n");
    let owner = suggest_owner(Some(("CODEOWNERS", &emails)), &Ok(Vec::new()));
    assert_eq!(owner.state, FieldState::NeedsUserInput);
    assert_eq!(owner.value, None);
    assert!(
        owner.description.contains("not GitHub teams or people")
            && owner.description.contains("no team has admin permission")
            && owner.description.contains("group:default/TEAM"),
        "{}",
        owner.description
    );

    let owner = suggest_owner(None, &Err("the token cannot list its teams".into()));
    assert_eq!(owner.state, FieldState::NeedsUserInput);
    assert!(
        owner.description.contains("no CODEOWNERS file")
            && owner.description.contains("cannot list its teams"),
        "{}",
        owner.description
    );
}

#[test]
fn languages_suggest_a_type() {
    let kind = |pairs: &[(&str, u64)]| suggest_type(&langs(pairs)).value.unwrap();
    // A browser front end: web code with markup or styles.
    assert_eq!(
        kind(&[("TypeScript", 850), ("CSS", 100), ("HTML", 50)]),
        "website"
    );
    assert_eq!(kind(&[("HTML", 700), ("CSS", 300)]), "website");
    assert_eq!(
        kind(&[("Vue", 500), ("JavaScript", 400), ("Dockerfile", 5000)]),
        "website",
        "tooling is not counted"
    );
    // TypeScript alone may well be a Node server: the default.
    assert_eq!(kind(&[("TypeScript", 980), ("JavaScript", 20)]), "service");
    // A server language with templates.
    assert_eq!(kind(&[("Python", 600), ("HTML", 400)]), "service");
    assert_eq!(
        kind(&[("Go", 300), ("TypeScript", 600), ("CSS", 100)]),
        "service"
    );
    assert_eq!(kind(&[]), "service");
    assert_eq!(kind(&[("Shell", 10)]), "service");
    let described = suggest_type(&langs(&[("TypeScript", 850), ("CSS", 100), ("HTML", 50)]));
    assert_eq!(
        described.description,
        "GitHub counts 85% TypeScript, 10% CSS, 5% HTML: web code with markup or styles \
         and little else, so website is proposed; use service if it is a server."
    );
}

#[test]
fn the_proposal_is_a_component_in_backstages_shape() {
    let mut facts = facts();
    facts.codeowners = Some((".github/CODEOWNERS".into(), "* @acme/web-team\n".into()));
    let proposal = propose_component(&facts);
    assert_eq!(
        proposal.entity,
        json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {
                "name": "web",
                "description": "The shop's web front end",
                "annotations": {
                    "github.com/project-slug": "acme/web",
                    "backstage.io/source-location": "url:https://github.com/acme/web/tree/main/",
                },
            },
            "spec": {
                "type": "service",
                "lifecycle": "experimental",
                "owner": "group:default/web-team",
            },
        })
    );
    let json = serde_json::to_value(&proposal.fields).unwrap();
    assert_eq!(
        json[4],
        json!({
            "field": "spec.owner",
            "state": "analysisSuggestedValue",
            "value": "group:default/web-team",
            "description": "From .github/CODEOWNERS line 1: `* @acme/web-team` owns the whole repository.",
        })
    );
    let names: Vec<&str> = proposal.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        names,
        [
            "metadata.name",
            "metadata.description",
            "spec.type",
            "spec.lifecycle",
            "spec.owner"
        ]
    );
    // Complete, so it is a valid entity as it stands.
    let text = proposal.to_yaml();
    let parsed = parse_documents("proposal", &text, &Limits::default());
    assert!(parsed.errors.is_empty(), "{:?}\n{text}", parsed.errors);
    assert_eq!(
        parsed.entities[0].entity.spec["owner"],
        "group:default/web-team"
    );
}

#[test]
fn missing_values_are_left_out_of_the_entity_and_blank_in_the_yaml() {
    let mut facts = facts();
    facts.name = "...".into();
    facts.description = None;
    let proposal = propose_component(&facts);
    assert!(proposal.entity["metadata"].get("name").is_none());
    assert!(proposal.entity["metadata"].get("description").is_none());
    assert!(proposal.entity["spec"].get("owner").is_none());
    assert_eq!(
        field(&proposal, "metadata.description").state,
        FieldState::AnalysisSuggestedNoValue
    );
    assert_eq!(
        serde_json::to_value(field(&proposal, "spec.owner")).unwrap()["state"],
        "needsUserInput"
    );
    let text = proposal.to_yaml();
    assert!(
        text.contains("  # NEEDS YOUR INPUT: Write the owning team as group:default/TEAM")
            && text.contains("  owner: \"\"\n")
            && text.contains("  name: \"\"\n"),
        "{text}"
    );
    // Previewing it points at the blank fields.
    let parsed = parse_documents("proposal", &text, &Limits::default());
    let paths: Vec<Option<&str>> = parsed.errors.iter().map(|e| e.path.as_deref()).collect();
    assert!(
        paths.contains(&Some("metadata.name")),
        "{:?}",
        parsed.errors
    );
    assert!(paths.contains(&Some("spec.owner")), "{:?}", parsed.errors);
}

#[test]
fn the_yaml_explains_each_field_above_it() {
    let proposal = propose_component(&facts());
    let text = proposal.to_yaml();
    let lines: Vec<&str> = text.lines().collect();
    let at = |line: &str| lines.iter().position(|l| *l == line).unwrap();
    assert_eq!(lines[at("  name: web") - 1], "  # The repository's name.");
    assert!(lines[at("  type: service") - 1].starts_with("  # GitHub counts 100% Go"));
    assert!(lines[at("  lifecycle: experimental") - 1].starts_with("  # New to the catalog"));
    let hostile = ProposedField {
        field: "spec.type".into(),
        state: FieldState::AnalysisSuggestedValue,
        value: Some("service".into()),
        description: "two\nlines\u{7} and a bell".into(),
    };
    let mut odd = proposal.clone();
    odd.fields[2] = hostile;
    assert!(
        odd.to_yaml().contains("  # two lines? and a bell\n"),
        "{}",
        odd.to_yaml()
    );
}
