"""The grammar behind the course corpus: word tables and vectorised sentence generators.

:mod:`coursekit.data.corpus` is the public entry point (``load_corpus``, ``vocabulary``, ...);
this module holds what it draws sentences from. Words are written as ids into the vocabulary
``[MASK], then the 250 words in alphabetical order``. Each generator takes the grammar tables
``g`` (see :func:`_grammar`), a generator ``rng`` and per-row topics, and returns a block
(n, width) of word ids with -1 where a row has no word.
"""

from __future__ import annotations

import functools

import numpy as np

MASK = "[MASK]"

# --- the grammar, as word tables ----------------------------------------------------------------
_TOPICS = ("food", "animals", "school", "family", "weather", "sport")
# Nouns: word, form, adjective group. Forms: s singular count noun, p plural, m mass noun
# (the/some milk), b bare (math, soccer), t only with "the" (the sun); S, P, M as s, p, m but
# never with a possessive (the clouds, not my clouds).
_NOUNS = """
apple s food apples p food cake s food cakes p food egg s food eggs p food cookie s food
cookies p food bread m food cheese m food soup m food dinner m food milk m drink tea m drink
water m drink dog s animal dogs p animal cat s animal cats p animal bird s animal
birds p animal horse s animal horses p animal cow s animal cows p animal book s work
books p work test s work tests p work pencil s thing pencils p thing homework m work
math b work teacher s person teachers p person student s person students p person
mother s person father s person sister s person sisters p person brother s person
brothers p person baby s person babies p person child s person children p person
friend s person friends p person parents p person sun t sun sky t sky wind t wind
weather t weather rain M rain snow M rain cloud S cloud clouds P cloud storm S storm
storms P storm ball s thing balls p thing game s game games p game race s game
races p game team s team teams p team soccer b game tennis b game
""".split()
_ADJECTIVES = {
    "food": "sweet hot fresh delicious good bad", "drink": "hot cold fresh good",
    "animal": "hungry wild brown furry big small little", "work": "hard easy boring new long",
    "person": "kind happy sad tired smart good", "thing": "new old big small nice",
    "sun": "hot warm", "sky": "dark cloudy", "cloud": "dark big small", "wind": "cold strong",
    "weather": "cold warm nice bad", "rain": "cold wet", "storm": "dark bad strong",
    "game": "fast exciting long hard", "team": "fast strong ready good",
}
_WEATHER_ADJ = "cold warm sunny rainy windy cloudy dark wet nice"
# Noun classes, taken as subjects or objects by the verb frames below.
_CLASSES = {
    "people": "teacher teachers student students mother father sister sisters brother brothers "
    "baby babies child children friend friends parents",
    "family": "mother father sister sisters brother brothers baby babies child children parents",
    "pupils": "teacher teachers student students child children sister sisters brother brothers",
    "players": "team teams friend friends children brother brothers sister sisters students",
    "beings": "dog dogs cat cats mother father children baby babies friend friends",
    "animals": "dog dogs cat cats bird birds horse horses cow cows",
    "it": "weather", "sun": "sun", "wind": "wind",
    "solid": "apple apples cake cakes egg eggs cookie cookies bread cheese soup dinner",
    "cooked": "cake cakes egg eggs soup dinner bread", "drink": "milk tea water soup",
    "reading": "book books test tests", "writing": "test tests homework book books",
    "study": "math homework book books", "games": "soccer tennis game games",
    "wins": "game games race races", "ball": "ball balls",
    "food": "apple apples cake cakes egg eggs cookie cookies bread cheese soup milk tea water",
    "school": "book books test tests pencil pencils homework",
    "kin": "sister sisters brother brothers friend friends",
    "sky": "sun rain snow cloud clouds storm storms",
    "sport": "ball balls game games team teams",
    "weather": "weather sky sun wind rain snow storm storms cloud clouds",
    "classroom": "teacher teachers student students test tests book books homework math",
}
# Per class: subject pronouns (singular, plural) and how often they replace a noun phrase.
_PRONOUNS = {"people": ("he she i", "we they you", .25), "family": ("he she i", "we they", .2),
             "pupils": ("he she i", "we they you", .25), "beings": ("he she", "we they", .15),
             "players": ("he she i", "we they you", .2), "animals": ("it", "they", .12),
             "it": ("it", "it", 1.0)}
