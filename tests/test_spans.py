"""Typed spans and short answers (assistant/spans.py) on sentences written for these tests
(fictional samples, not taken from ../shared)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant import spans
from assistant.spans import (
    ModelIntegrityError,
    SpanExtractor,
    TypedSpan,
    expected_labels,
    short_answer,
    values,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

# Samples written for these tests.
MONEY = "The insurer agreed to pay $20,000 to every household after posting $32 billion in annual revenue."
RECALL = "Harlow Motors will recall 120,000 vehicles sold through its 300 dealers in Europe, the carmaker said."
REISSUE_WITH_DATELINE = "Nov 19, 2021 — The band's third album, first released in June 2020, will be reissued on vinyl."
REISSUE_ONLY_PUB_DATE = "The band's third album will be reissued on vinyl on Nov 19, 2021."
BROKERED = "The ceasefire was brokered by Norway, officials in Abu Dhabi said on Monday."
ALIASES = "The U.S. and the United Arab Emirates brokered the deal, and the US said it would monitor it."
TWO_RATES = "Inflation eased to 3.4% in April, while unemployment rose to 4 per cent."
ELECTED = "Former finance minister Marta Lindqvist was elected president of the European Investment Bank."
SUMMIT = "The summit between Kenya and Ethiopia took place in Istanbul."
NOTHING = "Nothing was decided at the meeting."
TRANSFERS = "The club sold its striker for €60m and bought a defender for £3bn less than expected."
RESCUE = "Rescuers freed 14 miners and 3 engineers after a day underground."
ALL = [MONEY, RECALL, REISSUE_WITH_DATELINE, REISSUE_ONLY_PUB_DATE, BROKERED, ALIASES, TWO_RATES, ELECTED,
       SUMMIT, NOTHING, TRANSFERS, RESCUE]


@pytest.fixture(scope="module")
def extractor() -> SpanExtractor:
    return SpanExtractor()


@pytest.fixture(scope="module")
def tagged(extractor: SpanExtractor) -> dict[str, list[TypedSpan]]:
    return dict(zip(ALL, extractor.spans(ALL), strict=True))


def texts(found: list[TypedSpan], label: str | None = None) -> list[str]:
    return [s.text for s in found if label is None or s.label == label]


def answer(tagged: dict[str, list[TypedSpan]], atype: str, question: str, sentence: str, **kw) -> str | None:
    got = short_answer(atype, question, sentence, tagged[sentence], **kw)
    if got is not None:
        assert sentence[got.start : got.end] == got.text
    return None if got is None else got.text


def test_offsets_are_exact_and_labels_in_vocabulary(tagged: dict[str, list[TypedSpan]]) -> None:
    for sentence, found in tagged.items():
        for s in found:
            assert sentence[s.start : s.end] == s.text
            assert s.label in spans.LABELS
            assert not s.unit or s.text.endswith(s.unit)
    assert tagged[NOTHING] == []


def test_money_keeps_currency_and_magnitude(tagged: dict[str, list[TypedSpan]]) -> None:
    assert texts(tagged[MONEY], "money") == ["$20,000", "$32 billion"]
    assert texts(tagged[TRANSFERS], "money") == ["€60m", "£3bn"]
    # no bare number is cut out of an amount
    assert not [s for s in tagged[MONEY] if s.label == "number"]


def test_money_question_takes_the_amount_near_its_words(tagged: dict[str, list[TypedSpan]]) -> None:
    q = "How much will the insurer pay each household?"
    assert answer(tagged, "money", q, MONEY) == "$20,000"
    # the broad "number" type of today's question analysis narrows to money from the wording
    assert answer(tagged, "number", q, MONEY) == "$20,000"
    # a count question never takes an amount of money
    assert answer(tagged, "number", "How many households will be paid?", MONEY) is None


def test_percentages(tagged: dict[str, list[TypedSpan]]) -> None:
    # the model reads "4 per cent" as money; it is a percentage
    assert texts(tagged[TWO_RATES], "percent") == ["3.4%", "4 per cent"]
    assert answer(tagged, "percent", "What percentage was unemployment?", TWO_RATES) == "4 per cent"
    assert answer(tagged, "number", "What percentage was inflation in April?", TWO_RATES) == "3.4%"


def test_date_the_sentence_gives_beats_the_publication_date(tagged: dict[str, list[TypedSpan]]) -> None:
    q = "When was the album first released?"
    assert answer(tagged, "date", q, REISSUE_WITH_DATELINE, article_date="2021-11-19") == "June 2020"
    # the publication date only when nothing else is there
    assert answer(tagged, "date", "When will the album be reissued?", REISSUE_ONLY_PUB_DATE,
                  article_date="2021-11-19") == "Nov 19, 2021"


def test_multi_word_names(tagged: dict[str, list[TypedSpan]]) -> None:
    assert texts(tagged[ELECTED], "person") == ["Marta Lindqvist"]
    assert texts(tagged[ELECTED], "organization") == ["European Investment Bank"]
    assert "United Arab Emirates" in texts(tagged[ALIASES], "country")
    assert answer(tagged, "name", "Who was elected president of the European Investment Bank?", ELECTED) \
        == "Marta Lindqvist"
    assert answer(tagged, "organization", "Which bank elected Marta Lindqvist as its president?", ELECTED) \
        == "European Investment Bank"


def test_a_city_is_not_a_mediator(tagged: dict[str, list[TypedSpan]]) -> None:
    assert texts(tagged[BROKERED], "city") == ["Abu Dhabi"]
    assert answer(tagged, "name", "Who brokered the ceasefire?", BROKERED) == "Norway"
    assert texts(values("name", "Who brokered the ceasefire?", BROKERED, tagged[BROKERED])) == ["Norway"]


def test_countries_and_cities(tagged: dict[str, list[TypedSpan]]) -> None:
    assert answer(tagged, "city", "In which city was the summit held?", SUMMIT) == "Istanbul"
    assert answer(tagged, "place", "Where was the summit held?", SUMMIT) == "Istanbul"
    # two countries named together answer together; the city is not one of them
    assert answer(tagged, "country", "Which countries held a summit?", SUMMIT) == "Kenya and Ethiopia"
    # the question already names Kenya: the other country is the answer
    assert answer(tagged, "country", "Which country did Kenya meet?", SUMMIT) == "Ethiopia"


def test_values_dedupe_country_aliases(tagged: dict[str, list[TypedSpan]]) -> None:
    found = values("country", "Which countries brokered the deal?", ALIASES, tagged[ALIASES])
    assert texts(found) == ["U.S.", "United Arab Emirates"]
    assert spans.value_key(TypedSpan("US", 0, 2, "country")) == spans.value_key(
        TypedSpan("the United States", 0, 17, "country"))
    # "U.S. and the United Arab Emirates" is one coordinated answer, not "U.S. and U.S"
    assert answer(tagged, "country", "Which countries brokered the deal?", ALIASES) \
        == "U.S. and the United Arab Emirates"


def test_count_with_its_unit(tagged: dict[str, list[TypedSpan]]) -> None:
    counts = [(s.text, s.unit) for s in tagged[RECALL] if s.label == "number"]
    assert counts == [("120,000 vehicles", "vehicles"), ("300 dealers", "dealers")]
    assert answer(tagged, "number", "How many vehicles will Harlow Motors recall?", RECALL) == "120,000 vehicles"
    assert answer(tagged, "number", "How many dealers sold the vehicles?", RECALL) == "300 dealers"
    assert answer(tagged, "number", "How many engineers were freed?", RESCUE) == "3 engineers"
    assert answer(tagged, "number", "How many miners were freed?", RESCUE) == "14 miners"


def test_regnal_numbers_ranges_and_groups(extractor: SpanExtractor) -> None:
    royal = "King Charles III opened the new bridge on Friday."
    crowd = "An estimated 16,000 to 35,000 volunteers joined the clean-up, the organisers said."
    vote = "The proposal was backed by the Democrats and opposed by most independents."
    got = dict(zip([royal, crowd, vote], extractor.spans([royal, crowd, vote]), strict=True))
    assert texts(got[royal], "person") == ["Charles III"]
    assert [(s.text, s.unit) for s in got[crowd] if s.label == "number"] == [
        ("An estimated 16,000 to 35,000 volunteers", "volunteers")]
    q = "How many volunteers joined the clean-up?"
    assert short_answer("number", q, crowd, got[crowd]).text.endswith("16,000 to 35,000 volunteers")  # type: ignore[union-attr]
    # a group named in the plural is an actor for "who"
    assert short_answer("name", "Who backed the proposal?", vote, got[vote]).text == "Democrats"  # type: ignore[union-attr]


def test_which_company_and_which_aide(extractor: SpanExtractor) -> None:
    recall = "Nordvik Autos said it would recall 2 million cars after a fault was found in their brakes."
    aide = "The minister's aide Anna Weber said 40 prisoners and 12 Italians had been freed."
    got = dict(zip([recall, aide], extractor.spans([recall, aide]), strict=True))
    # the company is the answer, not the count the question repeats; "… Autos" is an organisation
    # even when the model reads it as a person; the broad "other" type is narrowed by "which company"
    assert short_answer("other", "Which company recalled 2 million cars?", recall, got[recall]).text \
        == "Nordvik Autos"  # type: ignore[union-attr]
    assert short_answer("name", "Which aide spoke about the prisoners?", aide, got[aide]).text \
        == "Anna Weber"  # type: ignore[union-attr]


def test_no_short_answer_when_unclear(tagged: dict[str, list[TypedSpan]]) -> None:
    # two different rates, nothing in the question to choose between them
    assert answer(tagged, "percent", "What was the rate?", TWO_RATES) is None
    # two amounts, equally related to the question
    assert answer(tagged, "money", "How much money changed hands?", TRANSFERS) is None
    # no typed span of the expected type / no typed answer type
    assert answer(tagged, "person", "Who decided?", NOTHING) is None
    assert answer(tagged, "other", "What did the insurer agree?", MONEY) is None
    assert answer(tagged, "city", "Which city hosted the summit in Istanbul?", SUMMIT) is None


def test_hint_prefers_the_overlapping_span(tagged: dict[str, list[TypedSpan]]) -> None:
    q = "What was the rate?"
    start = TWO_RATES.index("4 per cent")
    assert answer(tagged, "percent", q, TWO_RATES, hint=(start, start + 4)) == "4 per cent"
    # a hint on the right span settles it; a hint on a span of the wrong type (a city for "who")
    # means the reader and the typing disagree: no short answer rather than a guess
    city, norway = BROKERED.index("Abu Dhabi"), BROKERED.index("Norway")
    assert answer(tagged, "name", "Who brokered the ceasefire?", BROKERED, hint=(norway, norway + 6)) == "Norway"
    assert answer(tagged, "name", "Who brokered the ceasefire?", BROKERED, hint=(city, city + 9)) is None


def test_expected_labels_contract() -> None:
    assert expected_labels("name") == {"person", "organization", "country"}
    assert "city" not in expected_labels("name")
    assert expected_labels("place") == {"country", "city", "place"}
    assert expected_labels("money") == {"money"}
    assert expected_labels("other") == frozenset()
    assert expected_labels("no such type") == frozenset()
    for atype in ("person", "organization", "name", "country", "city", "place", "date", "number", "money",
                  "percent"):
        assert expected_labels(atype) <= spans.LABELS


def test_model_is_the_pinned_mit_model(extractor: SpanExtractor) -> None:
    meta = extractor._nlp.meta
    assert (meta["version"], meta["license"], meta["lang"]) == ("3.8.0", "MIT", "en")
    assert extractor._nlp.pipe_names == ["ner"]


def test_damaged_model_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(spans.model_dir(), copy)
    spans.verify_model(copy)  # an intact copy passes
    weights = copy / "ner" / "model"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"ner/model"):
        SpanExtractor(copy)
    weights.unlink()
    with pytest.raises(ModelIntegrityError, match=r"missing: .*ner/model"):
        spans.load_ner(copy)


def test_concurrent_tagging_matches_serial(extractor: SpanExtractor) -> None:
    fresh = SpanExtractor(cache_size=0)  # no cache: every call runs the model
    serial = {t: s for t, s in zip(ALL, extractor.spans(ALL), strict=True)}
    errors: list[BaseException] = []
    mismatches: list[str] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(8):
                batch = rng.sample(ALL, 5)
                for t, got in zip(batch, fresh.spans(batch), strict=True):
                    if got != serial[t]:
                        mismatches.append(t)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors and not mismatches


def test_spacy_loads_without_torch() -> None:
    code = ("import sys; from assistant.spans import SpanExtractor; ex = SpanExtractor(); "
            "ex.spans(['Norway paid $5 million.']); print('torch' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_offers_value_of_the_asked_type(extractor):
    from assistant.spans import asks_value, offers_value

    def offers(answer_type, question, sentence):
        return offers_value(answer_type, question, extractor.spans([sentence])[0])

    assert offers("number", "How many prisoners were freed?", "Russia freed 146 prisoners on Sunday.")
    assert not offers("number", "How many prisoners were freed on Oct. 2, 2025?", "The last swap was on Oct. 2, 2025.")
    # money needs an amount of money, not any number
    assert not offers("money", "How much did the UAE pay?", "Each side released 390 people.")
    assert offers("money", "How much did the UAE pay?", "The UAE paid $2 million for the flights.")
    # a weekday for "which day of the week"
    assert asks_value("other", "On which day of the week was the swap?")
    assert not offers("date", "On which day of the week was the swap?", "The swap took place in May 2025.")
    assert offers("date", "On which day of the week was the swap?", "The swap took place on Friday.")
    assert offers("other", "Why did it happen?", "No reason was given.")
    # a name asked as such: any proper name the question does not give
    assert asks_value("other", "What is the name of the ship?")
    assert not offers("other", "What is the name of the ship?", "The ship sank near the coast in 1912.")
    assert offers("other", "What is the name of the ship?", "The Titanic sank in 1912.")


def test_where_asks_for_a_located_place(extractor):
    from assistant.spans import asks_value, offers_value, short_answer, value_required

    def located(question, sentence):
        return offers_value("place", question, extractor.spans([sentence])[0], sentence)

    def short(question, sentence):
        found = short_answer("place", question, sentence, extractor.spans([sentence])[0])
        return found.text if found is not None else None

    q = "Where did the swap take place?"
    assert asks_value("place", q) and not value_required("place", q)  # preferred, not required
    assert not asks_value("other", "In what way did the swap change things?")  # not "where"
    # the subject of the sentence is not where it happened
    assert not located(q, "Norway and Sweden carried out the swap on Friday.")
    assert short(q, "Norway and Sweden carried out the swap on Friday.") is None
    assert located(q, "Both sides handed prisoners over at the border with Finland.")
    assert short(q, "Both sides handed prisoners over at the border with Finland.") == "Finland"
    assert short(q, "The ship stayed on the coast of Denmark.") == "Denmark"
    # a compound is not a place ("in Norway-Sweden relations"); examples of a place noun are
    assert not located(q, "It marks progress in Norway-Sweden relations.")
    assert short("Where were they captured?", "They were captured in areas like Lille, Nantes, and Rennes.") \
        == "Lille, Nantes, and Rennes"
    assert short("Where were they held?", "They were held in regions such as Bavaria, Saxony and Thuringia.") \
        == "Bavaria, Saxony and Thuringia"


def test_names_in_a_coordination_and_the_fullest_lead():
    from assistant.compose import _fullest
    from assistant.spans import canonical, names_in

    assert canonical("the U.S.") == canonical("US") == "united states"
    assert names_in("the United States and the UAE") == {"united states", "united arab emirates"}
    assert _fullest(["US", "the United States and United Arab Emirates"]) == "the United States and United Arab Emirates"
    assert _fullest(["Istanbul", "Abu Dhabi and Doha"]) == "Istanbul"  # not a superset: the first stays


def test_who_said_is_answered_by_the_speaker(extractor):
    from assistant.spans import short_answer

    quote = "“It was certainly not easy, but Norway stayed constructive,” Halvorsen said of the talks."
    found = extractor.spans([quote])[0]
    assert ("Halvorsen", "person") in [(s.text, s.label) for s in found]  # missed by the tagger, added
    answer = short_answer("name", "Who said the talks were not easy?", quote, found)
    assert answer is not None and answer.text == "Halvorsen"
    after = "“We will continue,” said Anna Berg, the mayor."
    assert ("Anna Berg", "person") in [(s.text, s.label) for s in extractor.spans([after])[0]]
    # a pronoun is no speaker
    assert not [s for s in extractor.spans(["He said the road would reopen."])[0] if s.label == "person"]


def test_an_office_holder_is_a_named_person(extractor):
    from assistant.spans import asks_value, offers_value, value_required

    def offers(question, sentence):
        return offers_value("person", question, extractor.spans([sentence])[0], sentence)

    q = "Who is Norway's defence minister?"
    assert asks_value("person", q) and value_required("person", q)
    assert offers(q, "Defence Minister Kari Nordmann visited the base on Monday.")
    assert not offers(q, "The defence ministry said the base would close.")  # an office, no holder
    assert not offers(q, "Foreign Minister Kari Nordmann visited the base.")  # another office
    assert not value_required("person", "Who represents the parliament?")  # not an office asked by name


def test_a_person_typed_as_an_organisation_still_answers_who(extractor):
    from assistant.spans import _person_shaped

    assert _person_shaped("Rustem Umerov")
    assert not _person_shaped("the Defence Ministry") and not _person_shaped("United Arab Emirates")


def test_a_count_answers_only_for_what_it_counts(extractor):
    from assistant.spans import offers_value

    def offers(question, sentence):
        return offers_value("number", question, extractor.spans([sentence])[0], sentence)

    def lead(question, sentence):
        best = short_answer("number", question, sentence, extractor.spans([sentence])[0])
        return best.text if best else None

    freed = "Among the 42 Italians freed on Friday were nine doctors."
    # a narrower kind is not counted by a count of the whole group …
    assert not offers("How many nurses were freed?", "The rebels freed 42 Italians on Friday.")
    assert not offers("How many soldiers were killed?", "Officials said three citizens would be returned home.")
    # … a kind the question names is, and a broad question takes any count of people
    assert lead("How many doctors were freed?", freed) == "nine doctors"
    assert offers("How many prisoners were freed?", "The rebels freed 42 Italians on Friday.")
    assert offers("How many people were freed?", "Rescuers freed 14 miners and 3 engineers.")
    assert offers("How many soldiers came home?", "Some 40 troops came home on Friday.")  # the same people
    # "15 of them" counts what "19 Italians" counts; a count of countries is no count of prisoners
    assert not offers("How many journalists were freed?", "They freed 19 Italians, 15 of them to be tried.")
    assert not offers("How many prisoners were freed?", "Talks between the two countries went on.")
    # a count of what has not happened does not say how many did, unless that is asked
    pending = "The minister said more than 20 residents were yet to be released."
    assert not offers("How many residents were released?", pending)
    assert offers("How many residents are yet to be released?", pending)
    # the counted noun after "how many of them were …" and in a question asking two counts
    assert lead("How many of them were doctors?", freed) == "nine doctors"
    assert offers("How many swaps were there, and how many people did each free?", "The first swap freed 390 people.")


def test_how_old_and_how_long_ask_for_their_measure(extractor):
    from assistant.spans import offers_value

    def offers(question, sentence):
        return offers_value("number", question, extractor.spans([sentence])[0], sentence)

    assert not offers("How old is Mira Tanholt?", "Mira Tanholt said talks would resume in the coming weeks.")
    assert offers("How old is Mira Tanholt?", "Mira Tanholt, 54 years old, chairs the council.")
    assert offers("How old is Mira Tanholt?", "The council is chaired by Mira Tanholt, aged 54.")
    assert not offers("How long did the talks last?", "Talks between the two countries took place in Veldan.")
    assert offers("How long did the talks last?", "The talks lasted two days in Veldan.")
    assert offers("How long ago was he captured?", "He was captured two months ago in Veldan.")
    assert not offers("How long did the talks last?", "He was captured two months ago in Veldan.")
    # "how many days" asks the same measure: a count of something else is no number of days
    both = "Talks between the two countries went on for three days in Veldan."
    assert offers("How many days did the talks go on?", both)
    best = short_answer("number", "How many days did the talks go on?", both, extractor.spans([both])[0])
    assert best is not None and best.text == "three days"
    assert not offers("How many days did the talks go on?", "Talks between the two countries took place in Veldan.")


def test_questions_that_need_a_specific_kind_of_sentence(extractor):
    from assistant.spans import offers_value, value_required

    def offers(answer_type, question, sentence):
        return offers_value(answer_type, question, extractor.spans([sentence])[0], sentence)

    # a part of the day or a clock time, not a weekday
    q = "What time of day did the ferry sink?"
    assert value_required("date", q)
    assert not offers("date", q, "The ferry sank on Thursday off the coast of Veldan.")
    assert offers("date", q, "The ferry sank early on Thursday morning off the coast of Veldan.")
    # what someone said: a sentence that gives the words to that speaker
    q = "What did Mira Tanholt say about the vote?"
    assert value_required("other", q)
    assert not offers("other", q, "The vote was widely welcomed in Veldan.")
    assert offers("other", q, "Tanholt said the vote was a turning point.")
    # "who was the journalist…": a person named in a sentence about a journalist
    q = "Who was the journalist freed on Sunday?"
    assert value_required("person", q)
    assert not offers("person", q, "One of those freed was a journalist held since March.")
    assert offers("person", q, "The journalist Arno Veld was among those freed.")
    # how many are still held: a count of those who came home does not say it
    q = "How many sailors are still held?"
    assert not offers("number", q, "Twelve sailors came home on Sunday.")
    assert offers("number", q, "Twelve sailors came home, and 30 sailors are still held.")


# -- the learned span as a short answer (spans.learned_lead) -----------------------------------------

FROST = "Cooperative chair Tomas Reid said a mild spring and new frost fans saved most of the early blossom."


def _span_of(sentence: str, text: str) -> tuple[int, int]:
    start = sentence.index(text)
    return start, start + len(text)


def test_learned_lead_needs_the_calibrated_probability():
    span = _span_of(FROST, "a mild spring and new frost fans")
    q = "What saved most of the early blossom?"
    assert spans.learned_lead(q, FROST, span, 0.5, threshold=0.4) == "a mild spring and new frost fans"
    assert spans.learned_lead(q, FROST, span, 0.3, threshold=0.4) is None


def test_learned_lead_is_no_clause_and_names_nothing_the_question_names():
    q = "What saved most of the early blossom?"
    long_span = _span_of(FROST, "Tomas Reid said a mild spring and new frost fans saved most")
    assert spans.learned_lead(q, FROST, long_span, 0.9, threshold=0.4) is None  # over MAX_LEARNED_WORDS
    who = "Who did Tomas Reid thank?"
    assert spans.learned_lead(who, FROST, _span_of(FROST, "Tomas Reid"), 0.9, threshold=0.4) is None
    # spaces and punctuation at the edges are trimmed, the words kept
    assert spans.learned_lead(q, FROST, (FROST.index("blossom") - 1, len(FROST)), 0.9, threshold=0.4) == "blossom"


@pytest.mark.integration
def test_untyped_question_leads_with_the_readers_span(tmp_path, minilm):
    """Production wiring over the project's samples: a what-question no typed span answers gets the
    reader's span in bold; with `span_reader` off it gets none."""
    from app import build_assistant
    from assistant.settings import Settings

    for on in (True, False):
        a = build_assistant(Settings(store=tmp_path / f"store-{on}", span_reader=on), progress=False, embedder=minilm)
        a.ingestor.ingest_paths([SAMPLES])
        a.retriever.invalidate()
        answer = a.ask("What saved most of the early blossom?")
        assert not answer.abstained and "frost fans" in answer.citations[0].quote
        if on:
            assert answer.short_answer is not None and "frost fans" in answer.short_answer
            assert answer.answer.startswith(f"**{answer.short_answer}** — ")
        else:
            assert answer.short_answer is None


