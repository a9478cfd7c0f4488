"""/policy/: the published page, generated from the enforced policy, in Japanese and English."""

from __future__ import annotations

from django.test import Client


def test_policy_page_in_japanese_by_query(client: Client) -> None:
    response = client.get("/policy/?lang=ja")
    assert response.status_code == 200
    body = response.content.decode()
    assert response["Content-Language"] == "ja"
    assert "プレミアムサクセス" in body and "チケット優先度の定義" in body and '<html lang="ja">' in body


def test_policy_page_in_english_by_accept_language(client: Client) -> None:
    response = client.get("/policy/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    body = response.content.decode()
    assert response["Content-Language"] == "en"
    assert "Premium Success" in body and "Initial response within 2 business days" in body


def test_policy_page_follows_accept_language_japanese(client: Client) -> None:
    response = client.get("/policy/", HTTP_ACCEPT_LANGUAGE="ja-JP,ja;q=0.9")
    assert response["Content-Language"] == "ja"


def test_unknown_lang_falls_back_to_header(client: Client) -> None:
    response = client.get("/policy/?lang=<script>", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "<script>" not in response.content.decode()


def test_policy_page_is_get_only(client: Client) -> None:
    assert client.post("/policy/").status_code == 405


def test_page_chrome_is_translated_too(client: Client) -> None:
    body = client.get("/policy/?lang=ja").content.decode()
    assert "ヘルプセンター" in body and "このページは、サポートデスクが実際に適用しているポリシー" in body
    english = client.get("/policy/?lang=en").content.decode()
    assert "Help center" in english and "ヘルプセンター" not in english
