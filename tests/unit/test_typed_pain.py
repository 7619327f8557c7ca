"""Typed pain (issue 11 item 4): free text that speaks of pain, negations, per language."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.core.typed_pain import DEFAULT_WORDS, PainWords, _tokens, mentions_pain

EN, ES = DEFAULT_WORDS["en"], DEFAULT_WORDS["es"]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    "text",
    [
        "it hurts",
        "It HURTS",
        "my back hurts, stop",
        "stop",
        "STOP!",
        "please stop",
        "pain",
        "sharp pain in my knee",
        "it's painful",
        "my shoulder aches",
        "aching",
        "it hurt when I lifted",
        "hurting a lot",
        "no, it hurts",
        "no it hurts",
        "No. It hurts.",
        "it doesn't hurt anymore but my knee hurts",
        "no pain in the back, but the knee hurts",
        "no pain, pain",
        "it doesn't matter it hurts",  # "matter" is no filler: not a negation
        "doesn't that hurt?",  # "that" is no filler: a question about pain is a mention
        "does it hurt?",
        "I can't stop",
        "don't stop",  # no negation of stop: confirm or carry on is the patient's tap
        "ow, pain",
        "the pain is back",
        "painful!!!",
        "pain🙁",
    ],
)
def test_english_mentions(text: str) -> None:
    assert mentions_pain(text, EN)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "no pain",
        "No pain at all",
        "no real pain",
        "no more pain",
        "not painful",
        "not really painful",
        "it's not too painful",
        "it doesn't hurt",
        "it doesn’t hurt",  # typographic apostrophe
        "it doesnt hurt",
        "it does not hurt",
        "it didn't hurt",
        "it doesn't really hurt",
        "it no longer hurts",
        "I'm not in pain",
        "not in any pain",
        "I don't feel any pain",
        "without pain",
        "without any pain",
        "pain free",
        "pain-free",
        "Pain-Free today!",
        "the pain is gone",
        "done, all fine",
        "I'm sore",  # soreness is normal and handled elsewhere
        "my legs are sore",
        "painted the fence",  # whole words only
        "painless",
        "hurtle",
        "stopwatch",
        "unstoppable",
        "hello",
        "7:30",
        "Boston",
        "yes",
    ],
)
def test_english_not_mentions(text: str) -> None:
    assert not mentions_pain(text, EN)


@pytest.mark.parametrize(
    "text",
    [
        "me duele",
        "Me DUELE la rodilla",
        "me dúele",  # accents do not matter
        "duele mucho",
        "me duelen las piernas",
        "tengo dolor",
        "mucho dolor de espalda",
        "me está doliendo",
        "me esta doliendo",
        "me dolió",
        "me dolía la espalda al levantar la pierna",
        "me hace daño en la espalda",  # Spain
        "creo que me lastimé",  # Latin America
        "es doloroso",
        "no, me duele",
        "no sé, me duele",
        "ya no me duele la espalda pero me duele la rodilla",
        "sin dolor en la espalda, pero la rodilla duele",
        "quiero parar",
        "basta",
        "stop",
    ],
)
def test_spanish_mentions(text: str) -> None:
    assert mentions_pain(text, ES)


@pytest.mark.parametrize(
    "text",
    [
        "no me duele",
        "No me duele nada",
        "no me duele mucho",
        "no duele",
        "ya no duele",
        "ya no me duele",
        "ya no me duele más",
        "sin dolor",
        "Sin ningún dolor",
        "no tengo dolor",
        "no tengo nada de dolor",
        "no siento dolor",
        "no hay dolor",
        "nada de dolor",
        "no me está doliendo",
        "no es doloroso",
        "no me dolió",
        "no me hace daño",
        "no me lastimé",
        "tengo molestias musculares",  # soreness after exercise: its own button
        "estoy bien",
        "hola",
        "para mañana",  # "para" is not a stop word: it is mostly "for"
        "dolorido",  # sore: not a pain word
    ],
)
def test_spanish_not_mentions(text: str) -> None:
    assert not mentions_pain(text, ES)


def test_the_bundled_files_hold_these_words() -> None:
    """content/pain-words/*.yaml are the words these tests check."""
    from bot.content import default_content_dir
    from bot.content.loader import load_content

    assert load_content(default_content_dir()).pain_words == DEFAULT_WORDS


def test_each_language_reads_its_own_words() -> None:
    assert not mentions_pain("me duele", EN)
    assert not mentions_pain("it hurts", ES)
    assert mentions_pain("stop", EN) and mentions_pain("stop", ES)


def test_not_a_string_is_no_mention() -> None:
    assert not mentions_pain(None, EN)  # type: ignore[arg-type]


# -- building the words (content files hold plain lists)


def test_from_lists_and_from_mapping_agree() -> None:
    lists = {
        "pain": ["hurt", "hurts", "pain"],
        "stop": ["stop"],
        "negations": ["no pain", "doesn't hurt"],
        "fillers": ["really"],
        "window": 1,
    }
    a = PainWords.from_mapping(lists)
    b = PainWords.from_lists(
        pain=["hurt", "hurts", "pain"],
        stop=["stop"],
        negations=["no pain", "doesn't hurt"],
        fillers=["really"],
        window=1,
    )
    assert a == b
    assert hash(a) == hash(b)
    assert mentions_pain("it hurts", a)
    assert not mentions_pain("it doesn't really hurt", a)
    assert mentions_pain("it doesn't really really hurt", a)  # window 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"pain": []}, "pain: at least one word"),
        ({"pain": "hurts"}, "pain: a list"),
        ({"pain": ["hurts"], "negations": ["not at all"]}, "holds no pain or stop word"),
        ({"pain": ["hurts"], "fillers": ["very much"]}, "one word each"),
        ({"pain": ["hurts"], "fillers": ["hurts"]}, "is a pain or stop word"),
        ({"pain": ["hurts", "!!!"]}, "not a word or phrase"),
        ({"pain": ["hurts"], "window": 9}, "window"),
        ({"pain": ["hurts"], "window": "2"}, "window"),
        ({"pain": ["hurts"], "negation": ["no pain"]}, "unknown keys"),
    ],
)
def test_words_that_cannot_work_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PainWords.from_mapping(data)


def test_the_default_words_keep_sore_out() -> None:
    for words in DEFAULT_WORDS.values():
        listed = {w.lower() for w in (*words.pain, *words.stop, *words.fillers)}
        assert not {"sore", "soreness", "dolorido", "adolorido", "agujetas"} & listed


# -- properties


def _words(text: str) -> list[str]:
    return text.split()


# words that are neither pain, stop, negation nor filler words
NEUTRAL_EN = _words(
    "my back knee today it was the exercise and I did a walk feel fine ok good bit "
    "after before morning yes well then now again little arm leg"
)
NEUTRAL_ES = _words(
    "mi la rodilla espalda hoy fue ejercicio y hice caminar bien un poco después "
    "antes mañana sí pues ahora otra vez brazo pierna"
)
CASES = [
    (EN, NEUTRAL_EN),
    (ES, NEUTRAL_ES),
]


def _negations_around(words: PainWords) -> list[tuple[str, str]]:
    """(negation, the one pain word it takes back) for single-word pain mentions."""
    found = []
    for negation in words.negations:
        tokens = negation.lower().replace("-", " ").split()
        for pain in (*words.pain, *words.stop):
            if " " not in pain and pain in tokens:
                found.append((negation, pain))
    return found


@SETTINGS
@given(st.data(), st.sampled_from(CASES))
def test_a_negation_takes_back_the_only_mention(
    data: st.DataObject, case: tuple[PainWords, list[str]]
) -> None:
    words, neutral = case
    negation, pain = data.draw(st.sampled_from(_negations_around(words)))
    before = data.draw(st.lists(st.sampled_from(neutral), max_size=5))
    after = data.draw(st.lists(st.sampled_from(neutral), max_size=5))
    sep = data.draw(st.sampled_from([" ", " . ", ", "]))
    plain = sep.join([*before, pain, *after]).strip(" ,.")
    negated = sep.join([*before, negation, *after]).strip(" ,.")
    assert mentions_pain(plain, words), plain
    assert not mentions_pain(negated, words), negated


@SETTINGS
@given(
    st.data(),
    st.sampled_from(CASES),
    st.sampled_from([str.lower, str.upper, str.title]),
)
def test_a_mention_anywhere_in_its_own_clause_counts(
    data: st.DataObject, case: tuple[PainWords, list[str]], style: object
) -> None:
    """Whatever the rest says (negations included), one more mention makes it True."""
    words, neutral = case
    vocabulary = [*neutral, *words.negations, *words.fillers, "no", "not", "sin"]
    parts = data.draw(st.lists(st.sampled_from(vocabulary), max_size=8))
    mention = data.draw(st.sampled_from((*words.pain, *words.stop)))
    at = data.draw(st.integers(0, len(parts)))
    assert callable(style)
    text = " ".join([*parts[:at], f". {style(mention)} .", *parts[at:]])
    assert mentions_pain(text, words), text


def _listed_tokens(words: PainWords) -> set[str]:
    return {t for p in (*words.pain, *words.stop) for t in p.lower().split()}


@SETTINGS
@given(st.sampled_from(CASES), st.data())
def test_text_without_a_listed_word_is_no_mention(
    case: tuple[PainWords, list[str]], data: st.DataObject
) -> None:
    words, neutral = case
    text = data.draw(
        st.one_of(
            st.text(max_size=60),
            st.lists(st.sampled_from([*neutral, "no", "not", ",", "!"]), max_size=10).map(" ".join),
        )
    )
    assume(not {_tokens(w)[0] for w in _listed_tokens(words)} & set(_tokens(text)))
    assert not mentions_pain(text, words)
