"""Read the Lustre HSM action streams from Python.

The public surface of the Python version (0.3) of this project, on the C++ consumer library:
the same ``StreamReader``, ``discover_streams()``, ``events()`` and ``StreamEvent``, so
consumers written for it run unchanged, plus what the C++ reader adds: the live state (counts
by (mdt, action, status), the oldest live action) and the reader's statistics.

Example::

    from lustre_hsm_action_stream.consumer import StreamReader

    reader = StreamReader(host='localhost', port=6379, db=1, prefix='hsm:actions')
    for event in reader.events():
        if event.data.get('status') == 'FAILED':
            print(f"ALERT: {event.data.get('action')} failed on {event.data.get('mdt')}!")

Differences from the Python version, all on purpose:

- Entries whose ``data`` is not a JSON object with ``event_type`` and ``mdt`` (and the record
  indices or an ``action_key``) are skipped with a warning, never yielded.
- A stream created after ``events()`` started is read from its first entry, so its first
  events are not lost between two discoveries.
- Ctrl+C inside ``events()`` raises ``KeyboardInterrupt`` (the Python version ended the
  generator silently).
- Logs of the native reader go to stderr; their level follows the ``lustre_hsm_action_stream``
  logger's effective level when ``events()`` or ``discover_streams()`` starts.
"""

import collections
import logging
import math
import typing

from . import _consumer

__all__ = ["StreamEvent", "StreamReader", "LiveState", "ReaderStats"]

_log = logging.getLogger("lustre_hsm_action_stream")

#: One stream entry: ``stream`` (``"hsm:actions:elm-MDT0003"``), ``id`` (the Redis entry ID,
#: ``"<ms>-<seq>"``) and ``data`` (the entry's JSON object as a dict of Python values).
StreamEvent = collections.namedtuple("StreamEvent", ["stream", "id", "data"])


class LiveState(typing.NamedTuple):
    """The live HSM actions, rebuilt from the events one ``events()`` generator delivered.

    A record is live from its NEW (or first UPDATE) until its PURGED; it is identified by
    ``(mdt, cat_idx, rec_idx)``.
    """

    #: Number of live actions.
    live: int
    #: Live actions by ``(mdt, action, status)``; combinations at zero are left out.
    counts: typing.Dict[typing.Tuple[str, str, str], int]
    #: When the oldest live action was first seen, Unix time in milliseconds; None if none.
    oldest_live_ms: typing.Optional[int]
    #: Events applied so far.
    events_applied: int
    #: PURGED events for records that were not live (their NEW trimmed away, or repeated).
    unmatched_purges: int
    #: ID of the newest entry applied (``"<ms>-<seq>"``, ms on the Redis clock); None if none.
    last_id: typing.Optional[str]


class ReaderStats(typing.NamedTuple):
    """Counters of one ``events()`` generator's reader since it started."""

    #: Stream entries received from Redis.
    entries: int
    #: Valid events decoded (those yielded, plus any whose JSON Python could not read).
    events: int
    #: Entries skipped: not JSON, or lacking keys (each logged, the first ten, then 1 in 10,000).
    skipped: int
    #: Successful connections after the first one.
    reconnects: int
    #: Stream discoveries (SCAN passes) completed.
    discoveries: int
    #: Events yielded to Python.
    delivered: int
    #: Whether the reader is connected to Redis now.
    connected: bool
    #: Whether every stream has been read up to where it ended when discovered.
    caught_up: bool


# redis-py keyword arguments, and what becomes of them. Anything else is a TypeError, so a
# typo never silently does nothing.
_HONOURED = {"username", "password", "socket_timeout", "socket_connect_timeout"}
# Behaviours the reader always has (reconnection with capped backoff, keep-alive by hiredis),
# and redis-py's text settings, which the reader does not need (it returns str): accepted so
# existing consumers run, ignored.
_ACCEPTED = {"socket_keepalive", "socket_keepalive_options", "health_check_interval",
             "retry_on_timeout", "retry_on_error", "retry", "encoding", "encoding_errors",
             "client_name", "single_connection_client"}
_UNSUPPORTED = {"ssl", "ssl_keyfile", "ssl_certfile", "ssl_cert_reqs", "ssl_ca_certs",
                "ssl_ca_path", "ssl_ca_data", "ssl_check_hostname", "unix_socket_path",
                "connection_pool"}
_DEFAULT_CONNECT_TIMEOUT = 2.0   # seconds; the C++ tools' value
_DEFAULT_IO_TIMEOUT = 10.0       # seconds; longest wait for a reply other than XREAD's block


def _seconds(name, value, default):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"StreamReader(): {name} must be a number of seconds, not {type(value).__name__}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"StreamReader(): {name} must be a positive number of seconds, not {value!r}")
    return float(value)


