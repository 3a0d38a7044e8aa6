#!/usr/bin/env python3
"""Generate warnd's example data: SYNTHETIC annual values 2018-2024, NOT REAL STATISTICS.

    python3 scripts/generate-example-data.py [--out DIR] [--rules DIR]

What it writes (default DIR: examples/data): for each of the five counties whose plans are encoded in rules/
(渠县, 双阳区, 永川区, 威宁自治县, 秀峰区), one data file per plan with a plausible annual series 2018-2024 for
every indicator the plan monitors, plus README.md with the story of each county. One file is GB18030 with CRLF
line ends, as Chinese Excel/WPS saves a plain "CSV" (xiufeng-children.csv), one is JSON Lines
(shuangyang-children.jsonl); the others are UTF-8 CSV.

Why synthetic: the county monitoring reports are not public as series. The data exist to demonstrate and test
warnd, so they are shaped to tell a checkable story rather than copied from anywhere:

- Levels are anchored on what the plans themselves state (永川区's plan gives 2020 values for a dozen
  indicators, see ANCHORS) and otherwise on plausible national-level values (HINTS: 孕产妇死亡率 about
  15-20/10万 falling, 婴儿死亡率 about 5‰, coverage rates in the 90s, women's shares of 20-50%), shifted per county
  (威宁 poorer and more rural, 永川 and 秀峰 better off, see REGION_PROFILES).
- Most series are on track: a steady trend that meets each target of the rules that watch it ahead of the
  straight-line path, with noise kept well inside every fluctuation threshold, so most rules stay quiet.
- In each county a few series are shaped to fire one rule kind each (SCENARIOS, keyed by rule id): off track
  (forecast), behind the straight-line path (trajectory), a large swing in the latest year (fluctuation), a
  keep-within target breached in the latest year (breach), a goal going the wrong way (direction), a widening gap
  (gap), and lateness (stale): 威宁自治县 sends no 2024 values at all, and 渠县 has not yet sent its 2024
  孕产妇死亡率. One of them is a binding (约束性) target: 威宁自治县's 孕产妇死亡率 is off track for its 2025
  target, so the demo has critical (严重) alerts; every other alert is a warning.
- The rules are re-read on every run and nothing depends on indicator ids: scenarios name rule ids, and hints
  and anchors name indicators by their Chinese catalog name. Each series is drawn, then checked with a
  re-implementation of warnd's rule semantics (docs/rules.md; Sources/Rules/Evaluation/SeriesJudge.swift and
  Evaluator.swift); a draw that would fire an unintended rule is redrawn with less noise. A scenario whose rule
  id no longer exists is reported and skipped.

Deterministic: all randomness comes from random.Random seeded with a SHA-256 of SEED and the series key (never
Python's hash()), so running it twice gives byte-identical files. Needs Python 3 and PyYAML only.
"""

import argparse
import csv
import glob
import hashlib
import io
import json
import math
import os
import random
import re
import sys

import yaml

SEED = "warnd example data 2018-2024 v1"
FIRST_YEAR, LAST_YEAR = 2018, 2024
AT = 2024                      # the evaluation period of the demo (the latest year with data)
NOW = (2025, 7, 1)             # the demo's --now: 2024 values were due by 2025-06-30
SOURCE = "synthetic example"

COUNT_UNITS = {"人", "个", "所", "起", "户", "人次"}

# ── county profiles ──────────────────────────────────────────────────────────────────────────────────────────────
# cov: multiplies the distance of a coverage rate from 100 %; bad: multiplies "bad" % rates (anemia, myopia …);
# mort: multiplies mortality rates; pop: scales counts; rural: rural share (weights of the 城镇/农村 sides);
# late: no value for the latest year at all.
REGION_PROFILES = {
    "渠县": dict(cov=1.10, bad=1.05, mort=1.00, pop=1.00, rural=0.62, late=False),
    "双阳区": dict(cov=0.90, bad=0.95, mort=0.85, pop=0.35, rural=0.50, late=False),
    "永川区": dict(cov=0.75, bad=0.90, mort=0.60, pop=1.00, rural=0.30, late=False),
    "威宁自治县": dict(cov=1.45, bad=1.15, mort=1.25, pop=1.20, rural=0.80, late=True),
    "秀峰区": dict(cov=0.80, bad=0.90, mort=0.80, pop=0.15, rural=0.15, late=False),
}
DEFAULT_PROFILE = dict(cov=1.0, bad=1.0, mort=1.0, pop=1.0, rural=0.5, late=False)

