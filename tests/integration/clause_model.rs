//! The clause model: what it may add to the rules' answer, and that the embedded file is what
//! training on the train corpus gives.

use cuishou::{Category, Classifier, ClauseModel, TrainOptions, Verdict};

/// A hand-made model that knows one threatening word, so these tests do not depend on what
/// training learned.
fn tiny() -> ClauseModel {
    ClauseModel::parse("tiny.tsv", "cite\t0\nlabel\t3\nbias\t-2\t-2\t-2\t-2\n横幅\t0\t0\t6\t0\n").unwrap()
}

fn with_tiny() -> Classifier {
    Classifier::builder().clause_model(Some(tiny())).build().unwrap()
}

fn rules_only() -> Classifier {
    Classifier::builder().clause_model(None).build().unwrap()
}

const DUNNING: &str = "你的贷款已经逾期五十天,今天必须结清。";

#[test]
fn a_clause_no_rule_holds_raises_the_verdict_of_a_collection_message() {
    let text = format!("{DUNNING}过几天我们会去村里挂横幅");
    assert_eq!(rules_only().classify(&text).verdict, Verdict::Pressure);
    let r = with_tiny().classify(&text);
    assert_eq!(r.verdict, Verdict::Threat);
    let c = r.citations.iter().find(|c| c.rule == "MODEL-THR").expect("a clause-model citation");
    assert_eq!(c.phrase, "过几天我们会去村里挂横幅");
    assert_eq!(&text[c.byte_start..c.byte_end], c.phrase);
    assert_eq!(text.chars().skip(c.start).take(c.end - c.start).collect::<String>(), c.phrase);
    assert!(!c.clause.is_empty() && !c.message.is_empty());
}

#[test]
fn the_model_alone_never_makes_a_message_collection() {
    for text in ["过几天我们会去村里挂横幅", "村委会通知:国庆期间村口挂横幅,请勿遮挡"] {
        let r = with_tiny().classify(text);
        assert_eq!(r.verdict, Verdict::None, "{text}");
        assert!(r.citations.is_empty(), "{text}");
    }
}

#[test]
fn the_model_alone_reads_a_message_about_a_debt_unless_it_is_a_report() {
    // No rule holds anything here; the debt word makes the message one the model may read.
    let text = "过几天我们会去村里挂横幅,欠的钱你自己看着办";
    assert_eq!(rules_only().classify(text).verdict, Verdict::None);
    let r = with_tiny().classify(text);
    assert_eq!(r.verdict, Verdict::Threat);
    let c = r.citations.iter().find(|c| c.rule == "MODEL-THR").expect("a clause-model citation");
    assert_eq!(c.phrase, "过几天我们会去村里挂横幅");
    // Without the debt word, or quoted in a report, it stays unread.
    assert_eq!(with_tiny().classify("过几天我们会去村里挂横幅,你记得来看").verdict, Verdict::None);
    let report = format!("收到这样的短信:{text},这是真的吗");
    assert_eq!(with_tiny().classify(&report).verdict, Verdict::None);
    // In a transcript only the collector's turns are read, as when the rules found something.
    let debtor = format!("催收员: 喂,在吗\n客户: {text}");
    assert_eq!(with_tiny().classify(&debtor).verdict, Verdict::None);
}

#[test]
fn the_model_alone_reads_a_veiled_menace_that_names_no_debt() {
    // A threat need not name the debt: a word of menace, said to someone, is enough to read it.
    for text in ["过几天我们会去村里挂横幅,你自己小心点", "过几天我们会去村里挂横幅,到时候出什么意外就不好说了,你懂的"]
    {
        assert_eq!(rules_only().classify(text).verdict, Verdict::None, "{text}");
        let r = with_tiny().classify(text);
        assert_eq!(r.verdict, Verdict::Threat, "{text}");
        assert!(r.citations.iter().any(|c| c.rule == "MODEL-THR" && c.phrase == "过几天我们会去村里挂横幅"));
    }
    // The same words said to nobody, or with no menace, stay unread.
    for text in ["过几天村里挂横幅,小心别挡路", "过几天我们会去村里挂横幅,你记得来看"] {
        assert_eq!(with_tiny().classify(text).verdict, Verdict::None, "{text}");
    }
}

