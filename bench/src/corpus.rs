//! The deterministic corpus: a vocabulary with a Zipf-like distribution (words segmented
//! from the committed fixtures plus a built-in governance word list, synthetic place and
//! person names for the long tail, numbers and ASCII words), 30 topics, and documents
//! generated from a seed and their id alone (so any document can be regenerated).

use std::collections::HashMap;
use std::path::Path;

/// SplitMix64: small, fast, and the same on every platform and in every version.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut r = Rng(seed ^ 0x9E37_79B9_7F4A_7C15);
        r.next_u64();
        r
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize % n.max(1)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
}

/// 30 topics: the first word is the topic word, the rest its vocabulary.
pub const TOPICS: [&[&str]; 30] = [
    &[
        "养老",
        "助餐",
        "日间照料",
        "老年人",
        "居家养老",
        "适老化",
        "高龄津贴",
        "护理员",
    ],
    &[
        "网格",
        "网格员",
        "巡查",
        "台账",
        "网格化",
        "事件上报",
        "楼栋长",
        "走访",
    ],
    &[
        "志愿者",
        "志愿服务",
        "服务时长",
        "招募",
        "积分兑换",
        "志愿队",
        "公益",
        "结对帮扶",
    ],
    &[
        "垃圾分类",
        "厨余垃圾",
        "可回收物",
        "投放点",
        "督导员",
        "清运",
        "有害垃圾",
        "减量",
    ],
    &[
        "物业",
        "物业费",
        "业主委员会",
        "维修基金",
        "小区",
        "停车位",
        "保洁",
        "电梯",
    ],
    &[
        "消防",
        "消防通道",
        "灭火器",
        "火灾隐患",
        "电动车",
        "充电桩",
        "演练",
        "疏散",
    ],
    &[
        "社会组织",
        "登记",
        "年检",
        "孵化",
        "枢纽",
        "信用代码",
        "备案",
        "能力评估",
    ],
    &[
        "党建",
        "党支部",
        "党员",
        "组织生活",
        "先锋",
        "红色",
        "主题党日",
        "在职党员",
    ],
    &[
        "调解",
        "矛盾纠纷",
        "人民调解员",
        "邻里纠纷",
        "信访",
        "化解",
        "协议",
        "法律援助",
    ],
    &[
        "就业",
        "招聘会",
        "失业登记",
        "技能培训",
        "创业",
        "灵活就业",
        "岗位",
        "社保补贴",
    ],
    &[
        "医疗",
        "家庭医生",
        "签约",
        "慢性病",
        "体检",
        "卫生服务中心",
        "疫苗",
        "健康档案",
    ],
    &[
        "托育",
        "幼儿园",
        "课后服务",
        "四点半课堂",
        "家长学校",
        "学位",
        "托管",
        "早教",
    ],
    &[
        "残疾人",
        "康复",
        "无障碍",
        "辅具",
        "残疾证",
        "托养",
        "盲道",
        "助残",
    ],
    &[
        "低保",
        "救助",
        "特困",
        "临时救助",
        "困难家庭",
        "兜底",
        "核查",
        "救助金",
    ],
    &[
        "住房",
        "保障房",
        "公租房",
        "租赁",
        "老旧小区",
        "改造",
        "加装电梯",
        "房屋安全",
    ],
    &[
        "治安",
        "巡逻",
        "监控",
        "防诈骗",
        "反诈",
        "平安建设",
        "警务室",
        "群防群治",
    ],
    &[
        "环境",
        "绿化",
        "河道",
        "污水",
        "噪音",
        "扬尘",
        "整治",
        "卫生死角",
    ],
    &[
        "交通",
        "停车",
        "公交",
        "非机动车",
        "道路",
        "拥堵",
        "斑马线",
        "共享单车",
    ],
    &[
        "文化",
        "图书室",
        "文艺演出",
        "广场舞",
        "非遗",
        "书法",
        "阅读",
        "文化站",
    ],
    &[
        "健身",
        "体育场地",
        "全民健身",
        "健身器材",
        "运动会",
        "篮球",
        "太极拳",
        "健步走",
    ],
    &[
        "食品安全",
        "餐饮",
        "抽检",
        "农贸市场",
        "菜市场",
        "过期食品",
        "索证索票",
        "明厨亮灶",
    ],
    &[
        "应急",
        "预案",
        "防汛",
        "物资储备",
        "避难场所",
        "地震",
        "台风",
        "值班",
    ],
    &[
        "儿童",
        "未成年人",
        "留守儿童",
        "儿童主任",
        "关爱",
        "监护",
        "儿童之家",
        "心理辅导",
    ],
    &[
        "妇女",
        "妇联",
        "家暴",
        "婚姻家庭",
        "女性",
        "母婴室",
        "巾帼",
        "维权",
    ],
    &[
        "退役军人",
        "优抚",
        "双拥",
        "军属",
        "服务站",
        "光荣牌",
        "拥军",
        "烈属",
    ],
    &[
        "民族",
        "宗教",
        "团结",
        "少数民族",
        "宗教场所",
        "节庆",
        "融合",
        "互嵌",
    ],
    &[
        "人口",
        "流动人口",
        "户籍",
        "居住证",
        "普查",
        "出生",
        "登记表",
        "常住人口",
    ],
    &[
        "数字化",
        "小程序",
        "数据",
        "平台",
        "信息系统",
        "智慧社区",
        "一网通办",
        "大数据",
    ],
    &[
        "协商",
        "议事会",
        "居民议事",
        "听证会",
        "民主",
        "恳谈会",
        "提案",
        "政协委员",
    ],
    &[
        "慈善",
        "捐赠",
        "基金",
        "社区基金会",
        "募捐",
        "善款",
        "义卖",
        "爱心",
    ],
];

