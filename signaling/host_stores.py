"""The choice of hosts store, like `app.hub_for` for hubs: Redis when VISAVIS_BROKER_URL
names one (instances sharing rooms share hosts too), else SQLite under VISAVIS_STATE_DIR,
else none (VISAVIS_ACCESS=open with nowhere to keep hosts)."""

from __future__ import annotations

from .config import ConfigError, Settings
from .hosts import HostStore
from .hosts_sqlite import SqliteHostStore


def host_store_for(settings: Settings) -> HostStore | None:
    """The store for `settings` (not started); ConfigError if Redis is named but the
    redis extra is missing."""
    if settings.broker_url:
        try:
            from .hosts_redis import RedisHostStore
        except ImportError:
            raise ConfigError(
                "VISAVIS_BROKER_URL needs the redis extra: pip install 'visavis[redis]'"
            ) from None
        return RedisHostStore(settings.broker_url)
    if settings.state_dir:
        return SqliteHostStore.in_folder(settings.state_dir)
    return None
