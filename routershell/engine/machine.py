"""The IKEv1 exchanges as one state machine: every state and every legal move, in one table.

An exchange in progress (`sa.ExchangeState`) has a kind, a role and a state (`State`). It is
created in its opening state (`OPENING`) by the side that sends the first message or answers
the peer's message 1. Every later message for it goes through `IkeEndpoint._transition`, which
looks up `(kind, role, state)` in `TRANSITIONS`, runs that entry's handler (which checks the
message and sends the answer) and moves the exchange to the entry's next state. There is no
other way to move: a message with no entry (e.g. anything but a retransmission once DONE) is
refused with an `UnexpectedMessage` event, never dropped silently. A copy of the message that
brought the exchange to its state is answered again before the lookup (retransmission).

Opening states
--------------

    kind        role        opens in   created by              message 1
    main        initiator   MM1_SENT   _start_phase1           sends HDR, SA
    main        responder   MM2_SENT   _p1_responder_start     MM1 in, sends HDR, SA
    aggressive  initiator   AM1_SENT   _start_phase1           sends HDR, SA, KE, Ni, IDii
    aggressive  responder   AM2_SENT   _p1_responder_start     AM1 in, sends SA KE Nr IDir AUTH
    quick       initiator   QM1_SENT   _quick_start            sends HDR*, HASH(1), SA, Ni ...
    quick       responder   QM2_SENT   _qm_responder_start     QM1 in, sends HDR*, HASH(2) ...

Transitions
-----------
(`auth`: the incoming message is encrypted or carries the peer's HASH/signature, so one that
fails decryption or authentication is dropped and counted and the state is kept; see
`phase1._p1_rejected` and `quick._qm_run`.)

    kind        role        state      receives             handler           sends    auth  next
    main        initiator   MM1_SENT   MM2 SA               _p1_MM1_SENT      MM3      no    MM3_SENT
    main        responder   MM2_SENT   MM3 KE Ni            _p1_MM2_SENT      MM4      no    MM4_SENT
    main        initiator   MM3_SENT   MM4 KE Nr            _p1_MM3_SENT      MM5*     no    MM5_SENT
    main        responder   MM4_SENT   MM5* IDii AUTH       _p1_MM4_SENT      MM6*     yes   done
    main        initiator   MM5_SENT   MM6* IDir AUTH       _p1_MM5_SENT      -        yes   done
    aggressive  initiator   AM1_SENT   AM2 SA KE Nr IDir    _p1_AM1_SENT      AM3      yes   done
    aggressive  responder   AM2_SENT   AM3 AUTH             _p1_AM2_SENT      -        yes   done
    quick       initiator   QM1_SENT   QM2* HASH(2) SA Nr   _qm_QM1_SENT      QM3*     yes   done
    quick       responder   QM2_SENT   QM3* HASH(3)         _qm_QM2_SENT      -        yes   done

Reaching `done` establishes the phase 1 SA (`_p1_established`) or installs the IPsec SAs
(`_qm_install`). A refused message never moves the state: a phase 1 failure abandons the SA,
a quick mode failure drops the exchange (both reported as `NegotiationFailed`).

The IKE SA itself is NEGOTIATING until its phase 1 reaches done, then ESTABLISHED (`SaState`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from .events import UnexpectedMessage

if TYPE_CHECKING:  # the mixin runs inside IkeEndpoint
    from .ike import IkeEndpoint as _Endpoint
    from .isakmp import Message
    from .sa import ExchangeState, IkeSa
else:
    _Endpoint = object


class Kind(StrEnum):
    MAIN = "main"
    AGGRESSIVE = "aggressive"
    QUICK = "quick"


class Role(StrEnum):
    INITIATOR = "initiator"
    RESPONDER = "responder"


class State(StrEnum):
    """Where an exchange stands: the last message we sent (or done)."""

    MM1_SENT = "MM1_SENT"
    MM2_SENT = "MM2_SENT"
    MM3_SENT = "MM3_SENT"
    MM4_SENT = "MM4_SENT"
    MM5_SENT = "MM5_SENT"
    AM1_SENT = "AM1_SENT"
    AM2_SENT = "AM2_SENT"
    QM1_SENT = "QM1_SENT"
    QM2_SENT = "QM2_SENT"
    DONE = "done"


class SaState(StrEnum):
    NEGOTIATING = "negotiating"
    ESTABLISHED = "established"


class Move(NamedTuple):
    receives: str
    handler: str
    sends: str
    auth: bool
    next: State


OPENING: dict[tuple[Kind, Role], State] = {
    (Kind.MAIN, Role.INITIATOR): State.MM1_SENT,
    (Kind.MAIN, Role.RESPONDER): State.MM2_SENT,
    (Kind.AGGRESSIVE, Role.INITIATOR): State.AM1_SENT,
    (Kind.AGGRESSIVE, Role.RESPONDER): State.AM2_SENT,
    (Kind.QUICK, Role.INITIATOR): State.QM1_SENT,
    (Kind.QUICK, Role.RESPONDER): State.QM2_SENT,
}

_I, _R = Role.INITIATOR, Role.RESPONDER
TRANSITIONS: dict[tuple[Kind, Role, State], Move] = {
    (Kind.MAIN, _I, State.MM1_SENT): Move("MM2 SA", "_p1_MM1_SENT", "MM3", False, State.MM3_SENT),
    (Kind.MAIN, _R, State.MM2_SENT): Move("MM3 KE Ni", "_p1_MM2_SENT", "MM4", False,
                                          State.MM4_SENT),
    (Kind.MAIN, _I, State.MM3_SENT): Move("MM4 KE Nr", "_p1_MM3_SENT", "MM5*", False,
                                          State.MM5_SENT),
    (Kind.MAIN, _R, State.MM4_SENT): Move("MM5* IDii AUTH", "_p1_MM4_SENT", "MM6*", True,
                                          State.DONE),
    (Kind.MAIN, _I, State.MM5_SENT): Move("MM6* IDir AUTH", "_p1_MM5_SENT", "-", True,
                                          State.DONE),
    (Kind.AGGRESSIVE, _I, State.AM1_SENT): Move("AM2 SA KE Nr IDir", "_p1_AM1_SENT", "AM3", True,
                                                State.DONE),
    (Kind.AGGRESSIVE, _R, State.AM2_SENT): Move("AM3 AUTH", "_p1_AM2_SENT", "-", True,
                                                State.DONE),
    (Kind.QUICK, _I, State.QM1_SENT): Move("QM2* HASH(2) SA Nr", "_qm_QM1_SENT", "QM3*", True,
                                           State.DONE),
    (Kind.QUICK, _R, State.QM2_SENT): Move("QM3* HASH(3)", "_qm_QM2_SENT", "-", True,
                                           State.DONE),
}


# The same tables keyed by plain strings (an exchange's kind, role and state are compared as
# str): every message looks its move up here without making three enum members first.
_OPENING: dict[tuple[str, str], State] = {(str(k), str(r)): s for (k, r), s in OPENING.items()}
_MOVES: dict[tuple[str, str, str], tuple[Move, bool]] = {
    (str(k), str(r), str(s)): (m, k == Kind.QUICK) for (k, r, s), m in TRANSITIONS.items()}


def opening(kind: str, role: str) -> State:
    """The state an exchange of `kind` starts in for `role`."""
    state = _OPENING.get((kind, role))
    if state is None:
        return OPENING[(Kind(kind), Role(role))]  # the enum's own error for a bad name
    return state


def move_for(kind: str, role: str, state: str) -> Move | None:
    """The table entry for a message arriving in this exchange, None = an illegal move."""
    entry = _MOVES.get((kind, role, state))
    return None if entry is None else entry[0]


class MachineMixin(_Endpoint):
    """`_transition`: the one place an exchange changes state on a received message."""

    def _transition(self, sa: IkeSa, ex: ExchangeState, msg: Message, data: bytes,
                    now: float) -> None:
        before = ex.state
        entry = _MOVES.get((ex.kind, ex.role, before))
        if entry is None:
            self._refuse(sa, ex, "no transition")
            return
        move, quick = entry
        run = self._qm_run if quick else self._p1_run
        if run(getattr(self, move.handler), move, sa, ex, msg, data, now):
            # handlers build and send; only the table moves the state (done may be reached
            # early by _finish_exchange on the way)
            if ex.state != before and ex.state != move.next:
                raise AssertionError(f"{move.handler} moved {ex.kind} to {ex.state}")
            ex.state = move.next

    def _refuse(self, sa: IkeSa, ex: ExchangeState | None, why: str) -> None:
        """A message the table has no move for: counted and reported, the state unchanged."""
        self.stats.unexpected += 1
        if ex is None:
            self._event(UnexpectedMessage(sa.peer, 1, "", sa.role, "", why))
        else:
            phase = 2 if ex.kind == Kind.QUICK else 1
            self._event(UnexpectedMessage(sa.peer, phase, str(ex.kind), str(ex.role),
                                          str(ex.state), why))


__all__ = ["Kind", "MachineMixin", "Move", "OPENING", "Role", "SaState", "State", "TRANSITIONS",
           "move_for", "opening"]
