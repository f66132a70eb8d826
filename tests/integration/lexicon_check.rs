//! Broken lexicons are reported with file, line and problem — all of them at once.

use super::cuishou;

#[test]
fn lexicon_check_lists_every_problem_with_file_and_line_and_exits_2() {
    let out = cuishou(&["lexicon", "check", "tests/data/bad_lexicons"], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let expect = [
        ("broken.toml:", "invalid lexicon TOML"),
        ("rules.toml:12:", "THR-901: duplicate rule id (first at line 2)"),
        ("rules.toml:13:", "unknown category \"threats\""),
        ("rules.toml:25:", "empty phrase"),
        ("rules.toml:26:", "pattern does not compile"),
        ("rules.toml:35:", "unknown `yields_to` \"disclosure\""),
    ];
    for (place, problem) in expect {
        assert!(
            text.lines().any(|l| l.contains(place) && l.contains(problem)),
            "missing {place} {problem} in:\n{text}"
        );
    }
}

#[test]
fn lexicon_check_on_the_embedded_defaults_passes() {
    let out = cuishou(&["lexicon", "check"], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn classify_with_a_broken_lexicon_dir_fails_with_the_location() {
    let out = cuishou(&["classify", "--lexicons", "tests/data/bad_lexicons", "你好"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("rules.toml:12:"), "{err}");
}

#[test]
fn lexicon_check_compiles_patterns_that_loading_only_parses() {
    let out = cuishou(&["lexicon", "check", "tests/data/oversized_pattern", "--with-defaults"], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("rules.toml:4:1: THR-950: pattern 1 does not compile"), "{text}");
}