#[test]
fn a_debtor_clause_in_a_transcript_is_not_read_by_the_model() {
    let collector = format!("催收员: {DUNNING}\n客户: 我知道了\n催收员: 过几天我们会去村里挂横幅");
    let debtor = format!("催收员: {DUNNING}\n客户: 过几天我们会去村里挂横幅");
    assert_eq!(with_tiny().classify(&collector).verdict, Verdict::Threat);
    let r = with_tiny().classify(&debtor);
    assert_eq!(r.verdict, Verdict::Pressure);
    assert!(r.citations.iter().all(|c| !c.rule.starts_with("MODEL-")));
    // The speaker label is not part of what the collector is cited as saying.
    let r = with_tiny().classify(&collector);
    let c = r.citations.iter().find(|c| c.rule == "MODEL-THR").unwrap();
    assert_eq!(c.phrase, "过几天我们会去村里挂横幅");
    assert_eq!(c.speaker.as_deref(), Some("催收员"));
}

#[test]
fn a_clause_below_the_label_score_is_cited_only_for_a_category_already_found() {
    // Scores 1 for threat: above `cite`, below `label`.
    let weak = ClauseModel::parse("weak.tsv", "cite\t0\nlabel\t3\nbias\t-2\t-2\t-2\t-2\n横幅\t0\t0\t3\t0\n").unwrap();
    let c = Classifier::builder().clause_model(Some(weak)).build().unwrap();
    let pressure_only = format!("{DUNNING}过几天我们会去村里挂横幅");
    assert_eq!(c.classify(&pressure_only).verdict, Verdict::Pressure);
    let threat = format!("{DUNNING}再不还就弄死你。过几天我们会去村里挂横幅");
    let r = c.classify(&threat);
    assert_eq!(r.verdict, Verdict::Threat);
    assert!(r.citations.iter().any(|c| c.rule == "MODEL-THR" && c.phrase == "过几天我们会去村里挂横幅"));
}

#[test]
fn a_broken_model_file_is_an_error_with_its_place() {
    let dir = std::env::temp_dir().join(format!("cuishou-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.tsv");
    std::fs::write(&f, "cite\t0\nlabel\t3\nbias\t0\t0\n").unwrap();
    let e = Classifier::builder().clause_model_file(&f).build().err().expect("an error");
    assert!(e.to_string().contains("bad.tsv:3:1"), "{e}");
    let out = crate::command().args(["classify", "--clause-model"]).arg(&f).arg("你好").output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.tsv:3:1"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_embedded_model_is_what_training_on_the_train_corpus_gives() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/train.jsonl")).unwrap();
    let corpus: Vec<cuishou::eval::Labeled> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let model = ClauseModel::train(&corpus, TrainOptions::default()).unwrap();
    assert!(
        model.to_tsv() == ClauseModel::embedded_text(),
        "lexicons/clause_model.tsv is stale: run `cuishou lexicon train-model corpus/train.jsonl > lexicons/clause_model.tsv`"
    );
}

#[test]
fn the_embedded_model_separates_the_categories_it_learned() {
    let m = ClauseModel::embedded();
    let t = Category::Threat.index();
    // Sentences written for this test; their words occur in train, the sentences do not.
    for menace in ["过几天我们会去村里拉横幅", "晚上叫几个兄弟去你家门口坐坐"] {
        assert!(m.score(menace)[t] > m.cite(), "{menace}");
    }
    for plain in ["您本月账单已出请查收", "明天下午三点开家长会"] {
        assert!(m.score(plain)[t] < m.cite(), "{plain}");
    }
}

#[test]
fn a_label_standing_inline_does_not_hide_the_collectors_clause_before_it() {
    let inline = format!("催收员: {DUNNING}过几天我们会去村里挂横幅 客户: 好");
    let r = with_tiny().classify(&inline);
    assert_eq!(r.verdict, Verdict::Threat);
    let c = r.citations.iter().find(|c| c.rule == "MODEL-THR").expect("a clause-model citation");
    assert_eq!(c.phrase, "过几天我们会去村里挂横幅");
    assert_eq!(&inline[c.byte_start..c.byte_end], c.phrase);
}