# ── plausible levels ────────────────────────────────────────────────────────────────────────────────────────────
# Chinese catalog name → (2020 level for an average county, change per year, how the county profile shifts it:
# cov | bad | mort | count | share | other). Targets of the rules override these where they disagree (a county
# whose plan says 保持在95%以上 is given a series that is above 95 %).
HINTS = {
    # 妇女与健康
    "妇女人均预期寿命": (80.2, 0.22, "other"),
    "妇女人均健康预期寿命": (69.5, 0.30, "other"),
    "孕产妇死亡率": (16.5, -0.6, "mort"),
    "适龄妇女宫颈癌人群筛查率": (45.0, 2.6, "other"),
    "适龄妇女乳腺癌人群筛查率": (40.0, 2.4, "other"),
    "宫颈癌和乳腺癌防治知识知晓率": (80.0, 1.3, "cov"),
    "35—45岁妇女接受高效宫颈癌筛查的比例": (46.0, 3.2, "other"),
    "宫颈癌患者治疗率": (86.0, 0.9, "cov"),
    "艾滋病母婴传播率": (2.6, -0.12, "mort"),
    "先天梅毒发病率": (17.0, -0.8, "mort"),
    "乙肝母婴传播率": (0.62, -0.03, "mort"),
    "孕产妇艾滋病、梅毒和乙肝检测率": (99.2, 0.05, "cov"),
    "孕产妇艾滋病、梅毒感染者治疗率": (95.5, 0.3, "cov"),
    "感染艾滋病、梅毒和乙肝的孕产妇采取预防母婴传播干预措施比例": (96.0, 0.5, "cov"),
    "感染艾滋病、梅毒和乙肝的孕产妇所生儿童采取预防母婴传播干预措施比例": (96.0, 0.5, "cov"),
    "艾滋病和梅毒感染孕产妇所生儿童治疗率": (92.0, 0.8, "cov"),
    "乙肝表面抗原阳性产妇所生儿童出生后24小时内乙肝疫苗接种率": (97.5, 0.3, "cov"),
    "孕产妇系统管理率": (92.5, 0.35, "cov"),
    "婚前医学检查率": (72.0, 1.5, "other"),
    "孕产妇住院分娩率": (99.7, 0.03, "cov"),
    "高危孕妇住院分娩率": (99.4, 0.15, "cov"),
    "生殖健康与优生知识宣传普及率": (92.5, 0.8, "cov"),
    "孕产妇贫血率": (14.0, -0.4, "bad"),
    "妇女心理健康素养水平": (15.0, 1.0, "other"),
    "妇女健康素养水平": (22.0, 1.4, "other"),
    "妇女经常参加体育锻炼的人数比例": (33.0, 0.8, "share"),
    "妇女体质测定标准合格比例": (88.8, 0.2, "cov"),
    "人均体育场地面积": (2.0, 0.12, "other"),
    # 妇女与教育、经济
    "科技人才中女性比例": (38.0, 0.4, "share"),
    "公民具备科学素质的比例": (9.5, 1.1, "other"),
    "女性青壮年文盲率": (0.8, -0.05, "bad"),
    "女性平均受教育年限": (9.8, 0.10, "other"),
    "劳动年龄女性平均受教育年限": (10.2, 0.10, "other"),
    "经常性参与教育活动的老年人比重": (12.0, 1.0, "share"),
    "经常性参与教育活动的老年妇女比例": (11.0, 0.8, "share"),
    "中等职业学校在校学生中女生占比": (42.0, 0.3, "share"),
    "就业人员中的女性比例": (44.6, 0.05, "share"),
    "城镇单位就业人员中的女性比例": (39.6, 0.08, "share"),
    "城镇新增就业人员中女性比例": (34.2, 0.15, "share"),
    "残疾女性就业比例": (42.0, 0.6, "share"),
    "技能劳动者中女性比例": (28.0, 0.5, "share"),
    "技能劳动者中取得职业资格证书的女性比例": (39.0, 0.15, "share"),
    "高级专业技术人员中的女性比例": (34.0, 0.7, "share"),
    "中级专业技术人员中的女性比例": (48.0, 0.4, "share"),
    "公有制企事业单位专业技术人员女性占比": (50.6, -0.05, "share"),
    "平均年收入": (42000.0, 2100.0, "other"),
    "女职工职业病发病率": (0.12, -0.005, "bad"),
    "城镇调查女性失业率": (5.0, -0.05, "bad"),
    "有就业意愿的离校未就业女大学生帮扶率": (96.0, 1.0, "cov"),
    "女性参加技能培训人次（“十四五”累计）": (8000.0, 8300.0, "count"),
    "低收入妇女人数": (16000.0, -700.0, "count"),
    # 妇女参与决策和管理
    "党代会代表中女党员代表比例": (27.0, 0.0, "share"),
    "人大代表中女性比例": (27.0, 0.0, "share"),
    "人大常委会委员中女性比例": (18.0, 0.0, "share"),
    "政协委员中女性比例": (30.0, 0.0, "share"),
    "政协常委中女性比例": (22.0, 0.0, "share"),
    "乡镇（街道）党政领导班子中女干部比例": (22.0, 0.3, "share"),
    "乡镇（街道）担任正职的女干部占同级正职干部的比例": (12.0, 0.4, "share"),
    "乡镇（街道）领导班子中的女干部数量": (60.0, 2.0, "count"),
    "县政府工作部门领导班子中的女干部数量": (25.0, 1.0, "count"),
    "政府领导班子中女干部比例": (18.0, 0.3, "share"),
    "政府领导班子中担任正职的女干部占同级正职干部的比例": (9.0, 0.3, "share"),
    "政府工作部门领导班子中女干部比例": (24.0, 0.3, "share"),
    "政府工作部门担任正职的女干部占同级正职干部的比例": (15.0, 0.4, "share"),
    "配备女干部的政府部门领导班子比例": (38.0, 0.6, "share"),
    "事业单位领导班子成员中女性比例": (30.0, 0.4, "share"),
    "区级各类事业单位领导班子中有女性成员的比例": (62.0, 1.0, "share"),
    "企业董事会成员中女性比例": (22.0, 0.3, "share"),
    "企业监事会成员中女性比例": (28.0, 0.3, "share"),
    "企业管理层中女性比例": (30.0, 0.3, "share"),
    "企业董事会、监事会成员及管理层中的女性比例": (29.0, 0.3, "share"),
    "国有企业董事会、监事会及管理层成员中的女性比例": (24.0, 0.4, "share"),
    "村党组织成员中女性比例": (24.0, 0.0, "share"),
    "村党组织书记中女性比例": (11.0, 0.0, "share"),
    "村委会成员中女性比例": (33.0, 0.4, "share"),
    "村委会主任中女性比例": (11.0, 0.4, "share"),
    "村“两委”班子中至少有1名女性成员的村占比": (92.0, 2.0, "cov"),
    "社区党组织成员中女性比例": (45.0, 0.0, "share"),
    "社区党组织书记中女性比例": (38.0, 0.0, "share"),
    "社区居委会成员中女性比例": (50.3, 0.0, "share"),
    "社区居委会主任中女性比例": (40.0, 0.6, "share"),
    "社区“两委”成员中女性比例": (40.4, 0.0, "share"),
    "社会组织中的女性比例": (35.0, 0.5, "share"),
    "社会组织女性负责人比例": (22.0, 0.5, "share"),
    "少数民族女干部比例": (12.0, 0.2, "share"),
    # 妇女与社会保障、家庭、环境、法律
    "城乡妇女基本养老保险参保率": (92.0, 0.4, "cov"),
    "城乡妇女基本医疗保险参保率": (96.3, 0.1, "cov"),
    "生育保险参保率": (84.0, 1.3, "cov"),
    "妇女失业保险参保人数": (30000.0, 1200.0, "count"),
    "妇女工伤保险参保人数": (36000.0, 1500.0, "count"),
    "以社区为单位的养老服务覆盖率": (60.0, 3.0, "other"),
    "护理型养老床位占比": (35.0, 2.5, "other"),
    "区级失能特困人员集中照护中心数": (1.0, 0.25, "fixed"),
    "镇（街道）养老服务中心数": (9.0, 1.4, "fixed"),
    "女性在城乡低保对象人数中总体占比": (40.8, -0.05, "share"),
    "日均家务劳动时间": (105.0, -0.5, "other"),
    "“最美家庭”等家庭创建活动参评率": (70.0, 2.0, "other"),
    "新婚夫妻接受家庭教育指导率": (40.0, 4.0, "other"),
    "婚姻登记机关婚姻家庭辅导室覆盖率": (100.0, 0.0, "fixed"),
    "区级文明家庭数": (300.0, 40.0, "count"),
    "区级妇女活动中心数": (1.0, 0.0, "fixed"),
    "标准化妇幼保健机构数": (1.0, 0.0, "fixed"),
    "城镇公共厕所男女厕位比": (1.56, 0.01, "other"),
    "集中式饮用水水源水质达标率": (98.0, 0.3, "cov"),
    "农村自来水普及率": (88.0, 1.0, "cov"),
    "农村水质达标率": (85.0, 1.2, "cov"),
    "农村卫生厕所普及率": (75.0, 2.5, "cov"),
    "女性检察官占比": (40.0, 0.6, "share"),
    "女性法官占比": (35.0, 0.6, "share"),
    "女性律师占比": (30.0, 0.8, "share"),
    "杀害、强奸、伤害、侮辱、拐卖妇女刑事案件发生数": (25.0, -1.0, "count"),
    # 儿童与健康
    "新生儿死亡率": (3.0, -0.15, "mort"),
    "婴儿死亡率": (5.0, -0.25, "mort"),
    "5岁以下儿童死亡率": (6.8, -0.3, "mort"),
    "儿童及其照护人健康素养水平": (25.0, 1.2, "other"),
    "适龄儿童免疫规划疫苗接种率": (98.5, 0.05, "cov"),
    "5岁以下儿童贫血率": (8.0, -0.3, "bad"),
    "5岁以下儿童生长迟缓率": (3.5, -0.12, "bad"),
    "儿童青少年超重肥胖率": (18.5, -0.2, "bad"),
    "儿童新发近视率": (8.0, -0.2, "bad"),
    "儿童青少年总体近视率": (52.0, -0.6, "bad"),
    "小学生近视率": (36.0, -0.5, "bad"),
    "初中生近视率": (68.0, -1.1, "bad"),
    "高中阶段学生近视率": (79.0, -1.0, "bad"),
    "0—6岁儿童眼保健和视力检查覆盖率": (92.0, 0.4, "cov"),
    "中小学生每学年免费视力检查覆盖率": (100.0, 0.0, "fixed"),
    "国家学生体质健康标准达标优良率": (40.0, 2.0, "other"),
    "国家学生体质健康标准达标率": (91.5, 0.2, "cov"),
    "中小学校心理健康辅导室配置率": (70.0, 3.0, "cov"),
    "中小学校专兼职心理教师覆盖率": (75.0, 3.0, "cov"),
    "学生心理健康教育课时（每学期）": (10.0, 0.0, "fixed"),
    "儿童心理健康素养水平": (18.0, 1.5, "other"),
    "每千名儿童拥有儿科执业（助理）医生数": (0.75, 0.05, "other"),
    "每千名儿童拥有儿科床位数": (2.4, 0.1, "other"),
    "每所乡镇卫生院、社区卫生服务中心配备提供规范儿童基本医疗服务的全科医生数": (0.8, 0.06, "other"),
    "每所乡镇卫生院、社区卫生服务中心配备专业从事儿童保健的医生数": (1.5, 0.12, "other"),
    "新生儿访视率": (93.0, 0.2, "cov"),
    "3岁以下儿童系统管理率": (92.0, 0.3, "cov"),
    "7岁以下儿童健康管理率": (93.5, 0.25, "cov"),
    "12岁儿童龋患率": (26.0, -0.4, "bad"),
    "6个月内纯母乳喂养率": (52.0, 0.8, "other"),
    "6-36月龄儿童营养包有效服用率": (88.0, 1.5, "cov"),
    "产前筛查率": (70.0, 2.5, "cov"),
    "新生儿遗传代谢病筛查率": (97.5, 0.3, "cov"),
    "新生儿听力障碍筛查率": (92.0, 0.6, "cov"),
    "重型地中海贫血患儿出生率": (0.12, -0.008, "mort"),
    "小学生每天睡眠时间": (9.3, 0.10, "other"),
    "初中生每天睡眠时间": (8.3, 0.10, "other"),
    "高中生每天睡眠时间": (7.3, 0.10, "other"),
    "儿童自杀、自伤率": (0.12, -0.005, "mort"),
    # 儿童与安全
    "儿童伤害死亡率": (18.0, -0.6, "mort"),
    "儿童溺水死亡率": (5.5, -0.25, "mort"),
    "儿童意外伤害死亡率": (0.14, -0.006, "mort"),
    "儿童暴力伤害发生率": (0.5, -0.02, "mort"),
    "儿童自杀事件数": (4.0, -0.35, "fixed"),
    "儿童受诈骗案件数": (12.0, -1.0, "fixed"),
    # 儿童与教育
    "学前教育毛入园率": (90.0, 1.0, "cov"),
    "普惠性幼儿园覆盖率": (84.0, 1.0, "cov"),
    "公办幼儿园在园幼儿占比": (52.0, 0.8, "other"),
    "九年义务教育巩固率": (96.5, 0.3, "cov"),
    "高中阶段毛入学率": (90.0, 0.8, "cov"),
    "残疾儿童义务教育入学率": (94.0, 0.5, "cov"),
    "残疾儿童义务教育巩固率": (93.0, 0.6, "cov"),
    "农村小学生寄宿率": (28.5, 0.3, "other"),
    "农村初中生寄宿率": (67.5, 0.5, "other"),
    # 儿童与福利、家庭、环境、法律
    "托育机构数": (12.0, 3.0, "count"),
    "托位数": (900.0, 150.0, "count"),
    "普惠托育服务机构数量": (15.0, 4.0, "count"),
    "每千人口拥有3岁以下婴幼儿托位数": (2.0, 0.3, "other"),
    "城乡社区儿童之家覆盖率": (85.0, 2.0, "cov"),
    "乡镇（街道）儿童督导员配备率": (95.0, 2.5, "cov"),
    "社区（村）儿童主任配备率": (98.0, 1.0, "cov"),
    "村（居）儿童主任培训参训率": (92.0, 2.5, "cov"),
    "儿童基本医疗保险参保率": (96.0, 0.3, "cov"),
    "残疾儿童康复服务覆盖率": (75.0, 2.5, "cov"),
    "0—6岁残疾儿童康复救助人数": (350.0, 20.0, "count"),
    "独立的区未成年人保护机构数": (1.0, 0.0, "fixed"),
    "乡镇（街道）未成年人保护工作站覆盖率": (40.0, 15.0, "other"),
    "至少有1家儿童保护服务类社会组织的乡镇（街道）占比": (60.0, 9.0, "other"),
    "与儿童保护服务类社会组织建立稳定合作关系的未成年人保护机构占比": (70.0, 7.0, "other"),
    "0—18岁儿童家长常态化接受家庭教育指导率": (70.0, 2.5, "cov"),
    "城市社区中家长学校或家庭教育指导服务站点覆盖率": (88.0, 1.2, "cov"),
    "农村社区（村）中家长学校或家庭教育指导服务站点覆盖率": (65.0, 2.5, "cov"),
    "每年组织家庭教育指导不少于2次的家长学校、家庭教育指导服务站点占比": (100.0, 0.0, "fixed"),
    "每年组织家庭教育实践活动不少于2次的家长学校、家庭教育指导服务站点占比": (100.0, 0.0, "fixed"),
    "每年开展家庭文明建设活动不少于2次的村（社区）占比": (100.0, 0.0, "fixed"),
    "开办公益性社区儿童托育、托管服务的乡镇（街道）比例": (60.0, 5.0, "other"),
    "公益性儿童校外活动场所数": (6.0, 1.0, "count"),
    "儿童活动中心数": (1.0, 0.0, "fixed"),
    "未成年人犯罪人数占未成年人人口数量的比重": (0.035, -0.002, "bad"),
    "未成年人违法犯罪人数": (60.0, -3.0, "count"),
    "未成年人违法犯罪人数占违法犯罪人数的比重": (4.5, -0.1, "bad"),
    "未成年罪犯占刑事罪犯的比重": (3.2, -0.08, "bad"),
    "抓获刑事案件犯罪嫌疑人中未成年人占比": (4.0, -0.1, "bad"),
}

