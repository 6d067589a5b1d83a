use super::*;

fn group(name: &str) -> String {
    format!("group:default/{name}")
}

fn link(child: &str, parent: &str) -> Link {
    Link {
        child: group(child),
        parent: group(parent),
    }
}

fn hierarchy(groups: &[&str], links: &[(&str, &str)]) -> Hierarchy {
    Hierarchy::new(
        groups.iter().map(|g| group(g)),
        links.iter().map(|(c, p)| link(c, p)),
    )
}

fn names<'a>(refs: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    refs.into_iter()
        .map(|r| r.trim_start_matches("group:default/"))
        .collect()
}

#[test]
fn a_tree_reads_depth_first_with_siblings_by_name() {
    let h = hierarchy(
        &["org", "payments", "checkout", "ledger", "platform", "sre"],
        &[
            ("payments", "org"),
            ("platform", "org"),
            ("ledger", "payments"),
            ("checkout", "payments"),
            ("sre", "platform"),
            // The same link stated from both sides (spec.parent and spec.children).
            ("sre", "platform"),
        ],
    );
    assert!(h.warnings().is_empty(), "{:?}", h.warnings());
    let tree: Vec<(usize, &str)> = h
        .depth_first()
        .into_iter()
        .map(|(d, g)| (d, g.trim_start_matches("group:default/")))
        .collect();
    assert_eq!(
        tree,
        [
            (0, "org"),
            (1, "payments"),
            (2, "checkout"),
            (2, "ledger"),
            (1, "platform"),
            (2, "sre"),
        ]
    );
    assert_eq!(names(h.roots()), ["org"]);
    assert_eq!(names(h.ancestors(&group("ledger"))), ["payments", "org"]);
    assert_eq!(
        names(h.subtree(&group("payments"))),
        ["payments", "checkout", "ledger"]
    );
    assert_eq!(names(h.children(&group("org"))), ["payments", "platform"]);
    assert_eq!(h.parent(&group("org")), None);
    assert!(h.subtree(&group("nobody")).is_empty());
}

#[test]
fn loops_are_cut_at_their_first_group_with_a_warning() {
    let h = hierarchy(
        &["a", "b", "c", "d", "self"],
        &[
            ("a", "b"),
            ("b", "c"),
            ("c", "a"),
            ("d", "c"),
            ("self", "self"),
        ],
    );
    assert_eq!(
        h.warnings(),
        [
            Warning::Loop {
                groups: vec![group("a"), group("b"), group("c")],
                cut: group("a"),
            },
            Warning::Loop {
                groups: vec![group("self")],
                cut: group("self"),
            },
        ]
    );
    assert_eq!(names(h.roots()), ["a", "self"]);
    assert_eq!(names(h.subtree(&group("a"))), ["a", "c", "b", "d"]);
    assert_eq!(h.depth_first().len(), 5, "every group once");
    assert_eq!(h.warnings_about(&group("b")).count(), 1);
    assert_eq!(h.warnings_about(&group("d")).count(), 0);
    let said = h.warnings()[0].to_string();
    assert!(
        said.contains("group:default/a is shown as a top-level team"),
        "{said}"
    );
}

#[test]
fn a_missing_parent_or_several_parents_are_shown_and_said() {
    let h = hierarchy(
        &["team", "twice", "x", "y"],
        &[("team", "gone"), ("twice", "y"), ("twice", "x")],
    );
    assert_eq!(
        h.warnings(),
        [
            Warning::MissingParent {
                group: group("team"),
                parent: group("gone"),
            },
            Warning::SeveralParents {
                group: group("twice"),
                parents: vec![group("x"), group("y")],
                kept: group("x"),
            },
        ]
    );
    assert_eq!(names(h.roots()), ["team", "x", "y"]);
    assert_eq!(h.parent(&group("twice")), Some(group("x").as_str()));
    let said = h.warnings()[1].to_string();
    assert!(said.contains("shown under group:default/x"), "{said}");
}