def test_what_did_the_role_noun_do_asks_for_no_person():
    """"What did the mayor cut?" asks for what was cut; "Which mayor…" asks for a person."""
    assert spans._question_labels("other", "What did the mayor cut at dawn?") == frozenset()
    assert spans._question_labels("other", "Which mayor cut the ribbon?") == frozenset({"person"})
    assert spans._question_labels("other", "What will the company build?") == frozenset()


def test_the_name_of_a_person_is_a_persons_name():
    """"The name of her son": a person named (by the tagger, or right after the noun), not a town."""
    q = "What is the name of the harbour master's son?"
    town = "The harbour master's son was last seen in Port Alder."
    named = "The harbour master waited for his son Oskar at the quay."
    assert not spans.offers_value("name", q, [TypedSpan("Port Alder", 40, 50, "city")], town)
    assert spans.offers_value("name", q, [], named)
    # a thing's name may be any name
    assert spans.offers_value("name", "What is the name of the ferry?", [TypedSpan("Port Alder", 0, 10, "city")],
                              "Port Alder sails at dawn.")
    # the name right after the noun is the short answer, even untagged
    lead = spans.short_answer("name", q, named, [])
    assert lead is not None and lead.text == "Oskar" and named[lead.start : lead.end] == "Oskar"


def test_the_name_of_a_kind_of_person_needs_that_person():
    """A sentence that does not speak of the kind of person asked for (or of whose son) names the wrong one."""
    q = "What was the name of the journalist freed in March?"
    other = "Mayor Ilse Varga thanked the ferry crews on Tuesday."
    said = "Among those freed was the journalist Piet Ormond, held since 2019."
    varga = [TypedSpan("Ilse Varga", 6, 16, "person")]
    assert not spans.offers_value("name", q, varga, other)
    assert spans.offers_value("name", q, [TypedSpan("Piet Ormond", 36, 47, "person")], said)
    # whose son: "Greta's … her son Tomas" is not the name of Dora's son
    greta = "Greta held a photo of her son Tomas at the gate."
    assert not spans.offers_value("name", "What is the name of Dora's son?", [], greta)
    assert spans.short_answer("name", "What is the name of Dora's son?", greta, []) is None
    assert spans.offers_value("name", "What is the name of Greta's son?", [], greta)