_OBJECT_PRONOUNS = ("me him her us them you", {"people": .2, "family": .25, "kin": .15})
# Verb frames: 3rd person singular, base form, subject class, object class.
_TRANSITIVE = {
    "food": [("eats", "eat", "beings", "solid"), ("cooks", "cook", "people", "cooked"),
             ("drinks", "drink", "beings", "drink")],
    "animals": [("feeds", "feed", "people", "animals"), ("chases", "chase", "animals", "animals")],
    "school": [("reads", "read", "pupils", "reading"), ("writes", "write", "pupils", "writing"),
               ("studies", "study", "pupils", "study")],
    "family": [(v + "s", v, "family", "family") for v in ("visit", "help", "hug", "call")],
    "sport": [("plays", "play", "players", "games"), ("wins", "win", "players", "wins"),
              ("kicks", "kick", "players", "ball"), ("throws", "throw", "players", "ball")],
}
_INTRANSITIVE = {
    "animals": [("runs", "run", "animals"), ("sleeps", "sleep", "animals")],
    "family": [("sleeps", "sleep", "family")],
    "weather": [("rains", "rain", "it"), ("snows", "snow", "it"), ("shines", "shine", "sun"),
                ("blows", "blow", "wind")],
    "sport": [("plays", "play", "players"), ("wins", "win", "players"), ("runs", "run", "players")],
}
_SHARED_VERBS = {"likes": "like", "wants": "want", "has": "have", "needs": "need", "buys": "buy",
                 "sees": "see"}
_SHARED = {"food": "likes wants has needs buys", "animals": "likes wants has sees needs buys",
           "school": "likes wants has needs buys sees", "family": "likes has sees needs",
           "weather": "likes sees", "sport": "likes wants has needs buys sees"}
_THINGS = dict(zip(_TOPICS, ("food", "animals", "school", "kin", "sky", "sport"), strict=True))
_DESCRIBED = dict(zip(_TOPICS, ("food", "animals", "classroom", "family", "weather", "sport"),
                      strict=True))
_PLACES = {
    "food": "in the kitchen|at home|for dinner|before dinner|after dinner|with cheese",
    "animals": "on the farm|at the zoo|in the park|near the house|on the field",
    "school": "at school|in the library|after school|before the test|with the teacher",
    "family": "at home|in the house|after dinner|near the house|with our parents",
    "weather": "in the morning|at night|near the farm|in the park",
    "sport": "in the park|on the field|after school|with the team|with my friends",
}
_TIMES = (  # by tense: present, will, can, do not, did not
    "today|now|again|every day|in the morning|at night|every morning",
    "tomorrow|again|in the morning|tomorrow morning", "now|today|again",
    "today|now|at night|in the morning", "yesterday|today|yesterday morning",
)
_TENSE_P = (.6, .12, .08, .12, .08)
# Determiners by noun form (s, p, m, b, t, S, P, M); repeated words are drawn more often.
_DETERMINERS = {
    "any": ("the the the a this that every my your his her our their",
            "the the the these those some many two three my your his her our their",
            "the the some this that my your his her our their", "", "the",
            "the the a this that", "the the these those some many two", "the the some"),
    "indefinite": ("a", "two three some many", "some", "", "the", "a", "two some many", "some"),
    "definite": ("the the my your his her our their",) * 3 + ("", "the", "the", "the", "the"),
}
_FUNCTION = ("an very really too always never often also not is are am was were do does did "
             "will can gives give to and but so because when where what who why how there . , ?")