#[test]
fn links_of_unknown_children_are_ignored() {
    let h = hierarchy(&["org"], &[("ghost", "org")]);
    assert!(h.warnings().is_empty());
    assert_eq!(h.children(&group("org")).count(), 0);
}

#[test]
fn a_long_chain_or_a_long_loop_neither_recurses_nor_hangs() {
    let n = 100_000;
    let names: Vec<String> = (0..n).map(|i| format!("g{i:06}")).collect();
    let mut links: Vec<Link> = (1..n)
        .map(|i| Link {
            child: names[i].clone(),
            parent: names[i - 1].clone(),
        })
        .collect();
    let chain = Hierarchy::new(names.iter().cloned(), links.clone());
    assert_eq!(chain.subtree(&names[0]).len(), n);
    assert_eq!(chain.ancestors(&names[n - 1]).len(), n - 1);
    assert_eq!(chain.depth_first().last().unwrap().0, n - 1);
    links.push(Link {
        child: names[0].clone(),
        parent: names[n - 1].clone(),
    });
    let looped = Hierarchy::new(names.iter().cloned(), links);
    assert_eq!(looped.warnings().len(), 1);
    assert_eq!(looped.roots().collect::<Vec<_>>(), [names[0].as_str()]);
}

#[test]
fn members_and_counts_roll_up_through_child_teams_each_once() {
    let h = hierarchy(
        &["org", "payments", "checkout"],
        &[("payments", "org"), ("checkout", "payments")],
    );
    let members: BTreeMap<String, BTreeSet<String>> = [
        (group("org"), vec!["user:default/ceo"]),
        (group("payments"), vec!["user:default/ada"]),
        (
            group("checkout"),
            vec!["user:default/ada", "user:default/grace"],
        ),
    ]
    .into_iter()
    .map(|(g, m)| (g, m.into_iter().map(String::from).collect()))
    .collect();
    let owned: BTreeMap<String, BTreeMap<String, u64>> = [
        (group("payments"), vec![("component", 2), ("api", 1)]),
        (group("checkout"), vec![("component", 3)]),
    ]
    .into_iter()
    .map(|(g, c)| (g, c.into_iter().map(|(k, n)| (k.to_string(), n)).collect()))
    .collect();

    let payments = group("payments");
    assert_eq!(
        h.union_over(&members, &payments, Scope::Team).len(),
        1,
        "Ada alone"
    );
    assert_eq!(
        h.union_over(&members, &payments, Scope::WithChildTeams)
            .into_iter()
            .collect::<Vec<_>>(),
        ["user:default/ada", "user:default/grace"],
        "Ada once"
    );
    assert_eq!(
        h.sum_over(&owned, &payments, Scope::WithChildTeams),
        BTreeMap::from([("api".to_string(), 1), ("component".to_string(), 5)])
    );
    assert_eq!(
        h.sum_over(&owned, &group("org"), Scope::Team),
        BTreeMap::new()
    );
    assert_eq!(
        h.sum_over(&owned, &group("org"), Scope::WithChildTeams)["component"],
        5
    );
    assert!(h.scope("group:default/nobody", Scope::Team).is_empty());
}

mod directory_rows {
    use super::*;
    use crate::directory::{self, Facts, Group, Search};

    fn info(name: &str, title: &str, spec_type: &str) -> Group {
        Group {
            entity_ref: group(name),
            name: name.into(),
            title: (!title.is_empty()).then(|| title.into()),
            spec_type: Some(spec_type.into()),
            description: Some(format!("The {name} people")),
        }
    }

