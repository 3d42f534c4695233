"""The vocabulary of printed labels and what each means: data only, in one place.

A newcomer who meets a new spelling adds it here and nothing else: the readers build their
patterns from these tables when they read (see patterns.py).  Spellings are regular-expression
fragments matched against NFKC-folded text with whitespace removed, so "项目 名称" and full-width
brackets need no entry of their own.  Longer spellings are tried before shorter ones.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# Header keys: field of the contract -> printed spellings.  None collects keys whose values are
# outside the contract (a phone number must not end up in the project name).
HEAD_KEYS: dict[str | None, list[str]] = {
    "project_name": [r"项目名称", r"项目支出名称", r"单位\(专项\)名称", r"专项名称", r"申报项目名称"],
    "competent_department": [
        r"主管部门(?:及其?(?:代码|编码))?", r"主管部门名称", r"项目主管部门", r"主管预算部门", r"主管单位(?:及代码)?",
        r"部门名称", r"部门[:]"],
    "implementing_unit": [r"(?:项目)?实施单位(?:及代码|名称)?", r"项目执行单位", r"执行单位", r"单位名称", r"预算单位", r"预算部门",
                          r"单位信息"],
    "project_attribute": [r"项目属性"],
    "project_period": [r"项目(?:实施)?(?:期限|周期)", r"项目(?:支出)?实施期", r"实施期限", r"项目起止时间", r"项目起止时限",
                       r"项目起止期", r"项目期"],
    None: [r"项目负责人(?:及电话)?", r"项目责任人", r"项目经办人(?:电话)?", r"联系电话", r"联系人", r"项目编码", r"项目代码",
           r"项目类型", r"项目类别", r"项目来源", r"所属领域", r"单位负责人", r"部门负责人", r"单位代码", r"填报单位",
           r"编报单位", r"编报时间", r"预算执行率权重", r"(?:金额|资金)?单位[:]"],
}

# Fund labels: kind -> spellings.  "total" is a block's total, "fiscal" 财政拨款, "other" 其他资金;
# None are sources the contract does not map (自有资金, 上级资金 …).  A qualifier in brackets
# (含本级和市县 / 含本级) or a 本级 prefix picks the column.
FUND_KEYS: dict[str | None, list[str]] = {
    "total": [r"(?:本年度|年度|当年|中长期|中期|长期|项目期|实施期|项目)?(?:本级)?(?:资金总额|资金总计|预算总额|总预算|预算金额|"
              r"预算数|资金合计|合计)", r"项目金额", r"项目预算金额"],
    "fiscal": [r"(?:其中[:]?)?(?:当年)?(?:(?:市|县|区|省)级)?(?:财政拨款|财政资金|财政性资金|预算资金)(?:小计)?",
               r"(?:[一二三四][、.])?预算资金"],
    "other": [r"(?:其中[:]?)?(?:当年)?(?:其他资金|其他来源资金|其他收入|其他)", r"(?:[一二三四][、.])?其他"],
    None: [r"(?:其中[:]?)?(?:该项目支出)?(?:单位自有资金|自有资金|上级资金|上级补助资金?|上级专项资金?|单位自筹资金?|自筹资金|"
           r"社会资金|事业收入)", r"(?:[一二三四][、.])?自有资金"],
}
# What starts a funds block (a row holding one of these is a funds row).
FUND_STARTS = [r"资金总额", r"资金总计", r"预算总额", r"总预算", r"预算金额", r"预算数", r"资金合计", r"项目金额",
               r"项目预算金额"]
# Period words: a total labelled with one of these is the project-period column, not the year's.
# An amount labelled with one of these belongs to the own-level (本级) column.
OWN_LEVEL_WORDS = [r"本级"]
PERIOD_WORDS = [r"中长期", r"中期", r"长期", r"项目期", r"实施期"]
# Amount units a label or a line under the heading may state.
AMOUNT_UNITS = ["亿元", "万元", "元"]

# Goal labels: kind -> spellings.  "group" is the 绩效目标 label spanning both kinds.
GOAL_KEYS: dict[str, list[str]] = {
    "overall": [r"年度总体绩效目标", r"总体绩效目标", r"中长期绩效目标", r"中期绩效目标", r"长期绩效目标", r"实施期绩效目标",
                r"实施期目标", r"中长期目标", r"中期目标", r"长期目标", r"绩效总目标", r"项目总目标", r"总体目标", r"整体目标"],
    "annual": [r"本年度绩效目标", r"年度绩效目标(?:\(文字\))?", r"当年绩效目标", r"本年度目标", r"年度目标", r"当年目标"],
    "group": [r"项目绩效目标", r"绩效目标"],
    # a column beside the goals that is no goal (a 申报表's self-assessment column)
    "ignored": [r"年度总体目标完成情况", r"目标完成情况"],
}

# Column headers of the indicator grid: folded header text -> role (sections.Role values).
COLUMNS: dict[str, str] = {
    "一级指标": "l1", "二级指标": "l2", "三级指标": "name", "指标名称": "name", "指标内容": "name",
    "绩效指标名称": "name", "具体指标": "name", "三级指标名称": "name",
    "指标值": "value", "目标值": "value", "指标目标值": "value", "年度指标值": "value", "指标值及单位": "value",
    "绩效指标值": "value", "预期目标值": "value", "年度目标值": "value", "指标值(年度)": "value",
    "指标性质": "op", "运算符号": "op", "计算符号": "op", "度量单位": "unit", "计量单位": "unit",
    "单位": "unit", "绩效指标": "group",
    # known columns outside the contract: read past, never mistaken for a value
    # ("ignored": may hold a note a reviewer should see; "outside": weights, scores, directions, types)
    "备注": "ignored", "绩效标准": "ignored", "指标标准或依据": "ignored", "权重": "outside", "权重(%)": "outside",
    "分值": "outside", "指标方向": "outside", "指标方向性": "outside", "指标值内容": "outside",
    "评(扣)分标准": "outside", "评(扣分标准)": "outside", "评分标准": "outside", "指标值类型": "outside",
    "年度总体目标完成情况": "ignored", "年度总体目标完成情况": "ignored",
    # tables that list many projects, one row per indicator, with the project's own cells merged
    # down its rows
    "项目名称": "project", "主管部门": "dept", "部门名称": "dept", "实施单位": "impl", "单位名称": "impl",
    "预算单位": "impl", "项目单位": "impl", "绩效目标": "goal", "年度绩效目标": "goal", "年度目标": "goal",
    "项目绩效目标": "goal", "总体目标": "goal_overall", "中期目标": "goal_overall", "项目金额": "amount",
    "预算金额": "amount", "资金总额": "amount", "年度资金总额": "amount", "项目预算": "amount",
    "预算数": "amount", "金额": "amount", "单位代码": "code", "项目代码": "code", "单位(专项)名称": "unit_or_project",
    "实施期绩效目标": "goal_overall", "中长期绩效目标": "goal_overall", "年度绩效目标(文字)": "goal",
}

# Level labels.  Level 1: printed (folded) spelling -> meaning; a vertical label clipped by its
# cell ("满意度指") is still the label; 成本指标 as a level-1 group is the 2021 framework.
LEVEL1: dict[str, str] = {
    "产出指标": "产出指标", "产出": "产出指标", "产出指": "产出指标", "项目完成指标": "产出指标", "产出值": "产出指标",
    "效益指标": "效益指标", "效益": "效益指标", "效益指": "效益指标", "项目效益指标": "效益指标", "效益值": "效益指标",
    "满意度指标": "满意度指标", "满意度": "满意度指标", "满意度指": "满意度指标", "满意度值": "满意度指标",
    "成本指标": "成本指标", "成本": "成本指标", "成本指": "成本指标", "成本值": "成本指标",
}
# Level 2: keywords that decide a printed level-2 name, tried in order (经济成本指标 is a cost,
# not an economic benefit; 社会公众或服务对象满意度指标 is a satisfaction label).
LEVEL2_KEYWORDS: list[tuple[str, str]] = [
    ("满意", "服务对象满意度指标"), ("成本", "成本指标"), ("数量", "数量指标"), ("质量", "质量指标"),
    ("时效", "时效指标"), ("进度", "时效指标"), ("经济", "经济效益指标"), ("社会", "社会效益指标"),
    ("生态", "生态效益指标"), ("环境", "生态效益指标"), ("可持续", "可持续影响指标"),
]
# A level-2 label ends like a label: "…指标", a clipped "…指", or "…值" (数量值, 质量值).
LEVEL2_ENDINGS = ("指标", "指", "值")
LEVEL2_BARE = {"数量", "质量", "时效", "成本", "满意度"}
# Printed suffixes a level label may carry: (必填硬性指标), (选填).
LEVEL_SUFFIX = r"[(][^()]{0,12}[)]$"
# Levels of other frameworks: kept as printed under the nearest contract level, and noted.
FOREIGN_LEVELS: dict[str, tuple[str, str]] = {
    "实施效果指标": ("效益指标", "社会效益指标"),
    "过程管理指标": ("产出指标", "时效指标"),
}
# Words that join a level label broken over lines (产/出/指/标, 经济效益/指标).
LABEL_PREFIX_WORDS = ["经济效益", "社会效益", "生态效益", "环境效益指标", "可持续影响指标", "服务对象满意度指标",
                      "社会公众或服务对象满意度指标", "一级指标", "二级指标", "三级指标", "绩效指标"]

# Sub-headers under the value column (regular expressions on folded text).
VALUE_SUBHEADERS = [r"(?:\d{4}年度?)?实际(?:实现|完成)?值", r"预期(?:\d{4}年度?)?(?:实现|目标)?值", r"(?:\d{4}年度?)目标值"]

# The operator column (指标性质) and its words.
OPERATOR_WORDS: dict[str, str | None] = {
    "≥": "≥", ">=": "≥", "≧": "≥", "≤": "≤", "<=": "≤", "≦": "≤", ">": ">", "<": "<", "=": "=",
    "大于等于": "≥", "小于等于": "≤", "等于": "=", "大于": ">", "小于": "<", "定性": None, "定量": "=",
}
# Qualitative value words that may end a run-together "name value" cell.
QUALITATIVE_WORDS = [
    "当年完成", "按时完成", "及时完成", "全部完成", "有效提升", "明显提升", "显著提升", "稳步提升", "稳步提高",
    "逐步提高", "有所提高", "明显提高", "显著提高", "有效改善", "明显改善", "持续改善", "大幅提升", "有所减轻", "有所提升",
    "进一步提升", "提高", "提升", "加强", "增强", "改善", "及时", "准确", "达标", "合格", "良好",
    "优良", "显著", "明显", "有效", "降低", "减少", "完成", "是", "否", "长期", "持续",
]

# Units a value may carry, and the words before a number that compare (for cutting a value out
# of cells run together: "17元/人.每天反映…" -> "17元/人.每天").  每 before a unit is allowed.
UNIT_WORDS = ["元", "万元", "亿元", "个", "人次", "人", "次", "天", "年", "月", "日", "周", "小时", "分钟", "家", "所", "台",
              "套", "项", "件", "亩", "平方米", "平米", "m2", "㎡", "公里", "千米", "米", "吨", "户", "场", "期", "篇", "本",
              "册", "份", "批", "辆", "座", "处", "间", "名", "种", "类", "条", "张", "株", "头", "只", "所", "校", "村",
              "班", "节", "课时", "学时", "元/人", "万"]
VALUE_PREFIXES = ["≥", "≤", ">=", "<=", ">", "<", "=", "≧", "≦", "大于等于", "小于等于", "大于", "小于", "不低于", "不少于",
                  "不高于", "不超过", "不大于", "达到", "低于", "高于"]
# What a row of an empty indicator slot prints in a flat export (its type column: '-定性').
BLANK_ROW_WORDS = ["定性", "定量", "正向", "反向"]
# Text of the columns outside the contract that a flat export prints after the value: scoring
# rules (得10分, 扣1分), weights and types.  Accounted for by the coverage measure, never extracted.
SCORING_MARKS = [r"得\d+(?:\.\d+)?分", r"扣\d+(?:\.\d+)?分", r"\d+(?:\.\d+)?分"]
# Degree words that may stand before a qualitative value word (有所 + 改善).
DEGREE_WORDS = ["有所", "明显", "显著", "进一步", "稳步", "逐步", "大幅", "持续", "有效", "不断", "全面", "基本"]

# Marks of a chosen option (项目属性 持续性项目■ 新增性项目□).
CHECKED = "■☑√✔✓"
UNCHECKED = "□☐口"

# Lines that end the table: notes and sign-off blocks.
NOTE_STARTS = [r"注[:]", r"说明[:]", r"填报说明[:]", r"备注[:]", r"附件[:]", r"财政部门", r"财政资金管理科室",
               r"区扶贫办审核意见", r"扫一扫", r"其他需(?:要)?说明的(?:问题|事项)",
               # a web page's own links under the table
               r"[【\[]?(?:返回|打印|关闭)(?:本页|窗口|顶部)?[】\]]?$"]

# Sign-off lines under the grid (who filled it in, a stamp, a blank date): they end the table even
# inside its ruling (a printed page draws the sign-off cells as the table's last row), and are
# never read as an indicator.  Matched at the start of a row's first cell.
SIGN_OFF = [r"填报人[:]", r"填表人[:]", r"审核人[:]", r"复核人[:]", r"经办人[:]", r"填报日期[:]", r"填表日期[:]",
            r"(?:单位|部门|财务|分管)负责人(?:签字)?[:]", r"联系电话[:]",
            r"[^|]{0,30}[(](?:盖章|签章|公章|签字|签名)[)]", r"[^|]{0,30}年月日$"]

# Sub-headings of the form between its sections ("绩效项目指标表" above the grid): a line that is
# only one of these holds no value and ends a run of goal texts.
FORM_HEADINGS = ["绩效项目指标表", "绩效指标表", "项目基本信息", "项目绩效指标", "绩效指标明细"]

# Words of the form itself, outside the contract: accounted for when measuring how much of a
# table its reading understood (coverage.py), never extracted.
IGNORED_TEXT = ["填报单位", "盖章", "单位", "万元", "元", "金额单位", "资金情况", "项目资金", "项目资金申请", "项目基本信息",
                "年度", "定性", "定量", "正向指标", "反向指标", "计划标准", "行业标准", "历史标准", "其中", "当年",
                "项目实施进度计划", "项目实施内容", "开始时间", "完成时间", "项目概况", "绩效项目指标表", "附件"]
