"""Per-department domain vocabularies: ``DOMAINS[slug]`` is the department's sections."""

from .common import FAMILIES, Section
from .construction import RENFANG, ZHUJIAN
from .culture import LVYOU, TIYU, WENHUA, WENWU, XINWEN
from .economy import CAIZHENG, DISHUI, FAGAI, GUOZI, JINGXIN, SHENJI, TONGJI
from .environment import HUANBAO
from .foodsafety import ANJIAN, SHIYAO
from .government import FAZHI, JIANCHA, JIANYU, JIGUAN
from .health import WEIJI
from .land import CEHUI, GUOTU
from .market import GONGSHANG, WUJIA, ZHIJIAN
from .rural import HAIYANG, LINYE, NONGYE, SHUILI
from .security import GONGAN
from .social import JIAOYU, KEJI, MINZHENG, MINZONG, RENSHE, SIFA, WAIQIAO
from .trade import LIANGSHI, SHANGWU
from .transport import JIAOTONG

DOMAINS: dict[str, list[Section]] = {
    "fagai": FAGAI, "jingxin": JINGXIN, "jiaoyu": JIAOYU, "keji": KEJI, "minzong": MINZONG,
    "gongan": GONGAN, "jiancha": JIANCHA, "minzheng": MINZHENG, "sifa": SIFA,
    "caizheng": CAIZHENG, "renshe": RENSHE, "guotu": GUOTU, "huanbao": HUANBAO,
    "zhujian": ZHUJIAN, "jiaotong": JIAOTONG, "shuili": SHUILI, "nongye": NONGYE,
    "linye": LINYE, "shangwu": SHANGWU, "wenhua": WENHUA, "weiji": WEIJI, "shenji": SHENJI,
    "waiqiao": WAIQIAO, "guozi": GUOZI, "dishui": DISHUI, "gongshang": GONGSHANG,
    "zhijian": ZHIJIAN, "xinwen": XINWEN, "tiyu": TIYU, "anjian": ANJIAN, "shiyao": SHIYAO,
    "tongji": TONGJI, "haiyang": HAIYANG, "lvyou": LVYOU, "liangshi": LIANGSHI,
    "jiguan": JIGUAN, "fazhi": FAZHI, "renfang": RENFANG, "wujia": WUJIA, "wenwu": WENWU,
    "jianyu": JIANYU, "cehui": CEHUI,
}

__all__ = ["DOMAINS", "FAMILIES", "Section"]
