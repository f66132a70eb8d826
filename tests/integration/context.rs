//! Each context feature flips a verdict: the same words with and without a negator, quoted and
//! unquoted, in the collector's turn and the customer's, to the debtor and to a third party.

use cuishou::{Category, Classifier, Verdict};
use std::sync::LazyLock;

static C: LazyLock<Classifier> = LazyLock::new(Classifier::new);

fn verdict(text: &str) -> Verdict {
    C.classify(text).verdict
}

#[test]
fn a_negator_removes_the_visit_but_a_condition_on_the_debtor_does_not() {
    assert_eq!(verdict("您的借款已逾期5天,请尽快还款,我们不会上门找你。"), Verdict::PoliteReminder);
    assert_eq!(verdict("您的借款已逾期5天,不还钱就上门找你。"), Verdict::Threat);
    assert_eq!(verdict("你的欠款已逾期,我们絕不會聯繫你的家人和同事。"), Verdict::PoliteReminder);
    assert_eq!(verdict("你的欠款已逾期,再不还就联系你的家人和同事,让他们都知道你欠钱。"), Verdict::Threat);
}

#[test]
fn a_negator_whose_last_character_starts_the_phrase_still_negates_it() {
    // "不会" and the phrase "会上门催收" share the 会: the promise still covers the visit.
    let promise = "您的借款已逾期5天,本公司不会上门催收,请尽快还款。";
    assert_eq!(verdict(promise), Verdict::PoliteReminder);
    let announced = "您的借款已逾期5天,本公司会上门催收,请尽快还款。";
    assert_eq!(verdict(announced), Verdict::Pressure);
}

#[test]
fn an_article_quoting_a_threat_is_not_a_threat() {
    let quoted = "据报道,有网友反映催收人员扬言“再不还钱就爆你通讯录”,律师提醒这属于违法催收。";
    assert_eq!(verdict(quoted), Verdict::None);
    assert_eq!(verdict("再不还钱就爆你通讯录。"), Verdict::Threat);
    assert_eq!(verdict("催收打电话给我妈了,说要去我单位闹,怎么办?"), Verdict::None);
}

#[test]
fn only_the_collectors_turn_counts() {
    let customer_threatens = "催收员:您好,您的借款已逾期3天,请尽快还款。\n客户:你们再打电话我就报警,去你们公司闹!";
    assert_eq!(verdict(customer_threatens), Verdict::PoliteReminder);
    let collector_threatens = "客户:我这个月真的没钱。\n催收员:没钱?那明天我们就去你单位找你领导,让你公司都知道。";
    assert_eq!(verdict(collector_threatens), Verdict::Threat);
    let c = C.classify(collector_threatens);
    assert!(c.citations.iter().all(|c| c.speaker.as_deref() == Some("催收员")), "{:?}", c.citations);
}

#[test]
fn a_phrase_does_not_run_from_one_turn_into_the_next_speakers_label() {
    // Dropped separators join "通知您" with the next label "客户"; nobody threatened the customers.
    let joined = "坐席:您的账单今天到期,这是系统通知您。\n客户:知道了,我晚上还。";
    assert_eq!(verdict(joined), Verdict::PoliteReminder);
    let said = "坐席:您的账单今天到期,再不还我们就通知您客户和同事。\n客户:知道了。";
    assert_eq!(verdict(said), Verdict::Threat);
}

#[test]
fn debt_details_to_a_third_party_are_disclosure_but_a_bare_callback_request_is_pressure() {
    let to_debtor = "您在我司的借款8000元已逾期60天,请尽快还款。";
    assert_eq!(verdict(to_debtor), Verdict::PoliteReminder);
    let to_contact = "您好,您是张伟的紧急联系人,他在我司借款8000元已逾期60天,请转告他尽快还款。";
    assert_eq!(verdict(to_contact), Verdict::IllegalDisclosure);
    let callback = "您好,您是张伟的紧急联系人,麻烦您转告他尽快给我们回个电话,谢谢。";
    assert_eq!(verdict(callback), Verdict::Pressure);
}