    #[test]
    fn rows_come_in_tree_order_with_paths_and_rolled_up_counts() {
        let h = hierarchy(
            &["org", "payments", "ledger", "empty"],
            &[
                ("payments", "org"),
                ("ledger", "payments"),
                ("empty", "org"),
            ],
        );
        let groups = [
            info("org", "Acme", "organization"),
            info("payments", "Payments", "department"),
            info("ledger", "", "team"),
            info("empty", "Nobody yet", "team"),
        ];
        let mut facts = Facts::default();
        for (team, person) in [("payments", "ann"), ("ledger", "ann"), ("ledger", "bob")] {
            facts
                .members
                .entry(group(team))
                .or_default()
                .insert(format!("user:default/{person}"));
        }
        facts
            .owned
            .entry(group("ledger"))
            .or_default()
            .insert("component".into(), 3);
        facts
            .owned
            .entry(group("payments"))
            .or_default()
            .insert("component".into(), 1);
        let rows = directory::rows(&h, &groups, &facts);
        let order: Vec<_> = rows
            .iter()
            .map(|r| (r.depth, r.group.name.as_str()))
            .collect();
        assert_eq!(
            order,
            [(0, "org"), (1, "empty"), (1, "payments"), (2, "ledger")]
        );
        let ledger = &rows[3];
        assert_eq!(ledger.path, ["Acme", "Payments"]);
        assert_eq!(ledger.group.display_name(), "ledger", "no title: the name");
        let payments = &rows[2];
        assert_eq!(
            (payments.members, payments.members_with_child_teams),
            (1, 2)
        );
        assert_eq!(payments.owned["component"], 1);
        assert_eq!(payments.owned_with_child_teams["component"], 4);
        assert_eq!(rows[0].child_teams, 2);
        assert_eq!(
            rows[1].members_with_child_teams, 0,
            "a team of nobody counts 0"
        );
        assert!(rows[1].owned_with_child_teams.is_empty());
    }

    #[test]
    fn search_matches_every_word_and_the_type_in_any_case() {
        let payments = info("payments", "Payments", "Department");
        let search = |text: &str, spec_type: &str| Search {
            text: text.into(),
            spec_type: spec_type.into(),
        };
        assert!(search("", "").is_empty());
        assert!(search("PAY people", "").matches(&payments));
        assert!(!search("pay ledger", "").matches(&payments));
        assert!(search("", "department").matches(&payments));
        assert!(!search("", "team").matches(&payments));
        assert_eq!(
            directory::types(&[payments, info("x", "", " team "), info("y", "", "team")]),
            ["department", "team"]
        );
    }
}

mod team_links {
    use crate::dependencies::{Edge, UNOWNED, links};
    use std::collections::BTreeSet;

    fn edge(
        source: &str,
        relation: &str,
        target: &str,
        kind: Option<&str>,
        owner: Option<&str>,
    ) -> Edge {
        Edge {
            source: source.into(),
            relation: relation.into(),
            target: target.into(),
            target_kind: kind.map(Into::into),
            target_owner: owner.map(Into::into),
        }
    }

    #[test]
    fn links_to_other_teams_apis_and_dangling_refs_are_sorted_out() {
        let ours: BTreeSet<String> = ["group:default/ledger", "group:default/payments"]
            .map(String::from)
            .into();
        let edges = [
            edge(
                "c:checkout",
                "dependsOn",
                "c:auth",
                Some("component"),
                Some("group:default/identity"),
            ),
            edge(
                "c:checkout",
                "consumesApi",
                "a:login",
                Some("api"),
                Some("group:default/identity"),
            ),
            edge(
                "c:checkout",
                "dependsOn",
                "c:ledger",
                Some("component"),
                Some("group:default/ledger"),
            ),
            edge("c:checkout", "dependsOn", "c:gone", None, None),
            edge(
                "c:checkout",
                "dependsOn",
                "c:orphan",
                Some("component"),
                None,
            ),
            edge(
                "c:ledger",
                "dependencyOf",
                "c:shop",
                Some("component"),
                Some("group:default/web"),
            ),
            edge(
                "a:ledger",
                "apiConsumedBy",
                "c:shop",
                Some("component"),
                Some("group:default/web"),
            ),
            edge(
                "c:ledger",
                "providesApi",
                "a:ledger",
                Some("api"),
                Some("group:default/ledger"),
            ),
        ];
        let links = links(&edges, &ours);
        let owners = |l: &[crate::dependencies::TeamLink]| {
            l.iter().map(|t| t.owner.clone()).collect::<Vec<_>>()
        };
        assert_eq!(
            owners(&links.depends_on),
            ["group:default/identity", UNOWNED],
            "the most linked first"
        );
        assert_eq!(links.depends_on[0].count, 2, "two entities link the teams");
        assert_eq!(links.depends_on[0].through.len(), 2);
        assert_eq!(owners(&links.depended_on_by), ["group:default/web"]);
        assert_eq!(links.provides, ["a:ledger"]);
        assert_eq!(links.consumes, ["a:login"]);
        assert_eq!((links.provides_total, links.consumes_total), (1, 1));
        assert_eq!(
            links.dangling,
            [("c:checkout".to_string(), "c:gone".to_string())]
        );
        assert_eq!(links.dangling_total, 1);
    }
}

