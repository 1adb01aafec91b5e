"""The approval life cycle of a write: records and their state machine, in the store so every process
of the same user agrees. (The page a person approves on is `server/approval_page.py`; the flow a write
tool follows is `tools/_confirm.py`.)

A write that could not be confirmed in the client gets an approval record bound to the digest of its
exact payload, in one of two modes:

- human (the default): the record starts `pending`; a person approves it out of band (the client asks
  them; the approval page, from a browser paired in a terminal or, on a team server, signed in as the
  person who asked; or `upwork-mcp approve ID` in a terminal). The model holds only its id, which sends
  nothing until a person said yes.
- token (`UPWORK_WRITE_APPROVAL=token`, for unattended agents): the record starts `approved` and the
  model gets a signed token; holding it is the approval.

Redeeming moves the record `approved -> sending` (compare-and-set: one caller wins), and the write's
outcome settles it: `sent`; back to `approved` when Upwork refused before processing (the approval
stays usable); or `unknown` when the connection broke after sending (check, never resend blindly).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio.to_thread

from .errors import ConfirmationRequired
from .store import Approval, Store

__all__ = [
    "Approval",
    "ApprovalError",
    "Approvals",
    "AsyncApprovals",
    "Reservation",
    "Ticket",
    "digest",
    "owner_of",
]

PREFIX = "confirm_"
KEY_NAME = "confirmation-signing-key"
SENDING_STALE = 300.0  # a `sending` record this old belongs to a process that died mid-write

Outcome = Literal["sent", "refused", "unknown"]


class ApprovalError(ConfirmationRequired):
    """The approval can't be used for this payload; the message says which case it is and what to do.
    `settled`: the write it approved already happened, or may have: the caller should say how to check."""

    def __init__(self, message: str, *, settled: bool = False) -> None:
        super().__init__(message)
        self.settled = settled


@dataclass(frozen=True)
class Reservation:
    """An approval held by one write while it is being made: settle it with the write's outcome."""

    id: str


@dataclass(frozen=True)
class Ticket:
    id: str
    mode: str
    expires_in: int
    token: str | None  # token mode: what the model sends back; human mode: None
    page_key: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def owner_of(record: Approval) -> str | None:
    """The team member a write was asked for (the payload binds them), or None with one login."""
    owner = json.loads(record.payload).get("as_user")
    return str(owner) if owner else None


