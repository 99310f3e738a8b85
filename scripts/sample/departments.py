"""The 42 provincial departments and the assumed size and type split of their powers.

Which 42: domain.md §2 lists the 2014–2017 departments in four groups — 23 省政府组成部门,
1 直属特设机构, 14 直属机构, 3 部门管理机构 — which hold 41; adding 测绘与地理信息局 (the
first of the "others", a provincial body with its own administrative powers) gives 42.
供销合作社联合社, 地震局, 气象局 and 金融工作办公室 are left out: the first is not an
administrative organ, the next two are vertically managed national bodies, the last held
almost no administrative powers in 2014.

Department codes (DD of the power codes): those domain.md §4 gives are used (09 公安, 11 民政,
15 国土, 16 环保, 17 住建, 18 交通, 20 海洋与渔业, 21 商务, 22 文化, 23 卫计, 30 地税,
31 工商, 39 新闻出版广电, 64 林业, 72 药监 → 食品药品监督管理局); the others get unused
codes. 73 (知识产权) and 75 (档案) are kept free because real data uses them.

Assumed split (the real per-department and per-type counts of the 4,236 are not public):
``SIZES[slug] = (total, 许可, 强制, 征收, 给付, 检查, 确认, 奖励, 裁决, 其他)``, penalties
(行政处罚) being the rest. Department sizes are skewed like real lists (公安, 交通, 住建, 环保,
食药监, 质监, 工商, 卫计, 安监 large; 机关事务, 法制办 tiny). Type totals: 行政许可 exactly
283 (the province's 2015 licensing count); 行政处罚 3,114 (73.5%); the rest in proportion to
what each department's domain plausibly holds (see ``build.summary``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from . import creditcode

NON_PENALTY_TYPES = ("01", "03", "04", "05", "06", "07", "08", "09", "10")


@dataclass(frozen=True)
class Department:
    slug: str
    zh: str
    en: str
    alt: str
    code: str
    category: str
    domain: tuple[str, ...]        # vocabulary keys (vocab.DOMAINS) whose sections it uses
    area: str = "330000"           # administrative division of its credit code
    place: str = "浙江省"           # who it belongs to (province, city or county)
    level: int = 2                 # 行使层级 of its own: 2 province, 3 city, 4 county


_C, _T, _Z, _B, _O = "省政府组成部门", "直属特设机构", "直属机构", "部门管理机构", "其他"

#: slug, Chinese name, English name, alt label, DD, category
_TABLE = (
    ("fagai", "浙江省发展和改革委员会", "Zhejiang Provincial Development and Reform Commission", "省发展改革委", "01", _C),
    ("jingxin", "浙江省经济和信息化委员会", "Zhejiang Provincial Commission of Economy and Information Technology", "省经信委", "02", _C),
    ("jiaoyu", "浙江省教育厅", "Zhejiang Provincial Department of Education", "省教育厅", "03", _C),
    ("keji", "浙江省科学技术厅", "Zhejiang Provincial Department of Science and Technology", "省科技厅", "04", _C),
    ("minzong", "浙江省民族宗教事务委员会", "Zhejiang Provincial Ethnic and Religious Affairs Commission", "省民宗委", "05", _C),
    ("gongan", "浙江省公安厅", "Zhejiang Provincial Department of Public Security", "省公安厅", "09", _C),
    ("jiancha", "浙江省监察厅", "Zhejiang Provincial Department of Supervision", "省监察厅", "06", _C),
    ("minzheng", "浙江省民政厅", "Zhejiang Provincial Department of Civil Affairs", "省民政厅", "11", _C),
    ("sifa", "浙江省司法厅", "Zhejiang Provincial Department of Justice", "省司法厅", "07", _C),
    ("caizheng", "浙江省财政厅", "Zhejiang Provincial Department of Finance", "省财政厅", "08", _C),
    ("renshe", "浙江省人力资源和社会保障厅", "Zhejiang Provincial Department of Human Resources and Social Security", "省人力社保厅", "10", _C),
    ("guotu", "浙江省国土资源厅", "Zhejiang Provincial Department of Land and Resources", "省国土资源厅", "15", _C),
    ("huanbao", "浙江省环境保护厅", "Zhejiang Provincial Department of Environmental Protection", "省环保厅", "16", _C),
    ("zhujian", "浙江省住房和城乡建设厅", "Zhejiang Provincial Department of Housing and Urban-Rural Development", "省建设厅", "17", _C),
    ("jiaotong", "浙江省交通运输厅", "Zhejiang Provincial Department of Transport", "省交通运输厅", "18", _C),
    ("shuili", "浙江省水利厅", "Zhejiang Provincial Department of Water Resources", "省水利厅", "12", _C),
    ("nongye", "浙江省农业厅", "Zhejiang Provincial Department of Agriculture", "省农业厅", "13", _C),
    ("linye", "浙江省林业厅", "Zhejiang Provincial Forestry Department", "省林业厅", "64", _C),
    ("shangwu", "浙江省商务厅", "Zhejiang Provincial Department of Commerce", "省商务厅", "21", _C),
    ("wenhua", "浙江省文化厅", "Zhejiang Provincial Department of Culture", "省文化厅", "22", _C),
    ("weiji", "浙江省卫生和计划生育委员会", "Zhejiang Provincial Health and Family Planning Commission", "省卫生计生委", "23", _C),
    ("shenji", "浙江省审计厅", "Zhejiang Provincial Audit Office", "省审计厅", "14", _C),
    ("waiqiao", "浙江省外事侨务办公室", "Zhejiang Provincial Foreign and Overseas Chinese Affairs Office", "省外侨办", "19", _C),
    ("guozi", "浙江省国有资产监督管理委员会", "Zhejiang Provincial State-owned Assets Supervision and Administration Commission", "省国资委", "24", _T),
    ("dishui", "浙江省地方税务局", "Zhejiang Provincial Local Taxation Bureau", "省地税局", "30", _Z),
    ("gongshang", "浙江省工商行政管理局", "Zhejiang Provincial Administration for Industry and Commerce", "省工商局", "31", _Z),
    ("zhijian", "浙江省质量技术监督局", "Zhejiang Provincial Bureau of Quality and Technical Supervision", "省质监局", "32", _Z),
    ("xinwen", "浙江省新闻出版广电局", "Zhejiang Provincial Administration of Press, Publication, Radio, Film and Television", "省新闻出版广电局", "39", _Z),
    ("tiyu", "浙江省体育局", "Zhejiang Provincial Sports Bureau", "省体育局", "25", _Z),
    ("anjian", "浙江省安全生产监督管理局", "Zhejiang Provincial Administration of Work Safety", "省安监局", "26", _Z),
    ("shiyao", "浙江省食品药品监督管理局", "Zhejiang Provincial Food and Drug Administration", "省食品药品监管局", "72", _Z),
    ("tongji", "浙江省统计局", "Zhejiang Provincial Bureau of Statistics", "省统计局", "27", _Z),
    ("haiyang", "浙江省海洋与渔业局", "Zhejiang Provincial Ocean and Fisheries Bureau", "省海洋与渔业局", "20", _Z),
    ("lvyou", "浙江省旅游局", "Zhejiang Provincial Tourism Administration", "省旅游局", "28", _Z),
    ("liangshi", "浙江省粮食局", "Zhejiang Provincial Grain Bureau", "省粮食局", "29", _Z),
    ("jiguan", "浙江省机关事务管理局", "Zhejiang Provincial Government Offices Administration", "省机关事务局", "33", _Z),
    ("fazhi", "浙江省人民政府法制办公室", "Legislative Affairs Office of Zhejiang Provincial People's Government", "省政府法制办", "34", _Z),
    ("renfang", "浙江省人民防空办公室", "Zhejiang Provincial Civil Air Defence Office", "省人防办", "35", _Z),
    ("wujia", "浙江省物价局", "Zhejiang Provincial Price Bureau", "省物价局", "36", _B),
    ("wenwu", "浙江省文物局", "Zhejiang Provincial Cultural Heritage Administration", "省文物局", "37", _B),
    ("jianyu", "浙江省监狱管理局", "Zhejiang Provincial Prison Administration Bureau", "省监狱管理局", "38", _B),
    ("cehui", "浙江省测绘与地理信息局", "Zhejiang Provincial Bureau of Surveying, Mapping and Geoinformation", "省测绘与地理信息局", "40", _O),
)

#: (total, 许可, 强制, 征收, 给付, 检查, 确认, 奖励, 裁决, 其他); 行政处罚 = the rest.
SIZES: dict[str, tuple[int, ...]] = {
    "gongan": (480, 24, 42, 0, 1, 39, 19, 4, 0, 4),
    "jiaotong": (370, 22, 15, 3, 0, 25, 7, 1, 0, 5),
    "zhujian": (320, 30, 8, 3, 0, 25, 9, 1, 2, 5),
    "huanbao": (300, 14, 6, 1, 0, 25, 4, 1, 0, 1),
    "gongshang": (220, 5, 9, 0, 0, 18, 8, 2, 0, 3),
    "zhijian": (270, 12, 7, 0, 0, 26, 4, 2, 0, 1),
    "shiyao": (300, 14, 6, 0, 0, 30, 4, 0, 0, 0),
    "anjian": (200, 8, 7, 0, 0, 18, 4, 1, 0, 2),
    "weiji": (205, 18, 4, 2, 6, 21, 8, 1, 1, 1),
    "guotu": (128, 13, 4, 5, 1, 12, 10, 1, 1, 2),
    "nongye": (170, 12, 8, 0, 4, 13, 6, 1, 0, 0),
    "haiyang": (105, 12, 4, 2, 1, 10, 5, 1, 1, 0),
    "linye": (90, 10, 3, 1, 2, 8, 2, 1, 1, 0),
    "shuili": (90, 11, 3, 3, 1, 7, 3, 1, 1, 1),
    "wenhua": (90, 5, 2, 0, 1, 7, 2, 1, 0, 1),
    "xinwen": (120, 8, 3, 0, 0, 9, 3, 2, 0, 0),
    "renshe": (85, 2, 0, 1, 6, 6, 8, 1, 1, 1),
    "sifa": (65, 9, 0, 0, 1, 5, 2, 2, 0, 0),
    "dishui": (55, 0, 6, 9, 0, 3, 5, 1, 0, 2),
    "minzheng": (72, 5, 0, 0, 6, 6, 6, 1, 0, 2),
    "jiaoyu": (40, 4, 0, 0, 2, 4, 2, 1, 0, 1),
    "fagai": (36, 5, 0, 1, 0, 4, 2, 1, 0, 2),
    "jingxin": (42, 6, 1, 1, 0, 5, 2, 1, 0, 1),
    "keji": (16, 2, 0, 0, 0, 1, 3, 3, 0, 1),
    "minzong": (28, 6, 0, 0, 1, 1, 3, 1, 0, 2),
    "caizheng": (48, 2, 0, 1, 1, 5, 2, 1, 0, 1),
    "shangwu": (45, 3, 0, 0, 0, 3, 4, 1, 0, 2),
    "lvyou": (36, 2, 0, 0, 0, 2, 2, 0, 0, 0),
    "wujia": (32, 0, 0, 0, 0, 4, 0, 0, 0, 1),
    "wenwu": (30, 7, 1, 0, 0, 2, 2, 1, 0, 0),
    "cehui": (32, 4, 0, 0, 0, 2, 2, 1, 0, 2),
    "renfang": (17, 2, 0, 2, 0, 2, 1, 1, 0, 2),
    "tongji": (15, 0, 0, 0, 0, 2, 0, 1, 0, 2),
    "shenji": (12, 0, 1, 0, 0, 3, 0, 1, 0, 2),
    "liangshi": (19, 2, 0, 0, 0, 2, 1, 1, 0, 1),
    "tiyu": (24, 2, 0, 0, 1, 1, 1, 1, 0, 0),
    "guozi": (11, 1, 0, 0, 0, 2, 2, 1, 0, 4),
    "waiqiao": (6, 1, 0, 0, 1, 0, 2, 1, 0, 1),
    "jiguan": (3, 0, 0, 0, 0, 1, 0, 0, 0, 2),
    "fazhi": (3, 0, 0, 0, 0, 1, 0, 0, 1, 1),
    "jiancha": (3, 0, 0, 0, 0, 1, 0, 0, 0, 2),
    "jianyu": (3, 0, 0, 0, 0, 1, 0, 1, 0, 1),
}


def type_counts(slug: str) -> dict[str, int]:
    """In-force records by national type code for a provincial department."""
    total, *rest = SIZES[slug]
    counts = dict(zip(NON_PENALTY_TYPES, rest, strict=True))
    counts["02"] = total - sum(rest)
    if counts["02"] < 0:
        raise ValueError(f"{slug}: sizes exceed the total")
    return counts


def provincial() -> list[Department]:
    """The 42 provincial departments, in the order of domain.md §2 (plus 测绘)."""
    return [Department(slug, zh, en, alt, code, cat, (slug,))
            for slug, zh, en, alt, code, cat in _TABLE]


def credit_codes(departments: list[Department], rng: random.Random) -> dict[str, str]:
    """A distinct synthetic 统一社会信用代码 for every department, in list order."""
    codes: dict[str, str] = {}
    seen: set[str] = set()
    for dept in departments:
        code = creditcode.synthetic(rng, dept.area)
        while code in seen:
            code = creditcode.synthetic(rng, dept.area)
        seen.add(code)
        codes[dept.slug] = code
    return codes