#[test]
fn disguised_text_is_scored_after_normalizing_and_cited_as_written() {
    let text = format!("{DUNNING}過幾天我們會去村裡掛 橫 幅");
    let r = with_tiny().classify(&text);
    let c = r.citations.iter().find(|c| c.rule == "MODEL-THR").expect("a clause-model citation");
    assert_eq!(c.phrase, "過幾天我們會去村裡掛 橫 幅");
    assert_eq!(text.chars().skip(c.start).take(c.end - c.start).collect::<String>(), c.phrase);
}

#[test]
fn thresholds_out_of_order_and_bad_training_options_are_refused() {
    let e = ClauseModel::parse("m.tsv", "cite\t2\nlabel\t1\nbias\t0\t0\t0\t0\n").unwrap_err();
    assert!(e.to_string().contains("m.tsv:2:1"), "{e}");
    for bad in [["--rate", "NaN"], ["--label", "-1"], ["--cite", "inf"]] {
        let out = crate::command().args(["lexicon", "train-model", "corpus/train.jsonl"]).args(bad).output().unwrap();
        assert_ne!(out.status.code(), Some(0), "{bad:?}");
        assert!(out.stdout.is_empty(), "{bad:?}: nothing is written");
    }
}

#[test]
fn the_model_version_is_part_of_the_classifiers_version() {
    let with = with_tiny();
    let without = rules_only();
    assert_eq!(with.lexicon_version(), format!("{}+{}", without.lexicon_version(), tiny().version()));
    assert_ne!(Classifier::new().lexicon_version(), with.lexicon_version());
}

#[test]
fn the_rest_of_a_clause_a_rule_cites_in_part_is_cited_without_repeating_the_rule() {
    let text = format!("{DUNNING}今晚不还就弄死你还要去村里挂横幅");
    let r = with_tiny().classify(&text);
    assert_eq!(r.verdict, Verdict::Threat);
    let by_rules: Vec<_> = r.citations.iter().filter(|c| !c.rule.starts_with("MODEL-")).collect();
    assert!(by_rules.iter().any(|c| c.category == Category::Threat), "{:?}", r.citations);
    let model: Vec<_> = r.citations.iter().filter(|c| c.rule == "MODEL-THR").collect();
    assert_eq!(model.len(), 1, "{:?}", r.citations);
    let m = model[0];
    assert!(m.phrase.ends_with("挂横幅"), "{}", m.phrase);
    assert_eq!(&text[m.byte_start..m.byte_end], m.phrase);
    for c in by_rules.iter().filter(|c| c.category == Category::Threat) {
        assert!(c.byte_end <= m.byte_start || m.byte_end <= c.byte_start, "{} overlaps {}", m.phrase, c.phrase);
    }
    // Without the clause's threatening words, nothing of it is the model's.
    let plain = format!("{DUNNING}今晚不还就弄死你还要去村里看看");
    assert!(with_tiny().classify(&plain).citations.iter().all(|c| !c.rule.starts_with("MODEL-")));
}

#[test]
fn a_message_in_a_reused_buffer_is_read_afresh_by_the_model() {
    // A gateway reuses one buffer: the next message can have the last one's address and length.
    // The model must not read the previous message's normalized text for it. The second
    // message holds no listed word at all, so nothing but the model reads it.
    let first = "你的贷款已经逾期五十天,今天必须结清,否则我们上门。";
    let second = "你儿子每天早上七点半出门上学,横幅准备好了,钱呢?";
    let c = with_tiny();
    assert!(c.matched_rules(second).is_empty());
    let width = first.len().max(second.len());
    let mut buf = String::with_capacity(width);
    for text in [first, second] {
        buf.clear();
        buf.push_str(text);
        while buf.len() < width {
            buf.push(' ');
        }
        let r = c.classify(&buf);
        for cit in &r.citations {
            assert_eq!(&buf[cit.byte_start..cit.byte_end], cit.phrase);
        }
        if text == second {
            assert_eq!(r.verdict, Verdict::Threat);
            assert_eq!(r.citations[0].phrase, "横幅准备好了");
        }
    }
}
