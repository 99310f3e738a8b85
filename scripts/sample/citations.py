"""Legal-basis citations (实施依据): which law, which 条/款/项, the quoted clause and the raw
text as a published list prints it.

A penalty's first citation carries the sanction: its quote states the statutory fine range
that the discretion tiers then divide. Further citations of the same power are phrased as a
lower-level instrument referring up ("依照《…》的规定予以处罚") or as the general duty of the
authority. General laws (行政处罚法, 行政许可法, 行政强制法) are quoted from their real text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .chinese import date_zh, money, numeral, provision
from .laws import Law, law

#: Real provisions of the general laws: (article, paragraph, text).
GENERAL: dict[str, tuple[tuple[int, int | None, str], ...]] = {
    "行政处罚法": (
        (28, 1, "行政机关实施行政处罚时，应当责令当事人改正或者限期改正违法行为。"),
        (33, 1, "违法行为轻微并及时改正，没有造成危害后果的，不予行政处罚。初次违法且危害后果轻微并及时改正的，可以不予行政处罚。"),
        (32, None, "当事人有下列情形之一，应当从轻或者减轻行政处罚：（一）主动消除或者减轻违法行为危害后果的；（二）受他人胁迫或者诱骗实施违法行为的；（三）主动供述行政机关尚未掌握的违法行为的；（四）配合行政机关查处违法行为有立功表现的；（五）法律、法规、规章规定其他应当从轻或者减轻行政处罚的。"),
        (22, None, "行政处罚由违法行为发生地的行政机关管辖。法律、行政法规、部门规章另有规定的，从其规定。"),
    ),
    "行政许可法": (
        (29, 1, "公民、法人或者其他组织从事特定活动，依法需要取得行政许可的，应当向行政机关提出申请。"),
        (38, 1, "申请人的申请符合法定条件、标准的，行政机关应当依法作出准予行政许可的书面决定。"),
        (42, 1, "除可以当场作出行政许可决定的外，行政机关应当自受理行政许可申请之日起二十日内作出行政许可决定。二十日内不能作出决定的，经本行政机关负责人批准，可以延长十日，并应当将延长期限的理由告知申请人。但是，法律、法规另有规定的，依照其规定。"),
    ),
    "行政强制法": (
        (9, None, "行政强制措施的种类：（一）限制公民人身自由；（二）查封场所、设施或者财物；（三）扣押财物；（四）冻结存款、汇款；（五）其他行政强制措施。"),
        (22, None, "查封、扣押应当由法律、法规规定的行政机关实施，其他任何行政机关或者组织不得实施。"),
        (23, 1, "查封、扣押限于涉案的场所、设施或者财物，不得查封、扣押与违法行为无关的场所、设施或者财物；不得查封、扣押公民个人及其所扶养家属的生活必需品。"),
    ),
}

#: Which general law a type may add, and how often.
GENERAL_FOR_TYPE = {"02": ("行政处罚法", 0.3), "01": ("行政许可法", 0.35), "03": ("行政强制法", 0.5)}

_LEVEL_RANK = {"L": 0, "A": 1, "R": 2, "M": 3, "G": 4, "N": 5}


@dataclass
class Sanction:
    """The statutory penalty range a penalty's first citation states."""
    style: str                  # fine | gains | detention
    lo: int                     # fine minimum (元), 0 for "…以下"
    hi: int                     # fine maximum (元)
    gains: tuple[int, int] | None = None   # 违法所得倍数 range
    threshold: int = 0          # gains style: 违法所得 threshold
    detention: tuple[int, int] | None = None  # days
    warning_max: int = 0        # detention style: 情节较轻 fine cap


@dataclass
class Citation:
    law: Law
    article: int
    paragraph: int | None
    item: int | None
    quote: str

    @property
    def raw_text(self) -> str:
        return (f"【{self.law.level_zh}】《{self.law.title}》（{dating(self.law)}）"
                f"{provision(self.article, self.paragraph, self.item)}：“{self.quote}”")


def dating(item: Law) -> str:
    """（1997年7月3日公布，2017年11月4日第五次修正）, or the document number of a 规范性文件."""
    if item.letter == "N":
        return item.number or date_zh(item.date) + "印发"
    text = date_zh(item.date) + "公布"
    if item.amendments:
        last_day, last_kind = item.amendments[-1]
        run = 0
        for _day, kind in reversed(item.amendments):
            if kind != last_kind:
                break
            run += 1
        ordinal = f"第{numeral(run)}次" if run > 1 else ""
        text += f"，{date_zh(last_day)}{ordinal}{last_kind}"
    return text