def test_a_relative_is_a_named_person_of_the_person_asked_about():
    """"Who is Dora's son?": a person named in a sentence about Dora (the name after "son" even
    untagged), never the son of someone else; "Emma, sister of Richard" answers for her brother."""
    greta = "Greta held a photo of her son Tomas at the gate."
    dora = "Dora, a mother waiting for her son, spoke of her fear."
    gtag = [TypedSpan("Greta", 0, 5, "person")]
    assert not spans.offers_value("person", "Who is Dora's son?", gtag, greta)
    assert not spans.offers_value("person", "Who is Dora's son?", [TypedSpan("Dora", 0, 4, "person")], dora)
    assert spans.offers_value("person", "Who is Greta's son?", gtag, greta)
    lead = spans.short_answer("person", "Who is Greta's son?", greta, gtag)
    assert lead is not None and lead.text == "Tomas"
    emma = "Emma, sister of Duke Richard of Veldan, married the king."
    tagged = [TypedSpan("Emma", 0, 4, "person"), TypedSpan("Duke Richard", 16, 28, "person")]
    assert spans.offers_value("person", "Who was Emma's brother?", tagged, emma)


def test_an_office_is_every_word_of_it_even_for_a_name_after_the_noun():
    q = "Who is the defence minister?"
    other = "The foreign minister Sergei Lavrov spoke on Monday."
    lavrov = [TypedSpan("Sergei Lavrov", 21, 34, "person")]
    assert not spans.offers_value("person", q, lavrov, other)
    said = "The defence minister Pavel Orlan spoke on Monday."
    assert spans.offers_value("person", q, [], said)
    lead = spans.short_answer("person", q, said, [])
    assert lead is not None and lead.text == "Pavel Orlan"


