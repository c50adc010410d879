"""Text analysis for search: accents folded, stop words dropped, words stemmed per language."""

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[a-z0-9ñ]+")

STOPWORDS = {
    "es": frozenset(
        "a al algo algun alguna algunas alguno algunos ante antes aqui asi como con contra cual cuales cuando "
        "de del desde donde dos e el ella ellas ellos en entre era eres es esa esas ese eso esos esta estas "
        "este esto estos estoy fue ha hay he la las le les lo los me mi mis mas muy nos o otra otro para pero "
        "por porque que q se sea ser si sin sobre son su sus te ti tu tus un una unas uno unos y ya yo oye "
        "hola buenas buenos dias tardes noches porfa favor xfa plis gracias po cachai weon tb tmb pq xq ke k "
        "usted ustedes ustedes quisiera quiero puedo puede pueden necesito saber consulta pregunta tengo "
        "tienen hacer hago ahi alla eh ah ok pa pal pa'l nomas oigan oiga weno re super harto tiene tenia tenemos "
        "estan estaba mio mia mios mias todo toda todos todas aca igual cosa cosas vez onda va".split()
    ),
    "en": frozenset(
        "a about am an and any are as at be been but by can could did do does doing for from get got had has "
        "have hello hey hi how i i'm im if in into is it its just me my of on or our please pls plz so than "
        "that the their them then there these they this to u ur was we were what when where which who why "
        "will with would you your yours thanks thx hi want need know tell question ask asking im there theres whats "
        "wheres hows dont doesnt didnt isnt arent wasnt cant wont couldnt ive id ill youre guys lol ok okay yeah "
        "some anything something really very also too many he she him her his hers us".split()
    ),
}
_STEMMERS = {"es": snowballstemmer.stemmer("spanish"), "en": snowballstemmer.stemmer("english")}
# Forms of one word that the stemmer leaves apart (irregular verbs, Snowball's short Spanish verbs): each group's
# words all become the first word's stem. "se me cayó el dron" and "si se me cae el celular", "the bag I left" and
# "items left behind" / "things people leave behind", "está roto" and "se rompió", "caja abierta" and "abrir la caja".
# Only words customers use about orders, products and stores; none that is a stop word or means something else here.
WORD_FORMS = {
    "es": [
        "cae caen caes caer cayo cayeron cai caido caida caidos caidas",
        "rompe romper roto rota rotos rotas",
        "cubre cubrir cubierto cubierta cubiertos cubiertas",
        "devolver devuelto devuelta devueltos devueltas",
        "abre abren abrir abri abrio abierto abierta abiertos abiertas",
        "muere mueren morir murio muerto muerta",
        "escribir escrito escrita",
        "pone poner puso puse pusieron puesto",
        "dice decir dijo dije dijeron dicho",
        "trae traer trajo trajeron traido",
    ],
    "en": [
        "leave leaves leaving left",
        "keep keeps kept",
        "forget forgot forgotten",
        "buy bought",
        "pay paid",
        "sell sold",
        "break broke broken",
        "lose lost",
        "send sent",
        "give gave given",
        "take took taken",
        "bring brought",
        "find found",
        "steal stole stolen",
        "fall fell fallen",
        "spend spent",
        "freeze froze frozen",
        "wear wore worn",
        "tear tore torn",
        "hold held",
        "choose chose chosen",
        "throw threw thrown",
        "write wrote written",
        "come came",
        "go went gone",
        "see saw seen",
        "tell told",
        "say said",
        "make made",
    ],
}
# Shorthand customers type in chat, mapped to the word they mean (after folding).
SHORTHAND = {
    "es": {
        "q": "que",
        "xq": "porque",
        "pq": "porque",
        "tb": "tambien",
        "d": "de",
        "x": "por",
        "dnd": "donde",
        "cdo": "cuando",
        "info": "informacion",
        "nro": "numero",
        "num": "numero",
        "n": "numero",
    },
    "en": {
        "u": "you",
        "r": "are",
        "ur": "your",
        "pls": "please",
        "plz": "please",
        "thx": "thanks",
        "wanna": "want",
        "gonna": "going",
        "acct": "account",
        "pwd": "password",
        "pw": "password",
        "info": "information",
        "addr": "address",
        "w/": "with",
    },
}