#[test]
fn a_callback_request_beside_a_stated_debt_is_part_of_the_disclosure_not_pressure() {
    let rules_only = Classifier::builder().clause_model(None).build().unwrap();
    let callback = "您好,这里是速融钱包,麻烦您转告王强尽快回电,谢谢。";
    let r = rules_only.classify(callback);
    assert_eq!(r.labels, [Category::Pressure]);
    let asks = |r: &cuishou::Report| r.citations.iter().any(|c| c.message.contains("转告债务人回电"));
    assert!(asks(&r), "{:?}", r.citations);
    let with_debt = "您好,这里是速融钱包,王强在我司的借款已逾期三个月,麻烦您转告王强尽快回电,谢谢。";
    let r = rules_only.classify(with_debt);
    assert_eq!(r.labels, [Category::IllegalDisclosure], "{:?}", r.citations);
    assert!(!asks(&r), "{:?}", r.citations);
}

#[test]
fn a_form_line_naming_the_borrower_is_a_field_not_the_borrower_speaking() {
    let notice =
        "借款人：王强\n欠款金额：5,600元\n您已逾期45天，今日18点前不还款，我们将上门拜访您的家人并告知您单位领导。";
    assert_eq!(verdict(notice), Verdict::Threat);
    assert_eq!(
        verdict("借款人：李娜\n您的借款已逾期10天，请尽快还款，如有困难可联系客服申请分期。"),
        Verdict::PoliteReminder
    );
    // A real turn by the borrower still does not count as the collector's.
    let turn = "催收员:您好,您的借款已逾期3天,请尽快还款。\n借款人:你们再打电话我就报警,去你们公司闹!";
    assert_eq!(verdict(turn), Verdict::PoliteReminder);
}

#[test]
fn a_victim_or_relative_recounting_the_collectors_words_is_not_collection() {
    assert_eq!(
        verdict("我妈今天接到一个陌生电话，对方说我欠了他们平台八千块不还，让她帮我还，我该怎么跟我妈解释"),
        Verdict::None
    );
    assert_eq!(verdict("儿子，今天有人打电话给我说你欠了网贷不还，再不还就去你单位找你，是真的吗？"), Verdict::None);
    assert_eq!(verdict("今天收到这样一条短信：“你再不还钱，明天就去你单位找你领导”，大家帮我看看"), Verdict::None);
    assert_eq!(verdict("你再不还钱，明天就去你单位找你领导。"), Verdict::Threat);
}

#[test]
fn scope_words_built_on_bu_do_not_negate_the_act_after_them() {
    // 不限于 / 不定期 look like negators but announce the visit all the same.
    assert_eq!(verdict("您已逾期60天,我司将采取包括但不限于上门走访、联系单位等措施。"), Verdict::Pressure);
    assert_eq!(verdict("閣下欠款已逾期45日,本公司將不定期派員上門拜訪,請盡快處理。"), Verdict::Pressure);
    // A real negator still removes it, and 不等于 stays a negation.
    assert_eq!(verdict("您已逾期60天,我司不会上门走访,请尽快处理。"), Verdict::PoliteReminder);
    assert_eq!(verdict("提醒:“逾期”不等于“坐牢”,民间借贷属于民事纠纷。"), Verdict::None);
}

#[test]
fn traditional_forms_outside_the_one_to_one_table_are_folded() {
    // 著 (等著, 看著辦) and 妳 had no Simplified fold, so these read as nothing at all.
    assert_eq!(verdict("你就等著吧,看著辦。"), Verdict::Threat);
    assert_eq!(verdict("妳再不還錢,我們就去妳公司找妳主管。"), Verdict::Threat);
    assert_eq!(verdict("妳甚麼時候有空?上次跟妳借的錢,我下週就還妳,等著我喔。"), Verdict::None);
}

#[test]
fn a_promise_not_to_tell_reaches_past_the_six_character_window() {
    // The negator stands seven or more characters before the phrase it negates.
    assert_eq!(verdict("我们承诺不会把您的借款信息告诉您的家人,请您按时还款。"), Verdict::PoliteReminder);
    assert_eq!(
        verdict("您的借款已逾期5天,请放心,我们保证不会将您的欠款情况透露给您的同事和领导,请尽快还款。"),
        Verdict::PoliteReminder
    );
    // A condition on the debtor, or a new clause, still asserts the threat.
    assert_eq!(verdict("不还的话我们就上门找你。"), Verdict::Threat);
    assert_eq!(verdict("我们不会再给你任何宽限,明天上门找你。"), Verdict::Threat);
    assert_eq!(verdict("我们不会等了,三天内不还就把你的借款信息告诉你的家人。"), Verdict::Threat);
}