# Dimension breakdowns: for each dimension value, the size of its gap to the other side in 2018 (relative to the
# level, or absolute when "abs"), and which side is higher. area: 农村 higher for rates that should fall, 城镇
# higher for rates that should rise.
SEX_GAPS = {  # Chinese name → (higher side, gap in 2018, absolute?)
    "公民具备科学素质的比例": ("男", 3.6, True),
    "平均年收入": ("男", 0.22, False),
    "日均家务劳动时间": ("女", 92.0, True),
    "九年义务教育巩固率": ("女", 0.2, True),
    "高中阶段毛入学率": ("女", 2.5, True),
}

# Values the plans state for 2020 (永川区's plan, seed 002: 一、发展现状 of both plans). (region, name, dimensions)
# → value; the series passes through it in 2020.
ANCHORS = {
    ("永川区", "妇女人均预期寿命", ()): 82.0,
    ("永川区", "孕产妇系统管理率", ()): 92.99,
    ("永川区", "女性平均受教育年限", ()): 12.0,
    ("永川区", "高中阶段毛入学率", (("sex", "女"),)): 136.0,
    ("永川区", "就业人员中的女性比例", ()): 46.05,
    ("永川区", "高级专业技术人员中的女性比例", ()): 50.15,
    ("永川区", "人大代表中女性比例", ()): 28.13,
    ("永川区", "政协委员中女性比例", ()): 32.92,
    ("永川区", "村委会成员中女性比例", ()): 52.26,
    ("永川区", "社区居委会成员中女性比例", ()): 69.37,
    ("永川区", "婴儿死亡率", ()): 2.37,
    ("永川区", "5岁以下儿童死亡率", ()): 4.49,
    ("永川区", "学前教育毛入园率", ()): 97.5,
    ("永川区", "普惠性幼儿园覆盖率", ()): 85.0,
}

# The story: rule id (before '/') → what its series does. Roles:
#   off_track  too slow to meet the target (forecast fires)
#   behind     behind the straight line from the 2020 value to the target (trajectory fires, and forecast)
#   swing      a large change in the latest year (fluctuation fires)
#   breach     a keep-within (every_year) target violated in the latest year, the trend otherwise fine (breach)
#   wrong_way  a goal without a number going the wrong way over the last years (direction fires)
#   gap_widen  the gap between the two sides of the rule's dimension widening again (gap fires)
#   late       no value for the latest year (stale fires)
# Each role may carry a Chinese note written on the data row it shapes.
SCENARIOS = {
    # 渠县: every rule kind fires in the women's plan; 孕产妇死亡率 2024 not yet sent.
    "qx-w-health-stale-mmr": ("late", "2024年数据尚未上报"),
    "qx-w-health-s4-maternal-management": ("breach", None),
    "qx-w-health-3-cervical-screening": ("off_track", None),
    "qx-w-edu-4-senior-high-enrollment": ("behind", None),
    "qx-w-health-s11-sports-ground-area": ("swing", "县全民健身中心建成投用"),
    "qx-w-health-8-maternal-anemia": ("wrong_way", None),
    "qx-w-edu-7-scientific-literacy-gap": ("gap_widen", None),
    "qx-c-health-9-fitness-excellent": ("off_track", None),
    "qx-c-health-s9-exclusive-breastfeeding": ("swing", "母乳喂养促进行动后抽样调查"),
    # 双阳区
    "sy-w-decision-5-dept-teams-with-women": ("off_track", None),
    "sy-c-family-6-parent-school-rural": ("off_track", None),
    "sy-c-edu-2-preschool": ("behind", None),
    "sy-c-health-11-infant-care-places": ("swing", "新增普惠托育机构投用"),
    "sy-w-security-3-medical-insurance": ("breach", None),
    "sy-c-health-8-obesity": ("wrong_way", None),
    "sy-w-econ-6-income-gap": ("gap_widen", None),
    # 永川区: the plan's own 2020 values put two ≈ targets out of reach (senior professionals, community committees)
    "yc-w-econ-t18-senior-professionals": ("off_track", None),
    "yc-w-decision-t32b-community-committee": ("off_track", None),
    "yc-w-health-t4-maternal-management": ("behind", None),
    "yc-w-security-k6-township-elderly-centers": ("swing", "5个镇街养老服务中心集中建成"),
    "yc-w-env-t41-toilet-stall-ratio": ("breach", None),
    "yc-w-security-t34-pension-insurance": ("wrong_way", None),
    "yc-w-health-m1-mmr-urban-rural-gap": ("gap_widen", None),
    # 威宁自治县: late with everything for 2024 (REGION_PROFILES late); the latest year there is 2023. Its binding
    # 孕产妇死亡率 target (≤12/10万 by 2025) is genuinely off track: the demo's critical (严重) alerts.
    "wn-w-health-3-mmr": ("off_track", None),
    "wn-c-welfare-6-disabled-rehab": ("off_track", None),
    "wn-w-health-9-health-literacy": ("off_track", None),
    "wn-c-edu-6-high-school": ("behind", None),
    "wn-c-health-s5-prenatal-screening": ("swing", "产前筛查免费项目扩面"),
    "wn-w-health-8-anemia": ("breach", None),
    "wn-w-health-10-exercise": ("wrong_way", None),
    "wn-w-family-7-housework-gap": ("gap_widen", None),
    # 秀峰区
    "xf-w-health-3-premarital-exam": ("off_track", None),
    "xf-w-decision-7-community-directors": ("off_track", None),
    "xf-c-safety-1-injury": ("behind", None),
    "xf-c-env-7-rural-tap-water": ("swing", "城乡供水一体化工程通水"),
    "xf-c-edu-2-public-kindergarten": ("breach", None),
    "xf-c-safety-7-fraud": ("wrong_way", None),
    "xf-c-health-2-nmr-gap": ("gap_widen", None),
}

ROLE_KIND = {"off_track": "forecast", "behind": "trajectory", "swing": "fluctuation", "breach": "breach",
             "wrong_way": "direction", "gap_widen": "gap", "late": "stale"}


def stable_rng(*parts):
    """A random.Random seeded from SHA-256 of SEED and the parts: stable across runs, machines and versions."""
    digest = hashlib.sha256("\x1f".join([SEED] + [str(p) for p in parts]).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def warn(msg):
    print(f"generate-example-data: {msg}", file=sys.stderr)


# ── rules ───────────────────────────────────────────────────────────────────────────────────────────────────────

RULE_KEYS = {"id", "indicator", "kind", "checks", "target", "where", "binding", "severity", "for_periods",
             "department", "labels", "source", "message"}
CHECK_KEYS = {"kind", "id", "severity", "for_periods", "message", "labels"}


class Check:
    """One check of one rule (what warnd calls a rule: `<rule id>/<kind>`), with its target resolved."""

    def __init__(self, plan, rule, spec, full_id):
        self.plan = plan
        self.plan_id = plan["id"]
        self.rule_id = rule["id"]
        self.id = full_id
        self.kind = spec["kind"]
        self.indicator = rule["indicator"]
        self.where = {str(k).lower(): str(v) for k, v in (rule.get("where") or {}).items()}
        self.for_periods = spec.get("for_periods", rule.get("for_periods", 1))
        self.params = {k: v for k, v in spec.items() if k not in CHECK_KEYS and k not in RULE_KEYS}
        self.source_text = (rule.get("source") or {}).get("text", "")
        # an explicit severity on the check, then on the rule; else critical for the target kinds of a binding
        # rule, the plan's severity (default warning) for the rest
        self.binding = bool(rule.get("binding"))
        self.severity = spec.get("severity") or rule.get("severity") or (
            "critical" if rule.get("binding") and self.kind in ("breach", "forecast", "trajectory")
            else plan.get("severity", "warning"))
        t = rule.get("target")
        self.target = None
        if t is not None:
            op = str(t["op"]).replace("~", "≈")
            self.target = dict(op=op, value=t.get("value"), change=t.get("change"),
                               base_year=t.get("base_year", plan["baseline_year"]),
                               year=t.get("year", plan["target_year"]), scope=t.get("scope", "by_year"),
                               tol=float(t.get("tolerance", 0) or 0))

    def applies(self, key):
        ind, region, dims = key
        d = dict(dims)
        return ind == self.indicator and region in self.plan["regions"] and all(
            d.get(k) == v for k, v in self.where.items())


def load_rules(rules_dir):
    catalog, plans = {}, []
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.yaml")) + glob.glob(os.path.join(rules_dir, "*.yml"))):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        if not isinstance(doc, dict):
            continue
        if "indicators" in doc and "plan" not in doc:
            for ind in doc["indicators"]:
                catalog[ind["id"]] = ind
        elif "plan" in doc:
            plans.append(doc)
    checks = []
    for doc in plans:
        plan = doc["plan"]
        for rule in doc.get("rules") or []:
            if "checks" in rule:
                specs = rule["checks"]
                for spec in specs:
                    sub = spec.get("id", spec["kind"])
                    checks.append(Check(plan, rule, spec, f"{rule['id']}/{sub}"))
            else:
                spec = {k: v for k, v in rule.items() if k not in RULE_KEYS or k == "kind"}
                checks.append(Check(plan, rule, spec, rule["id"]))
    return catalog, [d["plan"] for d in plans], checks


# ── warnd's semantics (docs/rules.md, SeriesJudge.swift, Evaluator.swift), to check each draw before writing it ──

def _betacf(a, b, x):
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > 1e-300 else 1e-300
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > 1e-300 else 1e-300
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def _betai(a, b, x):
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    bt = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x))
    if x < (a + 1) / (a + b + 2):
        return bt * _betacf(a, b, x) / a
    return 1.0 - bt * _betacf(b, a, 1 - x) / b