def fold(text: str) -> str:
    """Lowercase and strip accents, keeping ñ: "Envío" and "envio" are the same word.

    Every ticket and every question goes through here more than once, so the usual cases are quick: plain ASCII
    as it is, and Latin letters with accents by a table (each letter folded the thorough way once, at import).
    Anything else left (a letter followed by a separate accent mark, other scripts) takes the thorough way.
    """
    text = text.lower()
    if text.isascii():
        return text
    text = text.translate(_LATIN_FOLDED)
    if text.isascii() or _FOLDED.fullmatch(text):
        return text
    return _fold_thoroughly(text)


def _fold_thoroughly(text: str) -> str:
    text = text.replace("ñ", "\0")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.replace("\0", "ñ")


# Latin-1 and Latin Extended-A letters, lowercase, each as _fold_thoroughly folds it alone (decompositions are per
# letter, so a text folded letter by letter folds the same).
_LATIN_FOLDED = {
    code: folded
    for code in range(0xC0, 0x180)
    if (letter := chr(code)) == letter.lower() and (folded := _fold_thoroughly(letter)) != letter
}
# Text made only of ASCII and of Latin characters that fold to themselves (ñ, ¿, ¡, º...) is folded already.
_FOLDED = re.compile(
    "[\\x00-\\x7f"
    + "".join(c for c in map(chr, range(0xA0, 0x180)) if c == c.lower() and _fold_thoroughly(c) == c)
    + "]*"
)


# An apostrophe inside a word joins it: "what's" is "whats" (a stop word), not "what" and a term "s".
_APOSTROPHE = re.compile(r"(?<=[a-z0-9ñ])['’](?=[a-z0-9ñ])")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(_APOSTROPHE.sub("", fold(text)))


def _singular_es(word: str) -> str:
    """A Spanish plural's singular, so both stem alike: Snowball takes "celular" for a verb ("celul") but not
    "celulares" ("celular")."""
    if len(word) > 4 and word.endswith("es") and word[-3] in "lrndjy":
        return word[:-2]
    return word


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    if (form := _FORM_OF[language].get(word)) is not None:
        return form
    return _stem(word, language)


def _stem(word: str, language: str) -> str:
    if language == "es":
        word = _singular_es(word)
    return _STEMMERS[language].stemWord(word)


_FORM_OF = {
    language: {word: _stem(group.split()[0], language) for group in groups for word in group.split()}
    for language, groups in WORD_FORMS.items()
}


def terms(text: str, language: str) -> list[str]:
    """The searchable terms of a text: folded, shorthand expanded, stop words out, stemmed."""
    shorthand, stop = SHORTHAND[language], STOPWORDS[language]
    out = []
    for token in tokens(text):
        token = shorthand.get(token, token)
        if token in stop:
            continue
        out.append(stem(token, language))
    return out


# Language detection: which of the two languages a short chat message is written in.
_SPANISH = frozenset(
    "el la los las un una de del que y en por para con si sí mi mis me te se es son esta está estoy hola "
    "holi buenas buenos dias días tardes noches gracias quiero necesito tengo hay como cómo cuando cuándo "
    "donde dónde porque pero ya muy mas más pedido compra cuenta ayuda favor porfa chao adiós adios tiene "
    "puedo puede hablar persona al lo le su sus nos ni también tb q xq pq oye llegó llego todavía todavia "
    "nada dale sí bueno vale cancelar olvídalo olvidalo saltar omitir ninguno ninguna correo teléfono "
    "telefono nombre soy llamo mi eres qué que quién quien estado ticket? reclamo".split()
)
_ENGLISH = frozenset(
    "the an of to and in for with on is are was am i my me you your it this that not yes hello hi hey "
    "thanks thank please pls want need have has how when where why what order account help can could "
    "would talk person bye be do does did get got still yet from at by u r ur im i'm dont don't yeah yep "
    "nope sure cancel skip forget mind email phone name status who are good morning evening afternoon "
    "agent human people someone".split()
)
_WORD = re.compile(r"[a-záéíóúüñ']+")


# What is not words of a language: an email, a web address, anything with a digit (order and ticket numbers, codes).
# "ana.be12cd@example.com" held the English word "be" and turned a Spanish conversation English.
_NOT_WORDS = re.compile(r"\S+@\S+|(?:https?://|www\.)\S+|\S*\d\S*")


def detect_language(text: str) -> str | None:
    """Return "es" or "en" from the words used; None when the message gives no evidence either way."""
    lowered = _NOT_WORDS.sub(" ", text.lower())
    tokens = _WORD.findall(lowered)
    if not tokens:
        return None
    es = sum(t in _SPANISH for t in tokens) + 2 * sum(ch in "ñ¿¡áéíóú" for ch in lowered)
    en = sum(t in _ENGLISH for t in tokens)
    if es == en:
        return None
    return "es" if es > en else "en"