/// General governance and social-service words (ranked after the fixtures' words).
const GENERAL: &str = "社区 居民 服务 工作 管理 街道 开展 加强 推进 落实 组织 建设 机制 群众 问题 情况 \
制度 部门 负责 要求 按照 相关 活动 提供 中心 项目 资金 政府 购买 评估 考核 标准 规范 流程 办理 申请 材料 \
审核 公示 结果 时间 地点 联系 电话 窗口 咨询 反映 意见 建议 通知 会议 记录 报告 统计 年度 季度 每月 每周 \
目标 任务 措施 保障 责任 单位 人员 队伍 培训 能力 水平 质量 效率 满意度 群体 家庭 邻里 楼栋 单元 门牌 区域 \
范围 覆盖 全面 重点 特别 及时 有效 积极 主动 依法 依规 公开 透明 参与 共建 共治 共享 协同 联动 整合 资源 \
力量 多元 主体 基层 治理 体系 现代化 精细化 便民 利民 惠民 民生 需求 供给 对接 匹配 清单 目录 档案 信息 \
上报 处置 反馈 回访 督办 办结 满意 投诉 热线 受理 转办 答复 期限 工作日 节假日 上午 下午 周末 免费 收费 \
标准化 示范 试点 推广 经验 做法 成效 亮点 不足 改进 下一步 计划 安排 部署 动员 宣传 培育 引导 支持 鼓励 \
奖励 表彰 先进 典型 案例 政策 文件 条例 办法 细则 规定 实施 执行 监督 检查 整改 验收 备案登记 联系人 \
负责人 工作人员 主任 书记 委员 代表 会长 秘书长 理事会 监事 章程 换届 选举 议题 表决 通过 签字 盖章 \
复印件 身份证 户口本 证明 原件 审批 许可 期满 续签 变更 注销 撤销 罚款 处罚 法律 法规 权利 义务 隐私 \
安全 风险 隐患 排查 应对 处理 协调 沟通 交流 座谈 调研 走访慰问 入户 上门 线上 线下 网站 公众号 微信群 \
扫码 预约 排队 等候 接待 指引 导航 地图 位置 楼层 房间 办公室 会议室 活动室 广场 公园 菜园 停车场";