def t_cdf(x, nu):
    tail = 0.5 * _betai(nu / 2, 0.5, nu / (nu + x * x))
    return 1 - tail if x >= 0 else tail


class Fit:
    def __init__(self, ts, ys):
        n = len(ts)
        self.n = n
        self.tm = sum(ts) / n
        self.ym = sum(ys) / n
        self.sxx = sum((t - self.tm) ** 2 for t in ts)
        self.slope = sum((t - self.tm) * (y - self.ym) for t, y in zip(ts, ys)) / self.sxx
        sse = sum((y - (self.ym + self.slope * (t - self.tm))) ** 2 for t, y in zip(ts, ys))
        self.s = math.sqrt(sse / (n - 2)) if n > 2 else 0.0

    def predict(self, t):
        return self.ym + self.slope * (t - self.tm)

    def se(self, t):
        return self.s * math.sqrt(1 + 1 / self.n + (t - self.tm) ** 2 / self.sxx)

    def p_below(self, x, t):
        if self.n < 3:
            return None
        yhat, se = self.predict(t), self.se(t)
        if se <= 0:
            return 1.0 if yhat < x else 0.0 if yhat > x else 0.5
        return t_cdf((x - yhat) / se, self.n - 2)

    def p_above(self, x, t):
        if self.n < 3:
            return None
        yhat, se = self.predict(t), self.se(t)
        if se <= 0:
            return 1.0 if yhat > x else 0.0 if yhat < x else 0.5
        return t_cdf((yhat - x) / se, self.n - 2)


def met(op, v, tv, tol=0.0):
    return {"<": v < tv, "<=": v <= tv, ">": v > tv, ">=": v >= tv, "≈": abs(v - tv) <= tol}[op]


def clamp(ind, v):
    b = ind.get("bounds")
    return v if not b else min(max(v, b[0]), b[1])


def resolve_target(check, pts):
    t = check.target
    if t is None:
        return None
    if t["value"] is not None:
        return float(t["value"])
    base = pts.get(t["base_year"])
    return None if base is None else base * (1 + float(t["change"]))


def judge(check, ind, pts):
    """Whether the check's condition holds for a series (years → values, as of AT), with a short reason."""
    pts = {y: v for y, v in pts.items() if y <= AT}
    years = sorted(pts)
    if not years:
        return False, "no data"
    last = years[-1]
    kind, p = check.kind, check.params
    plan = check.plan
    if kind == "breach":
        tv = resolve_target(check, pts)
        if tv is None:
            return False, "no target"
        t = check.target
        due = t["scope"] == "every_year" or last >= t["year"]
        return due and not met(t["op"], pts[last], tv, t["tol"]), f"{pts[last]} vs {t['op']}{tv:g}"
    if kind == "forecast":
        tv = resolve_target(check, pts)
        if tv is None:
            return False, "insufficient"
        t = check.target
        T = t["year"]
        if last >= T and T in pts:
            return not met(t["op"], pts[T], tv, t["tol"]), "final"
        w = p.get("window")
        used = years[-w:] if w else [y for y in years if y >= plan["baseline_year"]]
        if len(used) < p.get("min_points", 3):
            return False, "insufficient"
        if p.get("method", "linear") == "cagr":
            a, z = pts[used[0]], pts[last]
            if a <= 0 or z <= 0 or last == used[0]:
                return False, "insufficient"
            yhat = clamp(ind, z * (z / a) ** ((T - last) / (last - used[0])))
            pm = 1.0 if met(t["op"], yhat, tv, t["tol"]) else 0.0
        else:
            fit = Fit([float(y) for y in used], [pts[y] for y in used])
            yhat = clamp(ind, fit.predict(T))
            b = ind.get("bounds")
            op = t["op"]
            if b and ((op == ">" and tv >= b[1]) or (op == ">=" and tv > b[1]) or (op == "<" and tv <= b[0])
                      or (op == "<=" and tv < b[0])):
                pm = 0.0
            elif op in ("<", "<="):
                pm = fit.p_below(tv, T)
            elif op in (">", ">="):
                pm = fit.p_above(tv, T)
            else:
                hi, lo = fit.p_below(tv + t["tol"], T), fit.p_below(tv - t["tol"], T)
                pm = None if hi is None or lo is None else max(0.0, hi - lo)
        pm = 1.0 if pm is None else pm
        return pm < p.get("min_probability", 0.5), f"yhat({T})={yhat:.3g} p={pm:.2f}"
    if kind == "trajectory":
        tv = resolve_target(check, pts)
        B = plan["baseline_year"]
        if tv is None or B not in pts:
            return False, "no baseline"
        y0 = pts[B]
        if last <= B or tv == y0:
            return False, "-"
        t = check.target
        if met(t["op"], pts[last], tv, t["tol"]):          # already meeting the target is never "behind"
            return False, f"{pts[last]} meets {t['op']}{tv:g}"
        T = t["year"]
        expected = tv if last >= T else y0 + (tv - y0) * (last - B) / (T - B)
        # the operator says which way is progress; ≈ has none: towards the target from y0
        wants_lower = t["op"] in ("<", "<=") if t["op"] != "≈" else tv < y0
        behind = pts[last] - expected if wants_lower else expected - pts[last]
        return behind > p.get("tolerance", 0.1) * abs(tv - y0), f"{pts[last]:g} vs expected {expected:.4g}"
    if kind == "fluctuation":
        if len(years) < 2:
            return False, "-"
        changes = [(pts[b] - pts[a]) / (b - a) for a, b in zip(years, years[1:])]
        delta, prev = changes[-1], pts[years[-2]]
        holds = False
        if p.get("absolute") is not None and abs(delta) > p["absolute"]:
            holds = True
        if prev != 0 and p.get("relative") is not None and abs(delta / prev) > p["relative"]:
            holds = True
        if p.get("robust_z") is not None:
            earlier = changes[:-1]
            if len(earlier) >= p.get("min_changes", 4):
                z = robust_z(delta, earlier)
                if z is not None and abs(z) > p["robust_z"]:
                    holds = True
        return holds, f"change {diff_text(ind, delta)}"
    if kind == "direction":
        w = p.get("window", 3)
        used = years[-w:]
        if len(used) < w:
            return False, "-"
        fit = Fit([float(y) for y in used], [pts[y] for y in used])
        up = p.get("direction", ind["better"]) == "up"
        tol = p.get("tolerance", 0)
        return (fit.slope < -tol) if up else (fit.slope > tol), f"slope {diff_text(ind, fit.slope)}/年"
    raise ValueError(kind)


def judge_gap(check, ind, a_pts, b_pts):
    gaps = {y: abs(a_pts[y] - b_pts[y]) for y in a_pts if y in b_pts and y <= AT}
    years = sorted(gaps)[-check.params.get("window", 3):]
    if not years:
        return False, "no common period"
    holds = False
    if check.params.get("max") is not None and gaps[years[-1]] > check.params["max"]:
        holds = True
    if check.params.get("narrowing", True) and len(years) == check.params.get("window", 3):
        # a gap that has closed (latest 0) cannot narrow further
        if Fit([float(y) for y in years], [gaps[y] for y in years]).slope >= 0 and gaps[years[-1]] > 0:
            holds = True
    return holds, "gaps " + ", ".join(fmt_num(round(gaps[y], 6)) for y in years) + diff_unit(ind)


def judge_stale(check, years):
    """years: every year with a value in any of the indicator's series of the region the rule applies to."""
    past_due = (NOW[1], NOW[2]) > tuple(int(x) for x in str(check.params.get("due", "06-30")).split("-"))
    due_year = min(NOW[0] - (1 if past_due else 2), check.plan["target_year"])
    if due_year < check.plan["baseline_year"]:
        return False, "nothing due"
    latest = max([y for y in years if y <= AT], default=None)
    return (latest is None or latest < due_year), f"latest {latest or 'none'}, due {due_year}"