#[test]
fn a_lawyer_answering_a_question_is_not_a_collection_law_firm() {
    // "律师" names a collection law firm, but under an asker's label it is an adviser.
    assert_eq!(
        verdict("问：网贷逾期三个月，催收说要去我家里找我父母。\n律师：上门找你父母属于软暴力，可以报警。"),
        Verdict::None
    );
    assert_eq!(
        verdict("提問：收數公司話要上門搵我屋企人\n律師回答：收數公司上門搵你屋企人係唔合法嘅。"),
        Verdict::None
    );
    // The same lawyer's label with no question is still the collector speaking.
    assert_eq!(verdict("律师:您好,您的欠款已逾期90天,再不还就去你单位找你领导。"), Verdict::Threat);
    let firm = "XX律师事务所:您的欠款已逾期90天,如再不处理,我们将上门走访并联系你单位领导。";
    assert_eq!(verdict(firm), Verdict::Pressure);
}

#[test]
fn anonymous_speakers_take_their_roles_from_a_header_or_from_what_they_say() {
    // A header names the roles, on one line with the turns.
    let header = "A为催收员,B为借款人。A:你好,你的借款逾期了,请尽快还款。B:我没钱,你们再打电话我就去你们公司闹!";
    assert_eq!(verdict(header), Verdict::PoliteReminder);
    // No header: the side that asks for the money is the collector, the side that says
    // "我没钱 / 你们别打了" is not; before, neither side's turns counted.
    let collector_threatens = "甲：你欠的钱什么时候还？再不还就去你家找你爸妈。\n乙：我下个月一定还，你们别打了。";
    assert_eq!(verdict(collector_threatens), Verdict::Threat);
    let c = C.classify(collector_threatens);
    assert!(c.citations.iter().all(|c| c.speaker.as_deref() == Some("甲")), "{:?}", c.citations);
    let debtor_threatens = "A：你的借款逾期了，请尽快还款，有困难可以申请分期。\nB：你们再打电话我就去你们公司闹！";
    assert_eq!(verdict(debtor_threatens), Verdict::PoliteReminder);
    // Overlapping words all count: "什么时候还钱" is asked by the collector, whose echo "没钱?"
    // must not leave the two sides level.
    let echo = "A:你什么时候还钱\nB:我没有钱\nA:没钱?那我们明天就去你单位找你领导";
    assert_eq!(verdict(echo), Verdict::Threat);
    // Nothing about a debt on either side: no collector, nothing counts.
    assert_eq!(verdict("A：明天几点去看房？\nB：下午三点吧，去你单位找你。"), Verdict::None);
}

#[test]
fn a_debtor_recounting_what_the_collector_told_them_is_a_report() {
    // "催收跟我说 / 催收给我打电话,说": the words belong to the collector, the message to the debtor.
    assert_eq!(verdict("催收跟我说再不还就起诉我,还要通知我单位,这是真的吗"), Verdict::None);
    assert_eq!(verdict("昨天催收给我打电话,说今天不还就去我家,我要不要报警"), Verdict::None);
    // The same words said to the debtor are collection.
    assert_ne!(verdict("再不还就起诉你,还要通知你单位。"), Verdict::None);
    // A collector who quotes the family, or swears to keep its word, is still collecting.
    assert_eq!(verdict("你家人他们跟我说会帮你还,今天再不还我们就去你单位找你领导。"), Verdict::Threat);
    assert_eq!(verdict("我们说到做到,不还就上门找你。"), Verdict::Threat);
}

#[test]
fn a_recourse_word_in_the_collectors_own_clause_does_not_make_a_report() {
    // The collector taunts the debtor about the police and netizens: still a threat.
    assert_eq!(verdict("别以为报警有用,警方不会管你这种欠钱不还的,明天就派人到你单位找你领导"), Verdict::Threat);
    assert_eq!(verdict("网友都说你这种人就是老赖,今晚再不还就把你的事发到你们小区群"), Verdict::Threat);
    // A letter naming the supervisor it answers to is still a letter.
    assert_ne!(
        verdict("您在本平台的借款已逾期20天。本平台严格遵守监管部门的要求,不会骚扰您的家人。请尽快还款。"),
        Verdict::None
    );
    // A debtor's own story, or a relative relaying what the collector said, stays a report.
    assert_eq!(verdict("网友爆料:催收说不还钱就去我单位闹,我该怎么办"), Verdict::None);
    assert_eq!(verdict("弟,催收说你再不还就起诉你,还说要把你照片发到朋友圈"), Verdict::None);
}

