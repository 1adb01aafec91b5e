"""The seeded records as Upwork's other operations shape them (one job, the work history)."""

from __future__ import annotations

from typing import Any


def posting(job: dict[str, Any]) -> dict[str, Any]:
    """A job as Upwork's one-job query (`MarketplaceJobPosting`) shapes it."""
    duration = {"id": job["duration"], "label": job["durationLabel"], "weeks": job["_weeks"]}
    hourly = (
        None
        if job["_fixed"]
        else {
            "hourlyBudgetMin": float(job["hourlyBudgetMin"]["rawValue"]),
            "hourlyBudgetMax": float(job["hourlyBudgetMax"]["rawValue"]),
            "engagementDuration": duration,
            "engagementType": job["_workload"],
        }
    )
    fixed = {"amount": job["amount"], "engagementDuration": duration} if job["_fixed"] else None
    location = job["client"]["location"]
    return {
        "id": job["id"],
        "content": {"title": job["title"], "description": job["description"]},
        "workFlowState": {"status": job["_status"]},
        "classification": {
            "category": {"id": job["_category_id"], "preferredLabel": job["category"]},
            "subCategory": {"id": job["_subcategory_id"], "preferredLabel": job["subcategory"]},
        },
        "contractTerms": {
            "contractType": "FIXED" if job["_fixed"] else "HOURLY",
            "personsToHire": job["freelancersToHire"],
            "experienceLevel": job["_level"],
            "hourlyContractTerms": hourly,
            "fixedPriceContractTerms": fixed,
        },
        "contractorSelection": {
            "proposalRequirement": {
                "coverLetterRequired": job["_cover_letter"],
                "screeningQuestions": [
                    {"question": q, "sequenceNumber": i + 1} for i, q in enumerate(job["_questions"])
                ],
            },
            "qualification": {
                "englishProficiency": "ANY",
                "risingTalent": True,
                "hasPortfolio": False,
                "jobSuccessScore": None,
                "hoursWorked": None,
            },
        },
        "clientCompanyPublic": {
            "id": job["_client_key"],
            "country": {"name": location["country"], "twoLetterAbbreviation": job["_client_country_code"]},
            "city": location["city"],
            "timezone": location["timezone"],
            "paymentVerification": {"paymentVerified": job["client"]["verificationStatus"] == "VERIFIED"},
        },
        "activityStat": {
            "jobActivity": {
                "invitesSent": job["_invites"],
                "totalHired": job["_hired"],
                "totalInvitedToInterview": job["_interviewing"],
                "totalOffered": job["_hired"],
                "lastClientActivity": job["_last_activity"],
            }
        },
    }


def work_history(contract: dict[str, Any]) -> dict[str, Any]:
    """A contract as `talentWorkHistory` shapes it for the freelancer."""
    fixed = contract["_fixed"]
    return {
        "contract": {
            "id": contract["id"],
            "title": contract["title"],
            "status": contract["status"],
            "startDate": contract["startDate"],
            "endDate": contract["endDate"],
            "createDate": contract["createDate"],
            "clientOrgId": contract["clientOrganization"]["id"],
            "terms": {
                "jobType": "FIXED" if fixed else "HOURLY",
                "hourlyRate": None if fixed else f"{contract['_rate']:.2f}",
                "fixedAmount": f"{contract['_amount']:.2f}" if fixed else None,
            },
        },
        "contractAggregate": {"totalCharge": contract.get("_charged", "0.00"), "hours": contract.get("_hours", "0")},
        "feedback": contract.get("_feedback"),
    }
