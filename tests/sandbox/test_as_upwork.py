"""The sandbox answers as Upwork is seen to answer (docs/upwork-behaviour.md), never more kindly: one test
per row, asked in GraphQL as any client would ask it."""

from __future__ import annotations

from typing import Any

import pytest

from upwork_mcp.sandbox import Faults, Sandbox
from upwork_mcp.sandbox.graphql_api import run_query


def ask(box: Sandbox, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return run_query(box, {"query": query, "variables": variables or {}}, tenant=None)


SEARCH = """
query($f: MarketplaceJobPostingsSearchFilter) {
  marketplaceJobPostingsSearch(marketPlaceJobFilter: $f, searchType: USER_JOBS_SEARCH) {
    totalCount edges { node { id ciphertext experienceLevel amount { rawValue } } }
  }
}
"""


def search(box: Sandbox, **flt: Any) -> dict[str, Any]:
    return ask(box, SEARCH, {"f": {"pagination_eq": {"first": 50, "after": "0"}, **flt}})


def test_transactions_refuse_yyyymmdd_and_take_yyyy_mm_dd(sandbox: Sandbox) -> None:
    query = """query($f: TransactionHistoryFilter) { transactionHistory(transactionHistoryFilter: $f) {
      transactionDetail { transactionHistoryRow { recordId transactionCreationDate } } } }"""
    ace = sandbox.data.accounting_entity

    def rows(start: str, end: str) -> dict[str, Any]:
        return ask(
            sandbox,
            query,
            {"f": {"aceIds_any": [ace], "transactionDateTime_bt": {"rangeStart": start, "rangeEnd": end}}},
        )

    compact = rows("20260901", "20261031")
    assert compact["errors"][0]["message"].startswith("transactionDateTime_bt.rangeStart: date should be in yyyy-mm-dd")
    dashed = rows("2026-09-01", "2026-10-31")
    found = dashed["data"]["transactionHistory"]["transactionDetail"]["transactionHistoryRow"]
    assert found and found[0]["transactionCreationDate"].endswith("T00:00:00+0000")  # as seen live
    assert rows("2026-09-01T00:00:00Z", "2026-10-31T00:00:00Z")["data"] == dashed["data"]


@pytest.mark.parametrize("pagination", [{"first": 1}, {"first": 10, "after": ""}], ids=["no after", "empty after"])
def test_a_search_page_without_after_is_an_exception(sandbox: Sandbox, pagination: dict[str, Any]) -> None:
    answer = ask(sandbox, SEARCH, {"f": {"pagination_eq": pagination}})
    assert answer["errors"][0]["message"] == "Exception occurred" and answer["data"] == {
        "marketplaceJobPostingsSearch": None
    }
    without_type = ask(sandbox, "{ marketplaceJobPostingsSearch(marketPlaceJobFilter: {}) { totalCount } }")
    assert without_type["errors"][0]["message"] == "Exception occurred"
    assert "errors" not in search(sandbox)


def test_budget_and_rate_ranges_do_nothing_and_a_workload_empties_the_search(sandbox: Sandbox) -> None:
    every = search(sandbox)["data"]["marketplaceJobPostingsSearch"]
    ranged = search(sandbox, budgetRange_eq={"rangeStart": 5000}, hourlyRate_eq={"rangeEnd": 5})
    assert ranged["data"]["marketplaceJobPostingsSearch"] == every
    for workload in ("FULL_TIME", "PART_TIME", "AS_NEEDED"):
        empty = search(sandbox, workload_eq=workload)["data"]["marketplaceJobPostingsSearch"]
        assert empty["totalCount"] == 0 and empty["edges"] == []


def test_current_ciphertexts_are_02_plus_the_id_and_the_level_may_be_null(sandbox: Sandbox) -> None:
    nodes = [e["node"] for e in search(sandbox)["data"]["marketplaceJobPostingsSearch"]["edges"]]
    assert all(n["ciphertext"] == "~02" + n["id"] or n["ciphertext"].startswith("~01") for n in nodes)
    assert sum(n["ciphertext"].startswith("~02") for n in nodes) > 40
    assert any(n["experienceLevel"] is None for n in nodes) and any(n["experienceLevel"] for n in nodes)
    by_cipher = ask(
        sandbox, "query($id: ID!) { marketplaceJobPosting(id: $id) { id } }", {"id": nodes[0]["ciphertext"]}
    )
    assert "not found" in by_cipher["errors"][0]["message"].lower()  # the one-job query takes the number only


PROPOSALS = """
query($status: VendorProposalStatusFilterInput!, $first: Int!) {
  vendorProposals(filter: {status_eq: $status}, sortAttribute: {field: CREATEDDATETIME, sortOrder: DESC},
                  pagination: {first: $first}) {
    totalCount edges { node { id status { status } auditDetails { createdDateTime { rawValue } } } }
  }
}
"""


def proposals(box: Sandbox, status: str, first: int = 20) -> dict[str, Any]:
    return ask(box, PROPOSALS, {"status": status, "first": first})


def test_proposal_buckets_overlap_and_dates_are_epoch_milliseconds(sandbox: Sandbox) -> None:
    def ids(status: str) -> list[str]:
        return [e["node"]["id"] for e in proposals(sandbox, status)["data"]["vendorProposals"]["edges"]]

    assert ids("Declined") == ids("Withdrawn") == ids("Hired")
    open_list = {
        e["node"]["status"]["status"] for e in proposals(sandbox, "Declined")["data"]["vendorProposals"]["edges"]
    }
    closed = {e["node"]["status"]["status"] for e in proposals(sandbox, "Archived")["data"]["vendorProposals"]["edges"]}
    assert open_list == {"Pending", "Offered", "Accepted", "Activated"}
    assert closed == {"Declined", "Withdrawn", "Archived", "Hired"}
    raw = proposals(sandbox, "Pending")["data"]["vendorProposals"]["edges"][0]["node"]["auditDetails"]
    assert raw["createdDateTime"]["rawValue"].isdigit() and len(raw["createdDateTime"]["rawValue"]) == 13


def test_proposal_pages_above_20_are_refused_and_a_timeout_fault_answers_as_upwork(sandbox: Sandbox) -> None:
    assert "VJCA-6" in proposals(sandbox, "Pending", 21)["errors"][0]["message"]
    sandbox.faults = Faults.parse("proposals_timeout=1")
    assert proposals(sandbox, "Pending") == {
        "errors": [{"message": "Transform timeout (1s) - path: /auth/vendors/1/proposals"}],
        "data": None,
    }
    assert "errors" not in proposals(sandbox, "Pending")


PROFILE = "query($key: String!) { freelancerProfileByProfileKey(profileKey: $key) { %s } }"


def test_another_persons_null_name_loses_the_whole_profile_and_the_country_needs_a_scope(sandbox: Sandbox) -> None:
    key = {"key": sandbox.data.freelancers[0]["ciphertext"]}
    named = ask(sandbox, PROFILE.replace("%s", "fullName personalData { title }"), key)
    assert named["data"] is None
    error = named["errors"][0]
    assert error["extensions"]["classification"] == "NullValueInNonNullableField"
    assert "within parent type 'FreelancerProfile'" in error["message"] and error["path"][-1] == "fullName"
    country = ask(sandbox, PROFILE.replace("%s", "countryDetails { name }"), key)
    assert country["errors"][0]["extensions"]["classification"] == "ExecutionAborted"
    sandbox.faults = Faults.parse("grant=FreelancerProfile.countryDetails")
    granted = ask(sandbox, PROFILE.replace("%s", "countryDetails { name }"), key)
    assert granted["data"]["freelancerProfileByProfileKey"]["countryDetails"]["name"]


ROOMS = "query($f: RoomFilter) { roomList(filter: $f, pagination: {first: 100}) { totalCount } }"


def test_rooms_default_to_subscribed_ones_and_refuse_both_exclusive_filters(sandbox: Sandbox) -> None:
    def total(**flt: Any) -> int:
        return int(ask(sandbox, ROOMS, {"f": flt})["data"]["roomList"]["totalCount"])

    assert total() < total(subscribed_eq=False) < total(subscribed_eq=False, includeHidden_eq=True)
    assert total(subscribed_eq=False, includeHidden_eq=True) == len(sandbox.data.rooms)
    both = ask(sandbox, ROOMS, {"f": {"unreadRoomsOnly_eq": True, "activeSince_eq": "2026-10-01"}})
    assert "mutually exclusive" in both["errors"][0]["message"]


def test_stories_page_by_an_opaque_end_cursor(sandbox: Sandbox) -> None:
    room = sandbox.data.rooms[0]["id"]
    query = """query($f: RoomStoryFilter) { roomStories(filter: $f) {
      totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""

    def page(after: str | None) -> dict[str, Any]:
        pagination = {"first": 2, **({"after": after} if after else {})}
        return ask(sandbox, query, {"f": {"roomId_eq": room, "storyFilter": {"pagination": pagination}}})

    first = page(None)["data"]["roomStories"]
    second = page(first["pageInfo"]["endCursor"])["data"]["roomStories"]
    assert not first["pageInfo"]["endCursor"].isdigit() and first["pageInfo"]["hasNextPage"]
    assert second["edges"][0]["node"]["id"] == sandbox.data.stories[room][-3]["id"]
    assert "errors" in page("2")  # an offset is not a cursor


def test_vendor_contracts_answer_empty_on_an_agency_key(sandbox: Sandbox) -> None:
    query = "query($id: ID!) { vendorContracts(filter: {vendorId: $id}) { contracts { id } } }"
    user = sandbox.data.user["id"]
    assert ask(sandbox, query, {"id": user})["data"]["vendorContracts"]["contracts"]
    sandbox.faults = Faults.parse("profile=agency")
    answer = ask(sandbox, query, {"id": user})
    assert "errors" not in answer and answer["data"]["vendorContracts"]["contracts"] == []


def test_offers_keep_upworks_order_unless_a_documented_field_sorts_them(sandbox: Sandbox) -> None:
    query = """query($s: SortAttribute) { user { offer(sortAttribute: $s, pagination: {first: 50, after: "0"}) {
      edges { node { id startDateTime } } } } }"""

    def starts(sort: dict[str, str] | None) -> list[str]:
        answer = ask(sandbox, query, {"s": sort})
        return [e["node"]["startDateTime"] for e in answer["data"]["user"]["offer"]["edges"]]

    assert starts(None) == [o["startDateTime"] for o in sandbox.data.offers]
    newest = starts({"field": "StartDate", "sortOrder": "DESC"})
    assert newest == sorted(newest, reverse=True) != starts(None)
    assert (
        "sortAttribute.field"
        in ask(sandbox, query, {"s": {"field": "Newest", "sortOrder": "DESC"}})["errors"][0]["message"]
    )


def test_the_time_report_matches_the_week_worked_and_answers_dashed_dates(sandbox: Sandbox) -> None:
    query = """query($r: DateTimeRange!) { user { contractTimeReport(timeReportDate_bt: $r, pagination: {first: 500}) {
      edges { node { dateWorkedOn weekWorkedOn } } } } }"""

    def days(start: str, end: str) -> list[str]:
        answer = ask(sandbox, query, {"r": {"rangeStart": start, "rangeEnd": end}})
        return [e["node"]["dateWorkedOn"] for e in answer["data"]["user"]["contractTimeReport"]["edges"]]

    week = days("2026-10-19", "2026-10-25")
    assert week and all(d.count("-") == 2 and "2026-10-19" <= d <= "2026-10-25" for d in week)
    assert days("20261019", "20261025") == week  # both forms are taken
    assert days("2026-10-21", "2026-10-23") == []  # matched on the week worked (Monday 19th), not the day
    today = sandbox.now.date().isoformat()
    assert today not in days("2026-10-26", today)  # today's hours lag


def test_a_quoted_phrase_matches_its_words_in_order_across_punctuation(sandbox: Sandbox) -> None:
    # As a Lucene phrase query: punctuation is not indexed, so the words of "a - b" match the phrase "a b".
    job = next(j for j in sandbox.data.jobs if j["_status"] == "ACTIVE" and " - " in j["title"])
    words = job["title"].replace(" - ", " ")
    found = {
        e["node"]["id"]
        for e in search(sandbox, searchExpression_eq=f'"{words}"')["data"]["marketplaceJobPostingsSearch"]["edges"]
    }
    backwards = " ".join(reversed(words.split()))
    assert job["id"] in found
    assert job["id"] not in {
        e["node"]["id"]
        for e in search(sandbox, searchExpression_eq=f'"{backwards}"')["data"]["marketplaceJobPostingsSearch"]["edges"]
    }


def test_a_room_names_the_proposal_it_belongs_to(sandbox: Sandbox) -> None:
    query = """{ roomList(filter: {subscribed_eq: false, includeHidden_eq: true}, pagination: {first: 100}) {
      edges { node { id vendorProposal { id } offerIds } } } }"""
    nodes = [e["node"] for e in ask(sandbox, query)["data"]["roomList"]["edges"]]
    by_proposal = {n["vendorProposal"]["id"]: n["id"] for n in nodes if n["vendorProposal"]}
    assert by_proposal == sandbox.data.proposal_rooms
    assert {o for n in nodes for o in n["offerIds"] or []} == set(sandbox.data.offer_rooms)


def test_the_users_own_profile_answers_under_user_and_by_its_key(sandbox: Sandbox) -> None:
    fields = "personalData { title profileUrl } aggregates { jobSuccessScore } availability { name }"
    mine = ask(sandbox, "{ user { ciphertext freelancerProfile { " + fields + " } } }")["data"]["user"]
    key = mine["ciphertext"]
    by_key = ask(
        sandbox,
        "query($k: String!) { freelancerProfileByProfileKey(profileKey: $k) { fullName " + fields + " } }",
        {"k": key},
    )
    profile = by_key["data"]["freelancerProfileByProfileKey"]
    assert key.startswith("~01") and profile.pop("fullName") == sandbox.data.user["name"]  # one's own name reads
    assert profile == mine["freelancerProfile"] and mine["freelancerProfile"]["personalData"]["profileUrl"].endswith(
        key
    )


APPLY = """
mutation($input: CreateJobProposalInput!) { createJobProposal(input: $input) { newProposalId status error } }
"""


def application(box: Sandbox, job: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The input the facts page gives: the user's id and username, the numeric job id, the organization."""
    user, org = box.data.user, box.data.organizations[0]
    given = {
        "selectedContractor": {"id": user["id"], "oDeskUserID": user["nid"]},
        "jobReference": job["id"],
        "chargedAmount": 45.0,
        "coverLetter": "I have built this before.",
        "teamOrgId": org["id"],
        "questions": [{"question": q, "answer": f"Answer {n}"} for n, q in enumerate(job["_questions"], start=1)],
    }
    return {**given, **changes}


def open_job_with_questions(box: Sandbox, count: int = 2) -> dict[str, Any]:
    return next(
        j for j in box.data.jobs if j["_status"] == "ACTIVE" and len(j["_questions"]) == count and j["_cover_letter"]
    )


def test_applying_checks_what_upwork_checks_and_spends_connects_once(sandbox: Sandbox) -> None:
    from upwork_mcp.sandbox.applying import CONNECTS_START, connects_for

    job = open_job_with_questions(sandbox)
    user = sandbox.data.user

    def refused(**changes: Any) -> str:
        answer = ask(sandbox, APPLY, {"input": application(sandbox, job, **changes)})["data"]["createJobProposal"]
        assert answer["newProposalId"] is None
        return str(answer["error"])

    assert "username" in refused(selectedContractor={"id": user["id"], "oDeskUserID": user["rid"]})  # nid, not rid
    assert "teamOrgId" in refused(teamOrgId=user["id"])  # the organization, not the user
    assert "not found" in refused(jobReference="~02" + job["id"])  # the number, not the ciphertext
    assert "2 screening questions; 1" in refused(questions=application(sandbox, job)["questions"][:1])
    assert "not for question 1" in refused(questions=list(reversed(application(sandbox, job)["questions"])))
    assert "cover letter is required" in refused(coverLetter=" ")
    assert "greater than 0" in refused(chargedAmount=0)
    assert sandbox.connects.get(0, CONNECTS_START) == CONNECTS_START  # a refusal spends nothing

    made = ask(sandbox, APPLY, {"input": application(sandbox, job)})["data"]["createJobProposal"]
    assert made["error"] is None and made["newProposalId"]
    assert sandbox.connects[0] == CONNECTS_START - connects_for(job)
    listed = [e["node"]["id"] for e in proposals(sandbox, "Accepted")["data"]["vendorProposals"]["edges"]]
    assert made["newProposalId"] in listed
    assert "already submitted" in refused()
    assert sandbox.connects[0] == CONNECTS_START - connects_for(job)


def test_applying_needs_the_submit_proposal_permission(sandbox: Sandbox) -> None:
    sandbox.faults = Faults.parse("profile=freelancer")
    answer = ask(sandbox, APPLY, {"input": application(sandbox, open_job_with_questions(sandbox))})
    assert answer["data"] is None and "Mutation.createJobProposal" in answer["errors"][0]["message"]
    assert "permissions" in answer["errors"][0]["message"] and not sandbox.connects


def test_the_client_changes_a_proposal_writes_first_and_makes_an_offer(sandbox: Sandbox) -> None:
    from upwork_mcp.sandbox.applying import change_proposal

    job = open_job_with_questions(sandbox)
    made = ask(sandbox, APPLY, {"input": application(sandbox, job)})["data"]["createJobProposal"]["newProposalId"]
    change_proposal(sandbox, made, status="Declined", reason="Job was closed", message="Thanks, we went another way.")
    read = "query($id: ID!) { vendorProposal(id: $id) { status { status reason { reason } } } }"
    node = ask(sandbox, read, {"id": made})
    assert node["data"]["vendorProposal"]["status"] == {"status": "Declined", "reason": {"reason": "Job was closed"}}
    room = ask(sandbox, "query($id: ID!) { proposalRoom(vendorProposalId: $id) { id } }", {"id": made})
    room_id = room["data"]["proposalRoom"]["id"]
    assert sandbox.data.stories[room_id][-1]["message"] == "Thanks, we went another way."
    change_proposal(sandbox, made, offer=True)
    assert sandbox.data.offers[0]["offer"]["job"]["id"] == job["id"]
