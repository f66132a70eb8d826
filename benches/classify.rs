//! Throughput of the classifier against a bare Aho-Corasick scan of the same bytes.
//!
//! Every group reports `Throughput::Bytes`, so `classify_*` can be read as a ratio of the
//! `scan_baseline` benchmark over the same texts (see README.md, "Performance"). Inputs:
//! `../shared/data/real_sms_10k.jsonl` and `corpus/dev.jsonl` when present, otherwise generated
//! stand-ins, so `cargo bench` runs from any checkout.

use aho_corasick::AhoCorasick;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use cuishou::Classifier;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// The `text` of every JSONL record of `path`, or `None` when the file is absent.
fn jsonl_texts(path: &Path) -> Option<Vec<String>> {
    let data = std::fs::read_to_string(path).ok()?;
    let texts: Vec<String> = data
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("text")?.as_str().map(str::to_string))
        .collect();
    (!texts.is_empty()).then_some(texts)
}

/// A small deterministic generator, so stand-in inputs are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        xs[(self.0 >> 33) as usize % xs.len()]
    }
}

/// Ordinary SMS traffic, almost none of it collection: what a gateway mostly sees.
fn generated_traffic(n: usize) -> Vec<String> {
    let heads = ["【顺丰速运】", "【中国移动】", "【美团】", "", "", "【工商银行】", "【12306】"];
    let bodies = [
        "您的快递已到达小区驿站,取件码3-2-1156,请凭码取件",
        "尊敬的客户,您本月话费账单已出,共计58.00元",
        "您的验证码为482913,5分钟内有效,请勿泄露",
        "今晚一起吃饭吗?我订了七点的位子",
        "会议改到明天下午三点,地点不变",
        "您尾号6621的储蓄卡入账工资8,500.00元",
        "您购买的G1234次列车车票已出票,请按时乘车",
        "周末天气转凉,注意添衣,记得给妈妈打电话",
        "本店新品上市,全场八折,回T退订",
    ];
    let mut r = Lcg(7);
    (0..n).map(|_| format!("{}{}", r.pick(&heads), r.pick(&bodies))).collect()
}

/// Collection messages of every kind, each of which needs the context checks.
fn generated_collection(n: usize) -> Vec<String> {
    let heads = ["【易借花】", "【闪贷宝】", "", "张先生,"];
    let bodies = [
        "您的借款已逾期3天,请于今日18:00前还款1,280.00元,如有困难可申请分期",
        "你已逾期多日,再不还钱明天就上*门找你,后果自负",
        "我们不会上门打扰您,请尽快处理欠款",
        "您是李四的紧急联系人,他在我司借款欠款未还,请转告他",
        "再不还就爆你通 讯 录,让你亲戚朋友都知道",
        "客户反映催收说要上门怎么办,有网友反映类似情况",
        "您好,您本期账单已逾期,请及时还款以免影响征信",
        "不还钱就上门,今天18点前必须处理",
    ];
    let mut r = Lcg(11);
    (0..n).map(|_| format!("{}{}", r.pick(&heads), r.pick(&bodies))).collect()
}

/// A call transcript of about 2,000 characters, speakers alternating.
fn long_transcript() -> String {
    let turns = [
        "催收员:您好,这里是易借花客服,您的借款已逾期十五天了,今天能处理吗?\n",
        "客户:我这个月工资还没发,能不能再宽限几天,再打我就报警了。\n",
        "催收员:我们可以帮您申请分期,但您要是再不还,我们就上门找你,也会联系你的紧急联系人。\n",
        "客户:你们不能这样,我会去投诉的。\n",
        "坐席:请您理解,我们只是提醒您按时还款,今天18:00前还1,280.00元就可以。\n",
        "催收员:再不还就爆你通讯录,你自己看着办。\n",
    ];
    let mut s = String::new();
    let mut i = 0;
    while s.chars().count() < 2000 {
        s.push_str(turns[i % turns.len()]);
        i += 1;
    }
    s
}

/// The classifier's own automaton patterns: every phrase and variant, normalized.
fn phrases(c: &Classifier) -> Vec<String> {
    c.phrases()
}

fn bytes(texts: &[String]) -> u64 {
    texts.iter().map(|t| t.len() as u64).sum()
}

fn config() -> Criterion {
    Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1)).sample_size(20)
}

fn benches(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let real =
        jsonl_texts(&root.join("../shared/data/real_sms_10k.jsonl")).unwrap_or_else(|| generated_traffic(10_000));
    let collection = jsonl_texts(&root.join("corpus/dev.jsonl")).unwrap_or_else(|| generated_collection(400));
    let transcript = long_transcript();
    let classifier = Classifier::new();
    let scanner = AhoCorasick::new(phrases(&classifier)).expect("phrases build an automaton");

    // The yardstick: one pass of a bare automaton over the raw bytes, counting matches.
    let mut g = c.benchmark_group("scan_baseline");
    for (name, texts) in [("real_sms", &real), ("collection", &collection)] {
        g.throughput(Throughput::Bytes(bytes(texts)));
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| texts.iter().map(|t| scanner.find_iter(black_box(t.as_str())).count()).sum::<usize>())
        });
    }
    g.finish();

    for (group, texts) in [("classify_real_sms", &real), ("classify_collection", &collection)] {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Bytes(bytes(texts)));
        g.bench_function("classify", |b| {
            b.iter(|| texts.iter().map(|t| classifier.classify(black_box(t)).citations.len()).sum::<usize>())
        });
        g.finish();
    }

    let mut g = c.benchmark_group("normalize");
    g.throughput(Throughput::Bytes(bytes(&real)));
    // The classifier's way: one buffer reused for every message.
    let mut norm = cuishou::Normalized::default();
    g.bench_function("real_sms", |b| {
        b.iter(|| {
            real.iter()
                .map(|t| {
                    cuishou::normalize_into(black_box(t), &mut norm);
                    norm.text.len()
                })
                .sum::<usize>()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("long_transcript");
    g.throughput(Throughput::Bytes(transcript.len() as u64));
    g.bench_function("classify", |b| b.iter(|| classifier.classify(black_box(&transcript))));
    g.finish();

    // Construction compiles the automata and the regex set; jieba's dictionary loads lazily on
    // the first boundary check, so it is measured separately.
    let mut g = c.benchmark_group("build");
    g.throughput(Throughput::Bytes(cuishou::lexicon::embedded_sources().iter().map(|s| s.text.len() as u64).sum()));
    g.bench_function("embedded", |b| b.iter(Classifier::new));
    // The same, plus the first message that needs word boundaries (loads jieba's dictionary).
    g.bench_function("embedded_with_tokenizer", |b| {
        b.iter(|| Classifier::new().classify("再不还就爆你通讯录").citations.len())
    });
    g.finish();
}

criterion_group! {
    name = classify;
    config = config();
    targets = benches
}
criterion_main!(classify);
