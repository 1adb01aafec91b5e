"""Constants of the Upwork API that several layers need, as Upwork documents them."""

from typing import Literal

JOB_URL = "https://www.upwork.com/jobs/{ciphertext}"  # a job's public URL: there is no publicUrl field
PROFILE_URL = "https://www.upwork.com/freelancers/{key}"  # a profile's URL, when personalData.profileUrl is empty
TENANT_HEADER = "X-Upwork-API-TenantId"  # selects the organization when the user has several
MAX_MESSAGE_CHARS = 10_240  # Upwork's own assistant server caps a message here

# Proposal statuses as Upwork's schema spells them (VendorProposalStatusFilterInput); status_eq takes one.
PROPOSAL_STATUSES = ("Pending", "Offered", "Accepted", "Hired", "Activated", "Declined", "Withdrawn", "Archived")

# The Jobs API feed's sort orders (GET /jobs?sort=...).
FeedSort = Literal[
    "posted_on_desc", "posted_on_asc", "last_visited_desc", "last_visited_asc", "budget_desc", "budget_asc"
]
