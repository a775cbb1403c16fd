"""Fast unit tests of the extractive answerer's pieces and of chat-level citation numbering."""

from __future__ import annotations

from assistant.chat import Conversation
from assistant.cues import answer_type
from assistant.cues import lead as _lead
from assistant.select import clauses as _clauses
from assistant.types import Answer, Citation


def test_answer_types():
    assert answer_type("How many prisoners were freed?") == "number"
    assert answer_type("When did the talks start?") == "date"
    assert answer_type("In which city did they meet?") == "city"
    assert answer_type("Which country brokered the deal?") == "country"
    assert answer_type("Where were they handed over?") == "place"
    assert answer_type("Who mediated the swap?") == "name"
    assert answer_type("What did he say?") == "other"
    assert answer_type("Which Russian region did the troops enter?") == "place"
    assert answer_type("Which Gulf state hosted the talks?") == "country"


def test_number_lead_prefers_the_count_of_the_thing_asked():
    s = "Two hours later, officials confirmed the release of 157 prisoners from each country."
    lead, cue = _lead(s, "How many prisoners did each side release?", "number", set())
    assert lead == "157" and cue == 1.0
    lead, cue = _lead("The talks lasted two days in the capital.", "How many prisoners were freed?", "number", set())
    assert lead == "two" and cue < 0.75  # a number, but not a count of prisoners
    assert _lead("The exchange happened on Oct. 2, 2025.", "How many were freed?", "number", set())[0] == ""


def test_name_lead_skips_question_words_demonyms_and_sentence_starts():
    s = "Historically, the Ukrainian side said the swap was mediated by the United Arab Emirates."
    lead, cue = _lead(s, "Who mediated the swap?", "name", set(), {"media"})
    assert lead == "United Arab Emirates" and cue == 1.0


def test_city_and_country_types_use_the_gazetteer():
    s = "Negotiators met in Istanbul before the exchange at the border with Belarus."
    assert _lead(s, "In which city did negotiators meet?", "city", set())[0] == "Istanbul"
    assert _lead(s, "Which country hosted the exchange?", "country", set())[0] == "Belarus"


def test_clauses_split_long_sentences_only():
    assert _clauses("A short sentence.") == []
    parts = _clauses("Russia, who said that the two mediators were busy all week, announced on Thursday that it had "
                     "handed over many soldiers and civilians today")
    assert _clauses("Short, but split.") == []
    assert len(parts) >= 2 and all(len(p.split()) >= 5 for p in parts[:-1])


def _cite(n: int, start: int) -> Citation:
    return Citation(n=n, doc_id="d", file_name="f.txt", quote="q", start=start, end=start + 1, score=1.0)


def test_conversation_keeps_citation_numbers_stable():
    conv = Conversation()
    first = conv.renumber(Answer(question="a", answer="A [1] B [2]", abstained=False,
                                 citations=[_cite(1, 10), _cite(2, 20)]))
    assert [c.n for c in first.citations] == [1, 2]
    second = conv.renumber(Answer(question="b", answer="C [1] D [2]", abstained=False,
                                  citations=[_cite(1, 30), _cite(2, 20)]))
    assert second.answer == "C [3] D [2]"
    assert {(c.start, c.n) for c in second.citations} == {(30, 3), (20, 2)}


def test_demonyms_of_places_in_the_articles_are_not_unknown_names():
    from assistant.abstain import demonym_of_known_place as _demonym_of_known_place

    vocab = {"itali", "russia", "china"}

    def tokenize(text: str) -> list[str]:
        return [{"italy": "itali"}.get(text.lower(), text.lower())]

    assert _demonym_of_known_place("Italian", vocab.__contains__, tokenize)
    assert _demonym_of_known_place("Russian", vocab.__contains__, tokenize)
    assert _demonym_of_known_place("Chinese", vocab.__contains__, tokenize)
    assert not _demonym_of_known_place("Brazilian", vocab.__contains__, tokenize)


def test_count_of_the_noun_asked_beats_a_related_count():
    s = "Each country exchanged 390 individuals, 270 military personnel and 120 civilians at the border."
    assert _lead(s, "How many civilians were exchanged there?", "number", set())[0] == "120"