#[test]
fn a_collector_quoting_the_debtors_complaint_back_is_still_collecting() {
    // The reporting words (发帖, 暴力催收, 投诉) are the debtor's charge against "us", repeated by
    // the collector; told by the debtor about "them", the same words are a report.
    let quoted_back = "你在网上发帖说我们暴力催收?今晚再不还,你同事都会收到你欠钱的消息。";
    assert_ne!(verdict(quoted_back), Verdict::None);
    assert_eq!(verdict("你去投诉我们暴力催收啊?今晚再不还,明天就去你单位找你领导。"), Verdict::Threat);
    let told = "我在网上发帖说他们暴力催收,结果他们说今晚再不还,我同事都会收到我欠钱的消息。";
    assert_eq!(verdict(told), Verdict::None);
}

#[test]
fn a_posters_note_after_a_transcript_is_nobodys_turn() {
    // The note under a forwarded chat is the poster's, not the last speaker's: its cue counts
    // and the whole text is a report. Without the note, the same call is a threat.
    let call = "陌生号码:再不还钱就把你欠钱的事发到你家族群里。\n我:你是谁?";
    assert_ne!(verdict(call), Verdict::None);
    assert_eq!(verdict(&format!("{call}\n(这是我妈收到的短信,大家说怎么办)")), Verdict::None);
    let threat = "催收员:你再不还,明天就去你单位找你领导,让你全公司都知道。";
    assert_eq!(verdict(threat), Verdict::Threat);
    assert_eq!(verdict(&format!("{threat}\n——以上是我和催收的聊天记录,已提交给律师。")), Verdict::None);
    // A stage direction inside the call is its own line: the collector speaks on after it.
    let paused = "催收员:您的借款已逾期。\n(停顿)\n再不还明天就去你单位找你领导,让你全公司都知道。";
    assert_eq!(verdict(paused), Verdict::Threat);
    // A lender's own closing line is not a poster's note.
    assert_ne!(verdict("催收员:您的借款已逾期5天,请尽快还款。\n以上为您的还款记录,请于今日处理。"), Verdict::None);
}

#[test]
fn hearsay_the_sentence_denies_is_not_said() {
    assert_eq!(verdict("您的借款已逾期。网上有人说我们会爆通讯录,那是谣言。请于本周内还款。"), Verdict::PoliteReminder);
    assert_eq!(verdict("有人说我们会爆通讯录?没错,今晚不还就爆你通讯录"), Verdict::Threat);
}

#[test]
fn a_settlement_notice_in_a_service_turn_is_not_a_reminder() {
    assert_eq!(
        verdict("客服: 您好,您的贷款已全部结清,结清证明将发送至您的邮箱。\n客户: 好的\n客服: 结清后不会再有还款提醒。"),
        Verdict::None
    );
    // An application "审核通过" in the agent's turn is not a settlement.
    assert_eq!(
        verdict("客服:您的借款逾期了,我们可以给您申请30天延期。\n客户:真的?\n客服:是的,审核通过会短信通知您。"),
        Verdict::PoliteReminder
    );
}

#[test]
fn a_parent_scolding_a_child_about_money_is_not_collection() {
    assert_eq!(verdict("爸:你借同学的钱赶紧还了,做人要讲诚信,别让人家说闲话"), Verdict::None);
    assert_eq!(
        verdict("催收员:你是刘伟的妈妈吧?你儿子在我们平台借了两万一直没还。\n妈妈:什么?"),
        Verdict::IllegalDisclosure
    );
}

#[test]
fn cantonese_bare_m_hai_is_a_denial() {
    assert_ne!(verdict("陳小姐,唔係追數咁嚴重,只係提提你今期供款遲咗十四日未入數"), Verdict::Pressure);
}

#[test]
fn an_either_or_proposal_with_yao_bu_is_not_a_denial() {
    // 要不…要不… offers a choice; the act after it is still announced. 不会 still denies it.
    assert_eq!(verdict("要不你今晚就把钱还了,要不明天我们的人就去你公司找你,自己选。"), Verdict::Threat);
    assert_eq!(verdict("你今晚把钱还了就行,明天我们不会去你公司找你。"), Verdict::None);
}

