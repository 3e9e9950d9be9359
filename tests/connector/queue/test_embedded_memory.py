"""The embedded Valkey can't be filled from outside: it has a memory cap, and past it only keys with an
expiry (sessions, links, counters) may be evicted, never the job queue."""

from __future__ import annotations

from pathlib import Path

from redis import Redis

from connector.queue.embedded import MAXMEMORY_POLICY, start_valkey


def test_the_embedded_valkey_caps_memory_and_evicts_only_expiring_keys(tmp_path: Path) -> None:
    server = start_valkey(tmp_path / "vk.sock", tmp_path / "data", persist=False)
    try:
        client = Redis(unix_socket_path=str(tmp_path / "vk.sock"))
        assert int(client.config_get("maxmemory")["maxmemory"]) == 256 * 1024 * 1024
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == MAXMEMORY_POLICY == "volatile-lru"
        client.config_set("maxmemory", "8mb")  # small enough to fill in a test
        client.rpush("rq:queue:sadakat", *[f"job-{n}" for n in range(100)])
        blob = "x" * 10_000
        for n in range(2_000):  # 20 MB of sessions and counters, each with an expiry
            client.set(f"sadakat:admin-session:{n}", blob, ex=7200)
        assert client.llen("rq:queue:sadakat") == 100  # queue data never evicted
        assert client.dbsize() < 2_000 and int(client.info("stats")["evicted_keys"]) > 0
    finally:
        server.stop()