# Clause kinds per topic: transitive, give, copula, intransitive, there is, shared verb, weather.
_CLAUSE_P = np.array([[.32, .06, .20, .00, .12, .30, .00], [.22, .04, .18, .22, .10, .24, .00],
                      [.32, .08, .22, .00, .08, .30, .00], [.46, .00, .28, .08, .00, .18, .00],
                      [.00, .00, .30, .30, .00, .10, .30], [.30, .04, .18, .18, .06, .24, .00]])
# Question kinds per topic: where, do, what, who, why, how.
_QUESTION_P = np.array([[.2, .25, .2, .15, .1, .1]] * 4 + [[.2, 0, 0, 0, .4, .4]]
                       + [[.2, .25, .2, .15, .1, .1]])
_SENTENCE_P = (.58, .22, .07, .13)  # simple, two clauses, "when ..., ...", question


def _grammar_words() -> set[str]:
    """Every word some table of the grammar can write."""
    frames = [f[:2] for fs in (*_TRANSITIVE.values(), *_INTRANSITIVE.values()) for f in fs]
    texts = [*_NOUNS[0::3], *_ADJECTIVES.values(), _WEATHER_ADJ, _OBJECT_PRONOUNS[0], _FUNCTION,
             *(p for a, b, _ in _PRONOUNS.values() for p in (a, b)),
             *(w for pair in (*_SHARED_VERBS.items(), *frames) for w in pair),
             *_PLACES.values(), *_TIMES, *(t for forms in _DETERMINERS.values() for t in forms)]
    return set(" ".join(texts).replace("|", " ").split())


def vocabulary() -> list[str]:
    """The 251 entries of the generated corpus: ``"[MASK]"``, then the 250 words sorted."""
    return [MASK, *sorted(_grammar_words())]


WORD_CLASSES = ("noun", "verb", "adjective", "pronoun", "determiner", "other")


def word_classes() -> dict[str, str]:
    """The word class of every word of the vocabulary (one of ``WORD_CLASSES``), for plots.

    A word the grammar uses in two roles gets the first that applies in the order of
    ``WORD_CLASSES`` ("her" is a pronoun, "rain" a noun). ``[MASK]`` is "other".
    """
    frames = [f[:2] for fs in (*_TRANSITIVE.values(), *_INTRANSITIVE.values()) for f in fs]
    sets = {
        "noun": set(_NOUNS[0::3]) | _PLACE_NOUNS,
        "verb": {w for pair in (*_SHARED_VERBS.items(), *frames) for w in pair}
        | set("is are am was were do does did will can gives give".split()),
        "adjective": set(" ".join((*_ADJECTIVES.values(), _WEATHER_ADJ)).split()),
        "pronoun": {p for a, b, _ in _PRONOUNS.values() for p in f"{a} {b}".split()}
        | set(_OBJECT_PRONOUNS[0].split()),
        "determiner": {w for forms in _DETERMINERS.values() for t in forms for w in t.split()},
    }
    return {w: next((c for c in WORD_CLASSES[:-1] if w in sets[c]), "other")
            for w in vocabulary()}


_PLACE_NOUNS = frozenset("kitchen home farm zoo park house field school library morning night "
                         "day".split())  # nouns of the place and time phrases


class _Pool:
    """Lists of ids keyed by an integer; ``draw`` picks one item per key, uniformly."""

    def __init__(self, lists: list[list[int]]):
        self.sizes = np.array([len(items) for items in lists])
        self.items = np.full((len(lists), max(1, self.sizes.max())), -1, dtype=np.int64)
        for k, items in enumerate(lists):
            self.items[k, : len(items)] = items

    def draw(self, rng: np.random.Generator, key: np.ndarray) -> np.ndarray:
        pick = (rng.random(key.shape) * self.sizes[key]).astype(np.int64)
        return self.items[key, pick]  # -1 where a list is empty