def _integer(name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"StreamReader(): {name} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"StreamReader(): {name} must be between {low} and {high}, not {value}")
    return value


def _text(name, value):
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not isinstance(value, str):
        raise TypeError(f"StreamReader(): {name} must be a str, not {type(value).__name__}")
    return value


class StreamReader:
    """Discovers every ``<prefix>:*`` stream and reads them all, reconnecting as needed.

    Args:
        host: Redis server host name or address.
        port: Redis server TCP port.
        db: Redis database number (the shipper's default is 1).
        prefix: Streams read are ``<prefix>:<mdt>``, found with ``SCAN MATCH <prefix>:*``.
        discovery_interval: Seconds between scans for streams created after the start.
        **redis_kwargs: redis-py connection arguments. Used: ``username``, ``password``,
            ``socket_timeout`` (seconds: longest wait for a reply, default 10),
            ``socket_connect_timeout`` (seconds, default 2). Accepted and ignored, since the
            reader always reconnects with backoff: ``socket_keepalive``,
            ``health_check_interval``, ``retry_on_timeout``, ``retry``, ``encoding``, ...
            Anything else raises TypeError; ``ssl``/``unix_socket_path`` are not supported.

    A StreamReader is not shared between threads; each ``events()`` generator has its own
    connection and position, and one thread iterates it at a time.
    """

    def __init__(self, host="localhost", port=6379, db=1, prefix="hsm:actions",
                 discovery_interval=60, **redis_kwargs):
        for key in redis_kwargs:
            if key in _UNSUPPORTED:
                raise TypeError(f"StreamReader(): redis keyword argument {key!r} is not supported "
                                "by this implementation (plain TCP only)")
            if key not in _HONOURED and key not in _ACCEPTED:
                raise TypeError(f"StreamReader() got an unexpected keyword argument {key!r}")
        self.prefix = _text("prefix", prefix)
        if not self.prefix:
            raise ValueError("StreamReader(): prefix must not be empty")
        self.discovery_interval = _seconds("discovery_interval", discovery_interval, 60.0)
        username = redis_kwargs.get("username")
        password = redis_kwargs.get("password")
        #: The connection settings, as the Python version kept them (password included).
        self.redis_config = {"host": _text("host", host), "port": _integer("port", port, 1, 65535),
                             "db": _integer("db", db, 0, 2**31 - 1), **redis_kwargs}
        self._options = {
            "host": self.redis_config["host"], "port": port, "db": db, "prefix": self.prefix,
            "username": "" if username is None else _text("username", username),
            "password": "" if password is None else _text("password", password),
            "discovery_interval": self.discovery_interval,
            "connect_timeout": _seconds("socket_connect_timeout",
                                        redis_kwargs.get("socket_connect_timeout"),
                                        _DEFAULT_CONNECT_TIMEOUT),
            "io_timeout": _seconds("socket_timeout", redis_kwargs.get("socket_timeout"),
                                   _DEFAULT_IO_TIMEOUT),
        }
        self._discovered = []
        self._current = None  # the native reader of the newest events() generator

    def __repr__(self):
        c = self.redis_config
        return f"StreamReader(host={c['host']!r}, port={c['port']}, db={c['db']}, prefix={self.prefix!r})"

    @property
    def streams(self) -> typing.List[str]:
        """Names of the streams found by the newest discovery, sorted."""
        if self._current is not None:
            return sorted(s["name"] for s in self._current.streams())
        return list(self._discovered)

    @property
    def is_connected(self) -> bool:
        """Whether the newest ``events()`` generator's reader is connected to Redis now."""
        return self._current is not None and self._current.connected()

    def discover_streams(self) -> typing.List[str]:
        """Scans Redis for streams matching ``<prefix>:*`` and returns their names, sorted.

        Waits (retrying with backoff, Ctrl+C raises KeyboardInterrupt) until Redis answers.
        """
        _consumer.set_log_level(_log.getEffectiveLevel())
        self._discovered = _consumer.discover(self._options)
        return list(self._discovered)

    def events(self, from_beginning: bool = False,
               block_ms: int = 0) -> typing.Iterator[typing.Optional[StreamEvent]]:
        """Yields the events of every matching stream, following them forever.

        Args:
            from_beginning: True replays every entry still in the streams first; False
                (default) yields only entries added after the streams are first discovered.
            block_ms: 0 (default) waits as long as it takes for the next event. A positive
                value yields ``None`` each time that many milliseconds pass with nothing new:
                after a replay, the first ``None`` means the history has been read.

        Yields:
            ``StreamEvent(stream, id, data)``, or ``None`` (only when ``block_ms > 0``).

        Streams created later are found within ``discovery_interval`` and read from their
        first entry. A lost connection is retried with backoff (1 s doubling up to 30 s); the
        reader resumes after the last entry it read, so nothing is lost or repeated. The
        generator's reader connects on the first ``next()``.
        """
        if isinstance(block_ms, bool) or not isinstance(block_ms, int):
            raise TypeError(f"events(): block_ms must be an int, not {type(block_ms).__name__}")
        if block_ms < 0:
            raise ValueError(f"events(): block_ms must be >= 0, not {block_ms}")
        return self._events(bool(from_beginning), block_ms)

    def _events(self, from_beginning, block_ms):
        _consumer.set_log_level(_log.getEffectiveLevel())
        native = _consumer._EventIterator(self._options, from_beginning, block_ms, StreamEvent)
        self._current = native
        yield from native

    def live_state(self) -> LiveState:
        """The live actions rebuilt from the events the newest ``events()`` generator yielded."""
        if self._current is None:
            return LiveState(0, {}, None, 0, 0, None)
        return LiveState(*self._current.live_state())

    def stats(self) -> ReaderStats:
        """Counters of the newest ``events()`` generator's reader (all zero before one runs)."""
        if self._current is None:
            return ReaderStats(0, 0, 0, 0, 0, 0, False, False)
        s = self._current.stats()
        # Entries the C++ decoder accepted but whose JSON Python cannot read either (an invalid
        # escape in a field the decoder skips) are skipped too, and counted with the rest.
        return ReaderStats(s["entries"], s["events"], s["skipped"] + s["undecodable"], s["reconnects"],
                           s["discoveries"], s["delivered"], s["connected"], s["caught_up"])
