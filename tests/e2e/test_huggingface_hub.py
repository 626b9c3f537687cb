"""The real `huggingface_hub` client, pointed at a real Paperboy server, reads what was imported."""
import re

from huggingface_hub import HfApi

from conftest import demo_items


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def latest_capture_of(paper_id: str, days: dict) -> dict:
    for day in sorted(days, reverse=True):
        for item in days[day]:
            if item["paper"]["id"] == paper_id:
                return item
    raise KeyError(paper_id)


def test_list_daily_papers_for_a_date_returns_that_days_papers(server):
    days = demo_items()
    day = sorted(days)[-1]
    api = HfApi(endpoint=server.url)
    papers = list(api.list_daily_papers(date=day, limit=100))
    assert {p.id for p in papers} == {item["paper"]["id"] for item in days[day]}
    by_id = {item["paper"]["id"]: item for item in days[day]}
    for paper in papers:
        source = by_id[paper.id]["paper"]
        assert paper.title == collapse(source["title"])
        assert [a.name for a in paper.authors] == [a["name"] for a in source["authors"]]
        assert paper.upvotes == source["upvotes"] or (paper.upvotes or 0) == source["upvotes"]
        assert paper.submitted_at is not None
    # Most upvoted is not the API order (newest first), but all of the day is there.
    assert len(papers) == len(days[day])


def test_list_daily_papers_by_week_and_month(server):
    days = demo_items()
    api = HfApi(endpoint=server.url)
    month = sorted(days)[-1][:7]
    expected = {item["paper"]["id"] for day, items in days.items() if day.startswith(month) for item in items}
    got = set()
    page = 0
    while True:
        batch = list(api.list_daily_papers(month=month, limit=100, p=page))
        got |= {p.id for p in batch}
        if len(batch) < 100:
            break
        page += 1
    assert got == expected


def test_paper_info_returns_the_imported_paper(server):
    days = demo_items()
    item = days[sorted(days)[-1]][0]
    paper_id = item["paper"]["id"]
    latest = latest_capture_of(paper_id, days)["paper"]
    info = HfApi(endpoint=server.url).paper_info(paper_id)
    assert info.id == paper_id
    assert info.title == collapse(latest["title"])
    assert [a.name for a in info.authors] == [a["name"] for a in latest["authors"]]
    assert info.upvotes == latest["upvotes"]
    assert collapse(info.summary) == collapse(latest["summary"])
    assert info.published_at is not None


def test_paper_info_of_an_unknown_id_raises_not_found(server):
    from huggingface_hub.utils import HfHubHTTPError
    try:
        HfApi(endpoint=server.url).paper_info("2401.99999")
    except HfHubHTTPError as error:
        assert error.response.status_code == 404
    else:
        raise AssertionError("expected a 404")


def test_read_paper_returns_markdown_with_title_and_abstract(server):
    days = demo_items()
    item = days[sorted(days)[-1]][0]
    markdown = HfApi(endpoint=server.url).read_paper(item["paper"]["id"])
    assert markdown.startswith("# ")
    assert "## Abstract" in markdown
    first_words = collapse(item["paper"]["summary"]).split(" ")[:6]
    assert " ".join(first_words) in collapse(markdown)


def test_list_papers_searches(server):
    days = demo_items()
    item = days[sorted(days)[-1]][0]
    title = collapse(item["paper"]["title"])
    papers = list(HfApi(endpoint=server.url).list_papers(query=title, limit=5))
    assert papers, "a paper's own title finds it"
    assert papers[0].id == item["paper"]["id"]
    assert papers[0].title == title


def test_list_papers_without_a_query_and_with_a_big_limit(server):
    """huggingface_hub treats the query as optional and passes any limit: no query lists the
    newest featured papers (newest day first, most upvoted first), a limit above 120 gives 120."""
    days = demo_items()
    newest = sorted(days[sorted(days)[-1]], key=lambda item: -item["paper"]["upvotes"])
    api = HfApi(endpoint=server.url)
    papers = list(api.list_papers())
    assert len(papers) == 50
    top = max(item["paper"]["upvotes"] for item in newest)
    assert papers[0].id in {item["paper"]["id"] for item in newest if item["paper"]["upvotes"] == top}
    assert {paper.id for paper in papers[:len(newest)]} == {item["paper"]["id"] for item in newest}
    assert len(list(api.list_papers(limit=500))) == 120
    assert len(list(api.list_papers(query="model", limit=500))) <= 120