const SUFFIX: &[&str] = &[
    "工作方案",
    "实施办法",
    "服务指南",
    "调研报告",
    "工作总结",
    "管理办法",
    "工作手册",
    "情况通报",
    "问答",
    "培训材料",
    "年度报告",
    "实施细则",
];

const STEMS: &str = "桂溪 梧桐 望湖 云岫 青石 柳塘 杏林 枫桥 翠竹 松涛 碧水 金沙 银杏 兰亭 荷花 梅园 \
桃源 竹林 星河 明月 清泉 紫荆 丹桂 玉兰 芙蓉 锦绣 长乐 永安 福寿 和平 光明 新华 东风 胜利 南湖 北苑 \
西岭 东湖 九龙 凤凰 白鹭 黄鹤 石桥 沙河 龙泉 春晖 朝阳 晨曦 秋实 冬青 太平 安居 乐业 建设 友谊 团结 \
红旗 解放 人民";
const NAME_SUFFIX: &[&str] = &["社区", "街道", "小区", "路", "花园", "新村", "公园", "巷"];
const SURNAMES: &str = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高";
const GIVEN: &str = "建国伟芳秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰玉梅红华海燕宇晨浩然";

const ASCII_WORDS: &[&str] = &[
    "APP", "PDF", "Excel", "Word", "WiFi", "QQ", "GDP", "HSDS", "Open311", "CPPCC", "OA", "GIS",
    "CT", "B超", "5G", "AI", "ID", "VIP", "U盘", "PPT",
];

pub struct Vocab {
    /// Global words by rank (most frequent first).
    pub words: Vec<String>,
    cdf: Vec<f64>,
    /// Words from the fixtures and the built-in list (before the synthetic tail).
    pub core: usize,
    pub numbers: Vec<String>,
}

impl Vocab {
    /// Segments the fixtures' .txt/.md files, ranks their words by frequency, then the
    /// built-in words, then synthetic names; topic words are kept out of the global list.
    pub fn build(fixtures: &Path, seed: u64) -> anyhow::Result<Vocab> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut files: Vec<_> = std::fs::read_dir(fixtures)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt" || e == "md"))
            .collect();
        files.sort();
        for f in &files {
            let text = std::fs::read_to_string(f)?;
            for w in platform::search::query_words(&text) {
                // Keep Chinese words (markdown syntax and ASCII come from our own list).
                if w.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                    *counts.entry(w).or_default() += 1;
                }
            }
        }
        let topic: std::collections::HashSet<&str> =
            TOPICS.iter().flat_map(|t| t.iter().copied()).collect();
        let mut ranked: Vec<(String, usize)> = counts
            .into_iter()
            .filter(|(w, _)| !topic.contains(w.as_str()))
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut words: Vec<String> = ranked.into_iter().map(|(w, _)| w).collect();
        let mut seen: std::collections::HashSet<String> = words.iter().cloned().collect();
        // Interleave the built-in list among the fixtures' mid ranks so it is not all tail.
        let mut rng = Rng::new(seed ^ 0xC0FFEE);
        for w in GENERAL.split_whitespace() {
            if !topic.contains(w) && seen.insert(w.to_string()) {
                let at = 20 + rng.below(words.len().saturating_sub(20).max(1));
                words.insert(at.min(words.len()), w.to_string());
            }
        }
        let core = words.len();
        // The long tail: place names and person names.
        let stems: Vec<&str> = STEMS.split_whitespace().collect();
        let mut tail = Vec::new();
        for s in &stems {
            for x in NAME_SUFFIX {
                tail.push(format!("{s}{x}"));
            }
        }
        let sur: Vec<char> = SURNAMES.chars().collect();
        let giv: Vec<char> = GIVEN.chars().collect();
        for _ in 0..400 {
            let mut n = String::new();
            n.push(sur[rng.below(sur.len())]);
            n.push(giv[rng.below(giv.len())]);
            if rng.below(2) == 0 {
                n.push(giv[rng.below(giv.len())]);
            }
            tail.push(n);
        }
        // Shuffle the tail deterministically.
        for i in (1..tail.len()).rev() {
            tail.swap(i, rng.below(i + 1));
        }
        for t in tail {
            if seen.insert(t.clone()) {
                words.push(t);
            }
        }
        // Zipf-like weights: 1 / (rank + 2.7)^1.0.
        let mut cdf = Vec::with_capacity(words.len());
        let mut acc = 0.0;
        for r in 0..words.len() {
            acc += 1.0 / (r as f64 + 2.7);
            cdf.push(acc);
        }
        let mut numbers = Vec::new();
        for y in 2012..=2025 {
            numbers.push(format!("{y}年"));
        }
        for _ in 0..200 {
            let n = rng.range(2, 2000);
            let unit = ["户", "人", "个", "件", "次", "元", "名", "处"][rng.below(8)];
            numbers.push(format!("{n}{unit}"));
        }
        Ok(Vocab {
            words,
            cdf,
            core,
            numbers,
        })
    }

    pub fn sample(&self, rng: &mut Rng) -> &str {
        let total = *self.cdf.last().expect("non-empty vocabulary");
        let u = rng.unit() * total;
        let i = self
            .cdf
            .partition_point(|&c| c < u)
            .min(self.words.len() - 1);
        &self.words[i]
    }
}

