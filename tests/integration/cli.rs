//! The real binary, run as a user or a script would, its JSON parsed and checked field by field.

use super::{cuishou, json_lines};
use serde_json::Value;

fn classify_json(text: &str) -> Value {
    let out = cuishou(&["classify", "--format", "json", text], None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn assert_citations_point_at_input(text: &str, v: &Value) {
    let cites = v["citations"].as_array().expect("citations");
    assert!(!cites.is_empty(), "no citations for {text}: {v}");
    for c in cites {
        let (bs, be) = (c["byte_start"].as_u64().unwrap() as usize, c["byte_end"].as_u64().unwrap() as usize);
        assert_eq!(&text[bs..be], c["phrase"].as_str().unwrap());
        let (s, e) = (c["start"].as_u64().unwrap() as usize, c["end"].as_u64().unwrap() as usize);
        assert_eq!(text.chars().skip(s).take(e - s).collect::<String>(), c["phrase"].as_str().unwrap());
        assert!(!c["message"].as_str().unwrap().is_empty());
        assert!(c["rule"].as_str().unwrap().len() == 7);
    }
}

/// One example of each verdict, including a Traditional one and disguised ones.
const EXAMPLES: &[(&str, &str)] = &[
    ("none", "【闪贷宝】您的验证码是482913,5分钟内有效,请勿泄露给他人。"),
    ("none", "您尾号6621的信用卡本期账单已还款成功,感谢您的支持。"),
    ("polite_reminder", "您在速融钱包的借款已逾期3天,应还金额1,280.00元,请及时还款,如有困难可联系客服协商。"),
    ("pressure", "最后通知:您的欠款今天18点前未处理,将转入下一阶段并移交第三方机构处理。"),
    ("threat", "你再不还钱,明天就上*门找你,后果自负。"),
    ("threat", "再不还款就爆你txl,让你所有联系人都知道你是老赖。"),
    ("threat", "你的欠款再不處理,我們就去你單位找你領導,讓你在公司待不下去。"),
    ("illegal_disclosure", "您好,您是张伟的紧急联系人,他在我司借款8000元已逾期60天至今未还,请您督促他还款或代为偿还。"),
];

#[test]
fn classify_gives_the_right_verdict_with_citations_for_each_kind() {
    for (want, text) in EXAMPLES {
        let v = classify_json(text);
        assert_eq!(v["verdict"], *want, "{text}\n{v:#}");
        if *want != "none" {
            assert_citations_point_at_input(text, &v);
            assert!(v["labels"].as_array().unwrap().contains(&Value::from(*want)));
        } else {
            assert!(v["citations"].as_array().unwrap().is_empty(), "{v}");
        }
        let scores = v["scores"].as_object().unwrap();
        assert_eq!(scores.len(), 4);
        assert!(scores.values().all(|s| (0.0..=1.0).contains(&s.as_f64().unwrap())));
    }
}

#[test]
fn disguised_phrase_is_cited_as_written() {
    let text = "你再不还钱,明天就上*门找你,后果自负。";
    let v = classify_json(text);
    let phrases: Vec<&str> = v["citations"].as_array().unwrap().iter().map(|c| c["phrase"].as_str().unwrap()).collect();
    assert!(phrases.iter().any(|p| p.contains("上*门")), "{phrases:?}");
}

#[test]
fn negated_visit_is_not_a_threat() {
    let v = classify_json("您的借款已逾期5天,请尽快还款。我们不会上门打扰您,也不会联系您的家人。");
    assert_eq!(v["verdict"], "polite_reminder", "{v:#}");
}

#[test]
fn text_from_stdin_and_file_match_the_argument() {
    let text = EXAMPLES[4].1;
    let from_arg = classify_json(text);
    let out = cuishou(&["classify", "--format", "json"], Some(text.as_bytes()));
    let from_stdin: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_arg, from_stdin);
    let dir = std::env::temp_dir().join(format!("cuishou-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("msg.txt");
    std::fs::write(&path, text).unwrap();
    let out = cuishou(&["classify", "--format", "json", "--file", path.to_str().unwrap()], None);
    let from_file: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(from_arg, from_file);
}

#[test]
fn text_format_names_the_verdict_in_chinese_and_marks_phrases() {
    let out = cuishou(&["classify", "--format", "text", EXAMPLES[4].1], None);
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("威胁") && s.contains("threat"), "{s}");
    assert!(s.contains("【上*门"), "{s}");
    assert!(s.contains("依据 Clause"), "{s}");
    assert!(!s.contains('\x1b'), "no colour when not on a terminal");
}

#[test]
fn jsonl_with_a_malformed_middle_line_yields_one_record_per_line_in_order() {
    let input = format!(
        "{}\n{{\"id\": \"b\", \"text\": \n{}\n\n{}\n",
        serde_json::json!({"id": "a", "text": EXAMPLES[4].1}),
        serde_json::json!({"id": 3, "text": EXAMPLES[2].1}),
        serde_json::json!({"id": "e"}),
    );
    let out = cuishou(&["classify", "--input", "jsonl", "-j", "2"], Some(input.as_bytes()));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 5, "{recs:#?}");
    assert_eq!(recs[0]["id"], "a");
    assert_eq!(recs[0]["verdict"], "threat");
    assert_eq!(recs[1]["line"], 2);
    assert!(recs[1]["error"].as_str().unwrap().contains("malformed JSON"));
    assert_eq!(recs[2]["id"], 3);
    assert_eq!(recs[2]["verdict"], "polite_reminder");
    assert_eq!(recs[3]["line"], 4);
    assert!(recs[3]["error"].as_str().unwrap().contains("empty"));
    assert_eq!(recs[4]["id"], "e");
    assert!(recs[4]["error"].as_str().unwrap().contains("missing \"text\""));
}

#[test]
fn invalid_utf8_line_becomes_an_error_record_and_the_rest_is_processed() {
    let mut input = b"\xe4\xbd\xa0\xff\xfe\n".to_vec();
    input.extend_from_slice(EXAMPLES[4].1.as_bytes());
    input.push(b'\n');
    let out = cuishou(&["classify", "--lines", "--format", "jsonl"], Some(&input));
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 2);
    assert!(recs[0]["error"].as_str().unwrap().contains("invalid UTF-8"));
    assert_eq!(recs[1]["verdict"], "threat");
}

#[test]
fn single_message_bad_input_exits_2_with_a_reason() {
    let out = cuishou(&["classify"], Some(b"\xff\xfe bad"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid UTF-8"));
    let out = cuishou(&["classify"], Some(b"   \n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty message"));
    let out = cuishou(&["classify", "--format", "yaml", "x"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn fail_on_exits_1_at_or_above_the_level() {
    let threat = EXAMPLES[4].1;
    let polite = EXAMPLES[2].1;
    assert_eq!(cuishou(&["classify", "--format", "json", "--fail-on", "threat", threat], None).status.code(), Some(1));
    assert_eq!(
        cuishou(&["classify", "--format", "json", "--fail-on", "pressure", threat], None).status.code(),
        Some(1)
    );
    assert_eq!(cuishou(&["classify", "--format", "json", "--fail-on", "threat", polite], None).status.code(), Some(0));
}