@functools.cache
def _grammar() -> dict:
    """The grammar's tables in word ids, built once."""
    vocab = vocabulary()
    w = {word: i for i, word in enumerate(vocab)}

    def ids(text: str) -> list[int]:
        return [w[x] for x in text.split()]

    def phrases(groups: list[str]) -> tuple[_Pool, np.ndarray]:
        """A pool of phrase numbers per group ("in the park|at home") and their words (P, 3)."""
        lists = [g.split("|") for g in groups]
        first = np.cumsum([0] + [len(x) for x in lists])
        words = [ids(p) + [-1] * (3 - len(p.split())) for x in lists for p in x]
        return _Pool([list(range(a, b)) for a, b in zip(first[:-1], first[1:], strict=True)]), \
            np.array(words)

    form, adj_group = np.zeros(len(vocab), dtype=np.int64), np.zeros(len(vocab), dtype=np.int64)
    groups, classes = list(_ADJECTIVES), list(_CLASSES)
    for word, f, group in zip(_NOUNS[0::3], _NOUNS[1::3], _NOUNS[2::3], strict=True):
        form[w[word]], adj_group[w[word]] = "spmbtSPM".index(f), groups.index(group)
    agr = np.zeros(len(vocab), dtype=np.int64)  # 0: he/she/it and singular nouns, 1: plural, 2: i
    agr[ids("we you they")], agr[w["i"]] = 1, 2
    agr[[w[x] for x, f in zip(_NOUNS[0::3], _NOUNS[1::3], strict=True) if f in "pP"]] = 1

    def by_number(text: str) -> list[list[int]]:
        words = ids(text)
        singular = [x for x in words if agr[x] == 0]
        return [singular, [x for x in words if agr[x] == 1] or singular]

    frames = [(t, 0, *f) for t, fs in _TRANSITIVE.items() for f in fs]
    frames += [(t, 1, *f, "it") for t, fs in _INTRANSITIVE.items() for f in fs]
    frames += [(t, 2, v, _SHARED_VERBS[v], "people", _THINGS[t])
               for t, verbs in _SHARED.items() for v in verbs.split()]
    return {
        "w": w, "vowel": np.array([x[0] in "aeiou" for x in vocab]), "form": form, "agr": agr,
        "adj": _Pool([ids(_ADJECTIVES[g]) for g in groups]), "adj_group": adj_group,
        "weather_adj": _Pool([ids(_WEATHER_ADJ)]), "class": {c: i for i, c in enumerate(classes)},
        "nouns": _Pool([x for c in classes for x in by_number(_CLASSES[c])]),
        "pron": _Pool([ids(p) for c in classes for p in _PRONOUNS.get(c, ("", "", 0))[:2]]),
        "pron_p": np.array([_PRONOUNS.get(c, ("", "", 0.0))[2] for c in classes]),
        "obj_pron": _Pool([ids(_OBJECT_PRONOUNS[0])]),
        "obj_pron_p": np.array([_OBJECT_PRONOUNS[1].get(c, 0.0) for c in classes]),
        "det": {k: _Pool([ids(t) for t in v]) for k, v in _DETERMINERS.items()},
        "v3": np.array([w[f[2]] for f in frames]), "vb": np.array([w[f[3]] for f in frames]),
        "subj": np.array([classes.index(f[4]) for f in frames]),
        "obj": np.array([classes.index(f[5]) for f in frames]),
        "frames": [_Pool([[i for i, f in enumerate(frames) if f[:2] == (t, kind)]
                          for t in _TOPICS]) for kind in range(3)],
        "place": phrases(list(_PLACES.values())), "time": phrases(list(_TIMES)),
        "things": np.array([classes.index(_THINGS[t]) for t in _TOPICS]),
        "described": np.array([classes.index(_DESCRIBED[t]) for t in _TOPICS]),
        "adverb": _Pool([ids("always never often also"), ids("very really too")]),
    }


