"""The exchange state machine (engine/machine.py): one table, documented in one place, and a
single `_transition` that refuses what the table does not allow with an event."""

from __future__ import annotations

import re

from routershell.engine import machine
from routershell.engine.events import Phase2Up, UnexpectedMessage
from routershell.engine.ike import IkeEndpoint
from routershell.engine.machine import OPENING, TRANSITIONS, Kind, Role, State

from .helpers import A, B, make_pair, up


def _doc_rows() -> list[list[str]]:
    return [line.split() for line in (machine.__doc__ or "").splitlines()
            if line.startswith("    ") and line.split()[0] in {k.value for k in Kind}]


def test_the_module_docstring_shows_every_move_and_opening_state():
    rows = _doc_rows()
    for (kind, role, state), move in TRANSITIONS.items():
        want = [kind.value, role.value, state.value, *move.receives.split(), move.handler,
                move.sends, "yes" if move.auth else "no", move.next.value]
        assert want in rows, want
    for (kind, role), state in OPENING.items():
        assert any(r[:3] == [kind.value, role.value, state.value] for r in rows), (kind, role)
    assert len(rows) == len(TRANSITIONS) + len(OPENING)  # nothing documented that is not real


def test_every_handler_exists_and_every_state_is_reachable():
    for move in TRANSITIONS.values():
        assert callable(getattr(IkeEndpoint, move.handler))
    reached = set(OPENING.values()) | {m.next for m in TRANSITIONS.values()}
    assert reached == set(State)
    # a move is keyed by role too: no responder handler runs for an initiator
    for kind, role, state in TRANSITIONS:
        assert (kind, Role.RESPONDER if role == Role.INITIATOR else Role.INITIATOR,
                state) not in TRANSITIONS


def _unexpected(ep):
    return [e for e in iter(ep.next_event, None) if isinstance(e, UnexpectedMessage)]


def test_a_new_message_for_a_finished_quick_mode_is_refused_with_an_event():
    pair = up(make_pair())
    (ex,) = [e for sa in pair.b.sadb.ike.values() for e in sa.exchanges.values()]
    assert ex.state == State.DONE
    qm3 = [d for *_, d in pair.log][-1]
    forged = qm3[:-1] + bytes([qm3[-1] ^ 1])  # not a retransmission: different bytes
    pair.b.receive(forged, A, 0.5)
    (ev,) = _unexpected(pair.b)
    assert (ev.phase, ev.exchange, ev.role, ev.state) == (2, "quick", "responder", "done")
    assert pair.b.stats.unexpected == 1
    pair.b.receive(qm3, A, 0.6)  # the genuine retransmission stays quiet
    assert not _unexpected(pair.b) and not pair.b.datagrams_to_send()


def test_a_state_without_a_move_for_this_role_is_refused_not_run():
    """Dispatch used to be getattr(self, f"_p1_{state}"): an initiator whose exchange sat in a
    responder state ran the responder's handler. The table is keyed by role."""
    pair = make_pair()
    pair.a.initiate(B, 0.0, "vpn")
    ((mm1, _),) = pair.a.datagrams_to_send()
    pair.b.receive(mm1, A, 0.0)
    ((mm2, _),) = pair.b.datagrams_to_send()
    (sa,) = pair.a.sadb.ike.values()
    sa.p1.state = State.MM2_SENT  # the responder's state, on the initiator
    pair.a.receive(mm2, B, 0.1)
    (ev,) = _unexpected(pair.a)
    assert (ev.exchange, ev.role, ev.state) == ("main", "initiator", "MM2_SENT")
    assert not pair.a.datagrams_to_send()


def test_phase_1_message_after_phase_1_state_is_gone_is_refused():
    pair = up(make_pair())
    pair.advance(60)  # the finished phase 1 exchange is purged
    (sa,) = [s for s in pair.b.sadb.ike.values()]
    assert sa.p1 is None
    mm5 = pair.log[4][3]
    pair.b.receive(mm5, A, pair.now)
    (ev,) = _unexpected(pair.b)
    assert ev.phase == 1 and "finished" in ev.reason
    assert pair.all_events("a", Phase2Up)


def test_exchange_states_are_enum_members():
    pair = up(make_pair())
    (sa,) = pair.a.sadb.ike.values()
    assert sa.state == machine.SaState.ESTABLISHED == "established"
    assert isinstance(sa.p1.state, State) and sa.p1.state is State.DONE
    assert re.fullmatch(r"[0-9a-f]{16}:[0-9a-f]{16}", sa.ident)
