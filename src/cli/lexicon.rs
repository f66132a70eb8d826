//! `cuishou lexicon check|list`.

use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate a lexicon directory (default: the embedded lexicons) and list every problem.
    Check {
        /// Directory of *.toml lexicon files.
        dir: Option<PathBuf>,
        /// Check the directory together with the embedded defaults (catches id clashes).
        #[arg(long)]
        with_defaults: bool,
    },
    /// Run every rule's `hit` and `miss` examples and list the ones that fail.
    Test {
        #[command(flatten)]
        lexicons: super::LexiconArgs,
    },
    /// List every rule: id, category, weight, message, clause.
    List {
        #[command(flatten)]
        lexicons: super::LexiconArgs,
    },
    /// Print every phrase and variant once, normalized, one per line: the strings the matcher
    /// searches for (benches/python_baseline.sh feeds them to other tools).
    Phrases {
        #[command(flatten)]
        lexicons: super::LexiconArgs,
    },
    /// Learn the clause model from labeled JSONL (the train corpus) and print the model file
    /// (lexicons/clause_model.tsv is `cuishou lexicon train-model corpus/train.jsonl`).
    TrainModel {
        /// Labeled JSONL files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Score above which a clause is cited for a category the rules found.
        #[arg(long, default_value_t = cuishou::TrainOptions::default().cite)]
        cite: f32,
        /// Score above which a clause adds its category.
        #[arg(long, default_value_t = cuishou::TrainOptions::default().label)]
        label: f32,
        /// Passes over the clauses.
        #[arg(long, default_value_t = cuishou::TrainOptions::default().epochs)]
        epochs: usize,
        /// Learning rate.
        #[arg(long, default_value_t = cuishou::TrainOptions::default().rate)]
        rate: f64,
        /// Leave out n-grams seen in fewer clauses than this.
        #[arg(long, default_value_t = cuishou::TrainOptions::default().min_count)]
        min_count: usize,
    },
}

pub fn run(cmd: Command) -> anyhow::Result<u8> {
    match cmd {
        Command::Check { dir, with_defaults } => {
            let (diags, count) = match &dir {
                Some(d) => (cuishou::lexicon::check_dir(d, with_defaults), None),
                None => match cuishou::Lexicon::from_sources(&cuishou::lexicon::embedded_sources()) {
                    Ok(l) => (l.compile_problems(), Some(l.rules.len())),
                    Err(cuishou::Error::Lexicon(d)) => (d, None),
                    Err(e) => return Err(e.into()),
                },
            };
            for d in &diags {
                println!("{d}");
            }
            let name = dir.as_ref().map_or("embedded lexicons".to_string(), |d| d.display().to_string());
            if diags.is_empty() {
                match count {
                    Some(n) => eprintln!("{name}: ok ({n} rules)"),
                    None => eprintln!("{name}: ok"),
                }
                Ok(0)
            } else {
                eprintln!("{name}: {} problem(s)", diags.len());
                Ok(super::EXIT_ERROR)
            }
        }
        Command::Test { lexicons } => {
            let c = match lexicons.build() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("cuishou: {e}");
                    return Ok(super::EXIT_ERROR);
                }
            };
            let failures = cuishou::lexicon::example_failures(&c);
            for f in &failures {
                println!("{f}");
            }
            eprintln!("{} rules, {} failing example(s)", c.rules().len(), failures.len());
            Ok(if failures.is_empty() { 0 } else { super::EXIT_FAIL_ON })
        }
        Command::List { lexicons } => {
            let c = lexicons.build()?;
            for r in c.rules() {
                let kind = match r.kind {
                    cuishou::lexicon::RuleKind::Category(c) => c.as_str().to_string(),
                    cuishou::lexicon::RuleKind::Cue(c) => format!("cue:{c:?}"),
                };
                println!("{}\t{}\t{}\t{}\t{}", r.id, kind, r.weight, r.message, r.clause);
            }
            Ok(0)
        }
        Command::TrainModel { files, cite, label, epochs, rate, min_count } => {
            let corpus = match super::eval::load(&files) {
                Ok(c) => c,
                Err(problems) => {
                    for p in &problems {
                        eprintln!("{p}");
                    }
                    return Ok(super::EXIT_ERROR);
                }
            };
            let opts = cuishou::TrainOptions { cite, label, epochs, rate, min_count };
            let model = match cuishou::ClauseModel::train(&corpus, opts) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("cuishou: {e}");
                    return Ok(super::EXIT_ERROR);
                }
            };
            let tsv = model.to_tsv();
            // Never write a file that loading would refuse.
            if let Err(e) = cuishou::ClauseModel::parse("<trained>", &tsv) {
                eprintln!("cuishou: the trained model does not load: {e}");
                return Ok(super::EXIT_ERROR);
            }
            std::io::stdout().lock().write_all(tsv.as_bytes())?;
            Ok(0)
        }
        Command::Phrases { lexicons } => {
            let c = lexicons.build()?;
            let phrases = c.phrases();
            let mut out = std::io::stdout().lock();
            for p in phrases {
                writeln!(out, "{p}")?;
            }
            Ok(0)
        }
    }
}
