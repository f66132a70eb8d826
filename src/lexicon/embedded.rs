//! The default lexicons, compiled into the binary so it works with no configuration.

/// `(file name, TOML text)` of every default lexicon file.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("polite_reminder.toml", include_str!("../../lexicons/polite_reminder.toml")),
    ("pressure.toml", include_str!("../../lexicons/pressure.toml")),
    ("threat.toml", include_str!("../../lexicons/threat.toml")),
    ("illegal_disclosure.toml", include_str!("../../lexicons/illegal_disclosure.toml")),
    ("cues.toml", include_str!("../../lexicons/cues.toml")),
    ("context.toml", include_str!("../../lexicons/context.toml")),
];

use super::plan::{Plan, Side, StaticPlan};

// `PLANS`: `(pattern, plan)` of every pattern of the files above that parses and cannot match
// the empty string, sorted by pattern; written by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/plans.rs"));

/// The build script's plan of a (simplified) pattern, when it is one of the embedded lexicons'.
pub(super) fn plan(source: &str) -> Option<Plan> {
    PLANS.binary_search_by(|(p, _)| (*p).cmp(source)).ok().map(|i| PLANS[i].1.to_plan())
}

#[cfg(test)]
mod tests {
    use super::super::plan;
    use super::PLANS;

    #[test]
    fn build_script_plans_are_what_loading_would_plan() {
        assert!(PLANS.len() > 100, "the build script planned the embedded patterns");
        assert!(PLANS.windows(2).all(|w| w[0].0 < w[1].0), "sorted for binary search");
        for (source, built) in PLANS {
            let hir = plan::parse(source).expect("planned patterns parse");
            assert_eq!(built.to_plan(), plan::plan(hir), "{source}");
        }
    }

    #[test]
    fn every_embedded_pattern_is_in_the_table_under_its_folded_text() {
        // Loading looks patterns up after folding Traditional characters; a table keyed by the
        // raw text silently missed every pattern with one (88 of them, parsed at each start).
        let mut n = 0;
        for (file, text) in super::EMBEDDED {
            let table: toml::Table = text.parse().expect("embedded lexicon parses");
            let rules = table.get("rule").and_then(|r| r.as_array()).map(Vec::as_slice).unwrap_or_default();
            for p in rules.iter().filter_map(|r| r.get("patterns")?.as_array()).flatten() {
                let source = crate::normalize::simplify(p.as_str().expect("patterns are strings"));
                assert!(super::plan(&source).is_some(), "{file}: {source} is not in the build script's table");
                n += 1;
            }
        }
        assert!(n > 100, "{n} patterns checked");
    }

    #[test]
    fn a_pattern_missing_from_the_table_is_still_planned_and_checked() {
        use crate::lexicon::{Lexicon, Source};
        let rule = |pattern: &str| {
            format!(
                "[[rule]]\nid = \"THR-901\"\ncategory = \"threat\"\nweight = 0.5\nmessage = \"测试\"\npatterns = [{pattern:?}]\nhit = [\"甲\"]\nmiss = [\"乙\"]\n"
            )
        };
        let context = Source { path: "context.toml".into(), text: "negators = [\"不\"]\n".into() };
        let load = |pattern: &str| {
            Lexicon::from_sources(&[Source { path: "t.toml".into(), text: rule(pattern) }, context.clone()])
        };
        let ok = load("(你|您)再不还[\\p{Han}]{0,3}(上门|坐牢)").expect("valid pattern loads");
        assert_eq!(ok.rules[0].plans.len(), 1);
        assert!(ok.rules[0].plans[0].gate.is_some());
        let Err(crate::Error::Lexicon(d)) = load("(上门") else { panic!("an unclosed group is reported") };
        assert_eq!((d[0].line, d[0].message.starts_with("pattern does not compile")), (6, true), "{:?}", d[0]);
        let Err(crate::Error::Lexicon(d)) = load("(上门)?") else { panic!("an empty match is reported") };
        assert_eq!(d[0].message, "pattern matches the empty string");
    }
}