# --- the grammar, as vectorised generators: each returns a block (n, width) of ids, -1 = none ---


def _col(n: int, word_id: int) -> np.ndarray:
    return np.full((n, 1), word_id, dtype=np.int64)


def _maybe(rng: np.random.Generator, p: float | np.ndarray, ids: np.ndarray) -> np.ndarray:
    return np.where(rng.random(ids.shape[0]) < p, ids, -1)


def _noun_phrase(g, rng, noun, det="any", p_adj=0.3):
    """[determiner, very, adjective, noun] for the given nouns, and their agreement (0/1)."""
    det_ids = g["det"][det].draw(rng, g["form"][noun])
    adj = _maybe(rng, p_adj, g["adj"].draw(rng, g["adj_group"][noun]))
    very = np.where((adj >= 0) & (rng.random(len(noun)) < 0.2), g["w"]["very"], -1)
    after = np.where(very >= 0, very, np.where(adj >= 0, adj, noun))
    det_ids = np.where((det_ids == g["w"]["a"]) & g["vowel"][after], g["w"]["an"], det_ids)
    return np.stack([det_ids, very, adj, noun], axis=1), g["agr"][noun]


def _nouns(g, rng, cls):
    return g["nouns"].draw(rng, 2 * cls + (rng.random(len(cls)) < 0.4))


def _subject(g, rng, cls):
    """A noun phrase of class ``cls`` or a pronoun, with its agreement (0, 1, or 2 for "i")."""
    noun = _nouns(g, rng, cls)
    return _pronoun(g, rng, cls, noun, *_noun_phrase(g, rng, noun))


def _pronoun(g, rng, cls, noun, block, agr):
    """Replace some noun phrases by a pronoun of the same class and number."""
    pron = g["pron"].draw(rng, 2 * cls + g["agr"][noun])
    use = (rng.random(len(cls)) < g["pron_p"][cls]) & (pron >= 0)
    block[use] = -1
    block[use, 3] = pron[use]
    return block, np.where(use, g["agr"][pron], agr)


def _object(g, rng, cls):
    """A noun phrase of class ``cls``, sometimes an object pronoun (him, them, ...)."""
    block, _ = _noun_phrase(g, rng, _nouns(g, rng, cls))
    use = rng.random(len(cls)) < g["obj_pron_p"][cls]
    block[use] = -1
    block[use, 3] = g["obj_pron"].draw(rng, np.zeros(use.sum(), dtype=np.int64))
    return block


def _verb(g, rng, v3, vb, agr):
    """[auxiliary, not, adverb, verb] agreeing with ``agr``, and the tense drawn (0-4)."""
    w, n = g["w"], len(agr)
    tense = rng.choice(5, size=n, p=_TENSE_P)  # present, will, can, do not, did not
    aux = np.array([-1, w["will"], w["can"], w["do"], w["did"]])[tense]
    aux = np.where((tense == 3) & (agr == 0), w["does"], aux)
    adverb = _maybe(rng, 0.15 * (tense == 0), g["adverb"].draw(rng, np.zeros(n, dtype=np.int64)))
    verb = np.where((tense == 0) & (agr == 0), v3, vb)
    return np.stack([aux, np.where(tense >= 3, w["not"], -1), adverb, verb], axis=1), tense


def _be(g, rng, agr, p_not=0.1):
    """[is/are/am/was/were, not] and the tense for time phrases (0 present, 4 past)."""
    w = g["w"]
    past = rng.random(len(agr)) < 0.35
    table = np.array([[w["is"], w["are"], w["am"]], [w["was"], w["were"], w["was"]]])
    be = table[past.astype(np.int64), agr]
    return np.stack([be, _maybe(rng, p_not, np.full(len(agr), w["not"]))], axis=1), 4 * past