pub struct Params {
    pub seed: u64,
    pub pages_per_doc: usize,
    pub min_chars: usize,
    pub max_chars: usize,
}

pub struct Doc {
    pub id: i64,
    pub topic: usize,
    pub title: String,
    /// Whether the title contains the topic word (relevance grade 2 rather than 1).
    pub title_has_topic: bool,
    pub pages: Vec<String>,
    /// Word sequences of some sentences (for phrase queries).
    pub sentences: Vec<Vec<String>>,
}

fn doc_rng(seed: u64, id: i64) -> Rng {
    Rng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ (id as u64).wrapping_mul(0x9E37_79B9))
}

fn topic_word(rng: &mut Rng, t: usize) -> &'static str {
    let words = TOPICS[t];
    // The topic word itself is the most frequent of its topic.
    if rng.below(3) == 0 {
        words[0]
    } else {
        words[rng.below(words.len())]
    }
}

pub fn generate(v: &Vocab, p: &Params, id: i64, keep_sentences: bool) -> Doc {
    let mut rng = doc_rng(p.seed, id);
    let topic = rng.below(TOPICS.len());
    let second = (topic + 1 + rng.below(TOPICS.len() - 1)) % TOPICS.len();
    // Title: two or three topic words (the topic word with probability 0.6) and a suffix.
    let mut title = String::new();
    if rng.below(4) == 0 {
        title.push_str(&v.numbers[rng.below(14)]);
    }
    if rng.below(5) == 0 {
        title.push_str(&v.words[v.core + rng.below(v.words.len() - v.core)]);
    }
    let with_topic = rng.unit() < 0.6;
    let mut parts: Vec<&str> = Vec::new();
    if with_topic {
        parts.push(TOPICS[topic][0]);
    }
    let n_words = 2 + rng.below(2);
    while parts.len() < n_words {
        let w = TOPICS[topic][1 + rng.below(TOPICS[topic].len() - 1)];
        if !parts.contains(&w) {
            parts.push(w);
        }
    }
    // Shuffle the title words a little.
    if parts.len() > 1 && rng.below(2) == 0 {
        parts.swap(0, 1);
    }
    for w in &parts {
        title.push_str(w);
    }
    title.push_str(SUFFIX[rng.below(SUFFIX.len())]);
    let title_has_topic = title.contains(TOPICS[topic][0]);

    let mut pages = Vec::with_capacity(p.pages_per_doc);
    let mut sentences = Vec::new();
    for _ in 0..p.pages_per_doc {
        let target = rng.range(p.min_chars, p.max_chars);
        let mut text = String::with_capacity(target * 3 + 64);
        let mut chars = 0usize;
        while chars < target {
            let len = rng.range(6, 22);
            let mut sentence: Vec<&str> = Vec::with_capacity(len);
            for i in 0..len {
                let x = rng.unit();
                let w: &str = if x < 0.07 {
                    topic_word(&mut rng, topic)
                } else if x < 0.095 {
                    topic_word(&mut rng, second)
                } else if x < 0.11 {
                    &v.numbers[rng.below(v.numbers.len())]
                } else if x < 0.115 {
                    ASCII_WORDS[rng.below(ASCII_WORDS.len())]
                } else {
                    v.sample(&mut rng)
                };
                sentence.push(w);
                if i + 1 < len && i % 7 == 6 {
                    sentence.push("，");
                }
            }
            for w in &sentence {
                text.push_str(w);
                chars += w.chars().count();
            }
            text.push('。');
            chars += 1;
            if keep_sentences {
                sentences.push(sentence.iter().map(|s| s.to_string()).collect());
            }
        }
        pages.push(text);
    }
    Doc {
        id,
        topic,
        title,
        title_has_topic,
        pages,
        sentences,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Topic,
    Common,
    Rare,
    TwoWords,
    Phrase,
    Exclude,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Topic => "judged query",
            Kind::Common => "common word",
            Kind::Rare => "rare word",
            Kind::TwoWords => "two words",
            Kind::Phrase => "quoted phrase",
            Kind::Exclude => "with -exclusion",
        }
    }
    pub const ALL: [Kind; 6] = [
        Kind::Topic,
        Kind::Common,
        Kind::Rare,
        Kind::TwoWords,
        Kind::Phrase,
        Kind::Exclude,
    ];
}

