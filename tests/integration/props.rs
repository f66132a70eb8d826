//! For any input, classification never panics and every citation points at its phrase.

use cuishou::Classifier;
use proptest::prelude::*;
use std::sync::LazyLock;

static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(Classifier::new);

fn pieces() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "上",
        "门",
        "上门",
        "*",
        " ",
        "\u{200d}",
        "爆",
        "通讯录",
        "通 讯 录",
        "不会",
        "不还",
        "就",
        "逾期",
        "還款",
        "聯繫",
        "ＴＸＬ",
        "txl",
        "，",
        "。",
        "\n",
        "催收员：",
        "客户：",
        "“",
        "”",
        "您是",
        "的紧急联系人",
        "欠款",
        "今天18点前",
        "坐牢",
        "😡",
        "1,280.00元",
    ]);
    prop::collection::vec(prop_oneof![words.prop_map(String::from), any::<char>().prop_map(String::from)], 0..40)
        .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn citations_slice_back_to_their_phrase(input in pieces()) {
        let report = CLASSIFIER.classify(&input);
        for c in &report.citations {
            prop_assert_eq!(&input[c.byte_start..c.byte_end], c.phrase.as_str());
            let by_chars: String = input.chars().skip(c.start).take(c.end - c.start).collect();
            prop_assert_eq!(by_chars, c.phrase.clone());
            prop_assert!(report.labels.contains(&c.category));
        }
        for l in &report.labels {
            prop_assert!(report.citations.iter().any(|c| c.category == *l), "label {} without a citation", l);
        }
        prop_assert_eq!(report.verdict.category(), report.labels.last().copied());
    }

    #[test]
    fn arbitrary_unicode_never_panics(input in "\\PC{0,200}") {
        let _ = CLASSIFIER.classify(&input);
    }
}
