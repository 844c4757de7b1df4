//! Whole-template snapshots: the review surface of every change to synthesis. CI runs with
//! `INSTA_UPDATE=no`, so a missing or changed snapshot fails; review a change with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test` and `git diff snapshots/`).

mod common;

#[test]
fn every_case_matches_its_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(common::workspace().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for case in common::cases() {
            insta::assert_snapshot!(case.name, common::template_text(&case));
        }
    });
}

#[test]
fn synthesis_is_deterministic() {
    for case in common::cases() {
        assert_eq!(
            common::template_text(&case),
            common::template_text(&case),
            "{}",
            case.name
        );
    }
}