#[test]
fn long_lists_of_links_keep_their_counts_and_first_examples() {
    use crate::dependencies::{EXAMPLES, Edge, links};
    let ours: std::collections::BTreeSet<String> = ["us".to_string()].into();
    let edges: Vec<Edge> = (0..EXAMPLES + 50)
        .flat_map(|i| {
            [
                Edge {
                    source: format!("c:{i:04}"),
                    relation: "consumesApi".into(),
                    target: format!("a:{i:04}"),
                    target_kind: Some("api".into()),
                    target_owner: Some("them".into()),
                },
                Edge {
                    source: format!("c:{i:04}"),
                    relation: "dependsOn".into(),
                    target: format!("c:gone-{i:04}"),
                    target_kind: None,
                    target_owner: None,
                },
            ]
        })
        .collect();
    let links = links(&edges, &ours);
    assert_eq!(
        (links.consumes.len(), links.consumes_total),
        (EXAMPLES, EXAMPLES + 50)
    );
    assert_eq!(links.consumes[0], "a:0000", "the first by ref");
    assert_eq!(
        (links.dangling.len(), links.dangling_total),
        (EXAMPLES, EXAMPLES + 50)
    );
    assert_eq!(links.depends_on[0].count, EXAMPLES + 50);
    assert_eq!(links.depends_on[0].through.len(), 5);
}

#[test]
fn only_the_most_linked_teams_keep_examples() {
    use crate::dependencies::{Edge, LINKED_WITH_EXAMPLES, links};
    let ours: std::collections::BTreeSet<String> = ["us".to_string()].into();
    // Team i is linked i + 1 times.
    let edges: Vec<Edge> = (0..LINKED_WITH_EXAMPLES + 10)
        .flat_map(|team| {
            (0..=team).map(move |n| Edge {
                source: format!("c:{n}"),
                relation: "dependsOn".into(),
                target: format!("c:{team}-{n}"),
                target_kind: Some("component".into()),
                target_owner: Some(format!("team-{team:02}")),
            })
        })
        .collect();
    let links = links(&edges, &ours);
    let last = LINKED_WITH_EXAMPLES + 9;
    assert_eq!(links.depends_on[0].owner, format!("team-{last:02}"));
    assert_eq!(links.depends_on[0].count, last + 1);
    assert!(
        links.depends_on[..LINKED_WITH_EXAMPLES]
            .iter()
            .all(|l| !l.through.is_empty())
    );
    assert!(
        links.depends_on[LINKED_WITH_EXAMPLES..]
            .iter()
            .all(|l| l.through.is_empty())
    );
    // What a page keeps: the most linked, and how many there were.
    let mut kept = links.clone();
    kept.keep_most_linked(3);
    assert_eq!(kept.depends_on.len(), 3);
    assert_eq!(kept.depends_on_total, LINKED_WITH_EXAMPLES + 10);
    assert_eq!(kept.depends_on[0], links.depends_on[0]);
}
