"""What makes a password easy to guess in Chinese: the common passwords of Chinese sites (pinyin phrases, lucky and
love numbers) and the pinyin of the names around the account (its own name, branch, organisation and bases), given
to zxcvbn as words it knows (its own lists are English)."""
import re

from pypinyin import lazy_pinyin

# From the published leaks of Chinese sites and the words of this system's own world (党建, 支部, 组织部 …).
COMMON = (
    "woaini", "aini", "woaiwojia", "woainima", "woaiwoma", "5201314", "1314520", "520520", "521521", "1314",
    "woaini1314", "iloveyou", "qq123456", "a123456", "abc123456", "aa123456", "123456a", "147258369", "159357",
    "112233", "123123", "666666", "888888", "168168", "zhongguo", "china", "beijing", "shanghai", "nihao",
    "xiexie", "mima", "wodemima", "mimamima", "mima123", "zhangsan", "lisi", "wangwu", "zhangwei", "wangwei",
    "wangfang", "liwei", "lina", "zhangmin", "lijing", "wangjing", "liuwei", "wangxiuying", "lixiuying",
    "zhangxiuying", "liuyang", "dangjian", "dangyuan", "dangzhibu", "zhibu", "dangwei", "gongchandang",
    "dangzuzhi", "zuzhibu", "zuzhi", "shuji", "zhishu", "shequ", "jiedao", "juweihui", "jiguan", "zhengfu",
    "hongxing", "hongse", "chuxin", "shiming", "xinshidai", "guoqi", "xuexi", "xuexiqiangguo", "laoshi",
    "jiayou", "fendou", "kuaile", "pingan", "xingfu", "tiantian", "xiaoming", "baobao", "admin123", "root123",
)
_HAN = re.compile(r"[\u3400-\u9fff]+")


def pinyin_words(names) -> list[str]:
    """The pinyin a person would type for these names: each name whole, and every run of two to four of its
    characters (滨江社区党支部 → binjiangshequdangzhibu, binjiang, shequ, dangzhibu …), four letters or more."""
    words = set()
    for name in names:
        for run in _HAN.findall(name or ""):
            syllables = lazy_pinyin(run)
            words.add("".join(syllables))
            for size in (2, 3, 4):
                for start in range(len(syllables) - size + 1):
                    words.add("".join(syllables[start:start + size]))
    return sorted(w for w in words if len(w) >= 4)


_COMMON = frozenset(COMMON)


def is_common(password: str) -> bool:
    """A common word or number dressed up with digits and marks (Dangjian@2026, woaini520, 5201314abc)."""
    lowered = password.lower()
    letters, digits = re.sub(r"[^a-z]", "", lowered), re.sub(r"[^0-9]", "", lowered)
    return letters in _COMMON or (digits in _COMMON and len(letters) <= 3)