_FINE_SCALES = {
    "low": ((0, 200), (0, 500), (50, 200), (200, 2000), (0, 1000), (500, 2000), (1000, 5000),
            (0, 2000), (200, 1000)),
    "mid": ((1000, 10000), (2000, 20000), (5000, 30000), (10000, 50000), (0, 10000), (0, 30000),
            (3000, 30000), (5000, 50000), (2000, 10000), (10000, 30000), (0, 50000)),
    "high": ((10000, 100000), (20000, 200000), (50000, 200000), (100000, 500000), (30000, 100000),
             (50000, 500000), (100000, 1000000), (20000, 100000), (0, 100000), (10000, 50000)),
}


def sanction(rng: random.Random, scale: str, style: str) -> Sanction:
    """A statutory range plausible for the section's scale and style."""
    if style == "detention":
        days = rng.choice(((5, 10), (5, 10), (10, 15)))
        hi = 500 if days == (5, 10) else 1000
        return Sanction("detention", 0, hi, detention=days, warning_max=rng.choice((200, 500)))
    lo, hi = rng.choice(_FINE_SCALES[scale])
    if style == "gains" and rng.random() < 0.7:
        gains = rng.choice(((1, 3), (1, 5), (2, 5), (2, 10), (5, 10), (10, 20)))
        threshold = rng.choice((5000, 10000, 10000, 50000))
        return Sanction("gains", lo, hi, gains=gains, threshold=threshold)
    return Sanction("fine", lo, hi)


def _sanction_text(s: Sanction) -> str:
    fine = f"处{money(s.lo)}以上{money(s.hi)}以下的罚款" if s.lo else f"处{money(s.hi)}以下的罚款"
    if s.style == "gains":
        assert s.gains is not None
        g1, g2 = s.gains
        return (f"没收违法所得，违法所得{money(s.threshold)}以上的，并处违法所得{numeral(g1)}倍以上"
                f"{numeral(g2)}倍以下的罚款；没有违法所得或者违法所得不足{money(s.threshold)}的，{fine}")
    return fine


def _pick_article(rng: random.Random, item: Law, penalty: bool) -> int:
    if penalty:
        lo, hi = item.liability, item.articles
    else:
        lo, hi = 2, max(2, item.liability - 1)
    return rng.randint(min(lo, hi), max(lo, hi))


def _this(kind: str) -> str:
    """本法规定, 本条例规定 … but 本规定 (not 本规定规定)."""
    return "本规定" if kind == "规定" else f"本{kind}规定"


def _stem(name: str, *suffixes: str) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def penalty_quote(rng: random.Random, item: Law, act: str, authority: str, s: Sanction,
                  revoke: str) -> tuple[str, bool]:
    """The sanctioning clause; True when it is a list clause (the citation then has a 项)."""
    if s.style == "detention":
        assert s.detention is not None
        d1, d2 = s.detention
        head = (f"有下列行为之一的，处{numeral(d1)}日以上{numeral(d2)}日以下拘留，可以并处"
                f"{money(s.hi)}以下罚款；情节较轻的，处警告或者{money(s.warning_max)}以下罚款")
        return f"{head}：……{{item}}{act}；……", True
    text = _sanction_text(s)
    tail = ""
    if revoke and rng.random() < 0.35:
        tail = f"；情节严重的，由原发证机关吊销{revoke}"
    form = rng.random()
    if form < 0.25:
        return f"有下列行为之一的，由{authority}责令改正，{text}{tail}：……{{item}}{act}；……", True
    if form < 0.5:
        return f"{act}的，由{authority}责令停止违法行为，限期改正，{text}{tail}。", False
    return f"违反{_this(item.kind)}，{act}的，由{authority}责令改正，{text}{tail}。", False


