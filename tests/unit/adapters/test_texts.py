"""The object-store side of large texts: stored before the document, read once, cached by content."""

from __future__ import annotations

import pytest

from helpdesk.adapters.texts import ObjectStoreTexts
from helpdesk.domain.bodies import INLINE_TEXT_BYTES, ITEM_BUDGET, OFFLOADED
from helpdesk.ports import RawMailStore


class MemoryStore(RawMailStore):
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.puts: list[str] = []
        self.gets: list[str] = []

    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> str:
        self.puts.append(key)
        self.objects[key] = data
        return key

    def get(self, key: str) -> bytes:
        self.gets.append(key)
        return self.objects[key]

    def link(self, key: str, expires_seconds: int) -> str:
        return f"memory://{key}"


def test_large_texts_are_stored_once_and_read_back() -> None:
    store = MemoryStore()
    texts = ObjectStoreTexts(lambda: store)
    body = "ü" * INLINE_TEXT_BYTES
    doc = texts.shrink({"body": body, "public": True}, 5, budget=ITEM_BUDGET)
    assert [store.objects[k].decode() for k in store.puts] == [body]
    assert texts.shrink({"body": body}, 5, budget=ITEM_BUDGET)[OFFLOADED] == doc[OFFLOADED]
    assert len(store.puts) == 1  # known to be stored: a retry or a re-save writes nothing
    fresh = ObjectStoreTexts(lambda: store)  # another container
    assert fresh.expand(doc) == {"body": body, "public": True}
    assert fresh.expand(doc) == {"body": body, "public": True}
    assert len(store.gets) == 1


def test_small_documents_never_touch_the_store() -> None:
    def no_store() -> RawMailStore:
        raise AssertionError("the store was needed")

    texts = ObjectStoreTexts(no_store)
    doc = {"body": "hello", "attachments": [{"filename": "a.txt"}]}
    assert texts.expand(texts.shrink(doc, 1, budget=ITEM_BUDGET)) == doc


def test_the_cache_is_bounded() -> None:
    store = MemoryStore()
    texts = ObjectStoreTexts(lambda: store, cache_bytes=100_000)
    docs = [texts.shrink({"body": str(i) * 60_000}, 1, budget=ITEM_BUDGET) for i in range(3)]
    assert texts.expand(docs[2])["body"][:1] == "2"
    assert store.gets == []  # the latest is in memory
    assert texts.expand(docs[0])["body"][:1] == "0"
    assert store.gets == store.puts[:1]  # the older ones were dropped to stay under the bound


def test_a_text_changed_in_the_store_is_refused() -> None:
    store = MemoryStore()
    doc = ObjectStoreTexts(lambda: store).shrink({"body": "q" * 40_000}, 1, budget=ITEM_BUDGET)
    store.objects[doc[OFFLOADED]["body"]] = b"tampered"
    with pytest.raises(ValueError, match="does not name this text"):
        ObjectStoreTexts(lambda: store).expand(doc)