def _tail(g, rng, topic, tense, p_place=0.35, p_time=0.2):
    """A place phrase of the topic, a time phrase fitting the tense, or nothing."""
    u = rng.random(len(topic))[:, None]
    (places, place_words), (times, time_words) = g["place"], g["time"]
    place, time = place_words[places.draw(rng, topic)], time_words[times.draw(rng, tense)]
    return np.where(u < p_place, place, np.where(u < p_place + p_time, time, -1))


def _with_verb(g, rng, topic, *, kind):
    frame = g["frames"][kind].draw(rng, topic)
    subject, agr = _subject(g, rng, g["subj"][frame])
    verb, tense = _verb(g, rng, g["v3"][frame], g["vb"][frame], agr)
    obj = _object(g, rng, g["obj"][frame]) if kind != 1 else np.zeros((len(topic), 0), int)
    return np.hstack([subject, verb, obj, _tail(g, rng, topic, tense)])


def _give(g, rng, topic):
    n, w = len(topic), g["w"]
    subject_cls = np.full(n, g["class"]["people"])
    subject, agr = _subject(g, rng, subject_cls)
    verb, _ = _verb(g, rng, np.full(n, w["gives"]), np.full(n, w["give"]), agr)
    thing, to_whom = _object(g, rng, g["things"][topic]), _object(g, rng, subject_cls)
    return np.hstack([subject, verb, thing, _col(n, w["to"]), to_whom])


def _described(g, rng, topic, det="any"):
    cls = g["described"][topic]
    noun = _nouns(g, rng, cls)
    block, agr = _pronoun(g, rng, cls, noun, *_noun_phrase(g, rng, noun, det, p_adj=0.0))
    adj = g["adj"].draw(rng, g["adj_group"][noun])
    return block, agr, adj, noun


def _copula(g, rng, topic):
    n, w = len(topic), g["w"]
    subject, agr, adj, noun = _described(g, rng, topic)
    be, tense = _be(g, rng, agr)
    adverb = _maybe(rng, 0.3, g["adverb"].draw(rng, np.ones(n, dtype=np.int64)))
    other = g["adj"].draw(rng, g["adj_group"][noun])
    both = (rng.random(n) < 0.2) & (other != adj)
    second = np.stack([np.where(both, w["and"], -1), np.where(both, other, -1)], axis=1)
    return np.hstack([subject, be, adverb[:, None], adj[:, None], second,
                      _tail(g, rng, topic, tense, p_place=0.0, p_time=0.25)])


def _there(g, rng, topic):
    n = len(topic)
    thing, agr = _noun_phrase(g, rng, _nouns(g, rng, g["things"][topic]), "indefinite", 0.25)
    be, _ = _be(g, rng, agr, p_not=0.0)
    place = _tail(g, rng, topic, np.zeros(n, dtype=np.int64), p_place=0.85, p_time=0.0)
    return np.hstack([_col(n, g["w"]["there"]), be, thing, place])


def _weather(g, rng, topic):
    n, w = len(topic), g["w"]
    be, tense = _be(g, rng, np.zeros(n, dtype=np.int64))
    adverb = _maybe(rng, 0.3, g["adverb"].draw(rng, np.ones(n, dtype=np.int64)))
    adj = g["weather_adj"].draw(rng, np.zeros(n, dtype=np.int64))
    time = _tail(g, rng, topic, tense, p_place=0.0, p_time=0.5)
    return np.hstack([_col(n, w["it"]), be, adverb[:, None], adj[:, None], time])


