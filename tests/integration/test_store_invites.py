"""Invite links in the store, on SQLite and PostgreSQL: used once, whoever races for them.

Several patients agree with the same link at the same instant through the real use case
(``onboarding.agree``: the patient is created and the link used in one unit of work):
exactly one patient exists afterwards, with the link's program and reference."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.core.callbacks import Action, Callback
from bot.core.clock import FakeClock
from bot.core.invites import InviteRequest
from bot.core.ui.onboarding import AgreeIn
from bot.services import invites, onboarding
from bot.services.context import Patron, Services
from bot.store import Database, Patient
from bot.store.models import Invite

T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


@pytest.fixture
async def svc(database_url: str) -> AsyncIterator[Services]:
    db = Database(database_url)
    await db.upgrade()
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    yield Services.build(db, load_content(default_content_dir()), FakeClock(T0), settings)
    await db.dispose()


async def _count(svc: Services, model: type[Patient] | type[Invite]) -> int:
    async with svc.db.unit_of_work(read_only=True) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_patients_racing_for_one_link_one_wins(svc: Services) -> None:
    token, _ = await invites.create(svc, InviteRequest("gentle-start", "R-7"), "test")
    agree = Callback(Action.AGREE, arg=AgreeIn("en", token).arg())
    replies = await asyncio.gather(
        *(onboarding.agree(svc, Patron(500 + i, 500 + i, "en"), agree) for i in range(6))
    )
    assert await _count(svc, Patient) == 1
    async with svc.db.unit_of_work(read_only=True) as uow:
        (patient,) = await uow.session.scalars(select(Patient))
        (invite,) = await uow.session.scalars(select(Invite))
    assert (patient.program_id, patient.clinic_ref) == ("gentle-start", "R-7")
    assert invite.used_by == patient.id
    refused = [r for r in replies if r.edit is not None and "already been used" in r.edit.text]
    assert len(refused) == 5


async def test_redeem_is_refused_once_used_or_expired(svc: Services) -> None:
    token, invite = await invites.create(svc, InviteRequest("lower-back"), "test")
    async with svc.db.unit_of_work() as uow:
        first = await uow.patients.add(Patient(telegram_user_id=1, chat_id=1))
        second = await uow.patients.add(Patient(telegram_user_id=2, chat_id=2))
        assert await uow.invites.redeem(invite.token_hash, first.id, T0) is not None
        assert await uow.invites.redeem(invite.token_hash, second.id, T0) is None
        await uow.commit()
    _, late = await invites.create(svc, InviteRequest("lower-back"), "test")
    after = late.expires_at + timedelta(seconds=1)
    async with svc.db.unit_of_work() as uow:
        assert await uow.invites.redeem(late.token_hash, second.id, after) is None
        assert await uow.invites.redeem(late.token_hash, second.id, T0) is not None
        await uow.commit()
    assert token  # shown once to its maker; the store has only the hash
