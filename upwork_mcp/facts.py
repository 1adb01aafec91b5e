"""Constants of the Upwork API that several layers need (see shared/upwork-api-facts.md)."""

JOB_URL = "https://www.upwork.com/jobs/{ciphertext}"  # a job's public URL: there is no publicUrl field
MAX_MESSAGE_CHARS = 10_240  # Upwork's own assistant server caps a message here
