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
                "default: signed_in may catalog.entity.read, render.spec.render",
                "default: signed_in may catalog.location.analyze, catalog.location.create",
                "default: owners may catalog.location.change, catalog.entity.refresh, catalog.entity.unregister",
            ]
        );
    }

    #[test]
    fn anonymous_read_lets_anyone_read_and_render_but_not_analyze() {
        assert_eq!(
            rules_text(&policy(json!({"anonymous_read": true}))),
            [
                "default: anyone may catalog.entity.read, render.spec.render",
                "default: signed_in may catalog.location.analyze, catalog.location.create",
                "default: owners may catalog.location.change, catalog.entity.refresh, catalog.entity.unregister",
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
                // unregistering other kinds is still left to the default
                "default: signed_in may catalog.location.analyze",
                "default: owners may catalog.location.change, catalog.entity.refresh, catalog.entity.unregister",
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
            ["permissions.rules[0]: signed_in may do anything"]
        );
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
                "permissions.rules[0].actions: missing; name the actions the rule decides, e.g. [catalog.entity.unregister], or * for every action",
            ),
            (
                rule(json!({"actions": unregister})),
                "permissions.rules[0].allow: missing; say who may, e.g. owners, signed_in or group:default/sre",
            ),
            (
                rule(json!({"actions": [], "allow": "owners"})),
                "permissions.rules[0].actions: an empty list decides nothing; name at least one action, or * for every action",
            ),
            (
                rule(json!({"actions": 3, "allow": "owners"})),
                "permissions.rules[0].actions: expected an action name, a list of them, or *, found the number 3",
            ),
            (
                rule(json!({"actions": ["*", unregister], "allow": "owners"})),
                "permissions.rules[0].actions: * already means every action; write * alone, or list the actions",
            ),
            (
                rule(
                    json!({"actions": [unregister, "catalog.entity.unregistre"], "allow": "owners"}),
                ),
                "permissions.rules[0].actions[1]: \"catalog.entity.unregistre\" is not an action; the actions are catalog.entity.read, catalog.location.analyze, catalog.location.create, catalog.location.change, catalog.entity.refresh, catalog.entity.unregister, render.spec.render, or * for every action; write catalog.entity.unregister",
            ),
            (
                rule(json!({"actions": "catalog.entity.delete", "allow": "owners"})),
                "permissions.rules[0].actions: \"catalog.entity.delete\" is not an action; the actions are catalog.entity.read, catalog.location.analyze, catalog.location.create, catalog.location.change, catalog.entity.refresh, catalog.entity.unregister, render.spec.render, or * for every action",
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
        assert_eq!(p.effective_rules().len(), 7);
    }
}