def test_only_the_leading_sentences_have_their_clauses_embedded(hash_embedder):
    """Embedding is a question's cost: every candidate sentence once, clauses only for the leaders."""
    from assistant.answer import ExtractiveAnswerer
    from assistant.select import CLAUSE_LEADERS
    from assistant.types import Passage

    embedded: list[str] = []

    class Counting:
        name, dim, window = hash_embedder.name, hash_embedder.dim, hash_embedder.window

        def count_window_tokens(self, text):
            return hash_embedder.count_window_tokens(text)

        def embed(self, texts, batch_size=64):
            embedded.extend(texts)
            return hash_embedder.embed(texts, batch_size)

    sentences = [f"Officials in port city {i}, who spoke on Tuesday about the strike, said that wages, prices "
                 f"and rents had all risen by {i + 2} percent this year." for i in range(20)]
    text = " ".join(sentences)
    passage = Passage(doc_id="d", file_name="sample.txt", chunk_id="d:0", start=0, end=len(text), text=text,
                      score=1.0)
    answer = ExtractiveAnswerer(Counting()).answer("Why did wages rise in the port city?", [passage])
    assert not answer.abstained and answer.citations
    all_clauses = {c for s in sentences for c in _clauses(s)}
    embedded_clauses = [t for t in embedded if t in all_clauses]
    assert len(embedded) == len(set(embedded))  # nothing embedded twice
    assert set(sentences) <= set(embedded)
    assert 0 < len(embedded_clauses) <= CLAUSE_LEADERS * max(len(_clauses(s)) for s in sentences) < len(all_clauses)


def test_a_question_with_a_lone_surrogate_is_refused_with_a_message(sample_assistant):
    """UI and CLI questions go through check_question: broken text is a clear error, not a crash."""
    import pytest

    from assistant.chat import QuestionError

    with pytest.raises(QuestionError, match="invalid text at character 5"):
        sample_assistant.check_question("who \ud800 cut the ribbon?")


def test_ui_failures_are_told_in_plain_words():
    from assistant.ui import failure_reason
    from index.store import StoreUnavailableError

    assert "store is not reachable" in failure_reason(StoreUnavailableError("http://10.0.0.5:8000 refused"))
    plain = failure_reason(KeyError("/srv/secret/path"))
    assert "KeyError" not in plain and "/srv" not in plain


def test_a_title_no_passage_holds_is_missing():
    """"War and Peace": every word is in the passages, the title is not; names listed with "and",
    offices and places are written many ways and are left to the other checks."""
    from assistant.abstain import missing_titles

    texts = ["The war went on while peace talks stalled.", "The Ministry said the lord of the manor spoke."]
    assert missing_titles("Who wrote the novel War and Peace?", texts) == ["War and Peace"]
    assert missing_titles("Who starred in Lord of the Rings?", texts) == ["Lord of the Rings"]
    assert missing_titles("Did Ilse Varga and Tomas Reid meet?", texts) == []
    assert missing_titles("Who is the President of Ukraine?", texts) == []
    assert missing_titles("Did the Ministry of Defence speak?", texts) == []
    assert missing_titles("Who Wrote War And Peace?", texts) == []  # title case throughout: no title to tell
    assert missing_titles("Who wrote War and Peace?", [*texts, "He reread war and  peace."]) == []


def test_a_heading_is_no_candidate_but_introduces_the_next_sentence():
    from assistant.candidates import candidates, heading, simple_tokens
    from assistant.types import Passage

    # SAMPLE TEXT: fictional, written for this test.
    text = ("The ferry strike ended on Monday after three days.\nTalks Over Night Shifts\n"
            "Unions said the deal covers 400 crew members.")
    p = Passage(chunk_id="x:0", doc_id="x", file_name="x.txt", title="", date="2024-01-01", source="", url="",
                start=0, end=len(text), text=text, score=0.0)
    found = candidates([p], simple_tokens)
    assert [c.text for c in found] == ["The ferry strike ended on Monday after three days.",
                                       "Unions said the deal covers 400 crew members."]
    assert found[1].prev_text == "Talks Over Night Shifts"
    assert heading("A Fragile Step in a Wider War") and heading("Disputes Over Civilians")
    assert not heading("Unions said the deal covers 400 crew members.")
    assert not heading("the talks went on for hours without a deal")  # lower case: a fragment, not a title