def test_a_nationality_in_an_office_is_said_by_its_country():
    """"the Polish negotiator": "one of Poland's top negotiators" says every word of the office;
    "one of Spain's negotiators" does not."""
    q = "Who is the Polish negotiator who complained about the delay?"
    said = "Marek Nowak, one of Poland's top negotiators, complained about the delay."
    tagged = [TypedSpan("Marek Nowak", 0, 11, "person")]
    assert spans.offers_value("person", q, tagged, said)
    other = "Marek Nowak, one of Spain's top negotiators, complained about the delay."
    assert not spans.offers_value("person", q, tagged, other)


def test_a_city_in_a_country_lies_there():
    from assistant import places

    assert places.city_in("Minsk", "Belarus") is True
    assert places.city_in("Abu Dhabi", "Belarus") is False
    assert places.city_in("Port Alder", "Belarus") is None  # unknown to the gazetteer: not ruled out
    q = "In which city in Belarus did the bus stop?"
    sentence = "The bus left Abu Dhabi and stopped in Minsk, Belarus."
    tagged = [TypedSpan("Abu Dhabi", 13, 22, "city"), TypedSpan("Minsk", 38, 43, "city"),
              TypedSpan("Belarus", 45, 52, "country")]
    assert short_answer("city", q, sentence, tagged).text == "Minsk"
    # a sentence naming only a country or a city elsewhere does not say which city
    assert spans.value_required("city", q)
    assert not spans.offers_value("city", q, [TypedSpan("Abu Dhabi", 13, 22, "city")], sentence)
