"""Numbers, money and dates written the way Chinese legal texts write them."""

from __future__ import annotations

_DIGITS = "零一二三四五六七八九"


def numeral(n: int) -> str:
    """1–9999 in Chinese numerals: 10 → 十, 15 → 十五, 105 → 一百零五, 2000 → 二千."""
    if not 0 < n < 10000:
        raise ValueError(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    parts: list[str] = []
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero and parts:
                parts.append("零")
            parts.append(_DIGITS[d] + unit)
            zero = False
        elif parts:
            zero = True
    return "".join(parts)


def money(yuan: int) -> str:
    """An amount as in a statute: 500 → 五百元, 20000 → 二万元, 150000 → 十五万元."""
    if yuan >= 10000 and yuan % 10000 == 0:
        return numeral(yuan // 10000) + "万元"
    if yuan >= 10000:
        return numeral(yuan // 10000) + "万" + numeral(yuan % 10000) + "元"
    return numeral(yuan) + "元"


def money_short(yuan: int) -> str:
    """An amount in digits, as in discretion tables: 20000 → 2万元, 500 → 500元."""
    if yuan >= 10000 and yuan % 1000 == 0:
        value = yuan / 10000
        text = f"{value:.1f}".rstrip("0").rstrip(".")
        return text + "万元"
    return f"{yuan}元"


def date_zh(iso: str) -> str:
    """2017-11-04 → 2017年11月4日."""
    y, m, d = iso.split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def provision(article: int, paragraph: int | None = None, item: int | None = None) -> str:
    """第五十条第一款第（二）项."""
    text = f"第{numeral(article)}条"
    if paragraph:
        text += f"第{numeral(paragraph)}款"
    if item:
        text += f"第（{numeral(item)}）项"
    return text
