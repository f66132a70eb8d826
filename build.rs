//! Plans the embedded lexicons' regex patterns at compile time (see `src/lexicon/plan.rs`), so
//! that building a classifier over the default lexicons parses none of them. The table is keyed
//! by pattern text: a pattern it lacks is parsed and planned when its lexicon loads, so a file
//! this script cannot read, or a pattern it rejects, only loses the shortcut, and the loader
//! still reports every problem with its file and line.

#[path = "src/lexicon/plan.rs"]
#[allow(dead_code)]
mod plan;
#[path = "src/t2s.rs"]
mod t2s;

use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=src/lexicon/plan.rs");
    println!("cargo:rerun-if-changed=src/t2s.rs");
    println!("cargo:rerun-if-changed=lexicons");
    let mut files: Vec<_> = std::fs::read_dir("lexicons")
        .expect("lexicons/ directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    // Loading looks a pattern up after folding its Traditional characters (as messages are
    // folded), so the table is keyed, and planned, by the folded text.
    let t2s: std::collections::HashMap<char, char> = t2s::t2s_pairs().collect();
    let mut patterns = Vec::new();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let Ok(table) =
            std::fs::read_to_string(f).map_err(|_| ()).and_then(|t| t.parse::<toml::Table>().map_err(|_| ()))
        else {
            continue;
        };
        let rules = table.get("rule").and_then(|r| r.as_array()).map(Vec::as_slice).unwrap_or_default();
        for rule in rules {
            let list = rule.get("patterns").and_then(|p| p.as_array()).map(Vec::as_slice).unwrap_or_default();
            patterns.extend(list.iter().filter_map(|p| p.as_str()).map(|p| simplify(&t2s, p)));
        }
    }
    patterns.sort();
    patterns.dedup();

    let mut out = String::from("pub(super) static PLANS: &[(&str, StaticPlan)] = &[\n");
    for p in patterns {
        let Ok(hir) = plan::parse(&p) else { continue };
        if hir.properties().minimum_len() == Some(0) {
            continue;
        }
        let plan = plan::plan(hir);
        let side = match plan.side {
            plan::Side::Prefix => "Prefix",
            plan::Side::Suffix => "Suffix",
            plan::Side::Inner => "Inner",
            plan::Side::Lead => "Lead",
        };
        let gate = match &plan.gate {
            Some(g) => format!("Some({})", literals(g)),
            None => "None".to_string(),
        };
        let also: Vec<String> = plan.also.iter().map(literals).collect();
        writeln!(
            out,
            "    ({p:?}, StaticPlan {{ max_len: {}, min_len: {}, anchored: {}, ascii: {}, side: Side::{side}, gate: {gate}, also: &[{}], starts: {:?} }}),",
            plan.max_len,
            plan.min_len,
            plan.anchored,
            plan.ascii,
            also.join(", "),
            plan.starts
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("plans.rs");
    std::fs::write(dest, out).expect("write plans.rs");
}

/// `&[b"..", ..]`
fn literals(set: &plan::Literals) -> String {
    let mut s = String::from("&[");
    for (i, l) in set.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str("b\"");
        for b in l.iter() {
            write!(s, "\\x{b:02x}").unwrap();
        }
        s.push('"');
    }
    s.push(']');
    s
}

/// `normalize::simplify`: each character through the Traditional→Simplified table.
fn simplify(t2s: &std::collections::HashMap<char, char>, s: &str) -> String {
    s.chars().map(|c| t2s.get(&c).copied().unwrap_or(c)).collect()
}
