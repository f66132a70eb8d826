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