def digest(kind: str, payload: Any) -> str:
    blob = json.dumps([kind, payload], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class Approvals:
    def __init__(
        self,
        store: Store,
        *,
        ttl: float = 600.0,
        clock: Callable[[], float] = time.time,
        command: Callable[[str], str] | None = None,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self._clock = clock
        self._command = command  # the terminal command that approves one, as the surface prints it
        self._key: bytes | None = None

    def _signing_key(self) -> bytes:
        if self._key is None:
            self._key = self.store.secret(KEY_NAME, lambda: secrets.token_bytes(32))
        return self._key

    def _mac(self, approval_id: str, expires: float, payload_digest: str) -> str:
        message = f"{approval_id}|{expires!r}|{payload_digest}".encode()
        return _b64(hmac.new(self._signing_key(), message, hashlib.sha256).digest()[:18])

    # -- issuing ---------------------------------------------------------------------------------------

    def issue(self, kind: str, payload: dict[str, Any], *, human: bool) -> Ticket:
        now = self._clock()
        # Hex, never base64: an id a person pastes after `upwork-mcp approve` must not start with "-" (an option).
        approval_id = secrets.token_hex(8)
        expires = now + self.ttl
        payload_digest = digest(kind, payload)
        record = Approval(
            id=approval_id,
            kind=kind,
            digest=payload_digest,
            payload=json.dumps(payload, ensure_ascii=False),
            mode="human" if human else "token",
            state="pending" if human else "approved",
            page_key=_b64(secrets.token_bytes(18)),
            created=now,
            expires=expires,
            updated=now,
        )
        self.store.add_approval(record)
        token = None if human else f"{PREFIX}{approval_id}.{self._mac(approval_id, expires, payload_digest)}"
        return Ticket(id=approval_id, mode=record.mode, expires_in=int(self.ttl), token=token, page_key=record.page_key)

    # -- redeeming -------------------------------------------------------------------------------------

    def redeem(self, kind: str, payload: dict[str, Any], token: str) -> Reservation:
        """Reserve the approval `token` names for exactly this payload, or raise ApprovalError."""
        payload_digest = digest(kind, payload)
        if token.startswith(PREFIX):
            approval_id, _, mac = token.removeprefix(PREFIX).partition(".")
            record = self.store.approval(approval_id) if approval_id and mac else None
            if record is None:
                if approval_id and mac:
                    raise ApprovalError(
                        "That confirmation token was signed by another installation of upwork-mcp (a different "
                        "data directory), or has long expired. Call again without confirmation_token for a new "
                        "preview."
                    )
                raise ApprovalError(
                    "That is not a confirmation token this server issued. Call again without "
                    "confirmation_token to get a preview, and show it to the user."
                )
            if not hmac.compare_digest(mac, self._mac(record.id, record.expires, record.digest)):
                raise ApprovalError(
                    "That confirmation token was signed by another installation of upwork-mcp; "
                    "call again without confirmation_token for a new preview."
                )
        else:
            record = self.store.approval(token)
            if record is None or record.mode != "human":
                raise ApprovalError(
                    "That is not an approval id or confirmation token this server issued. Call "
                    "again without confirmation_token to get a preview."
                )
        if record.kind != kind or record.digest != payload_digest:
            raise ApprovalError(
                "The approval is for a different payload: the text or target changed since "
                "the preview. Call again without confirmation_token to preview exactly what "
                "will be sent."
            )
        self._check_state(record)
        if not self.store.move_approval(record.id, ("approved",), "sending"):
            fresh = self.store.approval(record.id)
            self._check_state(fresh or record, racing=True)
        return Reservation(record.id)

    def _check_state(self, record: Approval, *, racing: bool = False) -> None:
        now = self._clock()
        if record.state == "sent":
            raise ApprovalError(
                "That approval was already used: the write went through once and will not be "
                "repeated. Check what arrived before writing again.",
                settled=True,
            )
        if record.state == "unknown" or (record.state == "sending" and now - record.updated > SENDING_STALE):
            raise ApprovalError(
                "The earlier attempt with this approval may or may not have reached Upwork (the "
                "connection broke after sending). Check what arrived before writing again; it will not be "
                "resent blindly.",
                settled=True,
            )
        if record.state == "sending":
            raise ApprovalError("This approval is being used by another call right now; wait for its result.")
        if record.expires <= now:
            raise ApprovalError("That approval expired. Call again without confirmation_token for a new preview.")
        if record.state == "declined":
            raise ApprovalError("The user declined this write; nothing was sent.")
        if record.state == "pending":
            command = self._command(record.id) if self._command and not owner_of(record) else None
            how = f"the approval page or `{command}`" if command else "the approval page"
            raise ApprovalError(
                f"Not approved yet: the user has to approve it first ({how}, as the preview said). Nothing was sent."
            )
        if racing:
            raise ApprovalError("This approval changed while it was being used; call again.")

    def settle(self, reservation: Reservation, outcome: Outcome, result: str | None = None) -> None:
        """Record how the write went: `refused` gives the approval back for a retry."""
        target = {"sent": "sent", "refused": "approved", "unknown": "unknown"}[outcome]
        self.store.move_approval(reservation.id, ("sending",), target, result=result)

    # -- the human step --------------------------------------------------------------------------------

    def pending(self, owner: str | None = None) -> list[Approval]:
        """The writes waiting for `owner` (None: the one login's, never a team member's)."""
        return [r for r in self.store.approvals(("pending",)) if owner_of(r) == owner]

    def waiting(self, approval_id: str, owner: str | None = None) -> Approval | None:
        """The human approval `approval_id` if it is `owner`'s; None for anyone else's, so that nothing tells
        one person whether another's exists."""
        record = self.store.approval(approval_id)
        if record is None or record.mode != "human" or owner_of(record) != owner:
            return None
        return record

    def decide(self, approval_id: str, approve: bool, *, owner: str | None = None) -> Approval:
        """A person's answer, from the client, the approval page or the terminal; only `owner` may give it."""
        record = self.waiting(approval_id, owner)
        if record is None:
            raise ApprovalError(f"No approval {approval_id!r} is waiting.")
        if record.expires <= self._clock():
            raise ApprovalError("That approval expired; ask for a new preview.")
        if not self.store.move_approval(approval_id, ("pending",), "approved" if approve else "declined"):
            raise ApprovalError(f"That approval was already answered ({record.state}).")
        return record


class AsyncApprovals:
    """The same, for async callers: every store call runs in a worker thread."""

    def __init__(self, inner: Approvals) -> None:
        self.inner = inner
        self.ttl = inner.ttl

    async def issue(self, kind: str, payload: dict[str, Any], *, human: bool) -> Ticket:
        return await anyio.to_thread.run_sync(lambda: self.inner.issue(kind, payload, human=human))

    async def redeem(self, kind: str, payload: dict[str, Any], token: str) -> Reservation:
        return await anyio.to_thread.run_sync(self.inner.redeem, kind, payload, token)

    async def settle(self, reservation: Reservation, outcome: Outcome, result: str | None = None) -> None:
        await anyio.to_thread.run_sync(self.inner.settle, reservation, outcome, result)

    async def decide(self, approval_id: str, approve: bool, *, owner: str | None = None) -> Approval:
        return await anyio.to_thread.run_sync(lambda: self.inner.decide(approval_id, approve, owner=owner))

    async def state(self, approval_id: str) -> str | None:
        record = await anyio.to_thread.run_sync(self.inner.store.approval, approval_id)
        return record.state if record else None

    async def ticket(self, approval_id: str) -> Ticket:
        """The ticket of a human approval issued earlier (what a preview shows of it)."""
        record = await anyio.to_thread.run_sync(self.inner.store.approval, approval_id)
        if record is None:
            raise ApprovalError("That approval is gone; call again without confirmation_token for a new preview.")
        left = max(0, int(record.expires - self.inner._clock()))
        return Ticket(id=record.id, mode=record.mode, expires_in=left, token=None, page_key=record.page_key)
