"""The ListenBrainz settings: whether listens go out, where to, and the sender's pace.

Apart from the code that uses them so the settings dialog and ``encore play`` can read and save them
without the sender's machinery; the rules the numbers feed are in ``player.listenbrainz.sender``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from player.store import Store
from player.store.saved_settings import load_settings, save_settings

STATE_KEY = "settings.listenbrainz"
DEFAULT_API_ROOT = "https://api.listenbrainz.org"
#: ListenBrainz takes at most this many listens in one request (its MAX_LISTENS_PER_REQUEST).
SERVER_MAX_BATCH = 1000


@dataclass
class ListenBrainzSettings:
    """Whether and where listens go, and the sender's pace (the rules are in ``player.listenbrainz.sender``).

    Persisted as JSON in the ``state`` table like ``PlaybackSettings``; the token stays on this machine,
    in the database, and is never logged (``repr`` leaves it out).
    """

    #: Send listens and "playing now" (opt-in: off until the user turns it on).
    enabled: bool = False
    #: The user token from https://listenbrainz.org/settings/ (sent as ``Authorization: Token …``).
    token: str = field(default="", repr=False)
    #: The API's root: the public server, or a self-hosted one.
    api_root: str = DEFAULT_API_ROOT
    #: Listens per request at most (1 … ``SERVER_MAX_BATCH``).
    batch_size: int = 50
    #: Seconds to wait for the server to connect, and then for each part of its answer.
    timeout_s: float = 5.0
    #: After a failed attempt (5xx, timeout, no connection), wait base × 2^(attempts − 1), at most the cap.
    backoff_base_s: float = 30.0
    backoff_cap_s: float = 3600.0
    #: The sender looks for listens queued by another process (``encore play``) at least this often.
    poll_interval_s: float = 60.0
    #: ``encore play`` waits at most this long at exit for its listens to go out; the rest stays queued.
    exit_flush_s: float = 3.0

    def __post_init__(self) -> None:
        self.enabled = bool(self.enabled)
        self.token = str(self.token or "").strip()
        self.api_root = str(self.api_root or DEFAULT_API_ROOT).strip().rstrip("/") or DEFAULT_API_ROOT
        self.batch_size = min(max(int(self.batch_size), 1), SERVER_MAX_BATCH)
        self.timeout_s = max(float(self.timeout_s), 0.01)
        self.backoff_base_s = max(float(self.backoff_base_s), 0.0)
        self.backoff_cap_s = max(float(self.backoff_cap_s), self.backoff_base_s)
        self.poll_interval_s = max(float(self.poll_interval_s), 0.01)
        self.exit_flush_s = max(float(self.exit_flush_s), 0.0)

    @property
    def active(self) -> bool:
        """On, with a token to send under."""
        return self.enabled and bool(self.token)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1 = the first)."""
        exponent = min(max(attempts, 1) - 1, 60)
        return min(self.backoff_base_s * 2.0**exponent, self.backoff_cap_s)

    @classmethod
    def load(cls, store: Store) -> ListenBrainzSettings:
        """The saved settings (defaults, that is off, where none are saved or they are damaged)."""
        return load_settings(store, STATE_KEY, cls)

    def save(self, store: Store) -> None:
        save_settings(store, STATE_KEY, self)
