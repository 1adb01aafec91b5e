"""Constants of the Upwork API that several layers need, as Upwork documents them."""

JOB_URL = "https://www.upwork.com/jobs/{ciphertext}"  # a job's public URL: there is no publicUrl field
TENANT_HEADER = "X-Upwork-API-TenantId"  # selects the organization when the user has several
MAX_MESSAGE_CHARS = 10_240  # Upwork's own assistant server caps a message here

# Proposal statuses as Upwork's schema spells them (VendorProposalStatusFilterInput); status_eq takes one.
PROPOSAL_STATUSES = ("Pending", "Offered", "Accepted", "Hired", "Activated", "Declined", "Withdrawn", "Archived")