def duty_quote(rng: random.Random, item: Law, type_code: str, name: str, authority: str) -> tuple[str, bool]:
    """The empowering clause of a non-penalty power; True when it is a list clause."""
    kind = item.kind
    if type_code == "01":
        if name.endswith("许可"):
            obj = name[:-2]
            return (f"从事{obj}的，应当向{authority}提出申请，并提交符合{_this(kind)}条件的相关材料。"
                    f"{authority}应当依法进行审查，对符合条件的，作出准予许可的决定，并颁发相应的许可证件。"), False
        return (f"申请{name}的，应当向{authority}提交符合规定的申请材料；{authority}应当依法审查，"
                f"并在法定期限内作出决定。"), False
    if type_code == "03":
        return (f"{authority}依法履行监督检查职责，对有证据证明存在违法行为的，可以采取下列措施："
                f"……{{item}}{name}；……"), True
    if type_code == "04":
        fee = _stem(name, "征收", "收取", "归集")
        return f"{fee}由{authority}依照{_this(kind)}征收，任何单位和个人不得擅自减免、缓征。", False
    if type_code == "05":
        benefit = _stem(name, "发放", "给付", "支付")
        return f"对符合条件的对象，由{authority}按照国家和省规定的标准及时足额发放{benefit}。", False
    if type_code == "06":
        obj = name[1:-5] if name.startswith("对") and name.endswith("的监督检查") else name
        if obj != name:
            return (f"{authority}应当依法对{obj}实施监督检查，被检查单位和个人应当如实提供有关情况和资料，"
                    f"不得拒绝、阻碍。"), False
        return f"{authority}应当依照{_this(kind)}组织开展{name}，并将检查结果依法向社会公开。", False
    if type_code == "08" and name.startswith("对") and "的" in name:
        target = name[1:name.rindex("的")]
        return f"对{target}，由{authority}按照国家和省有关规定给予表彰和奖励。", False
    if type_code == "09":
        return f"{name}，由{authority}依照{_this(kind)}受理，并在规定期限内作出决定。", False
    forms = (f"{name}，由{authority}依照{_this(kind)}的条件和程序办理。",
             f"{authority}负责{name}工作，具体办法由省人民政府有关部门制定。")
    return rng.choice(forms), False


def secondary_duty_quote(rng: random.Random, item: Law, type_code: str, name: str,
                         authority: str) -> str:
    """A supporting clause from a second instrument: procedure or organisation, not the power itself."""
    if type_code == "01":
        return rng.choice((
            f"{authority}应当自受理{name}申请之日起二十日内作出决定；二十日内不能作出决定的，"
            f"经本机关负责人批准，可以延长十日，并应当将延长期限的理由告知申请人。",
            f"{name}的申请条件、申请材料和办理程序，由{authority}依照{_this(item.kind)}向社会公布。",
        ))
    return rng.choice((
        f"{authority}应当建立健全{name}工作制度，依照{_this(item.kind)}规范实施，并接受社会监督。",
        f"县级以上人民政府应当加强对{name}工作的领导，{authority}具体负责实施。",
    ))


def _finish(rng: random.Random, item: Law, article: int, quote: str, listed: bool) -> Citation:
    paragraph = rng.choice((None, None, None, 1, 1, 2, 3)) if not listed else rng.choice((None, 1, 1))
    number = None
    if listed:
        number = rng.randint(1, 8)
        quote = quote.replace("{item}", f"（{numeral(number)}）")
    return Citation(item, article, paragraph, number, quote)


def citations(rng: random.Random, *, type_code: str, name: str, act: str | None, primary: Law,
              secondary: Law | None, authority: str, s: Sanction | None, revoke: str) -> list[Citation]:
    """The ordered legal basis of one power (1–4 citations, highest level first)."""
    penalty = type_code == "02"
    result: list[Citation] = []
    if penalty:
        assert act is not None and s is not None
        quote, listed = penalty_quote(rng, primary, act, authority, s, revoke)
    else:
        quote, listed = duty_quote(rng, primary, type_code, name, authority)
    result.append(_finish(rng, primary, _pick_article(rng, primary, penalty), quote, listed))
    if secondary is not None:
        if penalty and _LEVEL_RANK[secondary.letter] > _LEVEL_RANK[primary.letter]:
            quote = f"违反{_this(secondary.kind)}，{act}的，依照《{primary.title}》的规定予以处罚。"
        elif penalty:
            quote = f"{authority}应当依法加强监督检查，对违反{_this(secondary.kind)}的行为依法予以查处。"
        else:
            quote = secondary_duty_quote(rng, secondary, type_code, name, authority)
        result.append(_finish(rng, secondary, _pick_article(rng, secondary, penalty), quote, False))
    general = GENERAL_FOR_TYPE.get(type_code)
    if general and rng.random() < general[1]:
        article, paragraph, text = rng.choice(GENERAL[general[0]])
        result.append(Citation(law(general[0]), article, paragraph, None, text))
    result.sort(key=lambda c: _LEVEL_RANK[c.law.letter])
    return result[:4]