def _question(g, rng, topic, *, kind):
    n, w = len(topic), g["w"]
    if kind in (0, 4, 5):  # where is the dog / why is the soup hot / how was the test
        thing, agr, adj, _ = _described(g, rng, topic, det="definite")
        be, _ = _be(g, rng, agr, p_not=0.1 * (kind == 4))
        word = _col(n, w[("where", "why", "how")[(0, 4, 5).index(kind)]])
        return np.hstack([word, be, thing, np.where(kind == 4, adj, -1)[:, None]])
    frame = g["frames"][0].draw(rng, topic)
    subject, agr = _subject(g, rng, g["subj"][frame])
    did = rng.random(n) < 0.25
    aux = np.where(did, w["did"], np.where(agr == 0, w["does"], w["do"]))[:, None]
    v3, vb, obj = g["v3"][frame][:, None], g["vb"][frame][:, None], g["obj"][frame]
    if kind == 3:  # who eats the cake
        return np.hstack([_col(n, w["who"]), v3, _object(g, rng, obj)])
    if kind == 2:  # what does he cook
        return np.hstack([_col(n, w["what"]), aux, subject, vb])
    return np.hstack([aux, subject, vb, _object(g, rng, obj)])  # does the dog eat the cake


_CLAUSES = (functools.partial(_with_verb, kind=0), _give, _copula,
            functools.partial(_with_verb, kind=1), _there, functools.partial(_with_verb, kind=2),
            _weather)
_QUESTIONS = tuple(functools.partial(_question, kind=k) for k in range(6))


def _by_kind(g, rng, topic, probs, makers) -> np.ndarray:
    """One block per row: row i is made by ``makers[k]`` with k drawn from ``probs[topic[i]]``."""
    kind = (rng.random(len(topic))[:, None] > np.cumsum(probs[topic], axis=1)).sum(axis=1)
    kind = np.minimum(kind, probs.shape[1] - 1)
    blocks = [(rows, makers[k](g, rng, topic[rows])) for k in range(probs.shape[1])
              if len(rows := np.flatnonzero(kind == k))]
    out = np.full((len(topic), max(b.shape[1] for _, b in blocks)), -1, dtype=np.int64)
    for rows, block in blocks:
        out[rows, : block.shape[1]] = block
    return out


def sentences(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sentences as word ids (n, L), left-aligned and padded with -1, and their lengths."""
    g = _grammar()
    w = g["w"]
    topic = rng.integers(len(_TOPICS), size=n)
    shape = rng.choice(4, size=n, p=_SENTENCE_P)  # simple, two clauses, when, question
    other = np.where(rng.random(n) < 0.6, topic, rng.integers(len(_TOPICS), size=n))
    parts = [
        (shape != 3, _CLAUSE_P, _CLAUSES, topic),
        (shape == 3, _QUESTION_P, _QUESTIONS, topic),
        ((shape == 1) | (shape == 2), _CLAUSE_P, _CLAUSES, other),
    ]
    first, question, second = (_on_rows(g, rng, mask, t, probs, makers)
                               for mask, probs, makers, t in parts)
    conj = np.array([w["and"], w["but"], w["so"], w["because"]])[rng.integers(4, size=n)]
    comma = np.isin(conj, [w["but"], w["so"]]) & (shape == 1) | (shape == 2)
    columns = [
        np.where(shape == 2, w["when"], -1)[:, None], first, question,
        np.where(comma, w[","], -1)[:, None], np.where(shape == 1, conj, -1)[:, None], second,
        np.where(shape == 3, w["?"], w["."])[:, None],
    ]
    tokens = np.hstack(columns)
    tokens = np.take_along_axis(tokens, np.argsort(tokens < 0, axis=1, kind="stable"), axis=1)
    lengths = (tokens >= 0).sum(axis=1)
    return tokens[:, : lengths.max()], lengths


def _on_rows(g, rng, mask, topic, probs, makers) -> np.ndarray:
    """``_by_kind`` on the rows where ``mask`` holds; -1 elsewhere."""
    rows = np.flatnonzero(mask)
    if len(rows) == 0:
        return np.full((len(mask), 0), -1, dtype=np.int64)
    block = _by_kind(g, rng, topic[rows], probs, makers)
    out = np.full((len(mask), block.shape[1]), -1, dtype=np.int64)
    out[rows] = block
    return out