def _median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else s[n // 2 - 1] / 2 + s[n // 2] / 2


def robust_z(x, reference):
    """(x − median) / (1.4826·MAD); when MAD is 0, 1.253314 × the mean absolute deviation from the median is the
    scale; None (not judged) when that is 0 too."""
    med = _median(reference)
    mad = _median([abs(c - med) for c in reference])
    if mad > 0:
        return (x - med) / (1.4826 * mad)
    mean_ad = 0.0
    for c in reference:
        mean_ad += abs(c - med)
    mean_ad /= len(reference)
    if not mean_ad > 0:
        return None
    return (x - med) / (1.253314 * mean_ad)


def diff_unit(ind):
    """The unit of a difference of two values, as warnd's messages write it: percentage points for a %."""
    unit = ind["unit"]
    return "个百分点" if unit == "%" else unit[1:] if unit.startswith("1/") else unit


def diff_text(ind, x):
    return f"{x:+.3g}{diff_unit(ind)}"


def evaluate(checks, catalog, data, only_indicator=None, regions=None):
    """All (check, series) outcomes over data {key: {year: value}}, as warnd pairs them. → [(check, key, holds, why)]"""
    out = []
    for c in checks:
        if only_indicator is not None and c.indicator != only_indicator:
            continue
        ind = catalog[c.indicator]
        for region in c.plan["regions"]:
            if regions is not None and region not in regions:
                continue
            keys = sorted(k for k in data if k[1] == region and c.applies(k))
            if c.kind == "stale":
                # one outcome per region: all the indicator's series there, merged
                years = {y for k in keys for y in data[k]}
                h, why = judge_stale(c, years)
                out.append((c, (c.indicator, region, tuple(sorted(c.where.items()))), h, why))
            elif c.kind == "gap":
                dim, (sa, sb) = str(c.params["dimension"]).lower(), c.params["between"]
                for k in keys:
                    d = dict(k[2])
                    if d.get(dim) != sa:
                        continue
                    d[dim] = sb
                    kb = (k[0], k[1], tuple(sorted(d.items())))
                    if kb not in data:
                        continue
                    h, why = judge_gap(c, ind, data[k], data[kb])
                    rest = tuple((n, v) for n, v in k[2] if n != dim)
                    out.append((c, (k[0], k[1], rest), h, why))
            else:
                for k in keys:
                    h, why = judge(c, ind, data[k])
                    out.append((c, k, h, why))
    return out


# ── shaping the series ──────────────────────────────────────────────────────────────────────────────────────────

def is_count(ind):
    return ind["unit"] in COUNT_UNITS and not ind.get("bounds")


def decimals_for(ind, level):
    unit = ind["unit"]
    if is_count(ind) or unit in ("分钟", "元", "课时"):
        return 0
    if unit == "%":
        return 3 if level < 0.5 else 2 if level < 5 else 1
    if unit == "‰":
        return 3 if level < 0.5 else 2
    if unit == "1/10万":
        return 2 if level < 5 else 1
    if unit in ("岁", "年", "1/万", "倍", "平方米"):
        return 2
    if unit == "小时":
        return 1
    return 2


def base_sigma(ind, level):
    unit = ind["unit"]
    if unit == "%":
        if level < 5:
            return 0.04 * level
        d = min(level, 100 - level)
        return min(max(0.1 * d, 0.05), 0.45)
    if unit == "‰":
        return 0.035 * level
    if unit in ("1/10万", "1/万"):
        return 0.045 * level
    return {"岁": 0.04, "年": 0.02, "小时": 0.03, "分钟": 1.2}.get(unit, (0.004 if unit == "元" else 0.012) * abs(level))


def region_level(name, ind, region, profile):
    """The hint for an indicator, shifted for the county: (2020 level, change per year, class)."""
    if name in HINTS:
        v, b, cls = HINTS[name]
    else:  # generic, by unit and direction
        cls = "other"
        if ind["unit"] == "%":
            v, b = (60.0, 1.0) if ind["better"] != "down" else (10.0, -0.3)
        elif is_count(ind):
            v, b, cls = 100.0, 3.0 if ind["better"] != "down" else -3.0, "count"
        else:
            v, b = 10.0, 0.2 if ind["better"] != "down" else -0.2
    jitter = stable_rng("level", region, name).uniform(-1, 1)
    if cls == "cov":
        v = 100 - (100 - v) * profile["cov"] * (1 + 0.08 * jitter)
    elif cls == "bad":
        v, b = v * profile["bad"] * (1 + 0.05 * jitter), b * profile["bad"]
    elif cls == "mort":
        v, b = v * profile["mort"] * (1 + 0.05 * jitter), b * profile["mort"]
    elif cls == "count":
        v, b = v * profile["pop"] * (1 + 0.1 * jitter), b * profile["pop"]
    elif cls == "share":
        v = v + 1.5 * jitter
    elif cls == "other":
        v = v * (1 + {"岁": 0.01, "年": 0.03}.get(ind["unit"], 0.05) * jitter)
    return v, b, cls


class Family:
    """All series of one indicator in one county: the whole (no dimensions) and its breakdowns."""

    def __init__(self, region, indicator, ind, checks):
        self.region, self.indicator, self.ind = region, indicator, ind
        self.name = ind["name"]
        self.checks = checks                      # every check of the county's plans on this indicator
        self.keys = {(indicator, region, ())}
        self.pairs = []                           # (dimension, between a, between b)
        for c in checks:
            if c.where:
                self.keys.add((indicator, region, tuple(sorted(c.where.items()))))
            if c.kind == "gap":
                dim = str(c.params["dimension"]).lower()
                a, b = c.params["between"]
                base = dict(c.where)
                for side in (a, b):
                    self.keys.add((indicator, region, tuple(sorted({**base, dim: side}.items()))))
                if (dim, a, b) not in self.pairs:
                    self.pairs.append((dim, a, b))
        self.roles = []                           # (role, check id prefix, note)

    def total(self):
        return (self.indicator, self.region, ())


def good_direction(fam):
    for c in fam.checks:
        if c.kind == "direction":
            d = c.params.get("direction", fam.ind["better"])
            if d in ("up", "down"):
                return 1 if d == "up" else -1
    for c in fam.checks:
        if c.target and c.target["op"] in (">", ">="):
            return 1
        if c.target and c.target["op"] in ("<", "<="):
            return -1
    return {"up": 1, "down": -1}.get(fam.ind["better"], 0)


def side_layout(fam, dim, level, gdir, profile):
    """{label: (offset sign, weight of the other side)} and the 2020 gap size for a breakdown by dim."""
    labels = sorted({dict(k[2]).get(dim) for k in fam.keys if dict(k[2]).get(dim)})
    if dim == "sex":
        hi_label, g, absolute = SEX_GAPS.get(fam.name, ("男", 0.05, False))
        G = g if absolute else g * level
        w = {"男": 0.5, "女": 0.5}
    else:
        rural = profile["rural"]
        w = {"农村": rural, "城镇": 1 - rural}
        if gdir < 0:
            hi_label, G = "农村", 0.2 * level
        elif fam.ind["unit"] == "%" and level > 20:
            hi_label, G = "城镇", min(0.5 * (100 - level), 5.0)
        else:
            hi_label, G = "城镇", 0.1 * level
    out = {}
    for lab in labels:
        other = [x for x in w if x != lab]
        wo = w[other[0]] if other else 0.5
        out[lab] = (1 if lab == hi_label else -1, wo)
    return out, G


def target_constraints(fam):
    cons = {}
    for c in fam.checks:
        if c.target is None or c.kind not in ("forecast", "breach", "trajectory"):
            continue
        t = c.target
        k = (t["op"], t["value"], t["change"], t["year"], t["scope"], t["tol"])
        cons.setdefault(k, dict(t, traj=False, where=c.where))
        if c.kind == "trajectory":
            cons[k]["traj"] = True
    # every_year first: they fix the level; by_year ones then set the pace
    return sorted(cons.values(), key=lambda t: (t["scope"] != "every_year", str(t["op"]), str(t["value"])))


def role_check(fam, role_rule, kind):
    for c in fam.checks:
        if c.rule_id == role_rule and c.kind == kind:
            return c
    return None


def fluct_threshold(fam, key, prev):
    thr = math.inf
    for c in fam.checks:
        if c.kind == "fluctuation" and c.applies(key):
            if c.params.get("absolute") is not None:
                thr = min(thr, c.params["absolute"])
            if c.params.get("relative") is not None:
                thr = min(thr, c.params["relative"] * abs(prev))
    return thr


def draw_family(fam, profile, attempt):
    """One draw of all series of a family → ({key: {year: value}}, {(key, year): note}, info)."""
    ind, region = fam.ind, fam.region
    bounds = ind.get("bounds")
    lo = bounds[0] if bounds else 0.0
    hi = bounds[1] if bounds else None
    rng = stable_rng("draw", region, fam.indicator, attempt)
    calm = 0.75 ** attempt                                   # each redraw is calmer
    last = LAST_YEAR - 1 if profile["late"] else LAST_YEAR
    roles = {r: (rule, note) for r, rule, note in fam.roles}
    v, b, cls = region_level(fam.name, ind, region, profile)
    gdir = good_direction(fam)
    if gdir and b * gdir < 0:
        b = -b
    info = {}

    # breakdowns: offsets of each dimension value from the whole
    dims = sorted({n for k in fam.keys for n, _ in k[2]})
    layouts = {}
    off_bad = 0.0
    gap_scale = 0.85 ** (attempt // 3)
    for dim in dims:
        layout, G = side_layout(fam, dim, v, gdir, profile)
        G *= gap_scale
        layouts[dim] = (layout, G)
        for lab, (sign, wo) in layout.items():
            off = sign * wo * G * 1.1                        # the gap is at most 1.1 G before 2020
            off_bad = max(off_bad, -off * gdir)

    # anchors: the plan's own 2020 values
    anchors = {}
    for k in fam.keys:
        a = ANCHORS.get((region, fam.name, k[2]))
        if a is not None:
            anchors[k] = a
            if k[2]:
                (dim, lab), = k[2]
                sign, wo = layouts[dim][0][lab]
                v = a - sign * wo * layouts[dim][1]
            else:
                v = a
    v_anchor = v
    dec = decimals_for(ind, abs(v))
    for a in anchors.values():
        dec = max(dec, len(f"{a:g}".split(".")[1]) if "." in f"{a:g}" else 0)
    res = 10.0 ** -dec

    sigma = base_sigma(ind, v)
    for c in fam.checks:
        if c.kind == "fluctuation":
            if c.params.get("absolute") is not None:
                sigma = min(sigma, c.params["absolute"] / 5)
            if c.params.get("relative") is not None:
                sigma = min(sigma, c.params["relative"] * abs(v) / 5)
        if c.target and c.target["op"] == "≈":
            sigma = min(sigma, c.target["tol"] / 5)
    sigma *= calm
    # the steepest steady change that keeps every fluctuation rule quiet
    cap = math.inf
    for c in fam.checks:
        if c.kind == "fluctuation":
            if c.params.get("absolute") is not None:
                cap = min(cap, 0.6 * c.params["absolute"])
            if c.params.get("relative") is not None:
                cap = min(cap, 0.6 * c.params["relative"] * abs(v))
    if b and cls not in ("fixed", "count"):                 # and no faster than twice the usual pace
        cap = min(cap, 2 * abs(b))
    if abs(b) > cap:
        b = math.copysign(cap, b)

    # the targets of the rules that watch the series (the role's own target is shaped by the role below)
    shaped = {roles[r][0] for r in ("off_track", "behind") if r in roles}
    at_bound = False
    for t in target_constraints(fam):
        if any(c.rule_id in shaped and c.target is not None and c.target["op"] == t["op"]
               and c.target["value"] == t["value"] for c in fam.checks):
            continue
        op, Y = t["op"], t["year"]
        s = 1 if op in (">", ">=") else -1 if op in ("<", "<=") else 0
        X = t["value"] if t["value"] is not None else v * (1 + t["change"])
        m = 0.0 if cls == "fixed" else 3 * sigma + (off_bad if s else 0) + res
        if t["scope"] == "every_year":
            if s > 0:
                need = X + m
                if hi is not None and need >= hi:
                    v, b, at_bound = hi, 0.0, True
                elif v < need:
                    v = need + (min(2.0, 0.3 * (hi - need)) if hi is not None else 0.03 * abs(need))
                if not at_bound and v + b * (FIRST_YEAR - 2020) < need:
                    b = max(0.0, (v - need) / (2020 - FIRST_YEAR))
            elif s < 0:
                need = X - m
                if v > need:
                    v = max(need - 0.08 * abs(need), need * 0.8)
                if v + b * (FIRST_YEAR - 2020) > need:
                    b = min(0.0, (v - need) / (FIRST_YEAR - 2020))
            else:
                v, b = X + 0.3 * t["tol"] * rng.uniform(-1, 1), 0.0
        else:
            R = 2020 + (0.65 if t["traj"] else 0.85) * (Y - 2020)
            if s and (X + s * m - v) * s > 0:
                need = (X + s * m - v) / (R - 2020)
                if abs(need) > cap:            # too steep for the fluctuation rules: start closer to the target
                    v = X + s * m - s * cap * (R - 2020)
                    need = (X + s * m - v) / (R - 2020)
                b = max(b, need) if s > 0 else min(b, need)
            elif s == 0:
                b = 0.0 if abs(v - X) <= 0.4 * t["tol"] else (X - v) / (Y - 2020)

    if anchors:                                              # the plan's own 2020 value wins over hints
        v = v_anchor
    sigma = min(sigma, base_sigma(ind, v) * calm)          # the level may have moved
    for r in ("off_track", "behind"):
        if r not in roles:
            continue
        c = role_check(fam, roles[r][0], "forecast") or role_check(fam, roles[r][0], "trajectory")
        t = c.target
        X = t["value"] if t["value"] is not None else v * (1 + t["change"])
        s = 1 if t["op"] in (">", ">=") else -1 if t["op"] in ("<", "<=") else 0
        if s and met(t["op"], v, X, t["tol"]) and not anchors:
            v = X - s * max(0.12 * abs(X), 10 * sigma)
        pace = 0.35 if r == "off_track" else 0.45
        if s == 0:
            pace = 0.12
        b = pace * (X - v) / (t["year"] - 2020)
        sigma = min(sigma, 0.15 * abs(b) + res)

    # shares elected for a term (人大, 政协, 村两委 …) change only at the 2021 elections
    only_soft = all(c.kind in ("direction", "gap", "stale") for c in fam.checks)
    step = cls == "share" and b == 0 and only_soft
    if any(c.kind == "direction" for c in fam.checks) and gdir and not step:
        if b * gdir <= 0 and not any(c.kind != "direction" and c.kind != "gap" for c in fam.checks):
            b = gdir * max(abs(HINTS.get(fam.name, (0, 0))[1]), 4 * sigma, 2 * res)
        if b:
            sigma = min(sigma, abs(b) / 3)

    # the path of the whole
    cumulative = "累计" in fam.name
    fixed = cls == "fixed" or at_bound
    years = list(range(2021 if cumulative else FIRST_YEAR, last + 1))
    step_size = round(rng.uniform(1.2, 3.0), 1)

    def path(t):
        if step:
            return v if t <= 2021 else v + step_size
        if cumulative:
            return v + b * (t - 2021)
        y = v + b * (t - 2020)
        return min(max(y, lo), hi) if hi is not None else max(y, lo)

    base = {t: path(t) for t in years}
    notes = {}
    if "wrong_way" in roles:
        r = max(abs(b), 4 * sigma / calm, 3 * res)
        for t in years[-3:]:
            base[t] = path(years[-3]) - gdir * r * (t - years[-3]) + gdir * r * 0.3
    if "breach" in roles:
        c = role_check(fam, roles["breach"][0], "breach")
        X = resolve_target(c, {})
        s = 1 if c.target["op"] in (">", ">=") else -1
        # a dip below the line after years of steady improvement: the trend still meets the target, so only
        # the breach fires (δ: how far the latest value is over the line; a, cc: level and pace before, in δ)
        delta = max(2 * res, 0.003 * abs(X))
        grid = [(a, cc) for cc in (1.6, 2.0, 1.3, 2.5, 3.0) for a in (0.5, 1.0, 1.5)]
        a, cc = grid[attempt % len(grid)]
        for t in years:
            base[t] = X + s * delta * (a + cc * (t - 2020))
        base[years[-1]] = X - s * delta
        sigma = min(sigma, 0.2 * delta)

    def noisy(series_base, key, sig):
        r = stable_rng("noise", region, key[0], key[2], attempt)
        out = {}
        for t in years:
            e = 0.0 if (fixed or step or cumulative) else r.gauss(0.0, sig)
            out[t] = series_base[t] + e
        if key in anchors and 2020 in out:
            out[2020] = anchors[key]
        return out

    data = {}
    total_key = fam.total()
    widen = "gap_widen" in roles

    def gap_at(G, t):
        g = G * (1 - 0.045 * (t - 2020))
        if widen and t > years[-3]:
            g = G * (1 - 0.045 * (years[-3] - 2020)) + G * 0.15 * (t - years[-3])
        return max(g, 0.0)

    pair_dims = {d for d, _, _ in fam.pairs}
    sides = {}
    for k in sorted(fam.keys):
        if not k[2]:
            continue
        (dim, lab), = k[2]                                  # one breakdown dimension per series here
        layout, G = layouts[dim]
        sign, wo = layout[lab]
        sb = {t: base[t] + sign * wo * gap_at(G, t) for t in years}
        sig = sigma if not widen else min(sigma, 0.1 * G / 3)
        sides[k] = noisy(sb, k, sig * (1.0 if dim not in pair_dims else 0.8))
    whole = noisy(base, total_key, sigma)
    for dim in pair_dims:
        ks = [k for k in sides if dict(k[2]).get(dim)]
        if len(ks) == 2:
            layout, _ = layouts[dim]
            w = {k: 1 - layout[dict(k[2])[dim]][1] for k in ks}
            whole = {t: sum(w[k] * sides[k][t] for k in ks) / sum(w.values()) for t in years}
            if total_key in anchors and 2020 in whole:
                whole[2020] = anchors[total_key]
    data[total_key] = whole
    data.update(sides)

    def fmt(x):
        x = min(max(x, lo), hi) if hi is not None else max(x, lo)
        return round(math.floor(x / res + 0.5) * res, dec) if dec else float(math.floor(x + 0.5))

    data = {k: {t: fmt(x) for t, x in s.items()} for k, s in data.items()}

    if "swing" in roles:
        rule = roles["swing"][0]
        for k in data:
            c = role_check(fam, rule, "fluctuation")
            if c is None or not c.applies(k):
                continue
            prev = data[k][years[-2]]
            thr = fluct_threshold(fam, k, prev)
            J = 1.6 * thr if thr < math.inf else 0.3 * abs(prev)
            d = gdir or 1
            new = prev + d * J
            if (hi is not None and new > hi) or new < lo:
                new = prev - d * J
            data[k][years[-1]] = fmt(new)
            if roles["swing"][1]:
                notes[(k, years[-1])] = roles["swing"][1]
    if "breach" in roles and roles["breach"][1]:
        notes[(total_key, years[-1])] = roles["breach"][1]
    info["years"] = years
    return data, notes, info


PRIMARY = {"off_track": {"forecast", "trajectory"}, "behind": {"trajectory", "forecast"}, "swing": {"fluctuation"},
           "breach": {"breach"}, "wrong_way": {"direction"}, "gap_widen": {"gap"}, "late": {"stale"}}
SECONDARY = {"breach": {"forecast"}, "swing": {"forecast"}}


def score_draw(fam, data, catalog, late_region=False):
    """(score, outcomes): 0 when exactly the intended alerts fire; lower is better."""
    outcomes = evaluate(fam.checks, catalog, data)
    roles = {r: rule for r, rule, _ in fam.roles}
    if late_region:
        roles.setdefault("late", None)
    missing = unexpected = extra = 0
    for c, _key, holds, _ in outcomes:
        role = next((r for r, rule in roles.items() if rule == c.rule_id and ROLE_KIND[r] == c.kind), None)
        if role is not None and not holds:
            missing += 1
            continue
        if not holds or role is not None:
            continue
        if any(c.kind in PRIMARY[r] for r in roles):
            continue
        if any(c.kind in SECONDARY.get(r, ()) for r in roles):
            extra += 1
        else:
            unexpected += 1
    return missing * 100 + unexpected * 10 + extra, outcomes


def shape_family(fam, profile, catalog, attempts=60):
    best = None
    for attempt in range(attempts):
        data, notes, info = draw_family(fam, profile, attempt)
        if "late" in {r for r, _, _ in fam.roles}:
            for k in data:
                data[k].pop(info["years"][-1], None)
        score, _ = score_draw(fam, data, catalog, profile["late"])
        if best is None or score < best[0]:
            best = (score, data, notes, info, attempt)
        if score == 0:
            break
    if best[0]:
        warn(f"{fam.region} {fam.name} ({fam.indicator}): no draw fires exactly as intended (score {best[0]})")
    return best[1], best[2], best[3]


# ── the counties ────────────────────────────────────────────────────────────────────────────────────────────────

def build(catalog, plans, checks):
    """→ data {key: {year: value}}, notes {(key, year): note}, decimals {key: int}, per-plan keys, families"""
    data, notes, decimals, families = {}, {}, {}, {}
    by_rule = {}
    for c in checks:
        by_rule.setdefault(c.rule_id, []).append(c)
    for rule_id in SCENARIOS:
        if rule_id not in by_rule:
            warn(f"scenario rule '{rule_id}' is not in the rules (renamed?): skipped")
    names = {catalog[c.indicator]["name"] for c in checks if c.indicator in catalog}
    for name in sorted(names - set(HINTS)):
        warn(f"no level hint for '{name}': using a generic one")
    for _, name, _ in sorted(ANCHORS):
        if name not in names:
            warn(f"anchor '{name}' names no monitored indicator (renamed?): skipped")
    regions = []
    for p in plans:
        for r in p["regions"]:
            if r not in regions:
                regions.append(r)
    for region in regions:
        profile = REGION_PROFILES.get(region, DEFAULT_PROFILE)
        rchecks = [c for c in checks if region in c.plan["regions"]]
        fams = {}
        for c in rchecks:
            if c.indicator not in catalog:
                warn(f"rule {c.id}: indicator '{c.indicator}' is not in the catalog: skipped")
                continue
            fams.setdefault(c.indicator, []).append(c)
        for ind_id, fchecks in fams.items():
            fam = Family(region, ind_id, catalog[ind_id], fchecks)
            for rule_id, (role, note) in SCENARIOS.items():
                if any(c.rule_id == rule_id for c in fchecks):
                    fam.roles.append((role, rule_id, note))
            fdata, fnotes, info = shape_family(fam, profile, catalog)
            if any(r == "late" for r, _, _ in fam.roles):
                note = next(n for r, _, n in fam.roles if r == "late")
                for k in fdata:
                    fnotes[(k, info["years"][-1])] = note
            for k in fdata:
                lvl = abs(fdata[k].get(2020, next(iter(fdata[k].values()))))
                decimals[k] = max(decimals_for(fam.ind, lvl), max(
                    (len(f"{x:g}".split(".")[1]) if "." in f"{x:g}" else 0) for x in fdata[k].values()))
            data.update(fdata)
            notes.update(fnotes)
            families[(region, ind_id)] = fam
    return data, notes, decimals, families


def plan_keys(plan, checks, data):
    """The series a plan's file carries, in the order the plan's rules name their indicators."""
    keys, seen = [], set()
    for c in checks:
        if c.plan_id != plan["id"]:
            continue
        want = [(c.indicator, r, ()) for r in plan["regions"]]
        want += [(c.indicator, r, tuple(sorted(c.where.items()))) for r in plan["regions"]]
        if c.kind == "gap":
            dim = str(c.params["dimension"]).lower()
            for side in c.params["between"]:
                want += [(c.indicator, r, tuple(sorted({**c.where, dim: side}.items()))) for r in plan["regions"]]
        for k in want:
            if k in data and k not in seen:
                seen.add(k)
                keys.append(k)
    order = {}
    for k in keys:
        order.setdefault(k[0], len(order))
    return sorted(keys, key=lambda k: (order[k[0]], len(k[2]), k[2]))


# ── writing ─────────────────────────────────────────────────────────────────────────────────────────────────────

FORMATS = {"xiufeng-children": "gb18030", "shuangyang-children": "jsonl"}


def rows_of(keys, data, notes, decimals):
    for k in keys:
        years = sorted(set(data[k]) | {y for (kk, y) in notes if kk == k})
        for y in years:
            x = data[k].get(y)
            text = "" if x is None else f"{x:.{decimals[k]}f}"
            yield k, y, text, notes.get((k, y), "")


def write_plan_file(out_dir, plan, keys, data, notes, decimals):
    fmt = FORMATS.get(plan["id"], "csv")
    if fmt == "jsonl":
        path = os.path.join(out_dir, plan["id"] + ".jsonl")
        lines = []
        for k, y, text, note in rows_of(keys, data, notes, decimals):
            obj = ['"indicator": ' + json.dumps(k[0], ensure_ascii=False),
                   '"region": ' + json.dumps(k[1], ensure_ascii=False),
                   f'"period": {y}', '"value": ' + (text if text else "null")]
            if k[2]:
                obj.append('"dimensions": ' + json.dumps(dict(k[2]), ensure_ascii=False))
            obj.append('"source": ' + json.dumps(SOURCE, ensure_ascii=False))
            if note:
                obj.append('"note": ' + json.dumps(note, ensure_ascii=False))
            lines.append("{" + ", ".join(obj) + "}\n")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("".join(lines))
        return path
    dims = sorted({n for k in keys for n, _ in k[2]})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if fmt == "gb18030" else "\n")
    w.writerow(["indicator", "region", "period", "value"] + dims + ["source", "note"])
    for k, y, text, note in rows_of(keys, data, notes, decimals):
        d = dict(k[2])
        w.writerow([k[0], k[1], y, text] + [d.get(n, "") for n in dims] + [SOURCE, note])
    path = os.path.join(out_dir, plan["id"] + ".csv")
    with open(path, "wb") as f:
        f.write(buf.getvalue().encode("gb18030" if fmt == "gb18030" else "utf-8"))
    return path


# ── README ──────────────────────────────────────────────────────────────────────────────────────────────────────

KIND_ORDER = ["breach", "forecast", "trajectory", "fluctuation", "direction", "gap", "stale"]


def fmt_num(x):
    return f"{x:g}" if abs(x) < 1e5 else f"{x:.0f}"


def series_label(catalog, key):
    name = catalog[key[0]]["name"]
    dims = "、".join(v for _, v in key[2])
    return f"{name}（{dims}）" if dims else name


SEVERITY_ZH = {"critical": "严重", "warning": "警告", "info": "提示"}


def own_alerts_text(fam, rule, fired, catalog):
    """For a rule that fires on more than one series or with a severity other than warning: which and how."""
    own = [(c, k) for c, k, _ in fired if c.rule_id == rule and k[1] == fam.region]
    keys = []
    for _, k in own:
        if k not in keys:
            keys.append(k)
    out = ""
    if len(keys) > 1:
        out += (f" It fires on each of the {len(keys)} series (" + ", ".join(series_label(catalog, k) for k in keys)
                + f"): {len(own)} alerts.")
    sev = sorted({c.severity for c, _ in own})
    if sev and sev != ["warning"]:
        out += " They are **" + "/".join(f"{x}** ({SEVERITY_ZH.get(x, x)})" for x in sev)
        if "critical" in sev and any(c.severity == "critical" and c.binding for c, _ in own):
            out += ": the target is binding (约束性)"
        out += "."
    return out


def story_line(fam, role, rule, note, data, catalog, checks, fired=()):
    total = fam.total()
    s = data.get(total, {})
    years = sorted(s)
    name = fam.name
    rc = [c for c in checks if c.rule_id == rule]
    t = next((c.target for c in rc if c.target), None)
    tgt = ""
    if t:
        tv = t["value"] if t["value"] is not None else None
        sym = {">=": "≥", "<=": "≤"}.get(t["op"], t["op"])
        tgt = (f"{sym}{fmt_num(tv)}" if tv is not None else
               f"{sym} {t['base_year']}年值×(1{t['change']:+g})") + (f"±{fmt_num(t['tol'])}" if t["tol"] else "")
        tgt += f"（{'每年' if t['scope'] == 'every_year' else str(t['year']) + '年'}）"
    first = f"{fmt_num(s[2020])}" if 2020 in s else "?"
    if role == "late":
        n = len([k for k in data if k[0] == fam.indicator and k[1] == fam.region])
        return (f"**{name}** (`{rule}`): the {LAST_YEAR} value has not been sent; the file has an empty {LAST_YEAR} "
                f"row with the note “{note}”" + (f" for each of its {n} series (the county and its breakdowns)"
                                                  if n > 1 else "")
                + ". → **stale** fires, once for the county.")
    if role == "gap_widen":
        c = next(c for c in rc if c.kind == "gap")
        dim = str(c.params["dimension"]).lower()
        a, b = c.params["between"]
        ka = (fam.indicator, fam.region, tuple(sorted({**c.where, dim: a}.items())))
        kb = (fam.indicator, fam.region, tuple(sorted({**c.where, dim: b}.items())))
        ys = sorted(set(data[ka]) & set(data[kb]))
        gaps = {y: abs(data[ka][y] - data[kb][y]) for y in ys}
        g = lambda y: fmt_num(round(gaps[y], 6))
        return (f"**{name}** (`{rule}`), {a} vs {b}: the gap was {g(ys[0])}{diff_unit(fam.ind)} in {ys[0]}, narrowed to "
                f"{g(ys[-3])} by {ys[-3]}, then widened again: {g(ys[-2])} in {ys[-2]}, {g(ys[-1])} in {ys[-1]}. "
                f"→ **gap** fires (not narrowing over the last three years).")
    last = years[-1]
    if role == "off_track":
        with_traj = any(c.rule_id == rule and c.kind == "trajectory" and k[1] == fam.region for c, k, _ in fired)
        return (f"**{name}** (`{rule}`, target {tgt}): {first} in 2020, {fmt_num(s[last])} in {last}, far too slow. "
                f"→ **forecast** fires (predicted to miss)"
                + (", and **trajectory** with it (behind the straight line from 2020 to the target)." if with_traj
                   else ".") + own_alerts_text(fam, rule, fired, catalog))
    if role == "behind":
        return (f"**{name}** (`{rule}`, target {tgt}): {first} in 2020, only {fmt_num(s[last])} in {last}, behind "
                f"the straight line from 2020 to the target. → **trajectory** fires, and **forecast** with it."
                + own_alerts_text(fam, rule, fired, catalog))
    if role == "swing":
        return (f"**{name}** (`{rule}`): {fmt_num(s[years[-2]])} in {years[-2]}, {fmt_num(s[last])} in {last}"
                + (f" (note: {note})" if note else "") + ". → **fluctuation** fires (波动较大).")
    if role == "breach":
        return (f"**{name}** (`{rule}`, keep {tgt}): within it in {years[-3]}–{years[-2]} "
                f"({fmt_num(s[years[-3]])}, {fmt_num(s[years[-2]])}), then {fmt_num(s[last])} in {last}. "
                f"→ **breach** fires; the trend still meets the target, so forecast stays quiet.")
    if role == "wrong_way":
        d = next((c.params.get("direction", fam.ind["better"]) for c in rc if c.kind == "direction"), "up")
        return (f"**{name}** (`{rule}`, should go {d}): {fmt_num(s[years[-3]])} → {fmt_num(s[years[-2]])} → "
                f"{fmt_num(s[last])} in {years[-3]}–{last}. → **direction** fires.")
    return f"**{name}** (`{rule}`): {role}"


def write_readme(out_dir, plans, checks, catalog, families, data, outcomes, written):
    fired = [(c, k, why) for c, k, h, why in outcomes if h]
    regions = []
    for p in plans:
        for r in p["regions"]:
            if r not in regions:
                regions.append(r)
    plan_of_region = {r: [p for p in plans if r in p["regions"]] for r in regions}
    L = []
    L.append("# ⚠️ SYNTHETIC DATA — NOT REAL STATISTICS ⚠️")
    L.append("")
    L.append("> **Every number in this directory is made up.** The files are example data for warnd, generated by")
    L.append("> `scripts/generate-example-data.py` to demonstrate and test the rules in `rules/`. They are **not** the")
    L.append("> statistics of 渠县, 双阳区, 永川区, 威宁自治县 or 秀峰区, and must never be quoted as such. Only a handful")
    L.append("> of 2020 values of 永川区 are taken from its plan (see *How they were made*); everything else is invented.")
    L.append("")
    L.append("This README is written by the generator together with the data; edit the script, not this file.")
    L.append("")
    L.append("## The files")
    L.append("")
    L.append("One file per plan, annual values 2018–2024 for every indicator the plan's rules monitor (columns")
    L.append("`indicator,region,period,value,<dimensions>,source,note`; `source` is always `synthetic example`).")
    L.append("")
    L.append("| file | plan | format |")
    L.append("| --- | --- | --- |")
    for path in written:
        base = os.path.basename(path)
        pid = os.path.splitext(base)[0]
        p = next(p for p in plans if p["id"] == pid)
        f = FORMATS.get(pid, "csv")
        desc = {"csv": "CSV, UTF-8, LF", "gb18030": "CSV, **GB18030** with CRLF line ends (what Chinese Excel/WPS "
                "write for plain “CSV”)", "jsonl": "**JSON Lines**"}[f]
        L.append(f"| `{base}` | {p['title']} | {desc} |")
    L.append("")
    L.append("Dimension columns appear only where a rule needs them: `area` (城镇/农村) for the urban–rural gap rules")
    L.append("and `where: {area: 农村}` rules, `sex` (男/女) for the gender gap rules and `where: {sex: 女}` rules. A row")
    L.append("with an empty dimension cell is the county as a whole.")
    L.append("")
    L.append("## Run the demo")
    L.append("")
    L.append("```sh")
    L.append("warnd check rules")
    L.append("warnd eval --rules rules --data examples/data --now 2025-07-01")
    L.append("warnd eval --rules rules --data examples/data --now 2025-07-01 --format json")
    L.append("```")
    L.append("")
    L.append("`--now 2025-07-01` matters: 2024 values were due by 30 June 2025, so that is the day on which the late")
    L.append("county (威宁自治县) and the late 孕产妇死亡率 of 渠县 become overdue.")
    L.append("")
    # counts
    n_rules = len(checks)
    target_kinds = ("forecast", "breach", "trajectory")
    n_target = sum(1 for c in checks if c.kind in target_kinds)
    fired_target_rules = {c.id for c, _, _ in fired if c.kind in target_kinds}
    L.append("## What it should show")
    L.append("")
    L.append(f"{n_rules} rules over {len(data)} series: {len(outcomes)} (rule, series) pairs, **{len(fired)} alerts** "
             f"({len(fired_target_rules)} of the {n_target} forecast/breach/trajectory rules fire, "
             f"{100 * len(fired_target_rules) / max(n_target, 1):.0f} %). By kind and county:")
    L.append("")
    kinds = [k for k in KIND_ORDER if any(c.kind == k for c, _, _ in fired)]
    sevs = [x for x in SEVERITY_ZH if any(c.severity == x for c, _, _ in fired)]
    L.append("| county | " + " | ".join(kinds) + " | total | " + " | ".join(sevs) + " |")
    L.append("| --- | " + " | ".join("---:" for _ in kinds) + " | ---: | " + " | ".join("---:" for _ in sevs) + " |")
    for r in regions + [None]:
        mine = [c for c, k, _ in fired if r is None or k[1] == r]
        row = [sum(1 for c in mine if c.kind == kind) for kind in kinds]
        sev = [sum(1 for c in mine if c.severity == x) for x in sevs]
        L.append(f"| {r or '**all**'} | " + " | ".join(str(x) for x in row) + f" | {sum(row)} | "
                 + " | ".join(str(x) for x in sev) + " |")
    L.append("")
    critical = [(c, k, why) for c, k, why in fired if c.severity == "critical"]
    if critical:
        targets = sorted({c.rule_id for c, _, _ in critical})
        L.append(f"**{len(critical)} critical (严重) alerts**, all from " + ("one binding target" if len(targets) == 1
                 else f"{len(targets)} binding targets") + " (" + ", ".join(f"`{t}`" for t in targets)
                 + "; a forecast or trajectory check of a binding rule is critical):")
        L.append("")
        L.append("| county | rule | series | detail |")
        L.append("| --- | --- | --- | --- |")
        for c, k, why in critical:
            L.append(f"| {k[1]} | `{c.id}` | {series_label(catalog, k)} | {why} |")
        L.append("")
        if all(c.severity == "warning" for c, _, _ in fired if c.severity != "critical"):
            L.append("Every other alert is a warning (警告).")
            L.append("")
    L.append("Everything not listed below is on track: a steady trend that meets its targets ahead of the straight")
    L.append("line from 2020, with year-to-year noise well inside every fluctuation threshold.")
    L.append("")
    L.append("## The story of each county")
    L.append("")
    for r in regions:
        profile = REGION_PROFILES.get(r, DEFAULT_PROFILE)
        pl = plan_of_region[r]
        L.append(f"### {r} ({', '.join('`' + p['id'] + '`' for p in pl)})")
        L.append("")
        if profile["late"]:
            L.append(f"**Late: no {LAST_YEAR} values at all.** The county's files stop at {LAST_YEAR - 1}, so its")
            stale = [c for c, k, _ in fired if k[1] == r and c.kind == "stale"]
            names = "、".join(catalog[c.indicator]["name"] for c in stale)
            L.append(f"latest year is {LAST_YEAR - 1}, and each of its {len(stale)} stale rules ({names}) fires once: one "
                     f"outcome for the county, however many 城镇/农村 breakdowns the indicator has.")
            L.append("")
        for (reg, _), fam in families.items():
            if reg != r:
                continue
            for role, rule, note in fam.roles:
                line = "- " + story_line(fam, role, rule, note, data, catalog, checks, fired)
                others = sorted({c.id for c, k, _ in fired if k[1] == r and k[0] == fam.indicator
                                 and c.kind in PRIMARY[role] and c.rule_id != rule})
                if others:
                    line += (" The same series is watched by " + ", ".join(f"`{o}`" for o in others)
                             + (", which fires too." if len(others) == 1 else ", which fire too."))
                L.append(line)
        L.append("")
        L.append("<details><summary>Every alert expected for " + r + "</summary>")
        L.append("")
        L.append("| rule | kind | severity | series | detail |")
        L.append("| --- | --- | --- | --- | --- |")
        for c, k, why in fired:
            if k[1] == r:
                L.append(f"| `{c.id}` | {c.kind} | {c.severity} | {series_label(catalog, k)} | {why} |")
        L.append("")
        L.append("</details>")
        L.append("")
    L.append("## How they were made")
    L.append("")
    L.append("`python3 scripts/generate-example-data.py [--out DIR]` reads `rules/indicators.yaml` and every plan in")
    L.append("`rules/`, and writes one file per plan. It is deterministic (a fixed seed, per-series randomness from a")
    L.append("SHA-256 of the series key), so running it twice gives byte-identical files; it needs Python 3 and PyYAML.")
    L.append("")
    L.append("- Levels: the 2020 values stated in 永川区's plan (妇女人均预期寿命 82岁, 孕产妇系统管理率 92.99%, 婴儿死亡率")
    L.append("  2.37‰, 5岁以下儿童死亡率 4.49‰, 学前三年毛入园率 97.5%, 普惠率 85%, 高中阶段女性毛入学率 136%, 女性平均受教育")
    L.append("  年限 12年, 就业人员中女性 46.05%, 女性高级专业技术人员 50.15%, 人大代表 28.13% and 政协委员 32.92% 女性,")
    L.append("  村委会 52.26% and 居委会 69.37% 女性); otherwise plausible national-level values, shifted per county")
    L.append("  (威宁 poorer and more rural, 永川 and 秀峰 better off).")
    L.append("- Most series meet every target of the rules that watch them, ahead of the straight-line path, with noise")
    L.append("  well inside the fluctuation thresholds. A keep-within target (保持在…) is met in every year.")
    L.append("- Shares elected for a term (人大, 政协, 村/社区党组织) change only at the 2021 elections.")
    L.append("- Each county has a few series shaped to fire one kind of rule each (the story above). Every draw is")
    L.append("  checked against a re-implementation of warnd's rule semantics and redrawn if any other rule would fire.")
    L.append("")
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(L) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser(description="Generate warnd's synthetic example data (see the header comment).")
    ap.add_argument("--out", default=os.path.join(repo, "examples", "data"), help="output directory")
    ap.add_argument("--rules", default=os.path.join(repo, "rules"), help="rules directory (catalog and plans)")
    ap.add_argument("--summary", action="store_true", help="print the alerts the data should raise")
    args = ap.parse_args()

    catalog, plans, checks = load_rules(args.rules)
    data, notes, decimals, families = build(catalog, plans, checks)
    os.makedirs(args.out, exist_ok=True)
    for old in glob.glob(os.path.join(args.out, "*.csv")) + glob.glob(os.path.join(args.out, "*.jsonl")):
        os.remove(old)
    written = []
    for plan in plans:
        keys = plan_keys(plan, checks, data)
        written.append(write_plan_file(args.out, plan, keys, data, notes, decimals))
    outcomes = evaluate(checks, catalog, data)
    fired = [(c, k, why) for c, k, h, why in outcomes if h]
    write_readme(args.out, plans, checks, catalog, families, data, outcomes, written)
    if args.summary:
        for c, k, why in fired:
            print(f"{c.plan_id:20s} {c.id:55s} {k[0]} {dict(k[2]) or ''} {why}")
        print(f"{len(outcomes)} (rule, series) pairs, {len(fired)} alerts", file=sys.stderr)
    print(f"wrote {len(written)} data files and README.md to {args.out}", file=sys.stderr)




if __name__ == "__main__":
    main()
