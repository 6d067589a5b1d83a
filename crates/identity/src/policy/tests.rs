use super::*;
use serde_json::json;

fn policy(value: serde_json::Value) -> Policy {
    Policy::from_value(value).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_error(value: serde_json::Value) -> String {
    match Policy::from_value(value) {
        Ok(policy) => panic!("accepted: {policy:?}"),
        Err(e) => e.to_string(),
    }
}

fn rules_text(policy: &Policy) -> Vec<String> {
    policy
        .effective_rules()
        .iter()
        .map(|r| format!("{}: {r}", r.origin))
        .collect()
}

mod parsing {
    use super::*;

    #[test]
    fn an_absent_or_empty_block_is_the_default_policy() {
        assert_eq!(policy(json!(null)), Policy::default());
        assert_eq!(policy(json!({})), Policy::default());
        assert_eq!(
            policy(json!({"admins": null, "anonymous_read": null, "rules": null})),
            Policy::default()
        );
        assert!(Policy::default().admins().is_empty());
        assert!(!Policy::default().anonymous_read());
    }

    #[test]
    fn the_defaults_read_signed_in_register_signed_in_and_write_owners() {
        assert_eq!(
            rules_text(&Policy::default()),
            [
                "default: signed_in may catalog.entity.read, render.spec.render, scaffolder.task.read, insights.metrics.read",
                "default: signed_in may catalog.location.analyze, catalog.location.create, identity.token.create, identity.token.revoke, scaffolder.task.create, insights.event.report, insights.survey.answer",
                "default: owners may catalog.location.change, catalog.entity.refresh, catalog.entity.unregister, scaffolder.task.cancel",
                "default: admins may admin.portal.view",
            ]
        );
    }

    #[test]
    fn anonymous_read_lets_anyone_read_and_render_but_not_analyze() {
        assert_eq!(
            rules_text(&policy(json!({"anonymous_read": true}))),
            [
                "default: anyone may catalog.entity.read, render.spec.render, scaffolder.task.read, insights.metrics.read",
                "default: signed_in may catalog.location.analyze, catalog.location.create, identity.token.create, identity.token.revoke, scaffolder.task.create, insights.event.report, insights.survey.answer",
                "default: owners may catalog.location.change, catalog.entity.refresh, catalog.entity.unregister, scaffolder.task.cancel",
                "default: admins may admin.portal.view",
            ]
        );
    }

    #[test]
    fn configured_rules_come_first_and_defaults_keep_only_what_they_leave_out() {
        let p = policy(json!({
            "admins": ["Group:Platform", "user:default/Ada"],
            "rules": [
                {"actions": ["catalog.entity.unregister"], "kinds": ["Component"], "allow": ["owners", "group:sre"]},
                {"actions": "catalog.location.create", "allow": "group:default/Platform"},
                {"actions": ["catalog.entity.read", "render.spec.render"], "allow": "signed_in"},
            ]
        }));
        assert_eq!(p.admins(), ["group:default/platform", "user:default/ada"]);
        assert_eq!(
            rules_text(&p),
            [
                "permissions.rules[0]: owners, group:default/sre may catalog.entity.unregister on component",
                "permissions.rules[1]: group:default/platform may catalog.location.create",
                "permissions.rules[2]: signed_in may catalog.entity.read, render.spec.render",
                "default: signed_in may scaffolder.task.read, insights.metrics.read",
                // unregistering other kinds is still left to the default
                "default: signed_in may catalog.location.analyze, identity.token.create, identity.token.revoke, scaffolder.task.create, insights.event.report, insights.survey.answer",
                "default: owners may catalog.location.change, catalog.entity.refresh, catalog.entity.unregister, scaffolder.task.cancel",
                "default: admins may admin.portal.view",
            ]
        );
        assert_eq!(
            p.effective_rules()[0],
            EffectiveRule {
                actions: Actions::Only(vec![Action::EntityUnregister]),
                kinds: Some(vec!["component".into()]),
                allow: vec![Allow::Owners, Allow::Ref("group:default/sre".into())],
                origin: Origin::Configured { index: 0 },
            }
        );
    }

    #[test]
    fn a_rule_for_every_action_leaves_no_defaults() {
        let p = policy(json!({"rules": [{"actions": "*", "allow": "signed_in"}]}));
        assert_eq!(
            rules_text(&p),
            [
                "permissions.rules[0]: signed_in may do anything",
                // "*" never includes the admin pages: only admins may see them
                "default: admins may admin.portal.view",
            ]
        );
        assert!(!p.effective_rules()[0].actions.contains(Action::AdminView));
        assert!(
            p.effective_rules()[0]
                .actions
                .contains(Action::EntityUnregister)
        );
    }

    #[test]
    fn repeats_are_dropped() {
        let p = policy(json!({
            "admins": ["group:platform", "group:default/platform"],
            "rules": [{
                "actions": ["catalog.entity.refresh", "catalog.entity.refresh"],
                "kinds": ["api", "API"],
                "allow": ["owners", "owners", "group:sre", "group:default/SRE"],
            }]
        }));
        assert_eq!(p.admins(), ["group:default/platform"]);
        assert_eq!(
            rules_text(&p)[0],
            "permissions.rules[0]: owners, group:default/sre may catalog.entity.refresh on api"
        );
    }

    #[test]
    fn a_policy_deserializes_through_serde_with_the_same_checks() {
        #[derive(Deserialize)]
        struct Config {
            #[serde(default)]
            permissions: Policy,
        }
        let config: Config = serde_json::from_value(json!({
            "permissions": {"rules": [{"actions": "catalog.location.create", "allow": "admins"}]}
        }))
        .unwrap();
        assert_eq!(
            rules_text(&config.permissions)[0],
            "permissions.rules[0]: admins may catalog.location.create"
        );
        let config: Config = serde_json::from_value(json!({})).unwrap();
        assert_eq!(config.permissions, Policy::default());
        let error = serde_json::from_value::<Config>(json!({"permissions": {"rule": []}}))
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            error,
            "permissions.rule: is not a setting; the settings are admins, anonymous_read and rules; write rules"
        );
    }

    /// Every way the block can be wrong, with its message.
    #[test]
    fn errors_name_the_path_the_value_and_the_fix() {
        let rule = |rule: serde_json::Value| json!({"rules": [rule]});
        let unregister = "catalog.entity.unregister";
        let cases = [
            (
                json!([1]),
                "permissions: expected a mapping with admins, anonymous_read and rules, found a list",
            ),
            (
                json!({"admin": ["group:platform"]}),
                "permissions.admin: is not a setting; the settings are admins, anonymous_read and rules; write admins",
            ),
            (
                rule(json!({"actions": ["admin.portal.view"], "allow": "signed_in"})),
                "permissions.rules[0].actions[0]: admin.portal.view is for admins only and no rule can change that; list the people who may see the admin pages in permissions.admins",
            ),
            (
                json!({"owners": []}),
                "permissions.owners: is not a setting; the settings are admins, anonymous_read and rules",
            ),
            (
                json!({"anonymous_read": "yes"}),
                "permissions.anonymous_read: expected true or false, found \"yes\"",
            ),
            (
                json!({"admins": {"group": "platform"}}),
                "permissions.admins: expected a group or user ref, or a list of them, found a mapping",
            ),
            (
                json!({"admins": ["group:platform", 7]}),
                "permissions.admins[1]: expected a string, found the number 7",
            ),
            (
                json!({"admins": "platform"}),
                "permissions.admins: \"platform\" is not an entity ref; write group:platform or user:platform, with a kind",
            ),
            (
                json!({"admins": ["owners"]}),
                "permissions.admins[0]: \"owners\" is a word for rules, not a group or user; list group or user refs, e.g. group:default/platform",
            ),
            (
                json!({"admins": ["component:default/x"]}),
                "permissions.admins[0]: \"component:default/x\" is a component; only groups and users have members, e.g. group:default/sre or user:default/ada",
            ),
            (
                json!({"admins": ["group:"]}),
                "permissions.admins[0]: \"group:\" is not an entity ref; write it as group:[namespace/]name or user:[namespace/]name, e.g. group:default/sre",
            ),
            (
                json!({"admins": ["group:a/b/c"]}),
                "permissions.admins[0]: \"group:a/b/c\" is not an entity ref; write it as group:[namespace/]name or user:[namespace/]name, e.g. group:default/sre",
            ),
            (
                json!({"rules": {"actions": "*"}}),
                "permissions.rules: expected a list of rules (each with actions and allow), found a mapping",
            ),
            (
                rule(json!("owners")),
                "permissions.rules[0]: expected a mapping with actions, allow and optionally kinds, found \"owners\"",
            ),
            (
                rule(json!({"actions": unregister, "alow": "owners"})),
                "permissions.rules[0].alow: is not a rule setting; a rule has actions, kinds and allow; write allow",
            ),
            (
                rule(json!({"allow": "owners"})),
                "permissions.rules[0].actions: missing; name the actions the rule decides, e.g. [catalog.entity.unregister], or \"*\" (quoted) for every action",
            ),
            (
                rule(json!({"actions": unregister})),
                "permissions.rules[0].allow: missing; say who may, e.g. owners, signed_in or group:default/sre",
            ),
            (
                rule(json!({"actions": [], "allow": "owners"})),
                "permissions.rules[0].actions: an empty list decides nothing; name at least one action, or \"*\" (quoted) for every action",
            ),
            (
                rule(json!({"actions": 3, "allow": "owners"})),
                "permissions.rules[0].actions: expected an action name, a list of them, or \"*\", found the number 3",
            ),
            (
                rule(json!({"actions": ["*", unregister], "allow": "owners"})),
                "permissions.rules[0].actions: \"*\" already means every action; write it alone, or list the actions",
            ),
            (
                rule(
                    json!({"actions": [unregister, "catalog.entity.unregistre"], "allow": "owners"}),
                ),
                "permissions.rules[0].actions[1]: \"catalog.entity.unregistre\" is not an action; the actions are catalog.entity.read, catalog.location.analyze, catalog.location.create, catalog.location.change, catalog.entity.refresh, catalog.entity.unregister, render.spec.render, identity.token.create, identity.token.revoke, scaffolder.task.read, scaffolder.task.create, scaffolder.task.cancel, insights.metrics.read, insights.event.report, insights.survey.answer, or \"*\" (quoted) for every action; write catalog.entity.unregister",
            ),
            (
                rule(json!({"actions": "catalog.entity.delete", "allow": "owners"})),
                "permissions.rules[0].actions: \"catalog.entity.delete\" is not an action; the actions are catalog.entity.read, catalog.location.analyze, catalog.location.create, catalog.location.change, catalog.entity.refresh, catalog.entity.unregister, render.spec.render, identity.token.create, identity.token.revoke, scaffolder.task.read, scaffolder.task.create, scaffolder.task.cancel, insights.metrics.read, insights.event.report, insights.survey.answer, or \"*\" (quoted) for every action",
            ),
            (
                rule(json!({"actions": unregister, "kinds": [], "allow": "owners"})),
                "permissions.rules[0].kinds: an empty list matches no kind; remove kinds to apply the rule to every kind",
            ),
            (
                rule(json!({"actions": unregister, "kinds": ["component:x"], "allow": "owners"})),
                "permissions.rules[0].kinds[0]: \"component:x\" is not a kind; write a kind such as component, api or system",
            ),
            (
                rule(
                    json!({"actions": unregister, "kinds": {"component": true}, "allow": "owners"}),
                ),
                "permissions.rules[0].kinds: expected a kind or a list of kinds, e.g. [component, api], found a mapping",
            ),
            (
                rule(
                    json!({"actions": [unregister, "catalog.location.change"], "kinds": "component", "allow": "owners"}),
                ),
                "permissions.rules[0].kinds: catalog.location.change is not done to one entity, so kinds never apply to it; give it a rule of its own, without kinds",
            ),
            (
                rule(json!({"actions": unregister, "allow": "owner"})),
                "permissions.rules[0].allow: \"owner\" is not one of anyone, signed_in, owners, admins or an entity ref like group:default/sre; write owners",
            ),
            (
                rule(json!({"actions": unregister, "allow": ["owners", "signed-in"]})),
                "permissions.rules[0].allow[1]: \"signed-in\" is not one of anyone, signed_in, owners, admins or an entity ref like group:default/sre; write signed_in",
            ),
            (
                rule(json!({"actions": unregister, "allow": "Admins"})),
                "permissions.rules[0].allow: \"Admins\" is not one of anyone, signed_in, owners, admins or an entity ref like group:default/sre; write admins",
            ),
            (
                rule(json!({"actions": unregister, "allow": "payments"})),
                "permissions.rules[0].allow: \"payments\" is not one of anyone, signed_in, owners, admins or an entity ref like group:default/sre; write group:payments or user:payments",
            ),
            (
                rule(json!({"actions": unregister, "allow": "system:default/payments"})),
                "permissions.rules[0].allow: \"system:default/payments\" is a system; only groups and users have members, e.g. group:default/sre or user:default/ada",
            ),
            (
                rule(json!({"actions": unregister, "allow": []})),
                "permissions.rules[0].allow: an empty list allows nobody but admins; write admins to say so",
            ),
            (
                rule(json!({"actions": unregister, "allow": [true]})),
                "permissions.rules[0].allow[0]: expected a string, found true",
            ),
            (
                rule(json!({"actions": unregister, "allow": 1})),
                "permissions.rules[0].allow: expected one of anyone, signed_in, owners, admins or a group or user ref, or a list of them, found the number 1",
            ),
            (
                rule(
                    json!({"actions": ["catalog.entity.read", unregister], "allow": ["signed_in", "owners"]}),
                ),
                "permissions.rules[0].allow: owners never applies to catalog.entity.read, which is not done to an entity or a location; give catalog.entity.read a rule of its own",
            ),
            (
                json!({"rules": [
                    {"actions": "*", "allow": "signed_in"},
                    {"actions": unregister, "allow": "owners"},
                ]}),
                "permissions.rules[1]: never decides anything: rules[0] comes first and decides everything it names; move it above rules[0], or remove it",
            ),
            (
                json!({"rules": [
                    {"actions": unregister, "kinds": ["component"], "allow": "owners"},
                    {"actions": "catalog.entity.refresh", "allow": "owners"},
                    {"actions": [unregister, "catalog.entity.refresh"], "kinds": ["component"], "allow": "admins"},
                ]}),
                "permissions.rules[2]: never decides anything: rules[0] and rules[1] come first and decide everything it names; move it above rules[0] and rules[1], or remove it",
            ),
            (
                json!({"anonymous_read": true, "rules": [{"actions": "*", "allow": "signed_in"}]}),
                "permissions.anonymous_read: is true, but rules[0] decides catalog.entity.read first and does not allow anyone; add anyone to rules[0].allow, or set anonymous_read: false",
            ),
            (
                json!({"anonymous_read": true, "rules": [{"actions": "render.spec.render", "allow": "signed_in"}]}),
                "permissions.anonymous_read: is true, but rules[0] decides render.spec.render first and does not allow anyone; add anyone to rules[0].allow, or set anonymous_read: false",
            ),
        ];
        let mut failures = Vec::new();
        for (value, expected) in cases {
            let got = parse_error(value.clone());
            if got != expected {
                failures.push(format!(
                    "{value}\n  expected: {expected}\n  got:      {got}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn rules_that_only_partly_overlap_are_accepted() {
        // A narrow rule above a broad one, and a broad one above a narrow one for another
        // kind: each still decides something.
        let p = policy(json!({
            "anonymous_read": true,
            "rules": [
                {"actions": "catalog.entity.unregister", "kinds": ["system"], "allow": "admins"},
                {"actions": ["catalog.entity.unregister", "catalog.entity.refresh"], "kinds": ["system", "component"], "allow": "owners"},
                {"actions": "catalog.entity.read", "allow": ["anyone"]},
                {"actions": "*", "kinds": ["api"], "allow": "group:sre"},
            ]
        }));
        assert_eq!(p.effective_rules().len(), 8);
    }
}

mod deciding {
    use super::*;
    use crate::{Caller, Denial, Person, Scope, Target};

    fn person(name: &str, user: &str, groups: &[&str]) -> Person {
        Person {
            subject: format!("guest:{user}"),
            user_ref: Some(user.into()),
            display_name: name.into(),
            email: None,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    /// In no group that owns anything.
    fn grace() -> Person {
        person(
            "Grace Hopper",
            "user:default/grace",
            &["group:default/other"],
        )
    }
    /// Owns the notebook as a user.
    fn ada() -> Person {
        person("Ada Lovelace", "user:default/ada", &[])
    }
    /// In group:default/payments, which owns the checkout.
    fn barbara() -> Person {
        person(
            "Barbara Liskov",
            "user:default/barbara",
            &["group:default/payments"],
        )
    }
    /// In payments-api, a child group of payments: the server expands parents into
    /// `groups`, so she is in both.
    fn carol() -> Person {
        person(
            "Carol Shaw",
            "user:default/carol",
            &["group:default/payments-api", "group:default/payments"],
        )
    }
    /// An admin.
    fn dan() -> Person {
        person(
            "Dan Ingalls",
            "user:default/dan",
            &["group:default/platform"],
        )
    }

    fn token(person: Person, scopes: &[Scope]) -> Caller {
        Caller::Token {
            name: "ci".into(),
            scopes: scopes.to_vec(),
            person,
        }
    }

    fn entity(entity_ref: &str, kind: &str, owner: Option<&str>) -> Target {
        Target::Entity {
            entity_ref: entity_ref.into(),
            kind: kind.into(),
            owner: owner.map(Into::into),
        }
    }

    fn checkout() -> Target {
        entity(
            "component:default/checkout",
            "Component",
            Some("group:default/payments"),
        )
    }

    fn notebook() -> Target {
        entity(
            "component:default/notebook",
            "component",
            Some("user:default/ada"),
        )
    }

    fn location(owners: &[Option<&str>], registered_by: Option<&str>) -> Target {
        Target::Location {
            target: "https://git.example/catalog-info.yaml".into(),
            entity_owners: owners.iter().map(|o| o.map(Into::into)).collect(),
            registered_by: registered_by.map(Into::into),
        }
    }

    fn with_admins() -> Policy {
        policy(json!({"admins": ["group:platform"]}))
    }

    fn reason(policy: &Policy, caller: &Caller, action: Action, target: &Target) -> String {
        policy.decide(caller, action, target).reason
    }

    /// Allowed, sign-in required (401) or not allowed (403), as the seam would answer.
    fn outcome(verdict: &Verdict) -> char {
        let denial = verdict.denial();
        assert_eq!(verdict.allowed, denial.is_none(), "{verdict:?}");
        match denial {
            None => 'A',
            Some(Denial::SignInRequired(_)) => 'S',
            Some(Denial::NotAllowed(_)) => 'N',
        }
    }

    fn check_matrix(policy: &Policy, rows: &[(&str, Action, Target, &str)]) {
        let callers = [
            ("anonymous", Caller::Anonymous),
            ("signed in, owns nothing", Caller::Person(grace())),
            ("owner as user", Caller::Person(ada())),
            ("owner through group", Caller::Person(barbara())),
            ("owner through child group", Caller::Person(carol())),
            ("admin", Caller::Person(dan())),
            ("group owner's read token", token(barbara(), &[Scope::Read])),
            (
                "group owner's write token",
                token(barbara(), &[Scope::CatalogWrite]),
            ),
            (
                "non-owner's full token",
                token(grace(), &[Scope::Read, Scope::CatalogWrite]),
            ),
            ("admin's read token", token(dan(), &[Scope::Read])),
        ];
        let mut failures = Vec::new();
        for (row, action, target, expected) in rows {
            let expected: Vec<char> = expected.chars().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(expected.len(), callers.len(), "row {row}");
            for ((who, caller), expected) in callers.iter().zip(expected) {
                let verdict = policy.decide(caller, *action, target);
                let got = outcome(&verdict);
                if got != expected {
                    failures.push(format!(
                        "{row} / {who}: expected {expected}, got {got}: {}",
                        verdict.reason
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    /// Every action against every kind of caller. A: allowed, S: 401 sign in, N: 403.
    #[test]
    fn the_default_authorisation_matrix() {
        let owned_by_payments = location(
            &[
                Some("group:default/payments"),
                Some("group:default/payments"),
            ],
            Some("user:default/grace"),
        );
        let owned_by_ada = location(&[Some("user:default/ada")], None);
        let new = location(&[Some("group:default/payments")], None);
        #[rustfmt::skip]
        let rows = [
            //                                                                     anon grace ada barb carol dan  tok-r tok-w tok-g dan-r
            ("read",                  Action::CatalogRead,      Target::Portal,          "S    A    A    A    A    A    A    N    A    A"),
            ("analyze",               Action::LocationAnalyze,  Target::Portal,          "S    A    A    A    A    A    A    N    A    A"),
            ("register",              Action::LocationCreate,   new,                     "S    A    A    A    A    A    N    A    A    N"),
            ("change payments' loc.", Action::LocationChange,   owned_by_payments,       "S    N    N    A    A    A    N    A    N    N"),
            ("change Ada's location", Action::LocationChange,   owned_by_ada,            "S    N    A    N    N    A    N    N    N    N"),
            ("refresh checkout",      Action::EntityRefresh,    checkout(),              "S    N    N    A    A    A    N    A    N    N"),
            ("refresh notebook",      Action::EntityRefresh,    notebook(),              "S    N    A    N    N    A    N    N    N    N"),
            ("unregister checkout",   Action::EntityUnregister, checkout(),              "S    N    N    A    A    A    N    A    N    N"),
            ("unregister notebook",   Action::EntityUnregister, notebook(),              "S    N    A    N    N    A    N    N    N    N"),
            ("render",                Action::SpecRender,       Target::Portal,          "S    A    A    A    A    A    A    N    A    A"),
            ("admin pages",           Action::AdminView,        Target::Portal,          "S    N    N    N    N    A    N    N    N    A"),
            ("make an API token",     Action::TokenCreate,      Target::Portal,          "S    A    A    A    A    A    N    N    N    N"),
            ("revoke an API token",   Action::TokenRevoke,      Target::Portal,          "S    A    A    A    A    A    N    N    N    N"),
        ];
        check_matrix(&with_admins(), &rows);
    }

    #[test]
    fn only_admins_see_the_admin_pages_whatever_the_rules_say() {
        let p = policy(json!({
            "admins": ["group:platform"],
            "rules": [{"actions": "*", "allow": "anyone"}],
        }));
        #[rustfmt::skip]
        let rows = [
            ("admin pages", Action::AdminView,        Target::Portal, "S N N N N A N N N A"),
            ("unregister",  Action::EntityUnregister, checkout(),     "A A A A A A N A A N"),
        ];
        check_matrix(&p, &rows);
        assert_eq!(
            reason(
                &p,
                &Caller::Person(grace()),
                Action::AdminView,
                &Target::Portal
            ),
            "Only admins may view the admin pages (rule 2); Grace Hopper is in none of them."
        );
    }

    #[test]
    fn the_matrix_with_anonymous_reading_differs_only_for_anonymous_readers() {
        let p = policy(json!({"admins": ["group:platform"], "anonymous_read": true}));
        #[rustfmt::skip]
        let rows = [
            ("read",                Action::CatalogRead,      Target::Portal, "A A A A A A A N A A"),
            ("analyze",             Action::LocationAnalyze,  Target::Portal, "S A A A A A A N A A"),
            ("unregister checkout", Action::EntityUnregister, checkout(),     "S N N A A A N A N N"),
            ("render",              Action::SpecRender,       Target::Portal, "A A A A A A A N A A"),
        ];
        check_matrix(&p, &rows);
    }

    #[test]
    fn allowed_reasons_say_which_fact_and_which_rule() {
        let p = with_admins();
        let cases = [
            (
                Caller::Person(barbara()),
                Action::EntityUnregister,
                checkout(),
                "Barbara Liskov may unregister component:default/checkout: Barbara Liskov is in group:default/payments, which owns it (rule 3: owners may catalog.entity.unregister).",
            ),
            (
                Caller::Person(ada()),
                Action::EntityRefresh,
                notebook(),
                "Ada Lovelace may refresh component:default/notebook: Ada Lovelace is user:default/ada, which owns it (rule 3: owners may catalog.entity.refresh).",
            ),
            (
                token(barbara(), &[Scope::CatalogWrite]),
                Action::EntityUnregister,
                checkout(),
                "Barbara Liskov's token \"ci\" may unregister component:default/checkout: Barbara Liskov is in group:default/payments, which owns it (rule 3: owners may catalog.entity.unregister).",
            ),
            (
                Caller::Person(grace()),
                Action::CatalogRead,
                Target::Portal,
                "Grace Hopper may read the catalog: every signed-in person may (rule 1: signed_in may catalog.entity.read).",
            ),
            (
                Caller::Person(grace()),
                Action::LocationCreate,
                location(&[Some("group:default/payments")], None),
                "Grace Hopper may register location https://git.example/catalog-info.yaml: every signed-in person may (rule 2: signed_in may catalog.location.create).",
            ),
            (
                Caller::Person(dan()),
                Action::EntityUnregister,
                checkout(),
                "Dan Ingalls may unregister component:default/checkout: Dan Ingalls is in group:default/platform, one of the admins (admins may do anything).",
            ),
            (
                Caller::Person(person(
                    "Ada Lovelace",
                    "user:default/ada",
                    &["group:default/payments"],
                )),
                Action::LocationChange,
                location(
                    &[
                        Some("group:default/payments"),
                        Some("user:default/ada"),
                        Some("group:default/payments"),
                    ],
                    None,
                ),
                "Ada Lovelace may change location https://git.example/catalog-info.yaml: Ada Lovelace is user:default/ada and in group:default/payments, which own every entity it provides (rule 3: owners may catalog.location.change).",
            ),
            (
                Caller::Person(barbara()),
                Action::LocationChange,
                location(&[Some("group:default/payments")], None),
                "Barbara Liskov may change location https://git.example/catalog-info.yaml: Barbara Liskov is in group:default/payments, which owns every entity it provides (rule 3: owners may catalog.location.change).",
            ),
            (
                Caller::Person(grace()),
                Action::LocationChange,
                location(&[], Some("user:default/grace")),
                "Grace Hopper may change location https://git.example/catalog-info.yaml: it provides no entities, and Grace Hopper registered it (rule 3: owners may catalog.location.change).",
            ),
        ];
        for (caller, action, target, expected) in cases {
            assert_eq!(reason(&p, &caller, action, &target), expected);
        }
        let open = policy(json!({"anonymous_read": true}));
        assert_eq!(
            reason(
                &open,
                &Caller::Anonymous,
                Action::SpecRender,
                &Target::Portal
            ),
            "An anonymous visitor may render Application specs: anyone may (rule 1: anyone may render.spec.render)."
        );
    }

    #[test]
    fn refusals_say_who_may_and_what_is_missing() {
        let p = with_admins();
        let cases = [
            (
                Caller::Person(grace()),
                Action::EntityUnregister,
                checkout(),
                "Only the owners of component:default/checkout (group:default/payments) and admins may unregister it (rule 3); Grace Hopper is in none of them.",
            ),
            (
                Caller::Anonymous,
                Action::CatalogRead,
                Target::Portal,
                "Only signed-in people and admins may read the catalog (rule 1); sign in first.",
            ),
            (
                Caller::Anonymous,
                Action::EntityUnregister,
                checkout(),
                "Only the owners of component:default/checkout (group:default/payments) and admins may unregister it (rule 3); sign in first.",
            ),
            (
                token(barbara(), &[Scope::Read]),
                Action::EntityUnregister,
                checkout(),
                "Barbara Liskov's token \"ci\" may not unregister component:default/checkout: that needs the catalog.write scope, and the token has only read.",
            ),
            (
                token(barbara(), &[]),
                Action::CatalogRead,
                Target::Portal,
                "Barbara Liskov's token \"ci\" may not read the catalog: that needs the read scope, and the token has no scopes.",
            ),
            (
                Caller::Person(barbara()),
                Action::EntityUnregister,
                entity("component:default/orphan", "component", None),
                "Only the owners of component:default/orphan (it has none) and admins may unregister it (rule 3); Barbara Liskov is in none of them.",
            ),
            (
                Caller::Person(barbara()),
                Action::LocationChange,
                location(
                    &[
                        Some("group:default/payments"),
                        Some("group:default/sre"),
                        Some("user:default/ada"),
                    ],
                    None,
                ),
                "Only the owners of every entity location https://git.example/catalog-info.yaml provides (group:default/payments, group:default/sre, user:default/ada) and admins may change it (rule 3); Barbara Liskov is not user:default/ada and not in group:default/sre.",
            ),
            (
                Caller::Person(barbara()),
                Action::LocationChange,
                location(&[Some("group:default/payments"), None], None),
                "Only the owners of every entity location https://git.example/catalog-info.yaml provides (group:default/payments, 1 entity without an owner) and admins may change it (rule 3); not every entity it provides has an owner.",
            ),
            (
                Caller::Person(grace()),
                Action::LocationChange,
                location(&[], Some("user:default/ada")),
                "Only whoever registered location https://git.example/catalog-info.yaml (user:default/ada) and admins may change it (rule 3); Grace Hopper is in none of them.",
            ),
            (
                Caller::Person(grace()),
                Action::LocationChange,
                location(&[], None),
                "Only whoever registered location https://git.example/catalog-info.yaml (not recorded) and admins may change it (rule 3); Grace Hopper is in none of them.",
            ),
        ];
        for (caller, action, target, expected) in cases {
            assert_eq!(reason(&p, &caller, action, &target), expected);
        }
    }

    #[test]
    fn the_denial_is_sign_in_only_when_a_signed_in_person_could_be_allowed() {
        // No admins and only admins allowed: signing in cannot help.
        let p =
            policy(json!({"rules": [{"actions": "catalog.entity.unregister", "allow": "admins"}]}));
        let verdict = p.decide(&Caller::Anonymous, Action::EntityUnregister, &checkout());
        assert_eq!(
            verdict.denial(),
            Some(Denial::NotAllowed(
                "Only admins (none are configured) may unregister component:default/checkout (rule 1); an anonymous visitor is none of them.".into()
            ))
        );
        // With admins, an admin could: sign in.
        let p = policy(json!({
            "admins": "user:dan",
            "rules": [{"actions": "catalog.entity.unregister", "allow": "admins"}],
        }));
        let verdict = p.decide(&Caller::Anonymous, Action::EntityUnregister, &checkout());
        assert_eq!(
            verdict.denial(),
            Some(Denial::SignInRequired(
                "Only admins may unregister component:default/checkout (rule 1); sign in first."
                    .into()
            ))
        );
        assert_eq!(verdict.denial().unwrap().status(), 401);
        let verdict = p.decide(
            &Caller::Person(barbara()),
            Action::EntityUnregister,
            &checkout(),
        );
        assert_eq!(verdict.denial().unwrap().status(), 403);
        // A user admin, named by user ref.
        let verdict = p.decide(
            &Caller::Person(person("Dan", "user:default/dan", &[])),
            Action::EntityUnregister,
            &checkout(),
        );
        assert_eq!(
            verdict.reason,
            "Dan may unregister component:default/checkout: Dan is user:default/dan, one of the admins (admins may do anything)."
        );
    }

    #[test]
    fn verdicts_point_at_the_effective_rule_that_decided() {
        let p = with_admins();
        let rule_of =
            |caller: &Caller, action, target: &Target| p.decide(caller, action, target).rule;
        assert_eq!(
            rule_of(&Caller::Anonymous, Action::CatalogRead, &Target::Portal),
            Some(0)
        );
        assert_eq!(
            rule_of(
                &Caller::Person(grace()),
                Action::LocationAnalyze,
                &Target::Portal
            ),
            Some(1)
        );
        assert_eq!(
            rule_of(&Caller::Person(grace()), Action::EntityRefresh, &checkout()),
            Some(2)
        );
        assert_eq!(
            rule_of(
                &Caller::Person(barbara()),
                Action::EntityRefresh,
                &checkout()
            ),
            Some(2)
        );
        // Admins and missing scopes are decided before any rule.
        assert_eq!(
            rule_of(&Caller::Person(dan()), Action::EntityRefresh, &checkout()),
            None
        );
        assert_eq!(
            rule_of(
                &token(dan(), &[Scope::Read]),
                Action::EntityRefresh,
                &checkout()
            ),
            None
        );
    }

    #[test]
    fn kinds_limit_a_rule_to_entities_of_those_kinds() {
        let p = policy(json!({
            "admins": ["group:platform"],
            "rules": [{"actions": ["catalog.entity.unregister"], "kinds": ["system"], "allow": "admins"}],
        }));
        let system = entity(
            "system:default/payments",
            "System",
            Some("group:default/payments"),
        );
        let barbara = Caller::Person(barbara());
        let verdict = p.decide(&barbara, Action::EntityUnregister, &system);
        assert_eq!(
            (verdict.allowed, verdict.rule, verdict.reason.as_str()),
            (
                false,
                Some(0),
                "Only admins may unregister system:default/payments (rule 1); Barbara Liskov is in none of them."
            )
        );
        // Other kinds, and other actions on systems, fall through to the defaults.
        let verdict = p.decide(&barbara, Action::EntityUnregister, &checkout());
        assert_eq!((verdict.allowed, verdict.rule), (true, Some(3)));
        let verdict = p.decide(&barbara, Action::EntityRefresh, &system);
        assert_eq!((verdict.allowed, verdict.rule), (true, Some(3)));
        assert!(
            p.decide(&Caller::Person(dan()), Action::EntityUnregister, &system)
                .allowed
        );
    }

    #[test]
    fn explicit_refs_allow_their_members_and_users_whatever_the_case() {
        let p = policy(json!({"rules": [{
            "actions": ["catalog.entity.unregister"],
            "allow": ["group:SRE", "User:Default/Grace"],
        }]}));
        let sre = Caller::Person(person("Sam", "user:default/sam", &["Group:Default/SRE"]));
        assert_eq!(
            reason(&p, &sre, Action::EntityUnregister, &checkout()),
            "Sam may unregister component:default/checkout: Sam is in group:default/sre (rule 1: group:default/sre, user:default/grace may catalog.entity.unregister)."
        );
        assert_eq!(
            reason(
                &p,
                &Caller::Person(grace()),
                Action::EntityUnregister,
                &checkout()
            ),
            "Grace Hopper may unregister component:default/checkout: Grace Hopper is user:default/grace (rule 1: group:default/sre, user:default/grace may catalog.entity.unregister)."
        );
        // The owners are not named, and the rule replaced the default: they may not.
        assert_eq!(
            reason(
                &p,
                &Caller::Person(barbara()),
                Action::EntityUnregister,
                &checkout()
            ),
            "Only members of group:default/sre and user:default/grace may unregister component:default/checkout (rule 1); Barbara Liskov is in none of them."
        );
        // ...but may still refresh, by the default.
        assert!(
            p.decide(
                &Caller::Person(barbara()),
                Action::EntityRefresh,
                &checkout()
            )
            .allowed
        );
    }

    #[test]
    fn the_first_rule_that_matches_decides() {
        let first_admins = policy(json!({"rules": [
            {"actions": "catalog.entity.unregister", "kinds": "component", "allow": "admins"},
            {"actions": "catalog.entity.unregister", "kinds": ["component", "api"], "allow": "signed_in"},
        ]}));
        let grace = Caller::Person(grace());
        let api = entity(
            "api:default/payments",
            "API",
            Some("group:default/payments"),
        );
        let verdict = first_admins.decide(&grace, Action::EntityUnregister, &checkout());
        assert_eq!((verdict.allowed, verdict.rule), (false, Some(0)));
        let verdict = first_admins.decide(&grace, Action::EntityUnregister, &api);
        assert_eq!((verdict.allowed, verdict.rule), (true, Some(1)));

        let first_signed_in = policy(json!({"rules": [
            {"actions": "catalog.entity.unregister", "kinds": ["component", "api"], "allow": "signed_in"},
            {"actions": "catalog.entity.unregister", "kinds": "system", "allow": "admins"},
        ]}));
        let verdict = first_signed_in.decide(&grace, Action::EntityUnregister, &checkout());
        assert_eq!((verdict.allowed, verdict.rule), (true, Some(0)));

        // A configured rule comes before the default it replaces.
        let p = policy(
            json!({"rules": [{"actions": "catalog.location.create", "allow": "group:platform"}]}),
        );
        let verdict = p.decide(&grace, Action::LocationCreate, &location(&[], None));
        assert_eq!((verdict.allowed, verdict.rule), (false, Some(0)));
        assert!(
            p.decide(&grace, Action::LocationAnalyze, &Target::Portal)
                .allowed
        );
    }

    #[test]
    fn a_location_belongs_to_the_owners_of_all_its_entities_or_else_its_registrant() {
        let p = Policy::default();
        let may = |caller: Person, target: &Target| {
            p.decide(&Caller::Person(caller), Action::LocationChange, target)
                .allowed
        };
        let two_teams = location(
            &[Some("group:default/payments"), Some("group:default/other")],
            None,
        );
        assert!(!may(barbara(), &two_teams));
        assert!(!may(grace(), &two_teams));
        assert!(may(
            person(
                "Both",
                "user:default/both",
                &["group:default/payments", "group:default/other"]
            ),
            &two_teams
        ));
        // One entity without an owner: nobody but admins.
        let unowned = location(
            &[Some("group:default/payments"), None],
            Some("user:default/barbara"),
        );
        assert!(!may(barbara(), &unowned));
        // No entities: who registered it, by user ref (any case) or by subject.
        let empty = location(&[], Some("User:Default/Barbara"));
        assert!(may(barbara(), &empty));
        assert!(!may(carol(), &empty));
        let by_subject = location(&[], Some("guest:user:default/carol"));
        assert!(may(carol(), &by_subject));
        assert!(!may(barbara(), &by_subject));
        // The registrant of a location that provides entities is not thereby an owner.
        let registered = location(
            &[Some("group:default/payments")],
            Some("user:default/grace"),
        );
        assert!(!may(grace(), &registered));
        // Owners never match a target that is not an entity or a location.
        let star = policy(json!({"rules": [{"actions": "*", "allow": "owners"}]}));
        let verdict = star.decide(
            &Caller::Person(barbara()),
            Action::CatalogRead,
            &Target::Portal,
        );
        assert_eq!(
            verdict.reason,
            "Only the owners of what it is done to (there is none here) may read the catalog (rule 1); Barbara Liskov is in none of them."
        );
    }

    #[test]
    fn owners_compare_case_insensitively() {
        let shouting = Caller::Person(person("B", "User:Default/B", &["GROUP:DEFAULT/PAYMENTS"]));
        let target = entity(
            "component:default/x",
            "component",
            Some("Group:Default/Payments"),
        );
        let verdict = Policy::default().decide(&shouting, Action::EntityUnregister, &target);
        assert!(verdict.allowed, "{}", verdict.reason);
    }

    #[test]
    fn a_person_without_a_display_name_is_named_by_user_ref_or_subject() {
        let mut nameless = grace();
        nameless.display_name = " ".into();
        assert_eq!(nameless.name(), "user:default/grace");
        nameless.user_ref = None;
        assert_eq!(nameless.name(), "guest:user:default/grace");
        assert_eq!(
            reason(
                &Policy::default(),
                &Caller::Person(nameless),
                Action::CatalogRead,
                &Target::Portal
            ),
            "guest:user:default/grace may read the catalog: every signed-in person may (rule 1: signed_in may catalog.entity.read)."
        );
    }

    #[test]
    fn verdicts_and_rules_travel_as_json() {
        let p = with_admins();
        let verdict = p.decide(
            &Caller::Person(grace()),
            Action::EntityUnregister,
            &checkout(),
        );
        let back: Verdict =
            serde_json::from_value(serde_json::to_value(&verdict).unwrap()).unwrap();
        assert_eq!(back, verdict);
        let rules = p.effective_rules().to_vec();
        let back: Vec<EffectiveRule> =
            serde_json::from_value(serde_json::to_value(&rules).unwrap()).unwrap();
        assert_eq!(back, rules);
    }
}