#[derive(Clone, Debug)]
pub struct Clause {
    pub text: String,
    pub phrase: bool,
    pub negated: bool,
}

#[derive(Clone, Debug)]
pub struct BenchQuery {
    pub kind: Kind,
    pub clauses: Vec<Clause>,
    /// For the judged queries: the topic whose documents are relevant.
    pub topic: Option<usize>,
}

impl BenchQuery {
    /// The query in Gongzhi's query language.
    pub fn text(&self) -> String {
        self.clauses
            .iter()
            .map(|c| {
                let mut s = String::new();
                if c.negated {
                    s.push('-');
                }
                if c.phrase {
                    s.push('"');
                    s.push_str(&c.text);
                    s.push('"');
                } else {
                    s.push_str(&c.text);
                }
                s
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The 30 judged queries: written the way a reader would ask about one topic (two words,
/// a compound to be split, Traditional characters), each with the topic whose documents
/// are judged relevant (grade 2 when the title names the topic word, 1 otherwise).
pub const JUDGED: [(usize, &str); 30] = [
    (0, "居家养老 助餐"),
    (1, "網格員 巡查"),
    (2, "志愿服务时长"),
    (3, "垃圾分类 投放点"),
    (4, "物业费 业主委员会"),
    (5, "消防通道 电动车"),
    (6, "社会组织 孵化"),
    (7, "主题党日 党员"),
    (8, "邻里纠纷 调解"),
    (9, "技能培训 就业"),
    (10, "家庭醫生 簽約"),
    (11, "四点半课堂"),
    (12, "无障碍 残疾人"),
    (13, "临时救助 困难家庭"),
    (14, "老旧小区 加装电梯"),
    (15, "防诈骗 治安"),
    (16, "河道 污水 整治"),
    (17, "共享单车 停车"),
    (18, "广场舞 文化站"),
    (19, "全民健身 健身器材"),
    (20, "食品安全 抽检"),
    (21, "防汛 应急预案"),
    (22, "留守儿童 关爱"),
    (23, "妇联 家暴"),
    (24, "退役军人 优抚"),
    (25, "少数民族 团结"),
    (26, "流动人口 居住证"),
    (27, "智慧社区 数据"),
    (28, "居民议事 协商"),
    (29, "慈善捐赠"),
];

fn word(text: &str) -> Clause {
    Clause {
        text: text.to_string(),
        phrase: false,
        negated: false,
    }
}

fn is_cjk_word(w: &str) -> bool {
    w.chars().count() >= 2 && w.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The 200 queries: the 30 judged queries, 40 common words, 30 rare words, 40 two-word queries,
/// 40 quoted phrases taken from the corpus text and 20 with an excluded word.
pub fn queries(v: &Vocab, p: &Params, docs: usize) -> Vec<BenchQuery> {
    let mut rng = Rng::new(p.seed ^ 0x005E_ED0F_0EE7);
    let common: Vec<&str> = v.words[..v.core]
        .iter()
        .map(String::as_str)
        .filter(|w| is_cjk_word(w))
        .take(60)
        .collect();
    let rare_core: Vec<&str> = v.words[v.core * 6 / 10..v.core]
        .iter()
        .map(String::as_str)
        .filter(|w| is_cjk_word(w))
        .collect();
    let tail: Vec<&str> = v.words[v.core..].iter().map(String::as_str).collect();
    let rare = |rng: &mut Rng| -> String {
        if rng.below(2) == 0 {
            rare_core[rng.below(rare_core.len())].to_string()
        } else {
            tail[rng.below(tail.len())].to_string()
        }
    };
    let mut out = Vec::with_capacity(200);
    for &(t, q) in JUDGED.iter() {
        out.push(BenchQuery {
            kind: Kind::Topic,
            clauses: q.split_whitespace().map(word).collect(),
            topic: Some(t),
        });
    }
    for i in 0..40 {
        out.push(BenchQuery {
            kind: Kind::Common,
            clauses: vec![word(common[i % common.len()])],
            topic: None,
        });
    }
    for _ in 0..30 {
        out.push(BenchQuery {
            kind: Kind::Rare,
            clauses: vec![word(&rare(&mut rng))],
            topic: None,
        });
    }
    for i in 0..40 {
        let a = common[rng.below(common.len())].to_string();
        let b = match i % 3 {
            0 => common[rng.below(common.len())].to_string(),
            1 => {
                let t = TOPICS[rng.below(TOPICS.len())];
                t[1 + rng.below(t.len() - 1)].to_string()
            }
            _ => rare(&mut rng),
        };
        out.push(BenchQuery {
            kind: Kind::TwoWords,
            clauses: vec![word(&a), word(&b)],
            topic: None,
        });
    }
    while out.len() < 180 {
        let id = 1 + rng.below(docs) as i64;
        let d = generate(v, p, id, true);
        let s = &d.sentences[rng.below(d.sentences.len())];
        let n = rng.range(2, 3);
        if s.len() < n + 1 {
            continue;
        }
        let start = rng.below(s.len() - n);
        let slice = &s[start..start + n];
        if slice.iter().any(|w| w == "，") {
            continue;
        }
        let phrase: String = slice.concat();
        if phrase.chars().count() < 4 {
            continue;
        }
        out.push(BenchQuery {
            kind: Kind::Phrase,
            clauses: vec![Clause {
                text: phrase,
                phrase: true,
                negated: false,
            }],
            topic: None,
        });
    }
    for i in 0..20 {
        let (a, b) = if i % 2 == 0 {
            let t = TOPICS[rng.below(TOPICS.len())];
            (t[0].to_string(), t[1 + rng.below(t.len() - 1)].to_string())
        } else {
            (
                common[rng.below(common.len())].to_string(),
                common[rng.below(common.len())].to_string(),
            )
        };
        let b = if a == b { rare(&mut rng) } else { b };
        out.push(BenchQuery {
            kind: Kind::Exclude,
            clauses: vec![
                word(&a),
                Clause {
                    text: b,
                    phrase: false,
                    negated: true,
                },
            ],
            topic: None,
        });
    }
    out
}