#[test]
fn a_call_answered_by_a_relative_or_a_boss_is_addressed_to_a_third_party() {
    // The same debt details, told to whoever picked up: the debtor's label keeps it a reminder,
    // a relative's or an employer's label makes it a disclosure.
    let call = |callee: &str| format!("催收员:王强的借款已经逾期三个月了,欠了两万,一直联系不上\n{callee}:我知道了");
    assert_eq!(verdict(&call("客户")), Verdict::PoliteReminder);
    assert_eq!(verdict(&call("家属")), Verdict::IllegalDisclosure);
    assert_eq!(verdict(&call("老板")), Verdict::IllegalDisclosure);
    // One turn with the debtor among the other speakers: the call is not only a third party's.
    let mixed = "催收员:王强的借款已经逾期三个月了,欠了两万\n家属:他不在\n客户:我回来了";
    assert_eq!(verdict(mixed), Verdict::PoliteReminder);
    // An unlabelled callee who says who they are.
    let said = |who: &str| format!("催收员:喂,是王强吗?\n对方:{who}\n催收员:王强的网贷已经逾期三个月了,欠了一万二。");
    assert_eq!(verdict(&said("不是,我是他老婆,他不在。")), Verdict::IllegalDisclosure);
    assert_eq!(verdict(&said("我係佢阿媽,佢出咗去。")), Verdict::IllegalDisclosure);
    assert_eq!(verdict(&said("是我,什么事?")), Verdict::PoliteReminder);
}

#[test]
fn a_pattern_running_into_the_next_turn_does_not_hide_the_collectors_own_words() {
    // PRS-014's pattern first matches "会⏎催收:派人上门催收" across the turn break; the
    // collector's "派人上门催收" must still count, and the debtor's line alone is nothing.
    let text = "客户:那你们会\n催收:派人上门催收";
    assert_eq!(verdict(text), Verdict::Pressure);
    let r = C.classify(text);
    assert!(r.citations.iter().all(|c| c.byte_start >= text.find("派人").unwrap()), "{:?}", r.citations);
    assert_eq!(verdict("客户:那你们会\n催收:好的"), Verdict::None);
}

#[test]
fn a_named_speaker_who_speaks_as_the_lender_is_the_collector_in_a_chat_log() {
    // Speakers named, not given roles: the one who speaks for the platform is the collector,
    // and the threat in their turn counts; before, two named speakers meant nobody's turn did.
    let log = "王经理：张伟，我们平台的钱你打算什么时候还？\n张伟：我这个月真的没钱\n王经理：再不还我们就派人去你单位找你领导。";
    assert_eq!(verdict(log), Verdict::Threat);
    let c = C.classify(log);
    assert!(c.citations.iter().all(|c| c.speaker.as_deref() == Some("王经理")), "{:?}", c.citations);
    // The same threat retold between two friends: nobody speaks as a lender, nothing counts.
    let gossip = "小美：我借的钱逾期了，今天有人打电话说再不还就派人去我单位找我领导\n阿琳：天哪，太过分了吧";
    assert_eq!(verdict(gossip), Verdict::None);
    // The same log under a caption saying it was forwarded to the poster is a report.
    let forwarded = format!("我姐转给我的聊天截图：\n{log}");
    assert_eq!(verdict(&forwarded), Verdict::None);
}

#[test]
fn form_fields_of_a_posted_notice_are_not_speakers() {
    // A "public exposure" notice lists fields (姓名, 性别, 身份证号, 住址, 工作单位): they are not two
    // people talking, so the notice's own words count.
    let notice = "姓名:刘强\n性别:男\n身份证号:3201**********1234\n住址:某某小区5栋201\n此人在我司借款两万元至今未还,请亲友督促其还款。";
    assert_eq!(verdict(notice), Verdict::IllegalDisclosure);
    let c = C.classify(notice);
    assert!(c.citations.iter().any(|c| c.category == Category::IllegalDisclosure));
    // A field whose name holds a platform word ("借款平台:") is still a field, not a collector
    // speaking: the borrower's name line stays a field too, and the ID number under it counts.
    let listed =
        "借款人:刘强\n身份证号码:3201**********1234\n借款平台:某某贷\n此人在我司借款两万元至今未还,请亲友督促其还款。";
    let c = C.classify(listed);
    assert!(c.citations.iter().any(|c| c.phrase.contains("3201")), "{:?}", c.citations);
}
