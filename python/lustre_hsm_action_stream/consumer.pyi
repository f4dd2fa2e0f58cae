# Type stubs for lustre_hsm_action_stream.consumer (units in the comments; see consumer.py).
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

class StreamEvent(NamedTuple):
    stream: str            # "hsm:actions:elm-MDT0003"
    id: str                # Redis entry ID "<ms>-<seq>", ms on the Redis server's clock
    data: Dict[str, Any]   # the entry's JSON object; ints, strs, floats, bools, None, lists, dicts

class LiveState(NamedTuple):
    live: int                                    # live actions
    counts: Dict[Tuple[str, str, str], int]      # (mdt, action, status) -> live actions
    oldest_live_ms: Optional[int]                # Unix ms the oldest live action was first seen
    events_applied: int
    unmatched_purges: int
    last_id: Optional[str]                       # newest entry applied, "<ms>-<seq>"

class ReaderStats(NamedTuple):
    entries: int       # stream entries received
    events: int        # valid events decoded
    skipped: int       # entries not JSON or lacking keys
    reconnects: int
    discoveries: int   # SCAN passes completed
    delivered: int     # events yielded to Python
    connected: bool
    caught_up: bool    # history read up to where each stream ended when discovered

class StreamReader:
    prefix: str
    discovery_interval: float           # seconds
    redis_config: Dict[str, Any]
    def __init__(
        self,
        host: str = ...,
        port: int = ...,
        db: int = ...,
        prefix: str = ...,
        discovery_interval: float = ...,  # seconds between scans for new streams
        *,
        username: Optional[str] = ...,
        password: Optional[str] = ...,
        socket_timeout: Optional[float] = ...,          # seconds, longest wait for a reply
        socket_connect_timeout: Optional[float] = ...,  # seconds
        socket_keepalive: Any = ...,
        socket_keepalive_options: Any = ...,
        health_check_interval: Any = ...,
        retry_on_timeout: Any = ...,
        retry_on_error: Any = ...,
        retry: Any = ...,
        encoding: Any = ...,
        encoding_errors: Any = ...,
        client_name: Any = ...,
        single_connection_client: Any = ...,
    ) -> None: ...
    @property
    def streams(self) -> List[str]: ...
    @property
    def is_connected(self) -> bool: ...
    def discover_streams(self) -> List[str]: ...
    # block_ms: milliseconds; 0 waits forever, > 0 yields None after that long with nothing new.
    def events(self, from_beginning: bool = ..., block_ms: int = ...) -> Iterator[Optional[StreamEvent]]: ...
    def live_state(self) -> LiveState: ...
    def stats(self) -> ReaderStats: ...
